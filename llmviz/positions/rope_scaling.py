"""Scaled RoPE frequencies for contexts longer than the pretraining one, as in HF.

A model pretrained on L₀ tokens has seen each RoPE angle m·θ_i only for m < L₀. Each
``rope_type`` changes the frequencies θ (``inv_freq``) so that longer contexts reuse
angles the model knows, and returns them with an ``attention_factor`` that multiplies
cos and sin (so q·k by its square). Names and semantics are those of Hugging Face's
``ROPE_INIT_FUNCTIONS``:

* ``linear`` (position interpolation) [chen2023pi]: θ_i/s, squeezing s·L₀ into L₀.
* ``dynamic`` (NTK-aware) [bloc97ntk2023]: a larger base, so high frequencies barely
  move and low ones are interpolated; the base grows with the current ``seq_len``.
* ``yarn`` [peng2024yarn]: interpolate only the low frequencies, ramping between them,
  and sharpen attention by attention_factor = 0.1·ln s + 1.
* ``llama3`` [grattafiori2024llama3]: the same idea with a ramp in wavelength.
* ``longrope`` [ding2024longrope]: a searched divisor per frequency, one list for short
  and one for long sequences.

HF's surprises, kept here: dynamic's L₀ is ``max_position_embeddings``; yarn's
attention_factor scales logits by its square; HF's module picks dynamic and longrope
frequencies from max(position_ids) + 1, so every position of a long input, early ones
included, uses the long ones. HF's ``proportional`` type (Gemma) is left out.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz.positions.rope import default_inv_freq

ROPE_TYPES = ("default", "linear", "dynamic", "yarn", "llama3", "longrope")
_ONLY_FOR = {  # keywords that mean something for some rope_types only
    "attention_factor": ("yarn", "longrope"),
    "mscale": ("yarn",),
    "mscale_all_dim": ("yarn",),
    "long_factor": ("longrope",),
    "short_factor": ("longrope",),
}


def wavelengths(inv_freq: Tensor) -> Tensor:
    """λ_i = 2π/θ_i: the number of positions over which pair i turns once.

    >>> wavelengths(torch.tensor([1.0, 0.01])).tolist()  # doctest: +ELLIPSIS
    [6.28318..., 628.318...]
    """
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
        raise ValueError(f"dynamic RoPE needs a rotary dimension > 2, got {head_dim}")
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


def _rotary_dim(head_dim: int, partial_rotary_factor: float) -> int:
    """HF's dim = int(head_dim·partial_rotary_factor), which must be even."""
    head_dim = check_int("head_dim", head_dim, minimum=2)
    share = check_positive_number("partial_rotary_factor", partial_rotary_factor)
    if share > 1:
        raise ValueError(f"partial_rotary_factor must be in (0, 1], got {share}")
    dim = int(head_dim * share)
    if dim < 2 or dim % 2:
        raise ValueError(
            f"RoPE needs an even rotary dimension int(head_dim*partial_rotary_factor) "
            f">= 2, got {dim} from head_dim={head_dim}, partial_rotary_factor={share}"
        )
    return dim


def _check_keywords(rope_type: str, given: dict) -> None:
    if rope_type not in ROPE_TYPES:
        raise ValueError(f"rope_type must be one of {ROPE_TYPES}, got {rope_type!r}")
    for name, value in given.items():
        if value is not None and rope_type not in _ONLY_FOR[name]:
            raise ValueError(
                f"{name} applies to rope_type in {_ONLY_FOR[name]} only, "
                f"got {name}={value!r} with rope_type={rope_type!r}"
            )


def _length(name: str, value: int | None, rope_type: str, fallback=None) -> int:
    """A required context length (HF fills the original one from the maximum)."""
    value = fallback if value is None else value
    if value is None:
        raise ValueError(f"rope_type={rope_type!r} needs {name}, got None")
    return check_int(name, value, minimum=1)


def _factor(factor: float | None, rope_type: str, lengths=None) -> float:
    """``factor``; yarn and longrope default it to max/original, as HF does."""
    if factor is None and lengths is not None and lengths[0] is not None:
        factor = lengths[0] / lengths[1]
    if factor is None:
        raise ValueError(f"rope_type={rope_type!r} needs factor > 0, got None")
    return check_positive_number("factor", factor)


