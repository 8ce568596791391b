"""Chapter 3's checks on attention and masks: correct solutions written in other ways
(other dtypes, NumPy, loops, in-place steps on their own tensors) pass, and each wrong
solution of the table fails with the sentence for its mistake, never the answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from llmviz.attention import masks
from llmviz.exercises import (
    CheckResult,
    check_attention,
    check_chunked_causal,
    check_sliding_window_pairs,
)
from llmviz.exercises.attention import tolerance
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast

ANSWERS = ("masked_fill", "block_diagonal", "min(", "@ v")


# --- attention ------------------------------------------------------------------------


def written_out(query, key, value, attn_mask=None, dim=-1, scale=True, invert=False):
    scores = query @ key.transpose(-2, -1)
    if scale:
        scores = scores / query.shape[-1] ** 0.5
    if attn_mask is not None:
        scores = scores.masked_fill(attn_mask if invert else ~attn_mask, float("-inf"))
    return torch.softmax(scores, dim=dim) @ value


def in_dtype(dtype):
    def attention(query, key, value, attn_mask=None):
        return written_out(query.to(dtype), key.to(dtype), value.to(dtype), attn_mask)

    return attention


def with_numpy(query, key, value, attn_mask=None):
    q, k, v = query.numpy(), key.numpy(), value.numpy()
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if attn_mask is not None:
        scores = np.where(attn_mask.numpy(), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True)) @ v  # a float32 ndarray


def with_loops(query, key, value, attn_mask=None):
    """One query row at a time, as nested lists, over any leading dimensions."""
    if query.dim() > 2:
        return [
            with_loops(q, k, v, attn_mask)
            for q, k, v in zip(query, key, value, strict=True)
        ]
    rows = []
    for i, q in enumerate(query):
        scores = [float(q @ k) / math.sqrt(len(q)) for k in key]
        if attn_mask is not None:
            scores = [s if attn_mask[i, j] else -math.inf for j, s in enumerate(scores)]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        rows.append([sum(w * v[d] for w, v in zip(weights, value, strict=True)) / total
                     for d in range(value.shape[-1])])  # fmt: skip
    return rows


def in_place_on_its_own(query, key, value, attn_mask=None):
    scores = torch.einsum("...qd,...kd->...qk", query, key)
    scores /= query.shape[-1] ** 0.5  # in place, but on its own tensor
    if attn_mask is not None:
        scores.masked_fill_(~attn_mask, -torch.inf)
    return scores.softmax(-1) @ value


def divides_query_in_place(query, key, value, attn_mask=None):
    query /= query.shape[-1] ** 0.5  # changes the caller's query
    return written_out(query, key, value, attn_mask, scale=False)


@pytest.mark.parametrize(
    "attention",
    [
        written_out,
        in_dtype(torch.float64),
        in_dtype(torch.float16),
        in_dtype(torch.bfloat16),
        with_numpy,
        with_loops,
        in_place_on_its_own,
        lambda q, k, v, m=None: torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=m
        ),
    ],
    ids=[
        "textbook",
        "float64",
        "float16",
        "bfloat16",
        "numpy",
        "loops",
        "in-place",
        "torch",
    ],  # fmt: skip
)
def test_check_attention_accepts_correct_solutions(attention, capsys):
    assert_accepts(check_attention, attention, capsys)


@pytest.mark.parametrize(
    ("attention", "expected"),
    [
        (
            lambda q, k, v, m: written_out(q, k, v, m, scale=False),
            "not divided by √d_k",
        ),
        (lambda q, k, v, m: written_out(q, k, v, None), "the mask is ignored"),
        (lambda q, k, v, m: written_out(q, k, v, m, invert=True), "wrong way round"),
        (
            lambda q, k, v, m: written_out(q, k, v, m, dim=-2),
            "softmax runs over the queries",
        ),
        (
            lambda q, k, v, m: in_dtype(torch.float16)(q, k, v, m) * 1.05,
            "Print yours and softmax",
        ),  # a float16 answer is compared at float16's tolerance, not accepted blindly
        (divides_query_in_place, "changed its input query in place"),
        (lambda q, k, v, m: v, "returned shape (7, 8), expected (5, 8)"),
        (lambda q, k, v, m: written_out(q, k, v, m) + 0.1, "Print yours and softmax"),
        (lambda q, k, v, m: written_out(q, k, v, m) * math.nan, "NaN or inf"),
        (lambda q, k, v, m: None, "returned NoneType, not a tensor"),
        (lambda q, k, v, m: "attention", "returned str, not a tensor"),
        (lambda q, k, v, m: [["a"]], "returned a list of non-numbers"),
        (lambda q, k, v, m: written_out(q, k, v, m) > 0, "torch.bool tensor"),
        (not_written, "Your turn"),
        (lambda q, k, v, m: q @ k, "Your function raised RuntimeError"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_attention_names_the_mistake(attention, expected, capsys):
    assert_names_mistake(check_attention, attention, expected, capsys, ANSWERS)


def test_the_tolerance_follows_the_answers_dtype():
    assert tolerance(torch.zeros(1)) == tolerance(np.zeros(1)) == 1e-5
    assert tolerance(torch.zeros(1, dtype=torch.float16)) == 1e-2
    assert tolerance(np.zeros(1, dtype=np.float16)) == 1e-2
    assert tolerance(torch.zeros(1, dtype=torch.bfloat16)) == 5e-2


# --- chunked_causal -------------------------------------------------------------------


def chunked_with_floor_division(chunk_size):
    def mask_mod(b, h, q_idx, kv_idx):
        return (kv_idx <= q_idx) & (q_idx // chunk_size == kv_idx // chunk_size)

    return mask_mod


def chunked_with_where(chunk_size):
    def mask_mod(b, h, q_idx, kv_idx):
        start = q_idx - q_idx % chunk_size  # the first position of the query's chunk
        return torch.where(kv_idx <= q_idx, kv_idx >= start, False)

    return mask_mod


@pytest.mark.parametrize(
    "chunked_causal",
    [
        lambda c: masks.and_masks(masks.causal, masks.block_diagonal(c)),
        chunked_with_floor_division,
        chunked_with_where,
    ],
)
def test_check_chunked_causal_accepts_correct_solutions(chunked_causal, capsys):
    assert_accepts(check_chunked_causal, chunked_causal, capsys)


def stub(chunk_size):
    def mask_mod(b, h, q_idx, kv_idx):
        raise NotImplementedError

    return mask_mod


@pytest.mark.parametrize(
    ("chunked_causal", "expected"),
    [
        (lambda c: masks.causal, "query 1 should not see key 0"),
        (lambda c: masks.block_diagonal(c), "query 0 should not see key 1"),
        (
            lambda c: lambda b, h, i, j: (j <= i) and (i // c == j // c),
            "tensor operations",
        ),
        (lambda c: lambda b, h, i, j: (j <= i).int(), "must return a bool tensor"),
        (lambda c: lambda b, h, i, j: torch.ones(3, dtype=torch.bool), "does not fit"),
        (lambda c: lambda b, h, i, j: hangs(), "took longer than 0.5 s"),
        (lambda c: torch.ones(4, 4, dtype=torch.bool), "should return a mask_mod"),
        (stub, "Your turn"),
        (not_written, "Your turn"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_chunked_causal_names_the_mistake(chunked_causal, expected, capsys):
    assert_names_mistake(
        check_chunked_causal, chunked_causal, expected, capsys, ANSWERS
    )


# --- sliding_window_pairs -------------------------------------------------------------


def pairs_by_counting(seq_len, window):
    return sum(min(i + 1, window) for i in range(seq_len))


@pytest.mark.parametrize(
    "sliding_window_pairs",
    [
        lambda t, w: min(t, w) * (min(t, w) + 1) // 2 + (t - min(t, w)) * min(t, w),
        pairs_by_counting,
        lambda t, w: np.int64(pairs_by_counting(t, w)),
        lambda t, w: torch.tensor(pairs_by_counting(t, w)),
        lambda t, w: float(pairs_by_counting(t, w)),
    ],
    ids=["formula", "loop", "np.int64", "0-d tensor", "float"],
)
def test_check_sliding_window_pairs_accepts_correct_solutions(
    sliding_window_pairs, capsys
):
    assert_accepts(check_sliding_window_pairs, sliding_window_pairs, capsys)


@pytest.mark.parametrize(
    ("sliding_window_pairs", "expected"),
    [
        (
            lambda t, w: w * t - w * (w - 1) // 2,
            "Is the window longer than the sequence?",
        ),
        (lambda t, w: t * (t + 1) // 2, "For seq_len=5 and window=1 you gave 15"),
        (lambda t, w: pairs_by_counting(t, w) + 0.5, "you gave 1.5"),
        (lambda t, w: math.nan, "returned nan, not a finite number"),
        (lambda t, w: [pairs_by_counting(t, w)], "returned list, not a number"),
        (lambda t, w: None, "returned NoneType, not a number"),
        (not_written, "Your turn"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_sliding_window_pairs_names_the_mistake(
    sliding_window_pairs, expected, capsys
):
    assert_names_mistake(
        check_sliding_window_pairs, sliding_window_pairs, expected, capsys, ANSWERS
    )


# --- every check ----------------------------------------------------------------------

CHECKS = [check_attention, check_chunked_causal, check_sliding_window_pairs]


@pytest.mark.parametrize("check", CHECKS)
def test_a_check_given_no_function_says_so(check, capsys):
    assert not check("not a function")
    assert "Pass your function itself, not a str." in capsys.readouterr().out


@pytest.mark.parametrize("check", CHECKS)
def test_no_check_shows_a_solution_in_its_docstring(check):
    for code in (">>>", "lambda", "def ", "masked_fill", "softmax(", "//", "min("):
        assert code not in check.__doc__


def test_a_check_result_displays_nothing_more_than_its_printed_line():
    result = CheckResult(False, "why")
    assert result._ipython_display_() is None and not result
    assert repr(result) == "CheckResult(passed=False, message='why')"
