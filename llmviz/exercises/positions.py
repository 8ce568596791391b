"""Checks for the exercises of chapter 6, positional encodings.

Each helper runs the reader's function on seeded random or listed cases, compares it
with llmviz's own, and names the most likely mistake when they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call, call_keeping_input, report
from llmviz.positions.alibi import alibi_slopes as reference_slopes
from llmviz.positions.rope import deinterleave, interleave, rope_cos_sin, rotate_half
from llmviz.positions.rope_scaling import yarn_ramp as reference_ramp

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
    return tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__


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
    return "Rotate a one-hot x by hand for d=4, position=1, and compare."


def check_rope_rotation(rotate: Callable[..., Tensor]) -> CheckResult:
    """Check ``rotate(x, position, rope_theta=10000.0)``: x (d,) rotated by RoPE in the
    rotate_half layout, pair i = dimensions (i, i + d/2) turned by position·θ_i.

    >>> from llmviz.positions.rope import rope_cos_sin, rotate_half
    >>> def rotate(x, position, rope_theta=10000.0):
    ...     cos, sin = rope_cos_sin(torch.tensor([position]), len(x), rope_theta)
    ...     return x * cos[0] + rotate_half(x) * sin[0]
    >>> assert check_rope_rotation(rotate)
    ✅ Correct: ...
    """
    check_callable("rotate", rotate)
    generator = torch.Generator().manual_seed(0)
    for d, position, rope_theta in ROPE_CASES:
        theta = 10000.0 if rope_theta is None else rope_theta
        x = torch.randn(d, generator=generator)
        args = (x, position) if rope_theta is None else (x, position, rope_theta)
        out, failure = call_keeping_input(rotate, "its input x", *args)
        if failure:
            return report(False, failure)
        where = f"For d={d}, position={position}" + (
            "" if rope_theta is None else f", rope_theta={rope_theta:g}"
        )
        if _shape(out) != (d,):
            return report(
                False, f"{where}, rotate should return shape ({d},), got {_shape(out)}."
            )
        atol = 1e-4 * (1 + position / 100)  # float32 angles lose digits as m grows
        expected = _rotate(x, position, theta).double()
        if not torch.allclose(out.double(), expected, atol=atol):
            hint = _rope_hint(out.double(), x, position, theta, atol)
            return report(False, f"{where}: wrong values. {hint}")
    return report(True, "Correct: your rotation equals llmviz's RoPE on every case.")


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


def _alibi_hint(slopes: Tensor, num_heads: int) -> str:
    """The mistake whose slopes match the reader's, if one does."""
    for mistake, hint in ALIBI_MISTAKES.items():
        wrong = torch.tensor(_slopes(num_heads, mistake), dtype=torch.float64)
        if torch.allclose(slopes, wrong, rtol=1e-5):
            return f"It looks like {hint}."
    return "Write out the slopes for 8 heads, then for 12, and compare."


def check_alibi_slopes(alibi_slopes: Callable[[int], Any]) -> CheckResult:
    """Check ``alibi_slopes(num_heads)``: the slope of each head, a list or a tensor,
    for every num_heads from 1 to 40.

    >>> from llmviz.positions.alibi import alibi_slopes
    >>> assert check_alibi_slopes(alibi_slopes)
    ✅ Correct: ...
    """
    check_callable("alibi_slopes", alibi_slopes)
    for num_heads in range(1, 41):
        got, failure = call(alibi_slopes, num_heads)
        if failure:
            return report(False, failure)
        try:
            slopes = torch.as_tensor(got, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            slopes = None
        if slopes is None or slopes.shape != (num_heads,):
            shown = tuple(slopes.shape) if slopes is not None else _shape(got)
            numbers = f"{num_heads} number" + "s" * (num_heads > 1)
            return report(
                False,
                f"For num_heads={num_heads} alibi_slopes should return {numbers} (a "
                f"list or a tensor of shape ({num_heads},)), got {shown}.",
            )
        expected = reference_slopes(num_heads).double()
        if not torch.allclose(slopes, expected, rtol=1e-5, atol=1e-9):
            power = num_heads & (num_heads - 1) == 0
            kind = "a power of two" if power else "not a power of two"
            hint = _alibi_hint(slopes, num_heads)
            return report(
                False, f"Wrong slopes for num_heads={num_heads} ({kind}). {hint}"
            )
    return report(True, "Correct: your slopes equal ALiBi's for 1 to 40 heads.")


def _ramp_hint(out: Tensor, low: float, high: float, size: int) -> str:
    """Why the reader's ramp differs from llmviz's, if we can tell."""
    if out.isnan().any():
        return (
            "Your ramp has NaN where low == high: (i − low)/(high − low) is 0/0 there."
        )
    expected = reference_ramp(low, high, size).double()
    if torch.allclose(out, 1 - expected, atol=1e-6):
        return "Your ramp goes the wrong way: it should rise from 0 to 1."
    if out.min() < -1e-6 or out.max() > 1 + 1e-6:
        return "Your ramp leaves [0, 1]: it should stay flat below low and above high."
    if low == high:
        return "When low == high the ramp is 0 up to i = low included, then 1."
    for shift, sign in ((1, "+"), (-1, "−")):
        shifted = reference_ramp(low - shift, high - shift, size).double()
        if torch.allclose(out, shifted, atol=1e-6):
            return f"Your ramp is off by one: your value at i is that at i {sign} 1."
    return "Print yours and work out a few values by hand."


def check_yarn_ramp(yarn_ramp: Callable[..., Tensor]) -> CheckResult:
    """Check ``yarn_ramp(low, high, size)``: YaRN's ramp over the pair indices i < size,
    0 up to low, 1 from high on, linear in between; low and high may be equal.

    >>> def yarn_ramp(low, high, size):
    ...     ramp = (torch.arange(size) - low) / max(high - low, 1e-3)
    ...     return ramp.clamp(0, 1)
    >>> assert check_yarn_ramp(yarn_ramp)
    ✅ Correct: ...
    """
    check_callable("yarn_ramp", yarn_ramp)
    for low, high, size in YARN_CASES:
        out, failure = call(yarn_ramp, low, high, size)
        if failure:
            equal = " low and high can be equal." if low == high else ""
            return report(False, failure + equal)
        where = f"For low={low}, high={high}, size={size}"
        if _shape(out) != (size,):
            return report(
                False,
                f"{where}, the ramp should have shape ({size},), got {_shape(out)}.",
            )
        out = out.double()
        if not torch.allclose(out, reference_ramp(low, high, size).double(), atol=1e-6):
            return report(
                False, f"{where}: wrong values. {_ramp_hint(out, low, high, size)}"
            )
    return report(True, "Correct: your ramp equals llmviz's on every case.")
