"""Checks for the exercises of chapter 6, positional encodings.

Each helper runs the reader's function on seeded random or listed cases, compares it
with llmviz's own, and names the most likely mistake when they differ. Whatever the
function does (any return type or dtype, NaN, an exception, a hang) becomes ✅ or ❌
and one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.exercises._check import (
    CheckResult,
    call,
    call_keeping_input,
    report,
    tensor_result,
)
from llmviz.positions.alibi import alibi_slopes as reference_slopes
from llmviz.positions.rope import deinterleave, interleave, rope_cos_sin, rotate_half
from llmviz.positions.rope_scaling import yarn_ramp as reference_ramp

__all__ = ["check_alibi_slopes", "check_rope_rotation", "check_yarn_ramp"]

ROPE_CASES = [  # (head_dim, position, rope_theta or None for the default)
    (2, 0, None),
    (4, 1, None),
    (8, 3, 10000.0),
    (16, 0, 500000.0),
    (6, 7, 100.0),
    (16, 42, 10000.0),
    (64, 1000, 10000.0),
    (128, 4096, 500000.0),
]
YARN_CASES = [(1, 3, 5), (20, 46, 64), (2.5, 7.25, 12), (0, 63, 64), (10, 40, 8)]
YARN_CASES += [(5, 5, 10), (0, 0, 4)]  # low == high


def _shape(value: Any) -> Any:
    shape = getattr(value, "shape", None)
    return tuple(shape) if shape is not None else type(value).__name__


def _precision(result: Any) -> float:
    """The machine epsilon of a float16 or bfloat16 result, else 0: a half-precision
    answer is compared to the precision it can hold."""
    dtype = getattr(result, "dtype", None)
    if dtype in (torch.float16, torch.bfloat16):
        return torch.finfo(dtype).eps
    if isinstance(dtype, np.dtype) and dtype == np.float16:
        return float(np.finfo(np.float16).eps)
    return 0.0


def _values(result: Any, size: int, where: str, what: str) -> tuple[Tensor | None, str]:
    """The reader's result as float64 (size,), or (None, the sentence saying why)."""
    tensor, failure = tensor_result(result, name=what)
    if failure is None and tuple(tensor.shape) != (size,):
        failure = f"{what} should return shape ({size},), got {_shape(result)}."
    return tensor, "" if failure is None else f"{where}: {failure}"


# --- RoPE ---------------------------------------------------------------------------


