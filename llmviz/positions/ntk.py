"""Why NTK-aware scaling and NTK-by-parts do what they do, from the wavelengths.

RoPE's angles m·θ_i, θ_i = b^(−2i/d), are the "digits" of position m: pair 0 the
fastest, pair d/2 − 1 the slowest. Position interpolation (PI) [chen2023pi] divides m
by s, so every digit moves in finer steps. NTK-aware scaling [bloc97ntk2023] changes
the base to b·s^(d/(d−2)) instead: the fastest digit keeps its step (it extrapolates)
and the slowest is divided by s (it interpolates). NTK-by-parts, YaRN's frequencies
[peng2024yarn], decides pair by pair from the number of turns r_i = L/λ_i each made in
training. Hugging Face's ``rope_parameters`` compute the frequencies; the functions
here say which pairs each scaling moves, and where NTK-aware scaling falls short.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number, check_real
from llmviz._tensor_checks import check_tensor
from llmviz.positions._checks import MAX_DIM, MAX_LENGTH, check_even
from llmviz.positions.rope import default_inv_freq
from llmviz.positions.rope_types import wavelengths, yarn_correction_range, yarn_ramp


def counter_digits(positions: Tensor, base: int, digits: int) -> Tensor:
    """The readings of a counter with ``digits`` places: place k shows
    ⌊p/base^k⌋ mod base, and the last place p mod base keeps any fraction of a step.

    (n,) positions → (n, digits), the units last, as a counter is read.

    >>> counter_digits(torch.tensor([1234.0, 2.25]), 10, 4).tolist()
    [[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 2.25]]
    """
    check_tensor("positions", positions, ranks=(1,))
    base = check_int("base", base, minimum=2, maximum=2**16)
    digits = check_int("digits", digits, minimum=1, maximum=32)
    p = positions.double()
    places = [p.remainder(base)]  # the units: fractions of a step stay visible
    places += [torch.floor(p / base**k).remainder(base) for k in range(1, digits)]
    return torch.stack(places[::-1], dim=-1)  # (n, digits)


def ntk_aware_theta(rope_theta: float, factor: float, head_dim: int) -> float:
    """NTK-aware scaling's new base b' = b·s^(d/(d−2)) [bloc97ntk2023].

    Then θ'_i/θ_i = s^(−2i/(d−2)): 1 for pair 0, exactly 1/s for pair d/2 − 1.

    >>> ntk_aware_theta(10000.0, 4.0, 4)  # 10000·4²
    160000.0
    """
    rope_theta = check_positive_number("rope_theta", rope_theta)
    factor = check_real("factor", factor, 1.0, 1e6)
    head_dim = check_even("head_dim", head_dim)
    if head_dim == 2:
        raise ValueError("head_dim must be > 2 for NTK-aware scaling (d/(d−2)), got 2")
    return rope_theta * factor ** (head_dim / (head_dim - 2))


def frequency_ratios(
    head_dim: int,
    factor: float,
    original_max_position_embeddings: int,
    rope_theta: float = 10000.0,
) -> dict[str, Tensor]:
    """θ'_i/θ_i for each pair i, (d/2,) each: how much each scaling slows pair i.

    PI: 1/s everywhere. NTK-aware: s^(−2i/(d−2)). YaRN (NTK-by-parts, HF's defaults
    β_fast = 32, β_slow = 1): 1 − ramp_i + ramp_i/s.

    >>> {k: [round(x, 3) for x in v.tolist()] for k, v in frequency_ratios(
    ...     4, 4.0, 64).items()}
    {'PI': [0.25, 0.25], 'NTK-aware': [1.0, 0.25], 'YaRN': [1.0, 0.25]}
    """
    theta = ntk_aware_theta(rope_theta, factor, head_dim)  # checks all three
    length = check_int(
        "original_max_position_embeddings",
        original_max_position_embeddings,
        minimum=1,
        maximum=MAX_LENGTH,
    )
    pairs = torch.arange(head_dim // 2, dtype=torch.float64)
    low, high = yarn_correction_range(head_dim, rope_theta, length)
    ramp = yarn_ramp(low, high, head_dim // 2).double()  # 0: keep θ, 1: θ/s
    return {
        "PI": torch.full_like(pairs, 1 / factor),
        "NTK-aware": default_inv_freq(head_dim, theta).double()
        / default_inv_freq(head_dim, rope_theta).double(),
        "YaRN": 1 - ramp + ramp / factor,
    }


def _wavelengths(name: str, inv_freq: Tensor) -> Tensor:
    """2π/θ in float64, after checking that ``name`` holds frequencies > 0."""
    check_tensor(name, inv_freq, ranks=(1,))
    if not bool((inv_freq > 0).all()):
        raise ValueError(f"{name} must hold frequencies > 0, got {inv_freq.tolist()}")
    return 2 * math.pi / inv_freq.double()


def extrapolated_pairs(
    inv_freq: Tensor,
    scaled_inv_freq: Tensor,
    original_max_position_embeddings: int,
    factor: float,
) -> Tensor:
    """Pairs that still extrapolate at s·L: bool (d/2,).

    Pair i never completed a turn in training when λ_i = 2π/θ_i > L: it saw the angles
    up to L·θ_i only. It extrapolates if s·L positions take it further, s·θ'_i > θ_i
    (up to a relative 1e-5, for float32 frequencies: PI's θ/s lands on the edge).

    >>> extrapolated_pairs(torch.tensor([1.0, 1e-3, 1e-4]),
    ...                    torch.tensor([1.0, 5e-4, 2.5e-5]), 100, 4.0).tolist()
    [False, True, False]
    """
    old = _wavelengths("inv_freq", inv_freq)
    scaled = 2 * math.pi / _wavelengths("scaled_inv_freq", scaled_inv_freq)
    if scaled.shape != old.shape:
        raise ValueError(
            f"scaled_inv_freq must have the shape of inv_freq, {tuple(old.shape)}, "
            f"got {tuple(scaled.shape)}"
        )
    length = check_int(
        "original_max_position_embeddings",
        original_max_position_embeddings,
        minimum=1,
        maximum=MAX_LENGTH,
    )
    factor = check_real("factor", factor, 1.0, 1e6)
    seen = 2 * math.pi / old * length  # the angles trained: up to L·θ_i
    return (old > length) & (factor * length * scaled > seen * (1 + 1e-5))


def ntk_factor_needed(
    head_dim: int,
    factor: float,
    original_max_position_embeddings: int,
    rope_theta: float = 10000.0,
) -> float:
    """The smallest NTK-aware factor s' for which no pair extrapolates at s·L.

    Pair i with λ_i > L stays within its trained angles when s·s'^(−2i/(d−2)) ≤ 1,
    so s' ≥ s^((d−2)/(2i)); the fastest such pair sets it. (math.inf if pair 0 never
    turned; 1 if every pair did.)

    >>> round(ntk_factor_needed(128, 4.0, 4096), 2)
    6.68
    """
    head_dim = check_int("head_dim", head_dim, minimum=4, maximum=MAX_DIM)
    ntk_aware_theta(rope_theta, factor, check_even("head_dim", head_dim))  # checks
    factor = float(factor)
    length = check_int(
        "original_max_position_embeddings",
        original_max_position_embeddings,
        minimum=1,
        maximum=MAX_LENGTH,
    )
    slow = wavelengths(default_inv_freq(head_dim, rope_theta)).double() > length
    if not bool(slow.any()):
        return 1.0
    first = int(slow.nonzero()[0])  # the fastest pair that never turned
    if first == 0:
        return math.inf
    return max(1.0, factor ** ((head_dim - 2) / (2 * first)))


def by_parts_ramp(
    inv_freq: Tensor,
    original_max_position_embeddings: int,
    beta_fast: float = 32.0,
    beta_slow: float = 1.0,
) -> Tensor:
    """The YaRN paper's γ(r_i) with r_i = L/λ_i, the turns pair i made in training:
    0 (interpolate, θ/s) for r < β_slow, 1 (keep θ) for r > β_fast, linear in r
    between [peng2024yarn]. HF's ramp is linear in i instead (see ``yarn_ramp``).

    >>> by_parts_ramp(2 * math.pi * torch.tensor([1.0, 0.1, 0.01]), 100, 32.0, 1.0
    ...               ).tolist()  # r = 100, 10, 1
    [1.0, 0.2903225806451613, 0.0]
    """
    length = check_int(
        "original_max_position_embeddings",
        original_max_position_embeddings,
        minimum=1,
        maximum=MAX_LENGTH,
    )
    turns = length / wavelengths(inv_freq).double()
    beta_slow = check_positive_number("beta_slow", beta_slow)
    beta_fast = check_positive_number("beta_fast", beta_fast)
    if beta_fast <= beta_slow:
        raise ValueError(
            f"beta_fast must be > beta_slow={beta_slow} (more turns), got {beta_fast}"
        )
    return ((turns - beta_slow) / (beta_fast - beta_slow)).clamp(0, 1)
