"""What attention sees of two sinusoidal encodings, before and after its projections.

PE(p + k) = M_k·PE(p), one rotation by k·ω_i per pair [vaswani2017attention], so the
raw dot product PE(p)·PE(p + k) = Σ_i cos(k·ω_i) depends on the offset k only, and is
even in k: it cannot tell a key k positions before the query from one k after. But
attention scores q·k with q = PE(p)·W_q and k = PE(p + k)·W_k, that is
PE(p)ᵀ·W_q·W_kᵀ·M_k·PE(p), which depends on p as well unless W_q·W_kᵀ commutes with
the rotations (a scaled rotation on each pair). ``offset_scores`` computes both.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._tensor_checks import check_dim, check_same, check_tensor
from llmviz.positions._checks import (
    MAX_LENGTH,
    check_elements,
    check_positions,
)
from llmviz.positions.sinusoidal import sinusoidal_encoding


def _check_indices(name: str, value: object) -> Tensor:
    """A 1-D integer tensor of positions or offsets within ±MAX_LENGTH."""
    check_positions(name, value, ranks=(1,))
    assert isinstance(value, Tensor)
    if value.is_floating_point():
        raise TypeError(f"{name} must be an integer tensor, got {value.dtype}")
    if value.abs().max() > MAX_LENGTH:
        raise ValueError(
            f"{name} must lie within ±{MAX_LENGTH}, got {value.abs().max().item()}"
        )
    return value


def _check_projections(dim: int, w_q: object, w_k: object) -> None:
    """W_q and W_k: both None, or both (dim, head_dim) float tensors of one shape."""
    if (w_q is None) != (w_k is None):
        given = "w_q" if w_k is None else "w_k"
        raise ValueError(
            f"w_q and w_k must both be tensors or both be None, got only {given}"
        )
    if w_q is None:
        return
    check_tensor("w_q", w_q, ranks=(2,))
    check_tensor("w_k", w_k, ranks=(2,))
    check_dim("w_q", w_q, 0, dim, "one row per dimension of the encoding")
    check_same("w_k", w_k, "w_q", w_q)


def offset_scores(
    positions: Tensor,
    offsets: Tensor,
    dim: int,
    w_q: Tensor | None = None,
    w_k: Tensor | None = None,
    base: float = 10000.0,
) -> Tensor:
    """The score (PE(p)·W_q)·(PE(p + k)·W_k) of each query position p and offset k,
    shape (len(positions), len(offsets)); without W_q and W_k, the raw PE(p)·PE(p + k).

    Raw, each column is constant, Σ_i cos(k·ω_i), and column k equals column −k.

    >>> raw = offset_scores(torch.tensor([0, 7]), torch.tensor([-3, 3]), dim=8)
    >>> torch.allclose(raw, raw[:1, :1].expand(2, 2), atol=1e-6)
    True
    """
    positions = _check_indices("positions", positions)
    offsets = _check_indices("offsets", offsets)
    pe = sinusoidal_encoding(positions, dim, base)  # (P, dim); checks dim and base
    _check_projections(dim, w_q, w_k)
    count = positions.numel() * offsets.numel() * dim
    check_elements("the number of positions or offsets", count, f"(P, K, {dim})")
    keys = sinusoidal_encoding(positions[:, None] + offsets, dim, base)  # (P, K, dim)
    if w_q is not None and w_k is not None:
        pe, keys = pe @ w_q.float(), keys @ w_k.float()  # (P, h), (P, K, h)
    return torch.einsum("ph,pkh->pk", pe, keys)  # (P, K)