def _rotate(x: Tensor, position: int, theta: float, mistake: str = "") -> Tensor:
    """x (d,) rotated to ``position`` as llmviz does, or with one of the mistakes."""
    d = x.shape[-1]
    if mistake == "interleaved":  # pairs (2i, 2i + 1): the same rotation, permuted
        return interleave(_rotate(deinterleave(x), position, theta))
    theta = 10000.0 if mistake == "default_theta" else theta
    inv_freq = None
    if mistake == "exponent":  # θ_i = theta^(−i/d)
        inv_freq = 1.0 / theta ** (torch.arange(d // 2, dtype=torch.float32) / d)
    position = 1 if mistake == "no_position" else position
    cos, sin = rope_cos_sin(torch.tensor([position]), d, theta, inv_freq=inv_freq)
    sign = -1 if mistake == "direction" else 1
    return x * cos[0] + sign * rotate_half(x) * sin[0]


ROPE_MISTAKES = {
    "interleaved": "you rotate the pairs (2i, 2i + 1); this exercise uses the "
    "rotate_half layout, which pairs dimension i with i + d/2",
    "direction": "you rotate the wrong way: check the sign of the sine terms",
    "exponent": "your frequencies fall too slowly: check the exponent of θ_i",
    "no_position": "your rotation is the same at every position: the angle grows "
    "with the position",
    "default_theta": "your function ignores rope_theta",
}


def _rope_hint(out: Tensor, x: Tensor, position: int, theta: float, atol: float):
    """The mistake whose rotation matches the reader's, if one does."""
    for mistake, hint in ROPE_MISTAKES.items():
        wrong = _rotate(x, position, theta, mistake).double()
        if torch.allclose(out, wrong, atol=atol):
            return f"It looks like {hint}."
    if torch.allclose(out, x.double(), atol=atol):
        return "Your function returns x as it is: rotate it."
    return "Rotate a one-hot x by hand for d=4, position=1, and compare."


def check_rope_rotation(rotate: Callable[..., Any]) -> CheckResult:
    """Check ``rotate(x, position, rope_theta=10000.0)``: x (d,) rotated by RoPE in the
    rotate_half layout, pair i = dimensions (i, i + d/2) turned by position·θ_i, with
    θ_i = rope_theta^(−2i/d). Several d, positions and bases are tried; x must be left
    as it is. A tensor, a NumPy array or a list of numbers may come back."""
    check_callable("rotate", rotate)
    generator = torch.Generator().manual_seed(0)
    for d, position, rope_theta in ROPE_CASES:
        theta = 10000.0 if rope_theta is None else rope_theta
        x = torch.randn(d, generator=generator)
        args = (x, position) if rope_theta is None else (x, position, rope_theta)
        got, failure = call_keeping_input(rotate, "its input x", *args)
        if failure:
            return report(False, failure)
        where = f"For d={d}, position={position}" + (
            "" if rope_theta is None else f", rope_theta={rope_theta:g}"
        )
        out, failure = _values(got, d, where, "rotate")
        if failure:
            return report(False, failure)
        atol = 1e-4 * (1 + position / 100)  # float32 angles lose digits as m grows
        atol = max(atol, 4 * _precision(got) * x.abs().max().item())
        expected = _rotate(x, position, theta).double()
        if not torch.allclose(out, expected, atol=atol):
            hint = _rope_hint(out, x, position, theta, atol)
            return report(False, f"{where}: wrong values. {hint}")
    return report(True, "Correct: your rotation equals llmviz's RoPE on every case.")


# --- ALiBi --------------------------------------------------------------------------


def _slopes(num_heads: int, mistake: str = "") -> list[float]:
    """ALiBi's slopes, or what one of ``ALIBI_MISTAKES`` makes of them."""
    start = 0 if mistake == "off_by_one" else 1

    def geometric(n: int) -> list[float]:
        return [2.0 ** (-8.0 * h / n) for h in range(start, n + start)]

    power = 1 << (num_heads.bit_length() - 1)
    if mistake == "geometric" or power == num_heads:
        return geometric(num_heads)
    extra = geometric(2 * power)[int(mistake == "odd") :: 2]  # even indices
    return geometric(power) + extra[: num_heads - power]


ALIBI_MISTAKES = {
    "geometric": "you used the geometric sequence 2^(−8(h+1)/n), which ALiBi uses "
    "only when n is a power of two",
    "odd": "your extra slopes repeat slopes you already have: they are the "
    "odd-indexed ones of the longer sequence",
    "off_by_one": "your exponents are off by one: your first slope is 1",
}


def _alibi_hint(slopes: Tensor, num_heads: int, rtol: float) -> str:
    """The mistake whose slopes match the reader's, if one does."""
    for mistake, hint in ALIBI_MISTAKES.items():
        wrong = torch.tensor(_slopes(num_heads, mistake), dtype=torch.float64)
        if torch.allclose(slopes, wrong, rtol=rtol):
            return f"It looks like {hint}."
    expected = reference_slopes(num_heads).double()
    if torch.allclose(slopes.sort().values, expected.sort().values, rtol=rtol):
        return "You have the right slopes in the wrong order."
    return "Write out the slopes for 8 heads, then for 12, and compare."


def check_alibi_slopes(alibi_slopes: Callable[[int], Any]) -> CheckResult:
    """Check ``alibi_slopes(num_heads)``: the slope of each head, for every num_heads
    from 1 to 40, as a list, a tensor or a NumPy array of num_heads numbers."""
    check_callable("alibi_slopes", alibi_slopes)
    for num_heads in range(1, 41):
        got, failure = call(alibi_slopes, num_heads)
        if failure:
            return report(False, failure)
        where = f"For num_heads={num_heads}"
        slopes, failure = tensor_result(got, name="alibi_slopes")
        if failure is None and tuple(slopes.shape) != (num_heads,):
            failure = "no shape"
        if failure is not None and "NaN" not in failure:
            numbers = f"{num_heads} number" + "s" * (num_heads > 1)
            return report(
                False,
                f"{where} alibi_slopes should return {numbers} (a list or a tensor "
                f"of shape ({num_heads},)), got {_shape(got)}.",
            )
        if failure is not None:
            return report(False, f"{where}: {failure}")
        rtol = max(1e-5, 2 * _precision(got))
        expected = reference_slopes(num_heads).double()
        if not torch.allclose(slopes, expected, rtol=rtol, atol=1e-9):
            power = num_heads & (num_heads - 1) == 0
            kind = "a power of two" if power else "not a power of two"
            hint = _alibi_hint(slopes, num_heads, rtol)
            return report(
                False, f"Wrong slopes for num_heads={num_heads} ({kind}). {hint}"
            )
    return report(True, "Correct: your slopes equal ALiBi's for 1 to 40 heads.")


# --- YaRN's ramp --------------------------------------------------------------------


def _holds_nan(result: Any) -> bool:
    if not isinstance(result, (Tensor, np.ndarray, list, tuple)):
        return False
    try:
        return bool(np.isnan(np.asarray(result, dtype=np.float64)).any())
    except (TypeError, ValueError, RuntimeError):
        return False


def _ramp_hint(out: Tensor, got: Any, low: float, high: float, size: int) -> str:
    """Why the reader's ramp differs from llmviz's, if we can tell."""
    expected = reference_ramp(low, high, size).double()
    atol = max(1e-6, 2 * _precision(got))
    if torch.allclose(out, 1 - expected, atol=atol):
        return "Your ramp goes the wrong way: it should rise from 0 to 1."
    if out.min() < -atol or out.max() > 1 + atol:
        return "Your ramp leaves [0, 1]: it should stay flat below low and above high."
    dtype = getattr(got, "dtype", None)
    if isinstance(dtype, torch.dtype) and not dtype.is_floating_point:
        return (
            "Your ramp holds integers: the values between low and high are fractions."
        )
    if low == high:
        return "When low == high the ramp is 0 up to i = low included, then 1."
    for shift, sign in ((1, "+"), (-1, "−")):
        shifted = reference_ramp(low - shift, high - shift, size).double()
        if torch.allclose(out, shifted, atol=atol):
            return f"Your ramp is off by one: your value at i is that at i {sign} 1."
    return "Print yours and work out a few values by hand."


def check_yarn_ramp(yarn_ramp: Callable[..., Any]) -> CheckResult:
    """Check ``yarn_ramp(low, high, size)``: YaRN's ramp over the pair indices i < size,
    0 up to low, 1 from high on, linear in between, as a float tensor of shape (size,).
    low and high need not be integers, and they may be equal."""
    check_callable("yarn_ramp", yarn_ramp)
    for low, high, size in YARN_CASES:
        got, failure = call(yarn_ramp, low, high, size)
        if failure:
            equal = " low and high can be equal." if low == high else ""
            return report(False, failure + equal)
        where = f"For low={low}, high={high}, size={size}"
        if _holds_nan(got):
            why = " where low == high: (i − low)/(high − low) is 0/0 there" * (
                low == high
            )
            return report(False, f"{where}: wrong values. Your ramp has NaN{why}.")
        out, failure = _values(got, size, where, "yarn_ramp")
        if failure:
            return report(False, failure)
        atol = max(1e-6, 2 * _precision(got))
        if not torch.allclose(out, reference_ramp(low, high, size).double(), atol=atol):
            hint = _ramp_hint(out, got, low, high, size)
            return report(False, f"{where}: wrong values. {hint}")
    return report(True, "Correct: your ramp equals llmviz's on every case.")
