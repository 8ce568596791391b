"""Split-KV attention ("flash-decoding") [dao2023flashdecoding]: the chunks of keys
are attended to independently, in parallel, each returning its output and the
log-sum-exp of its scores, lse_c = log Σ_{j in c} exp(s_j); the partial results merge
exactly with weights exp(lse_c − lse), the same rescaling as the online softmax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.long_context._validate import (
    check_dense,
    check_fits,
    check_qkv,
    check_size,
)
from llmviz.long_context.tiling import divide, scale_or_default, tile_scores

MAX_PARTS = 1 << 16


def attention_with_lse(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    is_causal: bool = False,
    scale: float | None = None,
    key_offset: int = 0,
) -> tuple[Tensor, Tensor]:
    """Attention over one chunk of keys and its log-sum-exp log Σ_j exp(s_ij).

    ``key_offset``: the position of the chunk's first key, for the causal mask (query
    i sees keys at positions ≤ i). A row with no visible key gives zeros and −inf.

    >>> import math
    >>> q, k, v = torch.zeros(1, 2), torch.zeros(3, 2), torch.ones(3, 1)
    >>> out, lse = attention_with_lse(q, k, v)
    >>> out.tolist(), round(lse.item(), 4) == round(math.log(3), 4)
    ([[1.0]], True)
    """
    batch = check_qkv(query, key, value)
    check_dense("the scores", batch, q_len=query.shape[-2], kv_len=key.shape[-2])
    is_causal = check_bool("is_causal", is_causal)
    scale = scale_or_default(query, scale)
    key_offset = check_int("key_offset", key_offset, minimum=0, maximum=MAX_SEQ_LEN)
    scores = tile_scores(query * scale, key, key_offset, is_causal)  # (..., q, kv)
    row_max = scores.amax(-1)
    shift = row_max.masked_fill(row_max == float("-inf"), 0)  # no visible key: 0
    weights = torch.exp(scores - shift.unsqueeze(-1))  # (..., q_len, kv_len)
    total = weights.sum(-1)
    return divide(weights @ value, total), shift + torch.log(total)


def merge_attention(
    outputs: Sequence[Tensor], lses: Sequence[Tensor]
) -> tuple[Tensor, Tensor]:
    """Merge partial results over disjoint chunks of keys into the attention over all.

    lse = log Σ_c exp(lse_c), out = Σ_c exp(lse_c − lse)·out_c: each chunk's softmax
    is reweighted by its share of the total mass.

    >>> import math
    >>> out, lse = merge_attention([torch.ones(1, 1), torch.zeros(1, 1)],
    ...                            [torch.zeros(1), torch.zeros(1)])
    >>> out.tolist(), round(lse.item(), 6) == round(math.log(2), 6)
    ([[0.5]], True)
    """
    outputs, lses = _check_parts(outputs, lses)
    lse_all = torch.logsumexp(torch.stack(lses), 0)  # (..., q_len)
    finite = lse_all.masked_fill(lse_all == float("-inf"), 0)
    out = sum(
        torch.exp(lse - finite).unsqueeze(-1) * part
        for part, lse in zip(outputs, lses, strict=True)
    )
    return out, lse_all


def _check_list(name: str, parts: Any) -> None:
    if isinstance(parts, Tensor) or not isinstance(parts, Sequence):
        raise TypeError(
            f"{name} must be a list or tuple of tensors, got {type(parts).__name__}"
        )
    if not 1 <= len(parts) <= MAX_PARTS:
        raise ValueError(f"{name} must hold 1 to {MAX_PARTS} tensors, got {len(parts)}")


def _check_parts(outputs: Any, lses: Any) -> tuple[list[Tensor], list[Tensor]]:
    _check_list("outputs", outputs)
    for i, part in enumerate(outputs):
        check_tensor(f"outputs[{i}]", part)
        if part.dim() < 1 or part.shape != outputs[0].shape:
            raise ValueError(
                f"outputs[{i}] must have the shape of outputs[0], "
                f"{tuple(outputs[0].shape)}, got {tuple(part.shape)}"
            )
    _check_list("lses", lses)
    if len(outputs) != len(lses):
        raise ValueError(
            "outputs and lses must hold one tensor per chunk each, got "
            f"{len(outputs)} outputs and {len(lses)} lses"
        )
    for i, (part, lse) in enumerate(zip(outputs, lses, strict=True)):
        check_tensor(f"lses[{i}]", lse, allow_neg_inf=True)
        if lse.shape != part.shape[:-1] or lse.dtype != part.dtype:
            raise ValueError(
                f"lses[{i}] must have shape {tuple(part.shape[:-1])} and dtype "
                f"{part.dtype} (the output's without d_v), got {tuple(lse.shape)} "
                f"and {lse.dtype}"
            )
    return list(outputs), list(lses)


def split_kv_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    num_splits: int = 2,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Flash-decoding: attention over ``num_splits`` chunks of keys run independently
    (``attention_with_lse``), then merged (``merge_attention``).

    >>> q = k = v = torch.eye(3)
    >>> dense = torch.softmax(q @ k.T / 3**0.5, -1) @ v
    >>> torch.allclose(split_kv_attention(q, k, v, num_splits=2), dense)
    True
    """
    batch = check_qkv(query, key, value)
    num_splits = check_size("num_splits", num_splits)
    check_fits("num_splits", num_splits, key.shape[-2], divides=False)
    chunk = -(-key.shape[-2] // num_splits)
    check_dense("a chunk's scores", batch, q_len=query.shape[-2], keys_per_split=chunk)
    is_causal = check_bool("is_causal", is_causal)
    scale = scale_or_default(query, scale)
    outputs, lses = [], []
    for positions in torch.arange(key.shape[-2]).tensor_split(num_splits):
        chunk = slice(int(positions[0]), int(positions[-1]) + 1)
        out, lse = attention_with_lse(
            query,
            key[..., chunk, :],
            value[..., chunk, :],
            is_causal,
            scale,
            chunk.start,
        )
        outputs.append(out)
        lses.append(lse)
    return merge_attention(outputs, lses)[0]
