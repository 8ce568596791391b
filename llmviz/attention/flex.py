"""The same ``mask_mod`` driving ``torch.nn.attention.flex_attention``.

FlexAttention [dong2024flexattention] turns a mask predicate into a *block mask*: it
evaluates the predicate on each (query block, key block) tile and marks the tiles in
which nothing is visible, so that a compiled kernel can skip them. Here it runs eagerly,
which is exact but computes every score: right for teaching, slow for long sequences.
"""

from __future__ import annotations

import warnings

from torch import Tensor
from torch.nn.attention import flex_attention as _flex

from llmviz._checks import check_callable, check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import (
    MAX_HEADS,
    MAX_SEQ_LEN,
    check_attention_inputs,
    check_cells,
    check_device,
)
from llmviz.attention.masks import MaskMod, check_mask_mod


def block_mask(
    mask_mod: MaskMod,
    q_len: int,
    kv_len: int,
    batch_size: int | None = None,
    num_heads: int | None = None,
    device: str = "cpu",
) -> _flex.BlockMask:
    """torch's BlockMask for ``mask_mod``; give batch_size/num_heads if it uses b or h.

    ``block_mask(causal, 4096, 4096).sparsity()`` is the percentage of 128 × 128 tiles
    that a kernel can skip.
    """
    check_callable("mask_mod", mask_mod)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, minimum=1, maximum=1 << 16)
    if num_heads is not None:
        num_heads = check_int("num_heads", num_heads, minimum=1, maximum=MAX_HEADS)
    q_len = check_int("q_len", q_len, minimum=1, maximum=MAX_SEQ_LEN)
    kv_len = check_int("kv_len", kv_len, minimum=1, maximum=MAX_SEQ_LEN)
    check_cells(
        "the dense mask that the block mask is built from",
        batch_size=batch_size or 1,
        num_heads=num_heads or 1,
        q_len=q_len,
        kv_len=kv_len,
    )
    device = check_device("device", device)
    check_mask_mod(mask_mod, batch_size or 1, num_heads or 1)
    return _create(mask_mod, batch_size, num_heads, q_len, kv_len, device)


def _create(mask_mod, batch_size, num_heads, q_len, kv_len, device):
    return _flex.create_block_mask(
        mask_mod, batch_size, num_heads, q_len, kv_len, device=device
    )


def flex_attention(
    query: Tensor, key: Tensor, value: Tensor, mask_mod: MaskMod | None = None
) -> Tensor:
    """Eager flex_attention of (B, H, T, D) tensors; ``mask_mod=None`` sees every key.

    >>> import torch
    >>> q = k = v = torch.ones(1, 1, 3, 2)
    >>> flex_attention(q, k, v, mask_mod=lambda b, h, i, j: j <= i).shape
    torch.Size([1, 1, 3, 2])
    """
    _check_inputs(query, key, value)
    batch = query.shape[:2]
    mask = None
    if mask_mod is not None:
        mask = block_mask(mask_mod, query.shape[2], key.shape[2], *batch)
    with warnings.catch_warnings():  # eager mode warns that it is unfused: we know
        warnings.filterwarnings("ignore", message=".*called without torch.compile.*")
        return _flex.flex_attention(query, key, value, block_mask=mask)


def _check_inputs(query: Tensor, key: Tensor, value: Tensor) -> None:
    """Three (B, H, T, D) tensors with the same batch and heads."""
    if value is None:  # required here, unlike in the helper
        check_tensor("value", value)
    check_attention_inputs(query, key, value, ranks=(4,))
    if not query.shape[:2] == key.shape[:2] == value.shape[:2]:
        raise ValueError(
            "query, key and value must have the same batch and heads (dims 0 and 1), "
            f"got {tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
