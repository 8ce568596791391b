"""Chapter 3's check on the arithmetic intensity of a decode step accepts right answers
written another way than llmviz's, and names each usual mistake without giving the
answer away."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from llmviz.attention.intensity import attention_cost
from llmviz.exercises.heads_intensity import (
    INTENSITY_MISTAKES,
    _cases,
    _intensity,
    check_decode_intensity,
)
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast


def intensity(
    heads, kv_heads, head_dim, v_head_dim, seq_len, bytes_per_value,
    multiply_add=2, values=True, flop_heads=None, cache_heads=None, read_values=True,
    small_tensors=True, bits=False, inverse=False,
):  # fmt: skip
    """A right answer, with switches for the usual mistakes."""
    per_head = head_dim + (v_head_dim if values else head_dim)
    flops = multiply_add * (flop_heads or heads) * seq_len * per_head
    cached = (cache_heads or kv_heads) * seq_len
    numbers = cached * (head_dim + (v_head_dim if read_values else 0))
    if small_tensors:
        numbers += heads * head_dim + heads * v_head_dim  # the query, the output
    moved = numbers * bytes_per_value * (8 if bits else 1)
    return moved / flops if inverse else flops / moved


def intensity_by_tensors(heads, kv_heads, head_dim, v_head_dim, seq_len, size):
    """Build the step's tensors for 2 cached tokens, let torch count the FLOPs, and
    scale to seq_len (both grow in proportion to the cache's length)."""
    group, n = heads // kv_heads, 2
    q = torch.zeros(1, kv_heads, group, 1, head_dim)
    k, v = (
        torch.zeros(1, kv_heads, n, head_dim),
        torch.zeros(1, kv_heads, n, v_head_dim),
    )
    with FlopCounterMode(display=False) as counter:
        scores = torch.einsum("bgrtd,bgnd->bgrtn", q, k)
        torch.einsum("bgrtn,bgnd->bgrtd", scores, v)
    flops = counter.get_total_flops() * seq_len / n
    numbers = q.numel() + heads * v_head_dim + (k.numel() + v.numel()) * seq_len / n
    return flops / (numbers * size)


intensity_by_tensors(4, 2, 8, 8, 2, 2)  # torch's counter is slow the first time


def intensity_numpy(heads, kv_heads, head_dim, v_head_dim, seq_len, size):
    flops = np.int64(4) * heads * seq_len * (head_dim + v_head_dim) // 2
    return flops / np.int64(
        size * (kv_heads * seq_len + heads) * (head_dim + v_head_dim)
    )


@pytest.mark.parametrize(
    "solution",
    [
        intensity,
        intensity_by_tensors,
        intensity_numpy,
        lambda *case: torch.tensor(intensity(*case), dtype=torch.float64),
        lambda *case: np.float64(intensity(*case)),
    ],
)
def test_check_accepts_correct_solutions(solution, capsys):
    assert_accepts(check_decode_intensity, solution, capsys)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (lambda *c: intensity(*c, values=False), "count the scores only"),
        (lambda *c: intensity(*c, multiply_add=1), "each multiply-add as one FLOP"),
        (lambda *c: intensity(*c, flop_heads=c[1]), "every query head computes"),
        (lambda *c: intensity(*c, cache_heads=c[0]), "for every query head"),
        (lambda *c: intensity(*c, read_values=False), "cached keys only"),
        (lambda *c: intensity(*c, small_tensors=False), "leave out the query read"),
        (lambda *c: intensity(*c, bits=True), "seem to be bits"),
        (lambda *c: intensity(*c, inverse=True), "bytes per FLOP"),
        (lambda *c: intensity(*c) * 1.01, "Count the FLOPs and the bytes"),
        (lambda *c: (1.0, 2.0), "returned tuple, not a number"),
        (lambda *c: math.nan, "returned nan"),
        (lambda *c: "high", "returned str, not a number"),
        (lambda h, g, d, n, b: 1.0, "takes 5 positional arguments but 6 were given"),
        (
            lambda *c: intensity(*c) if c[4] > 1 else 1 / (c[4] - 1),
            "raised ZeroDivisionError",
        ),  # a one-token cache is among the cases
        (not_written, "Your turn"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_names_the_mistake(wrong, expected, capsys):
    answers = ("2 *", "* 2", "heads *", "kv_heads *", "flops /")
    assert_names_mistake(check_decode_intensity, wrong, expected, capsys, answers)


def test_a_half_count_of_flops_is_told_apart_by_its_cause():
    """Forgetting the values and counting a multiply-add once both halve the FLOPs when
    keys and values are as wide; the cases include layers where they are not."""
    assert any(case[2] != case[3] for _, case in _cases())
    assert any(case[4] == 1 for _, case in _cases())  # a one-token cache


def test_the_mistakes_module_reproduces_llmviz_without_switches():
    for _, case in _cases():
        expected = attention_cost(*case[:5], "decode", case[5])["intensity"]
        assert _intensity(case) == pytest.approx(expected, rel=1e-12)
        assert intensity(*case) == pytest.approx(expected, rel=1e-12)
    assert len(INTENSITY_MISTAKES) == 8


def test_a_check_given_no_function_says_so(capsys):
    assert not check_decode_intensity("not a function")
    assert "Pass your function itself, not a str." in capsys.readouterr().out


def test_no_check_shows_a_solution_in_its_docstring():
    for code in (">>>", "lambda", "def ", "torch.", " * ", "2 *", " / "):
        assert code not in check_decode_intensity.__doc__
