"""StreamingLLM on TinyGPT [xiao2024streamingllm]: a KV cache that keeps the first
``num_sinks`` tokens and the last ``window`` ones, at positions inside the cache.

The cache stores keys *before* RoPE, so that each step can rotate the tokens it holds
at their places in the cache, 0, 1, …, n − 1, whatever their places in the stream.
The paper's cached policies are one class: dense ``StreamingCache(layers)``, every
token kept; window ``StreamingCache(layers, window=L)``, the last L tokens; sinks +
window ``StreamingCache(layers, num_sinks=s, window=L)``. ``sinks_window_attention`` is
the same policy for a whole stream in one pass. Running the policies over a stream,
recomputation included, is ``streaming_runs``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import check_size
from llmviz.long_context.swap import Rotary

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
