"""Dual Chunk Attention [an2024dca]: attention over a sequence longer than the
pretraining length c, with RoPE positions remapped so that no (query, key) distance
reaches c. Training-free: the weights are untouched.

Each query is rotated at three positions (``dca_positions``), one for the keys of its
own chunk, one for the chunk before, one for everything older; the keys are rotated at
j mod s. For each pair the score of its part is kept, and ONE softmax over all of a
query's keys mixes the three:

    s_ij = R(P_q^part(i,j)[i]) q_i · R(P_k[j]) k_j / √d,
    out_i = Σ_j softmax_j(s_ij) v_j

It is not sparse: every causal pair is scored, T(T+1)/2 of them, as in dense
attention. ``dca_attention`` is the direct form; ``dca_attention_by_chunks`` is the
paper's: per chunk of queries, three attentions with their log-sum-exps, merged.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_callable
from llmviz.long_context._validate import check_dense, check_qkv, check_self_attention
from llmviz.long_context.dca_positions import _parts, _positions, check_dca
from llmviz.long_context.splitkv import attention_with_lse, merge_attention
from llmviz.long_context.tiling import scale_or_default

Rotary = Callable[[Tensor, Tensor], Tensor]  # rotary(x (..., T, D), positions (T,))


def _rotate(rotary: Rotary, x: Tensor, positions: Tensor) -> Tensor:
    out = rotary(x, positions)
    if not isinstance(out, Tensor) or (out.shape, out.dtype) != (x.shape, x.dtype):
        raise ValueError(
            f"rotary must return a tensor of its input's shape {tuple(x.shape)} and "
            f"dtype {x.dtype}, got {getattr(out, 'shape', type(out).__name__)} "
            f"{getattr(out, 'dtype', '')}"
        )
    return out


def _checked(query, key, value, rotary, chunk_size, pretraining_length, window):
    batch = check_qkv(query, key, value)
    seq_len = check_self_attention(query, key, "DCA is causal self-attention")
    check_dense(
        "DCA's three score matrices", batch, parts=3, q_len=seq_len, kv_len=seq_len
    )
    check_callable("rotary", rotary)
    return seq_len, check_dca(chunk_size, pretraining_length, window)


def _scores(query, key, rotary, seq_len, sizes, scale) -> Tensor:
    positions = _positions(seq_len, *sizes)
    parts = _parts(seq_len, sizes[0])  # (T, T): 0, 1, 2 or −1 (future)
    keys = _rotate(rotary, key, positions.key).transpose(-2, -1)  # (..., D, T)
    scores = None
    for part, at in enumerate(positions[1:]):  # intra fills all, then 1, 2 override
        part_scores = _rotate(rotary, query, at) @ keys * scale  # (..., T, T)
        scores = (
            part_scores
            if part == 0
            else torch.where(parts == part, part_scores, scores)
        )
    return scores.masked_fill(parts == -1, float("-inf"))


def dca_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    rotary: Rotary,
    chunk_size: int,
    pretraining_length: int,
    local_window: int | None = None,
    scale: float | None = None,
    return_weights: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Causal DCA over query, key (..., T, D) *before* RoPE and value (..., T, D_v);
    ``rotary(x, positions)`` applies RoPE at positions (T,). One softmax per query over
    the scores its three parts give; ``return_weights=True`` also returns them.

    >>> def no_rope(x, positions):  # positions then change nothing: causal attention
    ...     return x
    >>> v = torch.tensor([[1.0], [2.0], [3.0]])
    >>> dca_attention(torch.zeros(3, 2), torch.zeros(3, 2), v, no_rope, 1, 2).tolist()
    [[1.0], [1.5], [2.0]]
    """
    seq_len, sizes = _checked(
        query, key, value, rotary, chunk_size, pretraining_length, local_window
    )
    return_weights = check_bool("return_weights", return_weights)
    scale = scale_or_default(query, scale)
    weights = _scores(query, key, rotary, seq_len, sizes, scale).softmax(-1)
    out = weights @ value  # (..., T, D_v)
    return (out, weights) if return_weights else out


def dca_attention_by_chunks(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    rotary: Rotary,
    chunk_size: int,
    pretraining_length: int,
    local_window: int | None = None,
    scale: float | None = None,
) -> Tensor:
    """DCA as the paper computes it: for each chunk of queries, causal attention
    inside the chunk, full attention to the chunk before and to all older keys, each
    with its log-sum-exp, merged into one softmax by ``merge_attention``.

    >>> def no_rope(x, positions):
    ...     return x
    >>> v = torch.tensor([[1.0], [2.0], [3.0]])
    >>> dca_attention_by_chunks(torch.zeros(3, 2), torch.zeros(3, 2), v, no_rope,
    ...                         1, 2).round(decimals=4).tolist()
    [[1.0], [1.5], [2.0]]
    """
    seq_len, sizes = _checked(
        query, key, value, rotary, chunk_size, pretraining_length, local_window
    )
    scale = scale_or_default(query, scale)
    s, positions = sizes[0], _positions(seq_len, *sizes)
    keys = _rotate(rotary, key, positions.key)  # (..., T, D)
    outputs = []
    for begin in range(0, seq_len, s):
        rows = slice(begin, min(begin + s, seq_len))
        ranges = [(positions.intra, begin, rows.stop)]  # (query positions, keys)
        if begin >= s:
            ranges.append((positions.successive, begin - s, begin))
        if begin >= 2 * s:
            ranges.append((positions.inter, 0, begin - s))
        parts = [
            attention_with_lse(
                _rotate(rotary, query[..., rows, :], at[rows]),
                keys[..., first:last, :],
                value[..., first:last, :],
                is_causal=first == begin,  # only the own chunk has future keys
                scale=scale,
            )
            for at, first, last in ranges
        ]
        if len(parts) == 1:
            outputs.append(parts[0][0])
        else:
            outputs.append(merge_attention(*zip(*parts, strict=True))[0])
    return torch.cat(outputs, dim=-2)  # (..., T, D_v)
