"""LongLoRA's shifted sparse attention, S2-Attn [chen2024longlora].

The sequence is cut into groups of G tokens and each group attends (causally) only to
itself. Half of the heads first roll the *whole* sequence by G/2 toward its start, so
their groups straddle the others' boundaries and information crosses them; their
output is rolled back. (The notes' code rotates each group within itself, which moves
no information between groups.) A roll wraps around: the last group of the shifted
heads holds the last G/2 tokens followed by the first G/2, and under the causal mask
inside that group the first G/2 queries see the last G/2 keys, a leak from the future.
``fix_leak`` adds the causal mask over the original positions, which removes it; the
shifted groups then equal groups whose boundaries are offset by G/2, as LongLoRA's
flash-attention path builds them. S2-Attn is a fine-tuning device: inference uses full
causal attention.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int, check_positive_number
from llmviz.attention._validate import MAX_CELLS, MAX_HEADS
from llmviz.attention.mask_grid import MaskMod, _named, materialize
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import (
    check_dense,
    check_fits,
    check_qkv,
    check_size,
)


def _check_group(group_size: Any, seq_len: int) -> int:
    group_size = check_size("group_size", group_size)
    if group_size % 2:
        raise ValueError(
            f"group_size must be even (it is shifted by G/2), got {group_size}"
        )
    check_fits("group_size", group_size, seq_len, divides=True)
    return group_size


def _check_heads(num_heads: Any) -> int:
    num_heads = check_int("num_heads", num_heads, minimum=2, maximum=MAX_HEADS)
    if num_heads % 2:
        raise ValueError(f"num_heads must be even (half are shifted), got {num_heads}")
    return num_heads


def _rolled(position: Tensor, shifted: Tensor, shift: int, seq_len: int) -> Tensor:
    """Where a token at ``position`` sits after the roll by −shift (if ``shifted``)."""
    return torch.where(shifted, (position - shift) % seq_len, position)


def s2_mask_mod(
    seq_len: int, group_size: int, num_heads: int = 2, fix_leak: bool = False
) -> MaskMod:
    """S2-Attn's pattern over the original positions, as a ``mask_mod``: head h < H/2
    sees causally within groups of G; head h ≥ H/2 does so after rolling by G/2.

    >>> materialize(s2_mask_mod(4, 2), 4, 4, num_heads=2)[0, 1].int().tolist()
    [[1, 0, 0, 1], [0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    """
    seq_len = check_size("seq_len", seq_len)
    group_size = _check_group(group_size, seq_len)
    num_heads = _check_heads(num_heads)
    fix_leak = check_bool("fix_leak", fix_leak)
    shift = group_size // 2

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        shifted = h >= num_heads // 2
        q_at = _rolled(q_idx, shifted, shift, seq_len)
        kv_at = _rolled(kv_idx, shifted, shift, seq_len)
        visible = (q_at // group_size == kv_at // group_size) & (kv_at <= q_at)
        return visible & (kv_idx <= q_idx) if fix_leak else visible

    name = f"s2_attention({seq_len}, {group_size}{', fixed' if fix_leak else ''})"
    return _named(mask_mod, name)


def wraparound_leak(seq_len: int, group_size: int) -> Tensor:
    """The (query, key) pairs that a shifted head sees although the key comes after
    the query: a (seq_len, seq_len) bool matrix, True exactly for the first G/2
    queries and the last G/2 keys.

    >>> wraparound_leak(4, 2).int().tolist()
    [[0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    """
    seq_len = check_size("seq_len", seq_len)
    if seq_len * seq_len > MAX_CELLS:
        raise ValueError(
            f"seq_len must be at most {math.isqrt(MAX_CELLS):,} (the matrix is "
            f"seq_len²), got {seq_len:,}"
        )
    shifted = materialize(s2_mask_mod(seq_len, group_size), seq_len, seq_len, None, 2)
    future = torch.ones(seq_len, seq_len, dtype=torch.bool).triu(1)
    return shifted[0, 1] & future


def s2_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    group_size: int,
    fix_leak: bool = False,
    scale: float | None = None,
) -> Tensor:
    """S2-Attn of (B, H, T, D) tensors: causal attention within groups of
    ``group_size``, the second half of the heads on the sequence rolled by G/2.

    >>> q = k = v = torch.ones(1, 2, 4, 1)
    >>> s2_attention(q, k, v, group_size=2).shape
    torch.Size([1, 2, 4, 1])
    """
    check_qkv(query, key, value, ranks=(4,))
    if not query.shape[:2] == key.shape[:2] == value.shape[:2]:
        raise ValueError(
            "query, key and value must have the same (batch, heads), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    seq_len = query.shape[-2]
    if key.shape[-2] != seq_len:
        raise ValueError(
            f"key must have the query's sequence length {seq_len} (self-attention), "
            f"got shape {tuple(key.shape)}"
        )
    num_heads = query.shape[1]
    if num_heads % 2:
        raise ValueError(
            "query must have an even number of heads in dimension 1 (half are "
            f"shifted), got shape {tuple(query.shape)}"
        )
    group_size = _check_group(group_size, seq_len)
    fix_leak = check_bool("fix_leak", fix_leak)
    masks = num_heads * seq_len // group_size if fix_leak else 1
    check_dense("the groups' masks", (masks, group_size), group_size=group_size)
    scale = None if scale is None else check_positive_number("scale", scale)
    half, shift, groups = num_heads // 2, group_size // 2, seq_len // group_size

    def grouped(x: Tensor) -> Tensor:  # (B, H, T, e) -> (B, H, T/G, G, e)
        x = torch.cat([x[:, :half], x[:, half:].roll(-shift, dims=-2)], dim=1)
        return x.unflatten(-2, (groups, group_size))

    mask = torch.ones(group_size, group_size, dtype=torch.bool).tril()  # (G, G)
    if fix_leak:  # causal over the original positions too
        original = (torch.arange(seq_len) + shift) % seq_len  # rolled → original
        original = original.view(groups, group_size)  # (T/G, G)
        later = original.unsqueeze(-1) >= original.unsqueeze(-2)  # (T/G, G, G)
        mask = torch.stack([mask.expand_as(later), mask & later])  # (2, T/G, G, G)
        mask = mask.repeat_interleave(half, dim=0)  # (H, T/G, G, G)
    out = attend(grouped(query), grouped(key), grouped(value), mask, scale=scale)
    out = out.flatten(-3, -2)  # (B, H, T, d_v)
    return torch.cat([out[:, :half], out[:, half:].roll(shift, dims=-2)], dim=1)
