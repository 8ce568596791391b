"""StreamingLLM's four policies run over a stream [xiao2024streamingllm]: TinyGPT's
next-token losses under each, and the query-key pairs each scores.

- dense, window and sinks + window: the caches of ``streaming``, token by token
  (``stream_losses``) or in one pass (``policy_losses``);
- sliding window with recomputation: ``recompute_losses``, TinyGPT rerun on the
  last L tokens for every prediction.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice
from llmviz.long_context._validate import check_size
from llmviz.long_context.streaming import (
    MAX_STREAM,
    POLICIES,
    StreamingCache,
    _kept,
    sinks_window_attention,
)
from llmviz.long_context.swap import (
    _check_model,
    forward_with_attention,
    next_token_losses,
)
from llmviz.models.tinygpt import TinyGPT


def _check_stream(model: TinyGPT, input_ids: Tensor) -> None:
    _check_model(model)
    model._check_ids(input_ids)
    if input_ids.shape[0] != 1 or not 2 <= input_ids.shape[1] <= MAX_STREAM:
        raise ValueError(
            f"input_ids must be one stream (1, T) with 2 <= T <= {MAX_STREAM}, got "
            f"shape {tuple(input_ids.shape)}"
        )


def _check_window(window: int, seq_len: int) -> int:
    check_size("window", window)
    if window > seq_len:
        raise ValueError(
            f"window must be at most the stream's {seq_len} tokens, got {window}"
        )
    return window


@torch.no_grad()
def stream_losses(
    model: TinyGPT, input_ids: Tensor, num_sinks: int = 0, window: int | None = None
) -> Tensor:
    """Feed a stream (1, T) to TinyGPT token by token through a ``StreamingCache``;
    return the loss (nats) of each next token, (T − 1,).

    >>> from llmviz.models import load_tinygpt
    >>> model, _ = load_tinygpt()
    >>> ids = torch.tensor([[0, 5, 6, 7]])
    >>> stream_losses(model, ids, num_sinks=1, window=2).shape
    torch.Size([3])
    """
    _check_stream(model, input_ids)
    check_int("num_sinks", num_sinks, minimum=0, maximum=input_ids.shape[1])
    if window is not None:
        _check_window(window, input_ids.shape[1])
    cache = StreamingCache(len(model.layers), num_sinks, window)
    logits = [forward_with_attention(model, input_ids[:, t : t + 1], cache)
              for t in range(input_ids.shape[1])]  # fmt: skip
    return next_token_losses(torch.cat(logits, dim=1), input_ids)[0]


@torch.no_grad()
def recompute_losses(model: TinyGPT, input_ids: Tensor, window: int) -> Tensor:
    """Sliding window with recomputation: each next token predicted by TinyGPT run
    afresh on the last ``window`` tokens (positions 0..window − 1); (T − 1,) losses.

    >>> from llmviz.models import load_tinygpt
    >>> model, _ = load_tinygpt()
    >>> recompute_losses(model, torch.tensor([[0, 5, 6, 7]]), window=2).shape
    torch.Size([3])
    """
    _check_stream(model, input_ids)
    _check_window(window, input_ids.shape[1])
    ids = input_ids[0]
    first = model(ids[None, :window])[0]  # the first window: plain causal, (w, vocab)
    windows = ids.unfold(0, window, 1)[1:]  # (T − w, w): ending at w, w + 1, …
    rest = model(windows)[:, -1] if len(windows) else first[:0]  # (T − w, vocab)
    return next_token_losses(torch.cat([first, rest])[None], input_ids)[0]


@torch.no_grad()
def policy_losses(
    model: TinyGPT, input_ids: Tensor, policy: str, window: int = 1, num_sinks: int = 0
) -> Tensor:
    """The (T − 1,) next-token losses of one of ``POLICIES`` over a stream (1, T),
    each cached policy in its one-pass form (``sinks_window_attention``).

    >>> from llmviz.models import load_tinygpt
    >>> model, _ = load_tinygpt()
    >>> policy_losses(model, torch.tensor([[0, 5, 6, 7]]), "sinks", 2, 1).shape
    torch.Size([3])
    """
    _check_stream(model, input_ids)
    check_choice("policy", policy, POLICIES)
    _check_window(window, input_ids.shape[1])
    check_int("num_sinks", num_sinks, minimum=0, maximum=input_ids.shape[1])
    if policy == "recompute":
        return recompute_losses(model, input_ids, window)
    sinks = num_sinks if policy == "sinks" else 0
    attention = sinks_window_attention(sinks, None if policy == "dense" else window)
    logits = forward_with_attention(model, input_ids, attention)
    return next_token_losses(logits, input_ids)[0]


def policy_pairs(seq_len: int, policy: str, window: int = 1, num_sinks: int = 0) -> int:
    """Query-key pairs a policy scores over a stream of ``seq_len`` tokens, per head
    and layer: dense Σ(t + 1) = O(T²), window and sinks Σ|cache| = O(TL), recompute
    Σ w(w + 1)/2 over the reruns = O(TL²).

    >>> policy_pairs(4, "dense"), policy_pairs(4, "recompute", window=2)
    (10, 10)
    """
    check_int("seq_len", seq_len, minimum=1, maximum=MAX_STREAM)
    check_choice("policy", policy, POLICIES)
    _check_window(window, seq_len)
    check_int("num_sinks", num_sinks, minimum=0, maximum=seq_len)
    if policy == "dense":
        return sum(len(_kept(t, 0, None)) for t in range(seq_len))
    if policy == "recompute":  # each prediction reruns causal attention on ≤ w tokens
        return sum(
            n * (n + 1) // 2 for n in (min(t + 1, window) for t in range(seq_len))
        )
    sinks = num_sinks if policy == "sinks" else 0
    return sum(len(_kept(t, sinks, window)) for t in range(seq_len))
