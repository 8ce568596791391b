"""Checks for chapter 2's exercises: one SGD step of skip-gram with negative sampling.

The helper runs the reader's function on seeded random cases, compares it with a
reference written here from the definition, and names the most likely mistake when
they differ. Any return type, dtype, NaN, exception, hang or change to the inputs
becomes ✅ or ❌ and one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz.exercises._check import CheckResult, report, tensor_result
from llmviz.exercises.attention import call_keeping_inputs

SGNS_CASES = [(4, 1, 0.1), (8, 3, 0.05), (16, 5, 0.5), (3, 2, 1.0)]  # (d, k, lr)
ATOL = 1e-5
SGNS_MISTAKES = {
    "ascent": "your step goes uphill: SGD subtracts lr times the gradient of the loss",
    "no_negatives": "the noise words play no part: their vectors should move, and "
    "they should push v_c too",
    "frozen_negatives": "v_c is right but the noise vectors do not move: each u_k "
    "has a gradient too",
    "softmax": "you used a softmax over the true word and the noise words: negative "
    "sampling scores each word with its own sigmoid, the true word labelled 1 and "
    "every noise word 0",
    "noise_label": "the noise words are treated as true words: a noise word's "
    "label is 0, not 1",
    "sequential": "you updated v_c first and then used the new v_c for the output "
    "vectors' gradients: every gradient is taken at the old values",
    "centre_only": "only v_c moves: u_o and the u_k have gradients too",
}


def sgns_step_reference(
    v_c: Tensor, u_o: Tensor, u_neg: Tensor, lr: float, mistake: str = ""
) -> tuple[Tensor, Tensor, Tensor]:
    """One SGD step from the definition (or with one of the usual mistakes)."""
    v, u, n = (t.double() for t in (v_c, u_o, u_neg))
    if mistake == "softmax":
        w = torch.cat([u[None], n])  # (1 + k, d)
        p = torch.softmax(w @ v, 0)
        err = p - torch.nn.functional.one_hot(torch.tensor(0), len(w)).double()
        g_v, g_w = err @ w, err[:, None] * v
        return v - lr * g_v, u - lr * g_w[0], n - lr * g_w[1:]
    err_o = torch.sigmoid(u @ v) - 1
    err_n = torch.sigmoid(n @ v) - (1 if mistake == "noise_label" else 0)
    if mistake == "no_negatives":
        err_n = torch.zeros_like(err_n)
    g_v = err_o * u + err_n @ n
    step = -lr if mistake == "ascent" else lr
    new_v = v - step * g_v
    at = new_v if mistake == "sequential" else v
    if mistake == "sequential":
        err_o, err_n = torch.sigmoid(u @ at) - 1, torch.sigmoid(n @ at)
    new_u = u - step * err_o * at
    new_n = n - step * err_n[:, None] * at
    if mistake in ("frozen_negatives", "centre_only"):
        new_n = n
    if mistake == "centre_only":
        new_u = u
    return new_v, new_u, new_n


def _sgns_case(d: int, k: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return tuple(0.5 * torch.randn(*s, generator=gen) for s in ((d,), (d,), (k, d)))


def _results(result: Any, d: int, k: int) -> tuple[list[Tensor] | None, str | None]:
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        kind = type(result).__name__
        return (
            None,
            f"Your function returned a {kind}: return the three updated tensors",
        )
    out = []
    for name, value, shape in zip(("v_c", "u_o", "u_neg"), result, ((d,), (d,), (k, d)),
                                  strict=True):  # fmt: skip
        tensor, failure = tensor_result(value, shape, f"Your new {name}")
        if failure:
            return None, failure
        out.append(tensor)
    return out, None


def _close(ours: list[Tensor], theirs: tuple[Tensor, ...]) -> bool:
    return all(
        torch.allclose(a, b, atol=ATOL, rtol=0)
        for a, b in zip(ours, theirs, strict=True)
    )


def check_sgns_step(sgns_step: Callable[..., Any]) -> CheckResult:
    """Check your ``sgns_step(v_c, u_o, u_neg, lr)``: one step of stochastic gradient
    descent on the skip-gram negative-sampling loss of one (centre, context) pair,
    ``−log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c)``.

    ``v_c`` (d,) is the centre word's input vector, ``u_o`` (d,) the context word's
    output vector, ``u_neg`` (k, d) the output vectors of k noise words, ``lr`` the
    learning rate. It returns the three updated tensors ``(v_c, u_o, u_neg)``, with
    every gradient taken at the values before the step, and leaves its inputs as
    they are.
    """
    for seed, (d, k, lr) in enumerate(SGNS_CASES):
        args = _sgns_case(d, k, seed)
        result, failure = call_keeping_inputs(
            sgns_step, ("v_c", "u_o", "u_neg"), *args, lr
        )
        if failure:
            return report(False, failure)
        where = f"For d={d}, k={k}, lr={lr}"
        ours, failure = _results(result, d, k)
        if failure:
            return report(False, f"{where}: {failure}.")
        if _close(ours, sgns_step_reference(*args, lr)):
            continue
        for mistake, hint in SGNS_MISTAKES.items():
            if _close(ours, sgns_step_reference(*args, lr, mistake)):
                return report(False, f"{where}: it looks like {hint}.")
        expected = sgns_step_reference(*args, lr)
        names = ("v_c", "u_o", "u_neg")
        wrong = [
            n
            for n, a, b in zip(names, ours, expected, strict=True)
            if not _close([a], (b,))
        ]
        return report(
            False, f"{where}: your new {' and '.join(wrong)} differ from one SGD step."
        )
    return report(
        True, "Correct: your step equals one SGD step on the loss every time."
    )
