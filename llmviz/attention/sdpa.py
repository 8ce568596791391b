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

from llmviz._checks import check_positive_number


def _check_tensor(name: str, tensor: Tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dim() < 2:
        raise ValueError(
            f"{name} must have at least 2 dimensions (..., seq, dim), "
            f"got shape {tuple(tensor.shape)}"
        )


def _check_inputs(query: Tensor, key: Tensor, value: Tensor | None = None) -> None:
    _check_tensor("query", query)
    _check_tensor("key", key)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            "query and key must have the same last dimension (head_dim), "
            f"got query {tuple(query.shape)} and key {tuple(key.shape)}"
        )
    if value is not None:
        _check_tensor("value", value)
        if value.shape[-2] != key.shape[-2]:
            raise ValueError(
                "key and value must have the same sequence length (dim -2), "
                f"got key {tuple(key.shape)} and value {tuple(value.shape)}"
            )


def _check_mask(attn_mask: Tensor, query: Tensor, key: Tensor, is_causal: bool) -> None:
    if is_causal:
        raise ValueError(
            "give attn_mask or is_causal=True, not both (torch forbids it too); to "
            "combine them, pass attn_mask & causal_mask(q_len, kv_len)"
        )
    if not isinstance(attn_mask, Tensor):
        raise TypeError(
            f"attn_mask must be a torch.Tensor or None, got {type(attn_mask).__name__}"
        )
    if attn_mask.dtype not in (torch.bool, query.dtype):
        raise TypeError(
            f"attn_mask must be bool or have the query's dtype {query.dtype}, "
            f"got {attn_mask.dtype}"
        )
    q_len, kv_len = query.shape[-2], key.shape[-2]
    rows_ok = attn_mask.dim() >= 2 and attn_mask.shape[-2] in (1, q_len)
    if not (rows_ok and attn_mask.shape[-1] in (1, kv_len)):
        raise ValueError(
            f"attn_mask must broadcast to (..., q_len, kv_len) = (..., {q_len}, "
            f"{kv_len}), got shape {tuple(attn_mask.shape)}"
        )


def causal_mask(q_len: int, kv_len: int, device: torch.device | None = None) -> Tensor:
    """The bool mask of ``is_causal=True``: query i sees keys 0..i (top-left aligned).

    >>> causal_mask(2, 3).int().tolist()
    [[1, 0, 0], [1, 1, 0]]
    """
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
    _check_inputs(query, key)
    if attn_mask is not None:
        _check_mask(attn_mask, query, key, is_causal)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scale = check_positive_number("scale", scale)
    scores = query @ key.transpose(-2, -1) * scale  # (..., q_len, kv_len)
    if is_causal:
        attn_mask = causal_mask(query.shape[-2], key.shape[-2], query.device)
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
    _check_inputs(query, key, value)
    if return_weights:
        weights = attention_weights(query, key, attn_mask, is_causal, scale)
        return weights @ value, weights
    if attn_mask is not None:
        _check_mask(attn_mask, query, key, is_causal)
    if scale is not None:
        check_positive_number("scale", scale)
    return F.scaled_dot_product_attention(
        query, key, value, attn_mask=attn_mask, is_causal=is_causal, scale=scale
    )
