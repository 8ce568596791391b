"""The frequency formula of each of RoPE's scalings, one function per rope_type.

``rope_scaling.rope_parameters`` checks its arguments, picks the formula and returns
what Hugging Face's ``ROPE_INIT_FUNCTIONS`` return; the functions here take checked
values (``wavelengths`` excepted, which is public and checks its own).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz._tensor_checks import check_tensor
from llmviz.positions.rope import default_inv_freq


def wavelengths(inv_freq: Tensor) -> Tensor:
    """λ_i = 2π/θ_i: the number of positions over which pair i turns once.

    ``inv_freq`` (d/2,): finite frequencies > 0.

    >>> wavelengths(torch.tensor([1.0, 0.01])).tolist()  # doctest: +ELLIPSIS
    [6.28318..., 628.318...]
    """
    check_tensor("inv_freq", inv_freq, ranks=(1,))
    if not bool((inv_freq > 0).all()):
        raise ValueError(
            f"inv_freq must hold frequencies > 0 (a wavelength is 2π/θ), got "
            f"minimum {inv_freq.min().item()}"
        )
    return 2 * math.pi / inv_freq


def linear_inv_freq(inv_freq: Tensor, factor: float) -> Tensor:
    """Position interpolation [chen2023pi]: θ_i/s, so position s·m turns like m did.

    >>> linear_inv_freq(torch.tensor([1.0, 0.5]), factor=4.0).tolist()
    [0.25, 0.125]
    """
    return inv_freq / check_positive_number("factor", factor)


def dynamic_ntk_inv_freq(
    head_dim: int,
    rope_theta: float,
    factor: float,
    max_position_embeddings: int,
    seq_len: int | None = None,
) -> Tensor:
    """NTK-aware scaling [bloc97ntk2023] made dynamic [emozilla2023dynamic]: a new base.

    base' = base·α^(d/(d−2)) with α = s·L/L₀ − (s − 1) and L = max(seq_len, L₀). As
    in HF, L₀ is ``max_position_embeddings`` (not ``original_max_position_embeddings``):
    up to L₀, α = 1 and nothing changes. The exponent makes the lowest frequency
    exactly θ_{d/2−1}/α, as position interpolation by α would, while θ_0 stays 1.

    >>> dynamic_ntk_inv_freq(4, 100.0, 2.0, 8, seq_len=12).tolist()  # α=2, base 400
    [1.0, 0.05000000074505806]
    """
    if head_dim <= 2:
        raise ValueError(
            f"rope_type='dynamic' needs a rotary dimension > 2 (head_dim times "
            f"partial_rotary_factor), got {head_dim}"
        )
    length = max(seq_len or 0, max_position_embeddings)
    growth = factor * length / max_position_embeddings - (factor - 1)
    return default_inv_freq(
        head_dim, rope_theta * growth ** (head_dim / (head_dim - 2))
    )


def yarn_correction_range(
    head_dim: int,
    rope_theta: float,
    original_max_position_embeddings: int,
    beta_fast: float = 32.0,
    beta_slow: float = 1.0,
    truncate: bool = True,
) -> tuple[float, float]:
    """Dimensions (low, high) that turn β_fast and β_slow times over L₀ positions.

    Pair i turns L₀·θ_i/(2π) times; solving for i gives d·ln(L₀/(2πβ))/(2 ln base).
    ``truncate`` (HF's default) floors low and ceils high; both are clamped to [0, d−1].

    >>> yarn_correction_range(128, 10000.0, 4096)
    (20, 46)
    """

    def dimension(turns: float) -> float:
        ratio = original_max_position_embeddings / (2 * math.pi * turns)
        return head_dim * math.log(ratio) / (2 * math.log(rope_theta))

    low, high = dimension(beta_fast), dimension(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    return max(low, 0), min(high, head_dim - 1)


def yarn_ramp(low: float, high: float, size: int) -> Tensor:
    """ramp_i = clamp((i − low)/(high − low), 0, 1) for i < size: 0 keeps θ_i, 1 divides
    it by s. (If low = high, HF adds 0.001 to high.)

    The paper's ramp γ is linear in r = L₀/λ; the YaRN code and HF make it linear in
    the dimension index i between the two correction dimensions instead.

    >>> yarn_ramp(1, 3, 5).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    if low == high:
        high += 0.001  # as HF, to avoid dividing by zero
    index = torch.arange(check_int("size", size, minimum=0), dtype=torch.float32)
    return ((index - low) / (high - low)).clamp(0, 1)


def yarn_inv_freq(inv_freq: Tensor, factor: float, ramp: Tensor) -> Tensor:
    """YaRN's "NTK-by-parts" [peng2024yarn]: (1 − ramp)·θ_i + ramp·θ_i/s.

    >>> yarn_inv_freq(torch.tensor([1.0, 0.5]), 2.0, torch.tensor([0.0, 1.0])).tolist()
    [1.0, 0.25]
    """
    return inv_freq * (1 - ramp) + (inv_freq / factor) * ramp


def yarn_attention_factor(
    factor: float, mscale: float | None = None, mscale_all_dim: float | None = None
) -> float:
    """0.1·ln s + 1 (1 if s ≤ 1), or mscale(s, mscale)/mscale(s, mscale_all_dim) when
    both are set, as DeepSeek-V3 configs do. HF multiplies cos and sin by it, so q·k
    grows by its square: the paper's √(1/t) = 0.1·ln s + 1 on each of q and k.

    >>> round(yarn_attention_factor(4.0), 4)
    1.1386
    """

    def get_mscale(scale: float, mscale: float = 1.0) -> float:
        return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0

    if mscale and mscale_all_dim:  # HF tests truthiness: 0 means unset
        return get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
    return get_mscale(factor)


def llama3_inv_freq(
    inv_freq: Tensor,
    factor: float,
    original_max_position_embeddings: int,
    low_freq_factor: float = 1.0,
    high_freq_factor: float = 4.0,
) -> Tensor:
    """Llama 3.1's scaling [grattafiori2024llama3] (from Meta's code; the paper does not
    spell it out). Wavelengths λ < L₀/high_freq_factor keep θ; λ > L₀/low_freq_factor
    get θ/s; in between, (1 − σ)·θ/s + σ·θ with σ = (L₀/λ − low)/(high − low).

    >>> llama3_inv_freq(torch.tensor([1.0, 1e-4]), 8.0, 8192).tolist()
    [1.0, 1.249999968422344e-05]
    """
    wavelength = wavelengths(inv_freq)
    original = original_max_position_embeddings
    smooth = (original / wavelength - low_freq_factor) / (
        high_freq_factor - low_freq_factor
    )
    smoothed = (1 - smooth) * inv_freq / factor + smooth * inv_freq
    scaled = torch.where(
        wavelength > original / low_freq_factor, inv_freq / factor, smoothed
    )
    return torch.where(wavelength < original / high_freq_factor, inv_freq, scaled)


def longrope_inv_freq(
    head_dim: int,
    rope_theta: float,
    long_factor: list[float] | Tensor,
    short_factor: list[float] | Tensor,
    original_max_position_embeddings: int,
    seq_len: int | None = None,
) -> Tensor:
    """LongRoPE [ding2024longrope]: 1/(λ_i·base^(2i/d)) with searched divisors λ_i,
    ``long_factor`` when ``seq_len`` > L₀, else ``short_factor`` (also if no seq_len).

    >>> longrope_inv_freq(4, 100.0, [1.0, 4.0], [1.0, 1.0], 8, seq_len=9).tolist()
    [1.0, 0.02500000037252903]
    """
    is_long = seq_len is not None and seq_len > original_max_position_embeddings
    divisors = torch.as_tensor(long_factor if is_long else short_factor)
    exponents = torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim
    return 1.0 / (divisors.to(torch.float32) * rope_theta**exponents)  # (d/2,)


def longrope_attention_factor(
    factor: float, original_max_position_embeddings: int
) -> float:
    """√(1 + ln s / ln L₀), or 1 if s ≤ 1.

    >>> round(longrope_attention_factor(32.0, 4096), 4)
    1.1902
    """
    if factor <= 1.0:
        return 1.0
    return math.sqrt(1 + math.log(factor) / math.log(original_max_position_embeddings))
