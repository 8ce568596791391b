"""Chapter 2's check of one skip-gram negative-sampling SGD step accepts right answers
written in other ways (autograd, loops, NumPy, float64), and turns every wrong one
(the usual mistakes, a wrong type or shape, NaN, an exception, a changed input, a hang)
into ❌ and the sentence for it, never the answer. Its reference is held against
torch.autograd and llmviz's closed-form gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from llmviz.embeddings.word2vec import sgns_grads
from llmviz.exercises.embeddings import (
    SGNS_CASES,
    SGNS_MISTAKES,
    check_sgns_step,
    sgns_step_reference,
)
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

ANSWERS = ("sigmoid(", "- lr *", "lr * (")


def by_autograd(v_c, u_o, u_neg, lr):
    v, u, n = (t.clone().requires_grad_() for t in (v_c, u_o, u_neg))
    loss = (
        -torch.nn.functional.logsigmoid(u @ v)
        - torch.nn.functional.logsigmoid(-(n @ v)).sum()
    )
    loss.backward()
    with torch.no_grad():
        return v - lr * v.grad, u - lr * u.grad, n - lr * n.grad


def by_loops(v_c, u_o, u_neg, lr):
    v, u, n = v_c.tolist(), u_o.tolist(), u_neg.tolist()
    d = len(v)

    def sig(x):
        return 1 / (1 + math.exp(-x))

    grad_v = [0.0] * d
    e = sig(sum(a * b for a, b in zip(u, v, strict=True))) - 1
    grad_v = [g + e * b for g, b in zip(grad_v, u, strict=True)]
    new_u = [a - lr * e * b for a, b in zip(u, v, strict=True)]
    new_n = []
    for row in n:
        e = sig(sum(a * b for a, b in zip(row, v, strict=True)))
        grad_v = [g + e * b for g, b in zip(grad_v, row, strict=True)]
        new_n.append([a - lr * e * b for a, b in zip(row, v, strict=True)])
    return [a - lr * g for a, g in zip(v, grad_v, strict=True)], new_u, new_n


def by_numpy(v_c, u_o, u_neg, lr):
    v, u, n = (t.numpy().astype(np.float64) for t in (v_c, u_o, u_neg))
    e_o, e_n = 1 / (1 + np.exp(-u @ v)) - 1, 1 / (1 + np.exp(-n @ v))
    return v - lr * (e_o * u + e_n @ n), u - lr * e_o * v, n - lr * np.outer(e_n, v)


def by_llmviz(v_c, u_o, u_neg, lr):
    g_v, g_u, g_n = sgns_grads(v_c[None], u_o[None], u_neg[None])
    return v_c - lr * g_v[0], u_o - lr * g_u[0], u_neg - lr * g_n[0]


@pytest.mark.parametrize("solution", [by_autograd, by_loops, by_numpy, by_llmviz])
def test_right_answers_written_differently_pass(solution, capsys):
    assert_accepts(check_sgns_step, solution, capsys)


def test_the_reference_is_autograds_step():
    gen = torch.Generator().manual_seed(3)
    for d, k, lr in SGNS_CASES:
        args = tuple(torch.randn(*s, generator=gen) for s in ((d,), (d,), (k, d)))
        for ours, theirs in zip(
            sgns_step_reference(*args, lr), by_autograd(*args, lr), strict=True
        ):
            torch.testing.assert_close(ours, theirs.double(), atol=1e-5, rtol=0)


def mistaken(name):
    return lambda v, u, n, lr: sgns_step_reference(v, u, n, lr, name)


def in_place(v_c, u_o, u_neg, lr):
    new = by_llmviz(v_c, u_o, u_neg, lr)
    v_c.copy_(new[0])
    return new


WRONG = [(mistaken(name), hint) for name, hint in SGNS_MISTAKES.items()] + [
    (
        lambda v, u, n, lr: by_llmviz(v, u, n, lr)[:2],
        "return the three updated tensors",
    ),
    (lambda v, u, n, lr: (v, u, n[0]), "Your new u_neg returned shape"),
    (lambda v, u, n, lr: (v * math.nan, u, n), "NaN or inf"),
    (lambda v, u, n, lr: "done", "returned a str"),
    (lambda v, u, n, lr: 1 / 0, "raised ZeroDivisionError"),
    (lambda v, u, n, lr: (v + 0.01, u, n), "differ from one SGD step"),
    (in_place, "changed its input v_c in place"),
    (not_written, "Your turn"),
    (hangs, "took longer than"),
]


@pytest.mark.parametrize(("wrong", "expected"), WRONG)
def test_each_mistake_gets_its_own_sentence(wrong, expected, capsys):
    assert_names_mistake(check_sgns_step, wrong, expected, capsys, ANSWERS)


def test_the_mistakes_are_told_apart():
    gen = torch.Generator().manual_seed(0)
    d, k, lr = 5, 3, 0.3
    args = tuple(torch.randn(*s, generator=gen) for s in ((d,), (d,), (k, d)))
    steps = {
        name: sgns_step_reference(*args, lr, name) for name in ["", *SGNS_MISTAKES]
    }
    for a in steps:
        for b in steps:
            if a < b:
                assert not all(
                    torch.allclose(x, y, atol=1e-4)
                    for x, y in zip(steps[a], steps[b], strict=True)
                ), (a, b)