def _check_long_short(dim: int, long_factor, short_factor) -> None:
    for name, value in (("long_factor", long_factor), ("short_factor", short_factor)):
        if value is None or len(value) != dim // 2:
            size = None if value is None else len(value)
            raise ValueError(
                f"rope_type='longrope' needs {name} of length rotary dim/2 = "
                f"{dim // 2}, got length {size}"
            )


def rope_parameters(
    head_dim: int,
    rope_theta: float = 10000.0,
    rope_type: str = "default",
    *,
    factor: float | None = None,
    original_max_position_embeddings: int | None = None,
    max_position_embeddings: int | None = None,
    seq_len: int | None = None,
    beta_fast: float = 32.0,
    beta_slow: float = 1.0,
    low_freq_factor: float = 1.0,
    high_freq_factor: float = 4.0,
    attention_factor: float | None = None,
    mscale: float | None = None,
    mscale_all_dim: float | None = None,
    truncate: bool = True,
    long_factor: list[float] | None = None,
    short_factor: list[float] | None = None,
    partial_rotary_factor: float = 1.0,
) -> tuple[Tensor, float]:
    """(inv_freq of shape (dim/2,), attention_factor), as HF's ROPE_INIT_FUNCTIONS.

    dim = int(head_dim·partial_rotary_factor). ``original_max_position_embeddings``
    defaults to ``max_position_embeddings`` for yarn, llama3 and longrope, and for
    yarn and longrope ``factor`` defaults to their ratio, as in HF. ``seq_len`` matters
    for dynamic (the current length) and longrope (long or short factors). Pass the
    result to ``rope_cos_sin(positions, dim, inv_freq=..., attention_factor=...)``.

    >>> inv_freq, attention_factor = rope_parameters(
    ...     128, 10000.0, "yarn", factor=4.0, original_max_position_embeddings=4096)
    >>> inv_freq.shape, round(attention_factor, 4)
    (torch.Size([64]), 1.1386)
    """
    given = dict(attention_factor=attention_factor, mscale=mscale)
    given |= dict(mscale_all_dim=mscale_all_dim, long_factor=long_factor)
    _check_keywords(rope_type, given | dict(short_factor=short_factor))
    dim = _rotary_dim(head_dim, partial_rotary_factor)
    inv_freq = default_inv_freq(dim, rope_theta)
    if seq_len is not None:
        seq_len = check_int("seq_len", seq_len, minimum=1)
    if max_position_embeddings is not None:
        max_position_embeddings = check_int(
            "max_position_embeddings", max_position_embeddings, minimum=1
        )
    if rope_type == "default":
        return inv_freq, 1.0
    if rope_type == "linear":
        return linear_inv_freq(inv_freq, _factor(factor, rope_type)), 1.0
    if rope_type == "dynamic":
        length = _length("max_position_embeddings", max_position_embeddings, rope_type)
        factor = _factor(factor, rope_type)
        return dynamic_ntk_inv_freq(dim, rope_theta, factor, length, seq_len), 1.0
    original = _length(
        "original_max_position_embeddings",
        original_max_position_embeddings,
        rope_type,
        fallback=max_position_embeddings,
    )
    if rope_type == "llama3":
        check_positive_number("low_freq_factor", low_freq_factor)
        if not high_freq_factor > low_freq_factor:
            raise ValueError(
                f"high_freq_factor must be > low_freq_factor={low_freq_factor}, "
                f"got {high_freq_factor}"
            )
        factor = _factor(factor, rope_type)
        scaled = llama3_inv_freq(
            inv_freq, factor, original, low_freq_factor, high_freq_factor
        )
        return scaled, 1.0
    factor = _factor(factor, rope_type, (max_position_embeddings, original))
    if rope_type == "yarn":
        beta_fast = check_positive_number("beta_fast", beta_fast)
        beta_slow = check_positive_number("beta_slow", beta_slow)
        low, high = yarn_correction_range(
            dim, rope_theta, original, beta_fast, beta_slow, truncate
        )
        scaled = yarn_inv_freq(inv_freq, factor, yarn_ramp(low, high, dim // 2))
        if attention_factor is None:
            attention_factor = yarn_attention_factor(factor, mscale, mscale_all_dim)
        return scaled, check_positive_number("attention_factor", attention_factor)
    _check_long_short(dim, long_factor, short_factor)
    scaled = longrope_inv_freq(
        dim, rope_theta, long_factor, short_factor, original, seq_len
    )
    if attention_factor is None:
        attention_factor = longrope_attention_factor(factor, original)
    return scaled, check_positive_number("attention_factor", attention_factor)
