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
  and multiply cos and sin by attention_factor = 0.1·ln s + 1, so the logits by
  (0.1·ln s + 1)² = 1/t, a temperature t < 1 that sharpens attention.
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
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int, check_positive_number, check_real
from llmviz._tensor_checks import check_choice
from llmviz.positions._checks import MAX_DIM
from llmviz.positions.rope import default_inv_freq
from llmviz.positions.rope_types import (  # re-exported: the formulas live there
    dynamic_ntk_inv_freq,
    linear_inv_freq,
    llama3_inv_freq,
    longrope_attention_factor,
    longrope_inv_freq,
    wavelengths,
    yarn_attention_factor,
    yarn_correction_range,
    yarn_inv_freq,
    yarn_ramp,
)

__all__ = [
    "ROPE_TYPES",
    "dynamic_ntk_inv_freq",
    "linear_inv_freq",
    "llama3_inv_freq",
    "longrope_attention_factor",
    "longrope_inv_freq",
    "rope_parameters",
    "wavelengths",
    "yarn_attention_factor",
    "yarn_correction_range",
    "yarn_inv_freq",
    "yarn_ramp",
]

ROPE_TYPES = ("default", "linear", "dynamic", "yarn", "llama3", "longrope")
_ONLY_FOR = {  # keywords that mean something for some rope_types only
    "attention_factor": ("yarn", "longrope"),
    "mscale": ("yarn",),
    "mscale_all_dim": ("yarn",),
    "long_factor": ("longrope",),
    "short_factor": ("longrope",),
}


def _rotary_dim(head_dim: int, partial_rotary_factor: float) -> int:
    """HF's dim = int(head_dim·partial_rotary_factor), which must be even."""
    head_dim = check_int("head_dim", head_dim, minimum=2, maximum=MAX_DIM)
    share = check_real(
        "partial_rotary_factor", partial_rotary_factor, 0.0, 1.0, open_min=True
    )
    dim = int(head_dim * share)
    if dim < 2 or dim % 2:
        raise ValueError(
            f"RoPE needs an even rotary dimension int(head_dim*partial_rotary_factor) "
            f">= 2, got {dim} from head_dim={head_dim}, partial_rotary_factor={share}"
        )
    return dim


def _check_keywords(rope_type: str, given: dict, truncate: Any) -> None:
    check_choice("rope_type", rope_type, ROPE_TYPES)
    check_bool("truncate", truncate)
    for name in ("mscale", "mscale_all_dim"):  # 0 or None: unset, as in HF
        if given[name] is not None:
            check_real(name, given[name], 0.0, math.inf, open_max=True)
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


def _divisors(name: str, value: Any, dim: int) -> Tensor:
    """LongRoPE's ``long_factor`` or ``short_factor``: dim/2 finite numbers > 0."""
    if value is None:
        raise ValueError(
            f"rope_type='longrope' needs {name}, a list of rotary dim/2 = {dim // 2} "
            f"numbers, got None"
        )
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        divisors = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        kind = type(value).__name__
        raise TypeError(
            f"{name} must be a list or a 1-d tensor of numbers, got {value!r:.60} "
            f"({kind})"
        ) from None
    if divisors.shape != (dim // 2,):
        raise ValueError(
            f"{name} must hold rotary dim/2 = {dim // 2} numbers, got shape "
            f"{tuple(divisors.shape)}"
        )
    if not bool((divisors.isfinite() & (divisors > 0)).all()):
        raise ValueError(
            f"{name} must hold finite divisors > 0 (θ_i is divided by each), "
            f"got {divisors.tolist()}"
        )
    return divisors


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
    _check_keywords(rope_type, given | dict(short_factor=short_factor), truncate)
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
        check_positive_number("high_freq_factor", high_freq_factor)
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
        beta_slow = check_positive_number("beta_slow", beta_slow)
        beta_fast = check_positive_number("beta_fast", beta_fast)
        if beta_fast <= beta_slow:
            raise ValueError(
                f"beta_fast must be > beta_slow={beta_slow} (the fast pairs turn more "
                f"often), got {beta_fast}"
            )
        low, high = yarn_correction_range(
            dim, rope_theta, original, beta_fast, beta_slow, truncate
        )
        scaled = yarn_inv_freq(inv_freq, factor, yarn_ramp(low, high, dim // 2))
        if attention_factor is None:
            attention_factor = yarn_attention_factor(factor, mscale, mscale_all_dim)
        return scaled, check_positive_number("attention_factor", attention_factor)
    long_factor = _divisors("long_factor", long_factor, dim)
    short_factor = _divisors("short_factor", short_factor, dim)
    scaled = longrope_inv_freq(
        dim, rope_theta, long_factor, short_factor, original, seq_len
    )
    if attention_factor is None:
        attention_factor = longrope_attention_factor(factor, original)
    return scaled, check_positive_number("attention_factor", attention_factor)
