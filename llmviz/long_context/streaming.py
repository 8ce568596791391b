"""StreamingLLM on TinyGPT [xiao2024streamingllm]: a KV cache that keeps the first
``num_sinks`` tokens and the last ``window`` ones, at positions inside the cache.

The cache stores keys *before* RoPE, so that each step can rotate the tokens it holds
at their places in the cache, 0, 1, …, n − 1, whatever their places in the stream.
The paper's four policies are one class and one function:

- dense: ``StreamingCache(layers)``, every token kept;
- window: ``StreamingCache(layers, window=L)``, the last L tokens;
- sinks + window: ``StreamingCache(layers, num_sinks=s, window=L)``;
- sliding window with recomputation: ``recompute_losses``, TinyGPT rerun on the
  last L tokens for every prediction.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import check_size
from llmviz.long_context.swap import (
    Rotary,
    _check_model,
    forward_with_attention,
    next_token_losses,
)
from llmviz.models.tinygpt import TinyGPT

POLICIES = ("dense", "window", "recompute", "sinks")
MAX_STREAM = 1 << 14  # tokens in a stream: each is a forward pass of the model


def kept_tokens(step: int, num_sinks: int = 0, window: int | None = None) -> Tensor:
    """The stream indices a cache holds once token ``step`` has arrived:
    {0, …, s − 1} ∪ {step − w + 1, …, step}, or all of 0..step if ``window`` is None.

    >>> kept_tokens(9, num_sinks=2, window=3).tolist()
    [0, 1, 7, 8, 9]
    """
    check_int("step", step, minimum=0, maximum=MAX_STREAM)
    check_int("num_sinks", num_sinks, minimum=0, maximum=MAX_STREAM)
    if window is not None:
        check_size("window", window)
    return _kept(step, num_sinks, window)


def _kept(step: int, num_sinks: int, window: int | None) -> Tensor:
    if window is None:
        return torch.arange(step + 1)
    sinks = torch.arange(min(num_sinks, step + 1))
    recent = torch.arange(min(max(num_sinks, step - window + 1), step + 1), step + 1)
    return torch.cat([sinks, recent])


class StreamingCache:
    """The ``attention(q, k, v, rotary)`` of ``forward_with_attention`` for one token
    at a time, with a cache per layer of keys before RoPE, values and stream indices.

    Each call appends the new token's key and value, evicts the tokens outside the
    sinks and the window, rotates the n kept keys at positions 0..n − 1 and the query
    at n − 1, and attends.
    """

    def __init__(
        self, num_layers: int, num_sinks: int = 0, window: int | None = None
    ) -> None:
        self.num_layers = check_int("num_layers", num_layers, minimum=1, maximum=4096)
        self.num_sinks = check_int(
            "num_sinks", num_sinks, minimum=0, maximum=MAX_STREAM
        )
        self.window = None if window is None else check_size("window", window)
        self.keys: list[Tensor | None] = [None] * num_layers  # (B, H, n, D), no RoPE
        self.values: list[Tensor | None] = [None] * num_layers
        self.tokens: list[Tensor] = [torch.zeros(0, dtype=torch.long)] * num_layers
        self.calls = 0  # the layers are called in order, once per token

    def __call__(self, q: Tensor, k: Tensor, v: Tensor, rotary: Rotary) -> Tensor:
        if q.shape[-2] != 1:
            raise ValueError(f"StreamingCache takes one token a step, got {q.shape}")
        layer, step = self.calls % self.num_layers, self.calls // self.num_layers
        self.calls += 1
        old_k, old_v = self.keys[layer], self.values[layer]
        keys = k if old_k is None else torch.cat([old_k, k], dim=-2)  # (B, H, n+1, D)
        values = v if old_v is None else torch.cat([old_v, v], dim=-2)
        tokens = torch.cat([self.tokens[layer], torch.tensor([step])])
        if self.window is not None and len(tokens) > self.num_sinks + self.window:
            drop = self.num_sinks  # the oldest token after the sinks leaves
            keep = torch.cat([torch.arange(drop), torch.arange(drop + 1, len(tokens))])
            keys, values, tokens = (
                keys[..., keep, :],
                values[..., keep, :],
                tokens[keep],
            )
        self.keys[layer], self.values[layer], self.tokens[layer] = keys, values, tokens
        n = len(tokens)  # positions inside the cache, not in the stream: 0..n − 1
        rotated = rotary(
            torch.cat([keys, q], dim=-2), torch.arange(n + 1).clamp(max=n - 1)
        )
        return attend(rotated[..., -1:, :], rotated[..., :-1, :], values)


def sinks_window_attention(num_sinks: int, window: int | None):
    """The same policy for a whole stream in one pass: query t attends to the sinks
    {0..s − 1} rotated at their cache positions, with itself at min(t, s + w − 1), and
    to the window {t − w + 1..t} at stream positions (RoPE sees only the distance).

    >>> from llmviz.models import load_tinygpt
    >>> from llmviz.long_context.swap import forward_with_attention
    >>> model, _ = load_tinygpt()
    >>> ids = torch.tensor([[0, 5, 6, 7, 8]])
    >>> fast = forward_with_attention(model, ids, sinks_window_attention(1, 2))
    >>> slow = torch.cat([forward_with_attention(model, ids[:, t:t+1],
    ...     cache) for cache in [StreamingCache(4, 1, 2)] for t in range(5)], dim=1)
    >>> torch.allclose(fast, slow, atol=1e-4)
    True
    """
    check_int("num_sinks", num_sinks, minimum=0, maximum=MAX_STREAM)
    if window is not None:
        check_size("window", window)

    def attention(q: Tensor, k: Tensor, v: Tensor, rotary: Rotary) -> Tensor:
        seq = q.shape[-2]
        t, j = torch.arange(seq)[:, None], torch.arange(seq)[None, :]
        if window is None:
            return attend(rotary(q), rotary(k), v, None, True)
        recent = (j <= t) & (j > t - window) & (j >= num_sinks)  # (T, T)
        scores = rotary(q) @ rotary(k).mT  # (B, H, T, T) at stream positions
        s = min(num_sinks, seq)
        if s:  # the sinks at cache positions 0..s − 1, the query at its own
            cache_pos = torch.arange(seq).clamp(max=num_sinks + window - 1)
            sink = rotary(q, cache_pos) @ rotary(k[..., :s, :], torch.arange(s)).mT
            sink = sink.masked_fill(torch.arange(s)[None, :] > t, -torch.inf)  # (T, s)
            scores, v = torch.cat([sink, scores], -1), torch.cat([v[..., :s, :], v], -2)
            recent = torch.cat([torch.ones(seq, s, dtype=torch.bool), recent], -1)
        scores = scores.masked_fill(~recent, -torch.inf) / q.shape[-1] ** 0.5
        return torch.softmax(scores, dim=-1) @ v  # (B, H, T, D)

    return attention


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
