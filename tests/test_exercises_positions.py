"""Chapter 6's checks on positional encodings accept right answers, written another way
than llmviz's, and name the usual mistakes without giving the answer away."""

from __future__ import annotations

import math

import pytest
import torch

from llmviz.exercises import (
    check_alibi_slopes,
    check_rope_rotation,
    check_yarn_ramp,
)
from llmviz.exercises.positions import ROPE_CASES, YARN_CASES
from tests.exercise_asserts import assert_accepts, assert_names_mistake


def not_written(*args):
    raise NotImplementedError


# rotate: RoPE on one vector, written with 2×2 rotations in float64


def rotate(x, position, rope_theta=10000.0, pairs="half", sign=1, exponent=2, at=None):
    """A right answer, with switches for the usual mistakes."""
    d = x.shape[0]
    out = x.clone()
    for i in range(d // 2):
        first, second = (i, i + d // 2) if pairs == "half" else (2 * i, 2 * i + 1)
        angle = (position if at is None else at) * rope_theta ** (-exponent * i / d)
        cos, sin = math.cos(angle), sign * math.sin(angle)
        a, b = x[first].item(), x[second].item()
        out[first], out[second] = a * cos - b * sin, a * sin + b * cos
    return out


def rotate_in_place(x, position, rope_theta=10000.0):
    x[:] = rotate(x, position, rope_theta)
    return x


# alibi_slopes


def slopes(num_heads, extra_start=0, first_exponent=1, plain=False):
    """A right answer, with switches for the usual mistakes."""

    def geometric(n):
        return [2 ** (-8 * (h + first_exponent) / n) for h in range(n)]

    below = 2 ** math.floor(math.log2(num_heads))
    if plain or below == num_heads:
        return geometric(num_heads)
    extra = geometric(2 * below)[extra_start::2]
    return geometric(below) + extra[: num_heads - below]


# yarn_ramp


def ramp(low, high, size, clamp=True, guard=True, shift=0):
    """A right answer, with switches for the usual mistakes."""
    out = []
    for i in range(shift, size + shift):
        if high == low and guard:
            value = 0.0 if i <= low else 1.0
        else:
            value = (i - low) / (high - low) if high != low else float("nan")
        out.append(min(max(value, 0.0), 1.0) if clamp else value)
    return torch.tensor(out)


def ramp_unguarded(low, high, size):
    return ((torch.arange(size) - low) / (high - low)).clamp(0, 1)


@pytest.mark.parametrize(
    ("check", "solution"),
    [
        (check_rope_rotation, rotate),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: (
                torch.view_as_real(
                    torch.complex(*x.view(2, -1).double())
                    * torch.polar(
                        torch.ones(x.shape[0] // 2, dtype=torch.float64),
                        m
                        * base
                        ** (-torch.arange(0, x.shape[0], 2.0) / x.shape[0]).double(),
                    )
                )
                .T.flatten()
                .float()
            ),
        ),
        (check_alibi_slopes, slopes),
        (check_alibi_slopes, lambda n: torch.tensor(slopes(n))),
        (check_yarn_ramp, ramp),
        (
            check_yarn_ramp,
            lambda low, high, size: (
                (torch.arange(size) - low) / max(high - low, 0.5)
            ).clamp(0, 1),
        ),
    ],
)
def test_checks_accept_correct_solutions(check, solution, capsys):
    assert_accepts(check, solution, capsys)


@pytest.mark.parametrize(
    ("check", "wrong", "expected"),
    [
        # rotate
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m, base, pairs="interleaved"),
            "you rotate the pairs (2i, 2i + 1)",
        ),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m, base, sign=-1),
            "you rotate the wrong way",
        ),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m, base, exponent=1),
            "check the exponent of θ_i",
        ),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m, base, at=1),
            "the same at every position",
        ),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m),
            "ignores rope_theta",
        ),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m, base)[None],
            "For d=2, position=0, rotate should return shape (2,), got (1, 2)",
        ),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m, base).tolist(),
            "should return shape (2,), got list",
        ),
        (check_rope_rotation, rotate_in_place, "changed its input x"),
        (
            check_rope_rotation,
            lambda x, m, base=10000.0: rotate(x, m, base) * 1.1,
            "Rotate a one-hot x by hand",
        ),
        (
            check_rope_rotation,
            lambda x, m, base: rotate(x, m, base),
            "missing 1 required positional argument",
        ),
        (check_rope_rotation, not_written, "Not implemented yet"),
        # alibi_slopes
        (
            check_alibi_slopes,
            lambda n: slopes(n, plain=True),
            "Wrong slopes for num_heads=3 (not a power of two). It looks like you used "
            "the geometric sequence",
        ),
        (
            check_alibi_slopes,
            lambda n: slopes(n, extra_start=1),
            "num_heads=3 (not a power of two). It looks like your extra slopes repeat",
        ),
        (
            check_alibi_slopes,
            lambda n: slopes(n, first_exponent=0),
            "num_heads=1 (a power of two). It looks like your exponents are off by one",
        ),
        (
            check_alibi_slopes,
            lambda n: sorted(slopes(n)),
            "num_heads=2 (a power of two). Write out the slopes",
        ),
        (
            check_alibi_slopes,
            lambda n: slopes(n)[:-1] if n == 12 else slopes(n),
            "For num_heads=12 alibi_slopes should return 12 numbers",
        ),
        (
            check_alibi_slopes,
            lambda n: None,
            "should return 1 number (a list or a tensor of shape (1,)), got NoneType",
        ),
        (check_alibi_slopes, not_written, "Not implemented yet"),
        # yarn_ramp
        (
            check_yarn_ramp,
            lambda low, high, size: 1 - ramp(low, high, size),
            "For low=1, high=3, size=5: wrong values. Your ramp goes the wrong way",
        ),
        (
            check_yarn_ramp,
            lambda low, high, size: ramp(low, high, size, clamp=False),
            "Your ramp leaves [0, 1]",
        ),
        (
            check_yarn_ramp,
            ramp_unguarded,
            "For low=5, high=5, size=10: wrong values. Your ramp has NaN",
        ),
        (
            check_yarn_ramp,
            lambda low, high, size: ramp(low, high, size, shift=1),
            "off by one: your value at i is that at i + 1",
        ),
        (
            check_yarn_ramp,
            lambda low, high, size: ramp(low, high, size, shift=-1),
            "off by one: your value at i is that at i − 1",
        ),
        (
            check_yarn_ramp,
            lambda low, high, size: (
                (torch.arange(size) >= low).float()
                if low == high
                else ramp(low, high, size)
            ),
            "When low == high the ramp is 0 up to i = low included",
        ),
        (
            check_yarn_ramp,
            lambda low, high, size: ramp(low, high, size) ** 2,
            "work out a few values by hand",
        ),
        (
            check_yarn_ramp,
            lambda low, high, size: ramp(low, high, size + 1),
            "the ramp should have shape (5,), got (6,)",
        ),
        (check_yarn_ramp, not_written, "Not implemented yet"),
    ],
)
def test_checks_name_the_mistake(check, wrong, expected, capsys):
    answers = ("rotate_half(", "cos(", "clamp(", "[0::2]")
    assert_names_mistake(check, wrong, expected, capsys, answers)


def test_a_division_by_zero_is_explained(capsys):
    def divides_by_a_python_zero(low, high, size):
        return ramp(low, high, size) * (high - low) * (1 / (high - low))

    assert not check_yarn_ramp(divides_by_a_python_zero)
    printed = capsys.readouterr().out
    assert (
        "raised ZeroDivisionError" in printed and "low and high can be equal" in printed
    )


def test_the_cases_cover_what_the_exercises_promise():
    assert {d for d, _, _ in ROPE_CASES} >= {2, 128} and any(
        d % 4 for d, _, _ in ROPE_CASES
    )
    assert {0, 4096} <= {position for _, position, _ in ROPE_CASES}
    assert len({theta for _, _, theta in ROPE_CASES}) >= 3
    assert any(low == high for low, high, _ in YARN_CASES)
    assert any(isinstance(low, float) for low, _, _ in YARN_CASES)


@pytest.mark.parametrize(
    "check", [check_rope_rotation, check_alibi_slopes, check_yarn_ramp]
)
def test_checks_refuse_what_is_not_a_function(check):
    with pytest.raises(TypeError, match="must be callable"):
        check("not a function")
