"""Sinusoidal position embeddings, the fixed encodings of the original Transformer
[vaswani2017attention].

Position p gets PE[p, 2i] = sin(p·ω_i) and PE[p, 2i + 1] = cos(p·ω_i), with
ω_i = base^(−2i/dim): each pair of dimensions is a clock turning at its own speed. This
is the paper's interleaved layout (and DistilBERT's); tensor2tensor and fairseq
concatenate [sin…, cos…] instead, which is the same encoding with its dimensions
permuted. Because every pair turns by the same angle k·ω_i whatever p is, moving k
positions is one linear map: PE[p + k] = M_k · PE[p] (see ``position_shift``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz.positions._checks import (
    MAX_DIM,
    MAX_LENGTH,
    check_elements,
    check_even,
    check_positions,
)

MAX_SHIFT_DIM = 4096  # position_shift builds a dense (dim, dim) matrix


def _frequencies(dim: int, base: float, max_dim: int = MAX_DIM) -> Tensor:
    """ω_i = base^(−2i/dim) for i < dim/2, in float64; checks ``dim`` and ``base``."""
    dim = check_even("dim", dim, max_dim, what="sin and cos pairs")
    base = check_positive_number("base", base)
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim  # (dim / 2,)
    return base**-exponents


def sinusoidal_encoding(positions: Tensor, dim: int, base: float = 10000.0) -> Tensor:
    """The encoding of positions of any shape (...) → (..., dim), float32, interleaved.

    Positions may be negative or fractional (Transformer-XL encodes distances with it),
    but not empty, NaN or infinite.

    >>> sinusoidal_encoding(torch.tensor([0, 1]), dim=2).tolist()[0]
    [0.0, 1.0]
    """
    check_positions("positions", positions)
    frequencies = _frequencies(dim, base)  # (dim / 2,)
    count = positions.numel() * dim
    check_elements("dim or the number of positions", count, f"(..., {dim})")
    angles = positions.to(torch.float64)[..., None] * frequencies  # (..., dim / 2)
    pairs = torch.stack([angles.sin(), angles.cos()], dim=-1)  # (..., dim / 2, 2)
    return pairs.flatten(-2).to(torch.float32)  # (..., dim): sin, cos, sin, cos, …


def sinusoidal_embeddings(
    num_positions: int, dim: int, base: float = 10000.0
) -> Tensor:
    """The table PE (num_positions, dim) of positions 0, 1, …, num_positions − 1.

    PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i), ω_i = base^(−2i/dim)
    [vaswani2017attention].

    >>> sinusoidal_embeddings(3, dim=4).shape
    torch.Size([3, 4])
    >>> sinusoidal_embeddings(1, dim=4).tolist()
    [[0.0, 1.0, 0.0, 1.0]]
    """
    num_positions = check_int(
        "num_positions", num_positions, minimum=1, maximum=MAX_LENGTH
    )
    return sinusoidal_encoding(torch.arange(num_positions), dim, base)


def position_shift(offset: int, dim: int, base: float = 10000.0) -> Tensor:
    """The matrix M_k (dim, dim) with PE[p + k] = M_k · PE[p] for every position p.

    M_k is block diagonal, one 2×2 rotation per (sin, cos) pair, by the angle k·ω_i:
    sin((p+k)ω) = cos(kω)·sin(pω) + sin(kω)·cos(pω) and
    cos((p+k)ω) = −sin(kω)·sin(pω) + cos(kω)·cos(pω). It does not depend on p.

    >>> pe = sinusoidal_embeddings(10, dim=8)
    >>> torch.allclose(position_shift(3, dim=8) @ pe[2], pe[5], atol=1e-6)
    True
    """
    offset = check_int("offset", offset)
    angles = offset * _frequencies(dim, base, MAX_SHIFT_DIM)  # (dim / 2,)
    cos, sin = angles.cos(), angles.sin()
    even = torch.arange(0, dim, 2)  # the sin rows; the cos rows are even + 1
    shift = torch.zeros(dim, dim, dtype=torch.float64)
    shift[even, even], shift[even, even + 1] = cos, sin
    shift[even + 1, even], shift[even + 1, even + 1] = -sin, cos
    return shift.to(torch.float32)
