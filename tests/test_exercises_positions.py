"""Chapter 6's checks on positional encodings, as mutation tables: correct solutions
written other ways than llmviz's (loops, NumPy, lists, complex numbers, float16,
bfloat16, float64, in-place operations on a copy) pass, and every wrong one (a typical
mistake, a wrong return type or shape, NaN, an exception, a hang) fails with the
sentence for its mistake, without giving the answer away."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from llmviz.exercises import (
    check_alibi_slopes,
    check_rope_rotation,
    check_yarn_ramp,
)
from llmviz.exercises.positions import ROPE_CASES, YARN_CASES
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast

ANSWERS = ("rotate_half(", "cos(", "clamp(", "[0::2]", "2 ** (-8")


def raises(*args):
    raise ValueError("something went wrong")


# --- rotate: RoPE on one vector ------------------------------------------------------


def rotate(x, position, rope_theta=10000.0, pairs="half", sign=1, exponent=2, at=None):
    """A right answer with 2×2 rotations in float64, with switches for the mistakes."""
    d = x.shape[0]
    out = x.clone()
    for i in range(d // 2):
        first, second = (i, i + d // 2) if pairs == "half" else (2 * i, 2 * i + 1)
        angle = (position if at is None else at) * rope_theta ** (-exponent * i / d)
        cos, sin = math.cos(angle), sign * math.sin(angle)
        a, b = x[first].item(), x[second].item()
        out[first], out[second] = a * cos - b * sin, a * sin + b * cos
    return out


def rotate_numpy(x, position, rope_theta=10000.0):
    v = np.asarray(x, dtype=np.float64)
    half = len(v) // 2
    angle = position * rope_theta ** (-np.arange(half) * 2.0 / len(v))
    a, b = v[:half], v[half:]
    return np.concatenate([a * np.cos(angle) - b * np.sin(angle),
                           a * np.sin(angle) + b * np.cos(angle)])  # fmt: skip


def rotate_complex(x, m, base=10000.0):
    d = x.shape[0]
    pairs = torch.complex(*x.view(2, -1).double())  # x_i + i·x_{i+d/2}
    angles = m * base ** (-torch.arange(0, d, 2.0) / d).double()
    turned = pairs * torch.polar(torch.ones(d // 2, dtype=torch.float64), angles)
    return torch.view_as_real(turned).T.flatten().float()


def rotate_on_a_copy(x, position, rope_theta=10000.0):
    y = x.clone()
    y.mul_(1.0)
    y[:] = rotate(x, position, rope_theta)
    return y


def rotate_in_place(x, position, rope_theta=10000.0):
    x[:] = rotate(x, position, rope_theta)
    return x


ROPE_RIGHT = [
    rotate,
    rotate_numpy,
    rotate_complex,
    rotate_on_a_copy,
    lambda x, m, base=10000.0: rotate(x, m, base).tolist(),
    lambda x, m, base=10000.0: rotate(x, m, base).half(),
    lambda x, m, base=10000.0: rotate(x, m, base).bfloat16(),
    lambda x, m, base=10000.0: rotate(x.double(), m, base),
    lambda x, m, base=10000.0: rotate_numpy(x, m, base).astype(np.float32),
]

ROPE_WRONG = [
    (
        lambda x, m, base=10000.0: rotate(x, m, base, pairs="interleaved"),
        "you rotate the pairs (2i, 2i + 1)",
    ),
    (
        lambda x, m, base=10000.0: rotate(x, m, base, sign=-1),
        "you rotate the wrong way",
    ),
    (
        lambda x, m, base=10000.0: rotate(x, m, base, exponent=1),
        "check the exponent of θ_i",
    ),
    (lambda x, m, base=10000.0: rotate(x, m, base, at=1), "the same at every position"),
    (lambda x, m, base=10000.0: rotate(x, m), "ignores rope_theta"),
    (lambda x, m, base=10000.0: x.clone(), "returns x as it is"),
    (lambda x, m, base=10000.0: rotate(x, m, base) * 1.1, "Rotate a one-hot x by hand"),
    (
        lambda x, m, base=10000.0: rotate(x, m, base)[None],
        "For d=2, position=0: rotate should return shape (2,), got (1, 2)",
    ),
    (
        lambda x, m, base=10000.0: rotate(x, m, base)[: len(x) // 2],
        "rotate should return shape (2,), got (1,)",
    ),
    (rotate_in_place, "changed its input x"),
    (lambda x, m, base: rotate(x, m, base), "missing 1 required positional argument"),
    (not_written, "Your turn"),
    (hangs, "took longer than"),
    (raises, "raised ValueError: something went wrong"),
    (lambda x, m, base=10000.0: None, "rotate returned NoneType, not a tensor"),
    (lambda x, m, base=10000.0: {"x": x}, "rotate returned dict, not a tensor"),
    (lambda x, m, base=10000.0: np.int64(3), "rotate should return shape (2,), got ()"),
    (
        lambda x, m, base=10000.0: rotate(x, m, base) * float("nan"),
        "rotate returned NaN or inf values",
    ),
    (
        lambda x, m, base=10000.0: torch.complex(*x.view(2, -1)),
        "rotate returned a torch.complex64 tensor, not real numbers",
    ),
    (
        lambda x, m, base=10000.0: ["a"] * len(x),
        "rotate returned a list of non-numbers",
    ),
]


# --- alibi_slopes --------------------------------------------------------------------


def slopes(num_heads, extra_start=0, first_exponent=1, plain=False):
    """A right answer, with switches for the usual mistakes."""

    def geometric(n):
        return [2 ** (-8 * (h + first_exponent) / n) for h in range(n)]

    below = 2 ** math.floor(math.log2(num_heads))
    if plain or below == num_heads:
        return geometric(num_heads)
    extra = geometric(2 * below)[extra_start::2]
    return geometric(below) + extra[: num_heads - below]


def slopes_by_ratio(num_heads):
    """Another right answer: each geometric sequence by its ratio, in a loop."""
    below = 1
    while below * 2 <= num_heads:
        below *= 2
    out, ratio = [], 2.0 ** (-8.0 / below)
    for h in range(below):
        out.append(ratio ** (h + 1))
    ratio = 2.0 ** (-8.0 / (2 * below))
    h = 0
    while len(out) < num_heads:
        out.append(ratio ** (h + 1))
        h += 2
    return np.array(out)


ALIBI_RIGHT = [
    slopes,
    slopes_by_ratio,
    lambda n: torch.tensor(slopes(n)),
    lambda n: torch.tensor(slopes(n), dtype=torch.float16),
    lambda n: np.array(slopes(n), dtype=np.float32),
    lambda n: tuple(slopes(n)),
    lambda n: [torch.tensor(s) for s in slopes(n)],
]

ALIBI_WRONG = [
    (
        lambda n: slopes(n, plain=True),
        "Wrong slopes for num_heads=3 (not a power of two). It looks like you used "
        "the geometric sequence",
    ),
    (
        lambda n: slopes(n, extra_start=1),
        "num_heads=3 (not a power of two). It looks like your extra slopes repeat",
    ),
    (
        lambda n: slopes(n, first_exponent=0),
        "num_heads=1 (a power of two). It looks like your exponents are off by one",
    ),
    (
        lambda n: sorted(slopes(n)),
        "num_heads=2 (a power of two). You have the right slopes in the wrong order",
    ),
    (
        lambda n: [s * 1.01 for s in slopes(n)],
        "num_heads=1 (a power of two). Write out",
    ),
    (
        lambda n: slopes(n)[:-1] if n == 12 else slopes(n),
        "For num_heads=12 alibi_slopes should return 12 numbers",
    ),
    (
        lambda n: None,
        "should return 1 number (a list or a tensor of shape (1,)), got NoneType",
    ),
    (lambda n: {"slopes": slopes(n)}, "should return 1 number (a list or a tensor"),
    (lambda n: "0.0039", "of shape (1,)), got str"),
    (lambda n: slopes(n)[0], "of shape (1,)), got float"),
    (
        lambda n: [float("nan")] * n,
        "For num_heads=1: alibi_slopes returned NaN or inf values",
    ),
    (not_written, "Your turn"),
    (hangs, "took longer than"),
    (raises, "raised ValueError: something went wrong"),
]


# --- yarn_ramp ----------------------------------------------------------------------


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


def ramp_numpy(low, high, size):
    return np.clip((np.arange(size) - low) / max(high - low, 1e-3), 0.0, 1.0)


def ramp_in_place(low, high, size):
    out = torch.arange(size, dtype=torch.float64)
    out.sub_(low).div_(max(high - low, 1e-3))
    return out.clamp_(0, 1)


YARN_RIGHT = [
    ramp,
    ramp_numpy,
    ramp_in_place,
    lambda low, high, size: ramp(low, high, size).tolist(),
    lambda low, high, size: ramp(low, high, size).half(),
    lambda low, high, size: ((torch.arange(size) - low) / max(high - low, 0.5)).clamp(
        0, 1
    ),
]

YARN_WRONG = [
    (
        lambda low, high, size: 1 - ramp(low, high, size),
        "For low=1, high=3, size=5: wrong values. Your ramp goes the wrong way",
    ),
    (
        lambda low, high, size: ramp(low, high, size, clamp=False),
        "Your ramp leaves [0, 1]",
    ),
    (ramp_unguarded, "For low=5, high=5, size=10: wrong values. Your ramp has NaN"),
    (
        lambda low, high, size: ramp(low, high, size, shift=1),
        "off by one: your value at i is that at i + 1",
    ),
    (
        lambda low, high, size: ramp(low, high, size, shift=-1),
        "off by one: your value at i is that at i − 1",
    ),
    (
        lambda low, high, size: (
            (torch.arange(size) >= low).float()
            if low == high
            else ramp(low, high, size)
        ),
        "When low == high the ramp is 0 up to i = low included",
    ),
    (
        lambda low, high, size: ((torch.arange(size) - low) // (high - low)).clamp(
            0, 1
        ),
        "Your ramp holds integers",
    ),
    (
        lambda low, high, size: ramp(low, high, size) ** 2,
        "work out a few values by hand",
    ),
    (
        lambda low, high, size: ramp(low, high, size + 1),
        "yarn_ramp should return shape (5,), got (6,)",
    ),
    (
        lambda low, high, size: np.full(size, np.nan),
        "For low=1, high=3, size=5: wrong values. Your ramp has NaN.",
    ),
    (lambda low, high, size: None, "yarn_ramp returned NoneType, not a tensor"),
    (lambda low, high, size: ["x"] * size, "yarn_ramp returned a list of non-numbers"),
    (lambda low, high, size: 0.5, "yarn_ramp returned float, not a tensor"),
    (not_written, "Your turn"),
    (hangs, "took longer than"),
    (raises, "raised ValueError: something went wrong"),
]


@pytest.mark.parametrize(
    ("check", "solution"),
    [(check_rope_rotation, s) for s in ROPE_RIGHT]
    + [(check_alibi_slopes, s) for s in ALIBI_RIGHT]
    + [(check_yarn_ramp, s) for s in YARN_RIGHT],
)
def test_checks_accept_correct_solutions(check, solution, capsys):
    assert_accepts(check, solution, capsys)


@pytest.mark.parametrize(
    ("check", "wrong", "expected"),
    [(check_rope_rotation, *w) for w in ROPE_WRONG]
    + [(check_alibi_slopes, *w) for w in ALIBI_WRONG]
    + [(check_yarn_ramp, *w) for w in YARN_WRONG],
)
def test_checks_name_the_mistake(check, wrong, expected, capsys):
    assert_names_mistake(check, wrong, expected, capsys, ANSWERS)


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
