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
from llmviz.attention.masks import MaskMod
from llmviz.attention.sdpa import _check_inputs


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
        batch_size = check_int("batch_size", batch_size, minimum=1)
    if num_heads is not None:
        num_heads = check_int("num_heads", num_heads, minimum=1)
    q_len = check_int("q_len", q_len, minimum=1)
    kv_len = check_int("kv_len", kv_len, minimum=1)
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
    if not query.dim() == key.dim() == value.dim() == 4:
        raise ValueError(
            "flex_attention needs query, key and value of shape (B, H, T, D), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    mask = None
    if mask_mod is not None:
        B, H, T_q, T_kv = query.shape[0], query.shape[1], query.shape[2], key.shape[2]
        mask = block_mask(mask_mod, T_q, T_kv, batch_size=B, num_heads=H)
    with warnings.catch_warnings():  # eager mode warns that it is unfused: we know
        warnings.filterwarnings("ignore", message=".*called without torch.compile.*")
        return _flex.flex_attention(query, key, value, block_mask=mask)
