"""Scaled dot-product attention, written out step by step and checked against torch.

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k + M) V        [vaswani2017attention]

``attention_weights`` computes the softmax term explicitly, so that the book can draw
it. ``scaled_dot_product_attention`` has the signature and the semantics of torch's
``F.scaled_dot_product_attention``: a bool mask means True = may attend, a float mask
is added to the scores, and a row with no visible key gives zeros. It hands the work to
torch's fused kernel unless the weights are asked for.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz.attention._validate import (
    MAX_SEQ_LEN,
    check_attention_inputs,
    check_bool,
    check_cells,
    check_device,
    check_mask,
)


def _checked(
    query: Tensor,
    key: Tensor,
    value: Tensor | None,
    attn_mask: Tensor | None,
    is_causal: bool,
    scale: float | None,
) -> float | None:
    """Check every argument of the two public functions; return the scale."""
    batch = check_attention_inputs(query, key, value)
    check_mask(attn_mask, is_causal, batch, query.shape[-2], key.shape[-2], query.dtype)
    return None if scale is None else check_positive_number("scale", scale)


def causal_mask(q_len: int, kv_len: int, device: torch.device | None = None) -> Tensor:
    """The bool mask of ``is_causal=True``: query i sees keys 0..i (top-left aligned).

    >>> causal_mask(2, 3).int().tolist()
    [[1, 0, 0], [1, 1, 0]]
    """
    q_len = check_int("q_len", q_len, minimum=1, maximum=MAX_SEQ_LEN)
    kv_len = check_int("kv_len", kv_len, minimum=1, maximum=MAX_SEQ_LEN)
    check_cells("a causal mask", q_len=q_len, kv_len=kv_len)
    device = check_device("device", device, none=True)
    return _causal(q_len, kv_len, device)


def _causal(q_len: int, kv_len: int, device: torch.device | None) -> Tensor:
    return torch.ones(q_len, kv_len, dtype=torch.bool, device=device).tril()


def attention_weights(
    query: Tensor,
    key: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(Q Kᵀ · scale + mask), of shape (..., q_len, kv_len).

    A row in which every key is masked gets zeros, as in torch, rather than 0/0 = NaN.

    >>> attention_weights(torch.ones(1, 4), torch.ones(3, 4)).tolist()
    [[0.3333333432674408, 0.3333333432674408, 0.3333333432674408]]
    """
    scale = _checked(query, key, None, attn_mask, is_causal, scale)
    return _weights(query, key, attn_mask, is_causal, scale)


def _weights(
    query: Tensor,
    key: Tensor,
    attn_mask: Tensor | None,
    is_causal: bool,
    scale: float | None,
) -> Tensor:
    """``attention_weights`` without the checks: the scores, the mask, the softmax."""
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = query @ key.transpose(-2, -1) * scale  # (..., q_len, kv_len)
    if is_causal:
        attn_mask = _causal(query.shape[-2], key.shape[-2], query.device)
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    no_visible_key = torch.isneginf(scores).all(dim=-1, keepdim=True)
    weights = torch.softmax(scores.masked_fill(no_visible_key, 0.0), dim=-1)
    return weights.masked_fill(no_visible_key, 0.0)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    return_weights: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Attention with torch's semantics; ``return_weights=True`` also gives the weights.

    query (..., q_len, d_k), key (..., kv_len, d_k), value (..., kv_len, d_v)
    -> output (..., q_len, d_v), and weights (..., q_len, kv_len) if asked for.

    >>> q = k = v = torch.eye(2)
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).tolist()
    [[1.0, 0.0], [0.33..., 0.66...]]
    """
    scale = _checked(query, key, value, attn_mask, is_causal, scale)
    return_weights = check_bool("return_weights", return_weights)
    return attend(query, key, value, attn_mask, is_causal, scale, return_weights)


def attend(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    return_weights: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """``scaled_dot_product_attention`` without the checks, for the modules' inner
    steps, whose inputs their forward has checked."""
    if return_weights:
        weights = _weights(query, key, attn_mask, is_causal, scale)
        return weights @ value, weights
    return F.scaled_dot_product_attention(
        query, key, value, attn_mask=attn_mask, is_causal=is_causal, scale=scale
    )
