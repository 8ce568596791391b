"""Evicting tokens from the KV cache: Heavy-Hitter Oracle (H2O) [zhang2023h2o].

A cache with room for ``budget`` tokens keeps the ``recent`` newest ones and, for the
rest of its room, the *heavy hitters*: the tokens that have so far received the most
attention, summed over every query that read them,

    A_j(t) = Σ_{i ≤ t, j kept at i} softmax_j(q_i · k_j / √d),

over the query heads that share the KV head (each KV head keeps its own tokens). When
token t arrives and the cache is full, the old token (outside the recent window) with
the smallest A_j is evicted for good, then query t attends to what is left. Chapter 4's
StreamingLLM keeps a fixed set instead: the first tokens and a window.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_HEADS, MAX_SEQ_LEN


def _check(scores: Tensor, budget: int, recent: int | None, group: int) -> int:
    check_tensor("scores", scores, ranks=(4,), allow_neg_inf=True)
    if scores.shape[-1] != scores.shape[-2]:
        raise ValueError(
            f"scores must be self-attention scores (B, H, T, T), got shape "
            f"{tuple(scores.shape)}"
        )
    check_int("budget", budget, minimum=1, maximum=MAX_SEQ_LEN)
    recent = max(1, budget // 2) if recent is None else recent
    check_int("recent", recent, minimum=1, maximum=budget)
    check_int("group", group, minimum=1, maximum=MAX_HEADS)
    if scores.shape[1] % group:
        raise ValueError(
            f"group must divide the {scores.shape[1]} heads of scores, got {group}"
        )
    return recent


def h2o_weights(
    scores: Tensor, budget: int, recent: int | None = None, group: int = 1
) -> tuple[Tensor, Tensor]:
    """Attention weights (B, H, T, T) under H2O eviction, and the kept mask (bool, the
    same shape: row t holds the min(t + 1, budget) tokens query t reads). ``scores``
    are q·k/√d before the causal mask; ``recent`` defaults to half the budget;
    ``group`` query heads share each KV head and its kept tokens.

    >>> weights, kept = h2o_weights(torch.zeros(1, 1, 4, 4), budget=2)
    >>> kept[0, 0].int().tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]]
    """
    recent = _check(scores, budget, recent, group)
    batch, heads, seq, _ = scores.shape
    kv_scores = scores.unflatten(1, (heads // group, group))  # (B, H_kv, g, T, T)
    cached = torch.zeros(batch, heads // group, seq, dtype=torch.bool)  # (B, H_kv, T)
    total = torch.zeros(batch, heads // group, seq)  # accumulated attention
    rows, kept = [], []
    for t in range(seq):
        cached[..., t] = True
        if t >= budget:  # full: evict the old token with the least attention
            old = cached.clone()
            old[..., t - recent + 1 :] = False
            least = total.masked_fill(~old, torch.inf).argmin(-1, keepdim=True)
            cached.scatter_(-1, least, False)
        row = kv_scores[..., t, :].masked_fill(~cached[:, :, None], -torch.inf)
        weights = torch.softmax(row, dim=-1)  # (B, H_kv, g, T)
        total += weights.sum(2)
        rows.append(weights.flatten(1, 2))  # (B, H, T)
        kept.append(cached.repeat_interleave(group, dim=1))
    return torch.stack(rows, dim=2), torch.stack(kept, dim=2)


def h2o_attention(budget: int, recent: int | None = None, group: int = 1):
    """An ``attention(q, k, v, rotary)`` for ``llmviz.long_context.swap.
    forward_with_attention``: causal attention through an H2O cache of ``budget``
    tokens, ``group`` query heads to a KV head (the model's heads / KV heads).

    >>> from llmviz.models import load_tinygpt
    >>> from llmviz.long_context.swap import forward_with_attention
    >>> model, _ = load_tinygpt()
    >>> forward_with_attention(model, torch.tensor([[0, 5, 6]]),
    ...                        h2o_attention(2, group=2)).shape
    torch.Size([1, 3, 2048])
    """
    check_int("budget", budget, minimum=1, maximum=MAX_SEQ_LEN)
    if recent is not None:
        check_int("recent", recent, minimum=1, maximum=budget)
    check_int("group", group, minimum=1, maximum=MAX_HEADS)

    def attention(q: Tensor, k: Tensor, v: Tensor, rotary) -> Tensor:
        scores = rotary(q) @ rotary(k).mT / q.shape[-1] ** 0.5  # (B, H, T, T)
        weights, _ = h2o_weights(scores, budget, recent, group)
        return weights @ v

    return attention
