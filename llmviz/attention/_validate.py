"""Argument checks of chapter 3's public boundary: attention inputs, masks, RoPE's
(cos, sin), hidden states, caches and sizes.

Each raises ``TypeError`` or ``ValueError`` naming the parameter, what it received and
what is allowed. The modules' inner steps call unchecked helpers, so each check runs
once per public call.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int
from llmviz._tensor_checks import check_dim, check_tensor

MAX_SEQ_LEN = 1 << 20  # tokens in one sequence
MAX_CELLS = 1 << 30  # elements of a dense mask or score grid
MAX_WIDTH = (1 << 31) - 1  # mask parameters; beyond int32 the index maths overflows
MAX_HEADS = 4096
MAX_DIM = 1 << 16  # a hidden size, head_dim or latent rank
MAX_LAYER = 1 << 16


def check_device(name: str, value: Any, none: bool = False) -> torch.device | None:
    """A torch device given as a str ("cpu", "cuda:0") or a ``torch.device``."""
    if value is None and none:
        return None
    if not isinstance(value, (str, torch.device)):
        raise TypeError(
            f"{name} must be a device name such as 'cpu' or 'cuda', or a "
            f"torch.device, got {value!r} of type {type(value).__name__}"
        )
    try:
        return torch.device(value)
    except RuntimeError as error:
        raise ValueError(
            f"{name} must be a device name such as 'cpu' or 'cuda', got {value!r}"
        ) from error


def check_cells(what: str, **sizes: int) -> None:
    """``ValueError`` if the product of ``sizes`` exceeds ``MAX_CELLS``."""
    cells = 1
    for size in sizes.values():
        cells *= size
    if cells > MAX_CELLS:
        product = " × ".join(f"{name}={size}" for name, size in sizes.items())
        raise ValueError(
            f"{product} gives {cells:,} elements of {what}, more than {MAX_CELLS:,}:"
            " make one of them smaller"
        )


def check_attention_inputs(
    query: Any, key: Any, value: Any = None, ranks: tuple[int, ...] | None = None
) -> tuple[int, ...]:
    """query (..., q_len, d_k), key (..., kv_len, d_k), value (..., kv_len, d_v):
    float tensors of one dtype whose leading dimensions broadcast, which it returns."""
    tensors = {"query": query, "key": key} | ({} if value is None else {"value": value})
    for name, tensor in tensors.items():
        check_tensor(name, tensor, ranks, finite=False)  # finiteness: all at once
        if tensor.dim() < 2:
            raise ValueError(
                f"{name} must have at least 2 dimensions (..., seq, dim), "
                f"got shape {tuple(tensor.shape)}"
            )
        if tensor.dtype != query.dtype:
            raise TypeError(
                f"{name} must have the query's dtype {query.dtype}, got {tensor.dtype}"
            )
    check_dim("key", key, -1, query.shape[-1], "the query's head_dim")
    if value is not None:
        check_dim("value", value, -2, key.shape[-2], "the key's sequence length")
    accumulate = torch.float64 if query.dtype == torch.float64 else torch.float32
    total = sum(tensor.sum(dtype=accumulate) for tensor in tensors.values())
    if not bool(torch.isfinite(total)):  # one sync; a NaN or inf makes the sum one
        for name, tensor in tensors.items():
            check_tensor(name, tensor)  # names it
    try:
        return tuple(torch.broadcast_shapes(*(t.shape[:-2] for t in tensors.values())))
    except RuntimeError:
        shapes = ", ".join(f"{n} {tuple(t.shape)}" for n, t in tensors.items())
        raise ValueError(
            f"the leading (batch, heads) dimensions of {' and '.join(tensors)} must "
            f"match or be 1, got {shapes}"
        ) from None


def check_mask(
    attn_mask: Any,
    is_causal: Any,
    batch: tuple[int, ...],
    q_len: int,
    kv_len: int,
    dtype: torch.dtype,
) -> None:
    """``attn_mask``: None, or a bool or ``dtype`` mask that broadcasts to the scores
    (*batch, q_len, kv_len); it excludes ``is_causal=True``."""
    is_causal = check_bool("is_causal", is_causal)
    if attn_mask is None:
        return
    if is_causal:
        raise ValueError(
            "give attn_mask or is_causal=True, not both (torch forbids it too); to "
            "combine them, pass attn_mask & causal_mask(q_len, kv_len)"
        )
    if not isinstance(attn_mask, Tensor):
        raise TypeError(
            f"attn_mask must be a torch.Tensor or None, got {type(attn_mask).__name__}"
        )
    if attn_mask.dtype not in (torch.bool, dtype):
        raise TypeError(
            f"attn_mask must be bool or have the query's dtype {dtype}, "
            f"got {attn_mask.dtype}"
        )
    scores = (*batch, q_len, kv_len)
    try:
        fits = attn_mask.dim() >= 2 and torch.broadcast_shapes(
            attn_mask.shape, scores
        ) == torch.Size(scores)
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"attn_mask must broadcast to the scores' shape {scores} (batch..., "
            f"q_len, kv_len), got shape {tuple(attn_mask.shape)}"
        )
    if attn_mask.dtype != torch.bool:
        check_tensor("attn_mask", attn_mask, allow_neg_inf=True)


def check_hidden(
    name: str, value: Any, size: int, dtype: torch.dtype, what: str = "hidden_size"
) -> Tensor:
    """A (batch, seq, ``size``) tensor of the module's ``dtype``, finite, non-empty."""
    check_tensor(name, value, ranks=(3,))
    check_dim(name, value, -1, size, what)
    if value.dtype != dtype:
        raise TypeError(
            f"{name} must have the module's dtype {dtype}, got {value.dtype}"
        )
    return value


def check_position_embeddings(
    value: Any, batch: int, seq: int, width: int, what: str
) -> tuple[Tensor, Tensor] | None:
    """None, or RoPE's (cos, sin), each (batch or 1, seq, ``width``)."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(
            "position_embeddings must be a pair (cos, sin) of tensors, got "
            f"{type(value).__name__}"
            + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
        )
    cos, sin = value
    for name, tensor in (("cos", cos), ("sin", sin)):
        check_tensor(f"position_embeddings' {name}", tensor, ranks=(3,))
    if (
        cos.shape != sin.shape
        or cos.shape[0] not in (1, batch)
        or (tuple(cos.shape[1:]) != (seq, width))
    ):
        rows = "1" if batch == 1 else f"{batch} or 1"
        raise ValueError(
            f"position_embeddings must be (cos, sin), each of shape ({rows}, {seq}, "
            f"{width}) with {width} = {what}, got {tuple(cos.shape)} and "
            f"{tuple(sin.shape)}"
        )
    return cos, sin


def check_layer_idx(value: Any) -> int:
    return check_int("layer_idx", value, minimum=0, maximum=MAX_LAYER)
