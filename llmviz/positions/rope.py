"""Rotary position embeddings (RoPE) [su2024roformer]: their angles, cos and sin.

Each pair of dimensions of a query or key at position m is rotated by the angle m·θ_i,
with θ_i = rope_theta^(−2i/d). The dot product of a rotated query at m and a rotated key
at n then depends on m − n only. Hugging Face's Llama pairs dimension i with i + d/2
(the ``rotate_half`` layout); RoFormer, Meta's Llama and DeepSeek pair 2i with 2i + 1
(the interleaved layout, often written with complex numbers). The two are the same
rotation after permuting the dimensions (``deinterleave``), which is why converted
checkpoints permute the rows of W_q and W_k; ``rotation`` holds both (re-exported
here). Scaled frequencies for long contexts come from ``rope_scaling.rope_parameters``
and enter here as ``inv_freq``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz._tensor_checks import check_tensor
from llmviz.positions._checks import (
    MAX_LENGTH,
    check_elements,
    check_even,
    check_positions,
)
from llmviz.positions.rotation import (  # re-exported: the layouts live there
    apply_interleaved_rotary_pos_emb,
    apply_rotary_pos_emb,
    deinterleave,
    interleave,
    rotate_half,
)

__all__ = [
    "apply_interleaved_rotary_pos_emb",
    "apply_rotary_pos_emb",
    "default_inv_freq",
    "deinterleave",
    "interleave",
    "rope_cos_sin",
    "rope_score_decay",
    "rotate_half",
]


def _check_head_dim(head_dim: int) -> int:
    return check_even("head_dim", head_dim)


def default_inv_freq(head_dim: int, rope_theta: float = 10000.0) -> Tensor:
    """θ_i = rope_theta^(−2i/head_dim) for i < head_dim/2, float32 as in HF.

    >>> default_inv_freq(4, rope_theta=100.0).tolist()
    [1.0, 0.10000000149011612]
    """
    head_dim = _check_head_dim(head_dim)
    rope_theta = check_positive_number("rope_theta", rope_theta)
    exponents = torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim
    return 1.0 / rope_theta**exponents  # (head_dim / 2,)


def _frequencies(head_dim: int, rope_theta: float, inv_freq: Tensor | None) -> Tensor:
    """``inv_freq`` checked to be (head_dim/2,), or the default frequencies; checks
    ``head_dim`` and ``rope_theta`` either way."""
    head_dim = _check_head_dim(head_dim)
    rope_theta = check_positive_number("rope_theta", rope_theta)
    if inv_freq is None:
        return default_inv_freq(head_dim, rope_theta)
    if not isinstance(inv_freq, Tensor):
        kind = type(inv_freq).__name__
        raise TypeError(f"inv_freq must be a Tensor or None, got {kind}")
    check_tensor("inv_freq", inv_freq, ranks=(1,))
    if inv_freq.shape != (head_dim // 2,):
        raise ValueError(
            f"inv_freq must have shape (head_dim/2,) = ({head_dim // 2},), "
            f"got {tuple(inv_freq.shape)}"
        )
    return inv_freq


def rope_cos_sin(
    positions: Tensor,
    head_dim: int,
    rope_theta: float = 10000.0,
    *,
    inv_freq: Tensor | None = None,
    attention_factor: float = 1.0,
) -> tuple[Tensor, Tensor]:
    """cos(m·θ) and sin(m·θ), each (..., seq, head_dim), the angles repeated per half.

    θ = ``inv_freq`` if given (for example a scaled one from ``rope_parameters``), else
    rope_theta^(−2i/head_dim). Both are multiplied by ``attention_factor``, as HF does,
    so that q·k is scaled by its square. ``positions`` (T,) or (B, T), integers or
    floats, finite.

    >>> cos, sin = rope_cos_sin(torch.arange(3), head_dim=4)
    >>> cos.shape, cos[0].tolist()
    (torch.Size([3, 4]), [1.0, 1.0, 1.0, 1.0])
    """
    check_positions("positions", positions, ranks=(1, 2))
    inv_freq = _frequencies(head_dim, rope_theta, inv_freq)
    attention_factor = check_positive_number("attention_factor", attention_factor)
    angles = positions.to(torch.float32)[..., None] * inv_freq.float()  # (..., T, d/2)
    angles = torch.cat([angles, angles], dim=-1)  # (..., seq, d)
    if attention_factor == 1.0:
        return angles.cos(), angles.sin()
    return angles.cos() * attention_factor, angles.sin() * attention_factor


def rope_score_decay(
    head_dim: int,
    rope_theta: float = 10000.0,
    max_distance: int = 256,
    *,
    inv_freq: Tensor | None = None,
) -> Tensor:
    """RoFormer's long-term decay, (2/d)·Σ_{j=1}^{d/2} |S_j(r)| for r = 0…max_distance.

    S_j(r) = Σ_{i<j} e^{i·r·θ_i}. By summation by parts (Abel), a RoPE score at relative
    distance r obeys |q·k| ≤ max_i |h_{i+1} − h_i| · Σ_j |S_j(r)|, with h_i the
    complex product of the i-th pairs of q and k (h_{d/2} = 0); this is the curve of
    [su2024roformer] §3.4.3, Figure 2. It equals (d/2 + 1)/2 at r = 0, then decays.

    >>> decay = rope_score_decay(128, max_distance=250)
    >>> decay[0].item(), bool(decay[250] < decay[0] / 2)
    (32.5, True)
    """
    inv_freq = _frequencies(head_dim, rope_theta, inv_freq)
    max_distance = check_int(
        "max_distance", max_distance, minimum=0, maximum=MAX_LENGTH
    )
    shape = f"({max_distance + 1}, {head_dim // 2})"
    check_elements("max_distance", (max_distance + 1) * (head_dim // 2), shape)
    theta = inv_freq.to(torch.float64)  # (d/2,)
    distances = torch.arange(max_distance + 1, dtype=torch.float64)  # (R,)
    angles = distances[:, None] * theta  # (R, d/2)
    partial_sums = torch.polar(torch.ones_like(angles), angles).cumsum(dim=-1)  # S_j
    return partial_sums.abs().mean(dim=-1).to(torch.float32)  # (R,)
