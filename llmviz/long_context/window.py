"""Causal sliding-window attention for long sequences, exactly, in pure torch.

Query i sees the ``window`` keys i − W < j ≤ i, the query's own included (Mistral's and
Hugging Face's ``sliding_window`` [jiang2023mistral]). Dense masked attention computes
all n² scores and throws most away. Cut the sequence into blocks of W: a query in
block b sees keys only in blocks b − 1 and b, so each block of W queries needs 2W keys,
and the work is O(n·W) instead of O(n²):

    row r of a block sees key c of [K_{b−1}; K_b]  ⟺  r < c ≤ r + W

The same band for every block after the first, so one batched SDPA call does them all.
``sliding_window_attention_dense`` beside it is the reference: SDPA with chapter 3's
``sliding_window`` mask.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_positive_number
from llmviz.attention import masks
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import (
    check_dense,
    check_fits,
    check_qkv,
    check_self_attention,
    check_size,
)


def _checked(query: Tensor, key: Tensor, value: Tensor, window: Any, scale: Any):
    batch = check_qkv(query, key, value)
    seq_len = check_self_attention(query, key, "a causal window is self-attention")
    window = check_size("window", window)
    check_fits("window", window, seq_len, divides=False)
    scale = None if scale is None else check_positive_number("scale", scale)
    return batch, window, scale


def band(window: int) -> Tensor:
    """The (W, 2W) mask of one block: row r sees column c of [K_{b−1}; K_b] iff
    r < c ≤ r + W.

    >>> band(2).int().tolist()
    [[0, 1, 1, 0], [0, 0, 1, 1]]
    """
    window = check_size("window", window)
    check_dense("the band", (), q_len=window, kv_len=2 * window)
    rows = torch.arange(window).view(-1, 1)  # (W, 1)
    cols = torch.arange(2 * window).view(1, -1)  # (1, 2W)
    return (cols > rows) & (cols <= rows + window)


def _as_4d(x: Tensor, lead: tuple[int, ...]) -> Tensor:
    """(*lead, rows, d) as (1, prod(lead), rows, d): SDPA's fused CPU kernel takes
    4-d input only, and runs a 5-d batch of blocks about 4x slower."""
    return x.expand(*lead, *x.shape[-2:]).reshape(1, -1, *x.shape[-2:])


def _chunked(query: Tensor, key: Tensor, value: Tensor, window: int, scale) -> Tensor:
    seq_len = query.shape[-2]
    pad = -seq_len % window  # padded keys lie in every real query's future
    if pad:
        query, key, value = (F.pad(x, (0, 0, 0, pad)) for x in (query, key, value))
    blocks = query.shape[-2] // window
    q = query.unflatten(-2, (blocks, window))  # (..., blocks, W, d)
    k = key.unflatten(-2, (blocks, window))  # (..., blocks, W, d)
    v = value.unflatten(-2, (blocks, window))  # (..., blocks, W, d_v)
    # the first block has no previous one: plain causal attention inside it
    first = attend(q[..., 0, :, :], k[..., 0, :, :], v[..., 0, :, :], is_causal=True,
                   scale=scale)  # fmt: skip
    parts = [first.unsqueeze(-3)]  # (..., 1, W, d_v)
    if blocks > 1:  # block b's keys: [K_{b−1}; K_b], the same band mask for every b
        # (..., blocks − 1, 2W, d)
        pair_k = torch.cat([k[..., :-1, :, :], k[..., 1:, :, :]], -2)
        pair_v = torch.cat([v[..., :-1, :, :], v[..., 1:, :, :]], -2)
        rest_q = q[..., 1:, :, :]
        lead = torch.broadcast_shapes(*(x.shape[:-2] for x in (rest_q, pair_k, pair_v)))
        rest = attend(*(_as_4d(x, lead) for x in (rest_q, pair_k, pair_v)),
                      band(window), scale=scale)  # fmt: skip
        parts.append(rest.view(*lead, window, -1))  # (..., blocks − 1, W, d_v)
    out = torch.cat(parts, -3).flatten(-3, -2)  # (..., blocks·W, d_v)
    return out[..., :seq_len, :]


def sliding_window_attention(
    query: Tensor, key: Tensor, value: Tensor, window: int, scale: float | None = None
) -> Tensor:
    """Causal sliding-window attention by blocks of ``window`` queries, each against
    its own and the previous block of keys: (..., T, d) -> (..., T, d_v).

    >>> q = k = v = torch.eye(3)
    >>> sliding_window_attention(q, k, v, window=1).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    _, window, scale = _checked(query, key, value, window, scale)
    return _chunked(query, key, value, window, scale)


def sliding_window_attention_dense(
    query: Tensor, key: Tensor, value: Tensor, window: int, scale: float | None = None
) -> Tensor:
    """The reference: SDPA with the dense (T, T) mask of ``masks.sliding_window``.

    >>> q = k = v = torch.eye(3)
    >>> sliding_window_attention_dense(q, k, v, window=3).shape
    torch.Size([3, 3])
    """
    _, window, scale = _checked(query, key, value, window, scale)
    seq_len = query.shape[-2]
    check_dense("the dense window mask", (), q_len=seq_len, kv_len=seq_len)
    mask = masks.materialize(masks.sliding_window(window), seq_len, seq_len)
    return attend(query, key, value, mask, scale=scale)
