"""Rotary position embeddings (RoPE) [su2024roformer], in both of their layouts.

Each pair of dimensions of a query or key at position m is rotated by the angle m·θ_i,
with θ_i = rope_theta^(−2i/d). The dot product of a rotated query at m and a rotated key
at n then depends on m − n only. Hugging Face's Llama pairs dimension i with i + d/2
(the ``rotate_half`` layout); RoFormer, Meta's Llama and DeepSeek pair 2i with 2i + 1
(the interleaved layout, often written with complex numbers). The two are the same
rotation after permuting the dimensions (``deinterleave``), which is why converted
checkpoints permute the rows of W_q and W_k. Scaled frequencies for long contexts come
from ``rope_scaling.rope_parameters`` and enter here as ``inv_freq``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number


def _check_head_dim(head_dim: int) -> int:
    head_dim = check_int("head_dim", head_dim, minimum=2)
    if head_dim % 2:
        raise ValueError(f"head_dim must be even for RoPE, got {head_dim}")
    return head_dim


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
    """``inv_freq`` checked to be (head_dim/2,), or the default frequencies."""
    if inv_freq is None:
        return default_inv_freq(head_dim, rope_theta)
    head_dim = _check_head_dim(head_dim)
    if not isinstance(inv_freq, Tensor):
        kind = type(inv_freq).__name__
        raise TypeError(f"inv_freq must be a Tensor or None, got {kind}")
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
    so that q·k is scaled by its square.

    >>> cos, sin = rope_cos_sin(torch.arange(3), head_dim=4)
    >>> cos.shape, cos[0].tolist()
    (torch.Size([3, 4]), [1.0, 1.0, 1.0, 1.0])
    """
    inv_freq = _frequencies(head_dim, rope_theta, inv_freq)
    attention_factor = check_positive_number("attention_factor", attention_factor)
    angles = positions.to(torch.float32)[..., None] * inv_freq.float()  # (..., T, d/2)
    angles = torch.cat([angles, angles], dim=-1)  # (..., seq, d)
    if attention_factor == 1.0:
        return angles.cos(), angles.sin()
    return angles.cos() * attention_factor, angles.sin() * attention_factor


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

    >>> q = torch.tensor([[[[1.0, 0.0]]]])  # (B, H, T, D) = (1, 1, 1, 2)
    >>> cos, sin = torch.zeros(1, 1, 2), torch.ones(1, 1, 2)  # a quarter turn
    >>> apply_rotary_pos_emb(q, q, cos, sin)[0].flatten().tolist()
    [0.0, 1.0]
    """
    cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def deinterleave(x: Tensor) -> Tensor:
    """Pairs (x0, x1), (x2, x3), … → (x0, x2, …, x1, x3, …): the rotate_half layout.

    >>> deinterleave(torch.tensor([0.0, 1.0, 2.0, 3.0])).tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    return torch.cat([x[..., 0::2], x[..., 1::2]], dim=-1)


def interleave(x: Tensor) -> Tensor:
    """The inverse of ``deinterleave``: (x0, x2, …, x1, x3, …) → (x0, x1, x2, x3, …).

    >>> interleave(torch.tensor([0.0, 2.0, 1.0, 3.0])).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    first, second = x.chunk(2, dim=-1)  # (..., D/2) each
    return torch.stack([first, second], dim=-1).flatten(-2)  # (..., D)


def apply_interleaved_rotary_pos_emb(
    q: Tensor, k: Tensor, cos: Tensor, sin: Tensor
) -> tuple[Tensor, Tensor]:
    """RoPE on interleaved pairs, as DeepSeek-V3: de-interleave, then rotate_half RoPE.

    The outputs stay de-interleaved; q·k is unchanged, as both are permuted alike.

    >>> x = torch.tensor([[[[1.0, 0.0, 0.0, 1.0]]]])  # pairs (1, 0) and (0, 1)
    >>> cos, sin = torch.zeros(1, 1, 4), torch.ones(1, 1, 4)  # a quarter turn
    >>> interleave(apply_interleaved_rotary_pos_emb(x, x, cos, sin)[0]).flatten()
    tensor([ 0.,  1., -1.,  0.])
    """
    return apply_rotary_pos_emb(deinterleave(q), deinterleave(k), cos, sin)


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
    head_dim = _check_head_dim(head_dim)
    max_distance = check_int("max_distance", max_distance, minimum=0)
    inv_freq = _frequencies(head_dim, rope_theta, inv_freq)
    theta = inv_freq.to(torch.float64)  # (d/2,)
    distances = torch.arange(max_distance + 1, dtype=torch.float64)  # (R,)
    angles = distances[:, None] * theta  # (R, d/2)
    partial_sums = torch.polar(torch.ones_like(angles), angles).cumsum(dim=-1)  # S_j
    return partial_sums.abs().mean(dim=-1).to(torch.float32)  # (R,)
