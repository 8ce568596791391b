"""Rotary position embeddings (RoPE) in the ``rotate_half`` layout [su2024roformer].

Each pair of dimensions (i, i + d/2) of a query or key at position m is rotated by the
angle m·θ_i, with θ_i = rope_theta^(−2i/d). The dot product of a rotated query at m and
a rotated key at n then depends on m − n only. This is the layout of Hugging Face's
Llama; chapter 6 compares it with the interleaved one.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number


def rope_cos_sin(
    positions: Tensor, head_dim: int, rope_theta: float = 10000.0
) -> tuple[Tensor, Tensor]:
    """cos(m·θ) and sin(m·θ), each (..., seq, head_dim), the angles repeated per half.

    θ_i = rope_theta^(−2i/head_dim) for i < head_dim/2 (HF's default ``rope_type``).

    >>> cos, sin = rope_cos_sin(torch.arange(3), head_dim=4)
    >>> cos.shape, cos[0].tolist()
    (torch.Size([3, 4]), [1.0, 1.0, 1.0, 1.0])
    """
    head_dim = check_int("head_dim", head_dim, minimum=2)
    if head_dim % 2:
        raise ValueError(f"head_dim must be even for RoPE, got {head_dim}")
    rope_theta = check_positive_number("rope_theta", rope_theta)
    exponents = torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim
    inv_freq = 1.0 / rope_theta**exponents  # (head_dim / 2,)
    angles = positions.to(torch.float32)[..., None] * inv_freq  # (..., seq, d/2)
    angles = torch.cat([angles, angles], dim=-1)  # (..., seq, d)
    return angles.cos(), angles.sin()


def rotate_half(x: Tensor) -> Tensor:
    """(x1, x2) → (−x2, x1) on the two halves of the last dimension.

    >>> rotate_half(torch.tensor([1.0, 2.0, 3.0, 4.0])).tolist()
    [-3.0, -4.0, 1.0, 2.0]
    """
    first, second = x.chunk(2, dim=-1)
    return torch.cat([-second, first], dim=-1)


def apply_rotary_pos_emb(
    q: Tensor, k: Tensor, cos: Tensor, sin: Tensor, unsqueeze_dim: int = 1
) -> tuple[Tensor, Tensor]:
    """Rotate q and k (B, H, T, D) by cos, sin (B, T, D): x·cos + rotate_half(x)·sin.

    ``unsqueeze_dim`` is the heads dimension that cos and sin are broadcast over.
    """
    cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
