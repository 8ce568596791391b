"""Chapter 5's check of the Pre-Norm block accepts right answers written in other ways
and turns each wrong one (the norm in another place, a missing residual, a changed
input, NaN, a wrong type, an exception, a hang) into ❌ and its own sentence, never
the answer. Its reference is held against llmviz's ResidualBlock."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from llmviz.exercises.layers_block import (
    BLOCK_MISTAKES,
    block_cases,
    block_reference,
    check_pre_norm_block,
)
from llmviz.layers.placement import apply_placement
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast

ANSWERS = ("x + sublayer(norm(x))", "sublayer(norm(x))", "norm(x)")


def test_reference_is_the_library_pre_norm():
    for x, norm, sublayer in block_cases():
        torch.testing.assert_close(
            block_reference(x, norm, sublayer),
            apply_placement(x, sublayer, norm, "pre"),
        )
        torch.testing.assert_close(
            block_reference(x, norm, sublayer, "post"),
            apply_placement(x, sublayer, norm, "post"),
        )


def in_place_add(x, norm, sublayer):
    x += sublayer(norm(x))
    return x


def nan_block(x, norm, sublayer):
    return torch.full_like(x, float("nan"))


def raises(x, norm, sublayer):
    return x @ torch.ones(3, 3)


WRONG = [(lambda x, n, s, m=m: block_reference(x, n, s, m), BLOCK_MISTAKES[m])
         for m in BLOCK_MISTAKES]  # fmt: skip
WRONG += [
    (in_place_add, "Your function changed x"),
    (nan_block, "NaN or inf"),
    (raises, "Your function raised RuntimeError"),
    (hangs, "longer than"),
    (not_written, "Your turn"),
    (lambda x, n, s: x[:, :1] + s(n(x[:, :1])), "shape"),
    (lambda x, n, s: "x", "not a tensor"),
]


@pytest.mark.parametrize(("wrong", "expected"), WRONG)
def test_each_mistake_is_named(wrong, expected, capsys):
    assert_names_mistake(check_pre_norm_block, wrong, expected, capsys, ANSWERS)


def via_numpy(x, norm, sublayer):
    with torch.no_grad():
        return (x.numpy() + sublayer(norm(x)).numpy()).tolist()


def out_of_place(x, norm, sublayer):
    h = norm(x)
    h = sublayer(h)
    return torch.add(x, h)


def by_token(x, norm, sublayer):
    rows = [x[:, t] + sublayer(norm(x[:, t])) for t in range(x.shape[1])]
    return torch.stack(rows, dim=1)


def in_float64(x, norm, sublayer):
    return x.double() + sublayer(norm(x)).double()


@pytest.mark.parametrize(
    "right", [lambda x, n, s: x + s(n(x)), out_of_place, by_token, via_numpy,
              in_float64, lambda x, n, s: np.asarray((x + s(n(x))).detach())],
)  # fmt: skip
def test_right_answers_pass(right, capsys):
    assert_accepts(check_pre_norm_block, right, capsys)


def test_not_a_function():
    with pytest.raises(TypeError, match="pre_norm_block"):
        check_pre_norm_block(nn.Linear(2, 2).weight)
