"""Chapter 7's expert-choice check accepts right answers written differently (loops,
NumPy, indices or a mask, float64) and names each usual mistake without giving the
answer away."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmviz.exercises import check_expert_choice
from llmviz.exercises.moe_expert_choice import expert_choice_cases
from llmviz.moe.expert_choice import expert_choice_routing
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)


def choose(logits, capacity, axis=-1, extra=0, later_first=False, per_token=False):
    """A right answer in plain Python, with switches for the usual mistakes."""
    tokens, experts = logits.shape
    probs = (
        logits.double().softmax(dim=axis).tolist()
        if axis is not None
        else logits.tolist()
    )
    mask = torch.zeros(tokens, experts, dtype=torch.bool)
    if per_token:  # each token takes its `capacity` best experts
        for t in range(tokens):
            best = sorted(range(experts), key=lambda e: -probs[t][e])[:capacity]
            mask[t, best] = True
        return mask
    for e in range(experts):
        sign = -1 if later_first else 1
        ranked = sorted(range(tokens), key=lambda t: (-probs[t][e], sign * t))
        mask[ranked[: capacity + extra], e] = True
    return mask


def choose_by_sorting(logits, capacity):
    """Stable sort of each expert's column, returning (E, capacity) indices."""
    probs = torch.softmax(logits, dim=1)
    return torch.sort(probs.T, dim=1, descending=True, stable=True).indices[
        :, :capacity
    ]


def choose_numpy(logits, capacity):
    """NumPy: lexsort by (token index, −probability), indices as an int32 array."""
    z = logits.numpy().astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    tokens = np.arange(len(p))
    rows = [np.lexsort((tokens, -p[:, e]))[:capacity] for e in range(p.shape[1])]
    return np.array(rows, dtype=np.int32)


def choose_reversed_order(logits, capacity):
    """The right tokens, each expert's listed worst first."""
    return choose_by_sorting(logits, capacity).flip(-1)


def choose_topk_per_token(logits, capacity):
    return (
        torch.softmax(logits, -1).topk(min(capacity, logits.shape[1]), dim=-1).indices
    )


def transposed(logits, capacity):
    return choose(logits, capacity).T


@pytest.mark.parametrize(
    "solution",
    [
        choose,
        choose_by_sorting,
        choose_numpy,
        choose_reversed_order,
        lambda z, c: choose(z, c).numpy(),
        lambda z, c: choose(z.double(), c).tolist(),
    ],
)
def test_right_answers_pass(solution, capsys):
    assert_accepts(check_expert_choice, solution, capsys)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (lambda z, c: choose(z, c, per_token=True), "each token picks its experts"),
        (lambda z, c: choose(z, c, axis=0), "softmax over the tokens"),
        (lambda z, c: choose(z, c, axis=None), "by their logits"),
        (lambda z, c: choose(z, c, extra=1), "one token more than the capacity"),
        (lambda z, c: choose(z, c, extra=-1), "one token fewer than the capacity"),
        (lambda z, c: choose(z, c, later_first=True), "you take the later one"),
        (choose_topk_per_token, "one row per token"),
        (transposed, "shape (T, E)"),
        (lambda z, c: choose(z, c).float(), "bool mask or integer token indices"),
        (lambda z, c: choose_by_sorting(z, c) + 100, "should lie in"),
        (lambda z, c: torch.zeros(z.shape[1], c, dtype=torch.long), "same token twice"),
        (lambda z, c: None, "should return a tensor"),
        (lambda z, c: z.sub_(1), "changed router_logits"),
        (not_written, "Your turn"),
        (hangs, "5 s"),
    ],
)
def test_each_mistake_is_named(wrong, expected, capsys):
    assert_names_mistake(
        check_expert_choice,
        wrong,
        expected,
        capsys,
        answers=["softmax(", "topk(", "sort("],
    )


def test_cases_hold_a_tie_at_the_capacity_edge():
    for logits, capacity in expert_choice_cases():
        probs = logits.softmax(-1)
        taken = expert_choice_routing(logits, capacity)["tokens"][0]
        last = len(logits) - 1
        assert probs[taken[-1], 0] == probs[last, 0] and last not in taken.tolist()
