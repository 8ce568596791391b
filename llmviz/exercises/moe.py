"""Checks for the exercises of chapter 7, mixture of experts: the router here, the
load-balancing loss and the capacity in ``moe_balance``.

Each helper runs the reader's function on seeded random inputs, compares it with
llmviz's own, and names the most likely mistake when they differ. Whatever the
function does (any return type or dtype, NaN, an exception, a hang) becomes ✅ or ❌
and one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call_keeping_input, report
from llmviz.exercises.moe_balance import (
    _array,
    _logits,
    _shape,
    _tolerance,
    check_load_balancing_loss,
    check_overflow,
)
from llmviz.moe.routing import route as reference_route

__all__ = ["check_load_balancing_loss", "check_overflow", "check_route"]

ROUTE_CASES = [(5, 4, 2), (7, 8, 2), (6, 8, 1), (4, 16, 4), (3, 6, 6)]  # (T, E, k)

# --- route -----------------------------------------------------------------------


def _by_expert(weights: Tensor, experts: Tensor) -> tuple[Tensor, Tensor]:
    """Each token's (weight, expert) pairs sorted by expert: (T, k) float64, long."""
    order = experts.argsort(dim=-1)
    return weights.detach().double().gather(-1, order), experts.long().gather(-1, order)


def _route_result(
    got: Any, logits: Tensor, k: int, where: str
) -> tuple[tuple[Tensor, Tensor, float] | None, str | None]:
    """The reader's (weights float64, experts long, tolerance), or the sentence that
    says what is wrong with the kind, shape or values of what route returned."""
    length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
    if not length or len(got) != 2:
        kind = type(got).__name__
        return None, (
            f"route should return two tensors (weights, experts), got {kind}{length}."
        )
    weights, experts = _array(got[0]), _array(got[1])
    if weights is None or experts is None:
        shown = f"{_shape(got[0])} and {_shape(got[1])}"
        return None, f"route should return two tensors, got {shown}."
    if experts.is_floating_point() or experts.is_complex():
        if not (weights.is_floating_point() or weights.is_complex()):
            return None, (
                "You return (experts, weights): route should return the weights first."
            )
        return None, f"experts should hold integer indices, got dtype {experts.dtype}."
    if experts.dtype == torch.bool:
        return None, "experts should hold integer indices, got dtype torch.bool."
    if weights.dtype == torch.bool or weights.is_complex():
        return None, f"weights should be real numbers, got dtype {weights.dtype}."
    tokens, num_experts = logits.shape
    if weights.shape != (tokens, k) or experts.shape != (tokens, k):
        return None, (
            f"{where}, weights and experts should both have shape ({tokens}, {k}), "
            f"got {tuple(weights.shape)} and {tuple(experts.shape)}."
        )
    if not bool(torch.isfinite(weights.double()).all()):
        return None, f"{where}, your weights hold NaN or inf values."
    if experts.min() < 0 or experts.max() >= num_experts:
        return None, f"{where}, experts should lie in 0..{num_experts - 1}."
    tolerance = _tolerance(weights.dtype, 1e-5)
    return (weights.double(), experts.long(), tolerance), None


WRONG_DIM = (
    "your softmax runs over the tokens (dim 0): a token's probabilities are taken "
    "over the experts"
)
EXPERT_MISTAKES = [  # (hint, the experts (T, k) it chooses)
    (
        "you keep the experts with the smallest logits",
        lambda z, k: torch.topk(z, k, dim=-1, largest=False).indices,
    ),
    (WRONG_DIM, lambda z, k: torch.topk(z.softmax(0), k, dim=-1).indices),
]
WEIGHT_MISTAKES = [  # (hint, its weights at the right experts e, sorted by expert)
    (
        "your weights are the probabilities of the softmax over all E experts: the k "
        "weights of a token should sum to 1",
        lambda z, e: z.softmax(-1).gather(-1, e),
    ),
    (
        "your weights are the router's logits: they should be probabilities",
        lambda z, e: z.gather(-1, e),
    ),
    (WRONG_DIM, lambda z, e: z.softmax(0).gather(-1, e)),
    (WRONG_DIM, lambda z, e: F.normalize(z.softmax(0).gather(-1, e), p=1, dim=-1)),
]


def _route_hint(
    weights: Tensor, experts: Tensor, logits: Tensor, k: int, tolerance: float
) -> str:
    """The mistake whose output matches the reader's (sorted by expert), if one does."""
    z = logits.double()
    expected = _by_expert(*reference_route(logits, k))[1]
    if not torch.equal(experts, expected):
        for hint, wrong in EXPERT_MISTAKES:
            if torch.equal(experts, wrong(z, k).sort(dim=-1).values):
                return f"Wrong experts. It looks like {hint}."
        return "Wrong experts. Compare one token's logits with the experts you chose."
    for hint, wrong in WEIGHT_MISTAKES:
        if torch.allclose(weights, wrong(z, expected), atol=tolerance, rtol=0):
            return f"Right experts, wrong weights. It looks like {hint}."
    sums = weights.sum(dim=-1)
    token = int((sums - 1).abs().argmax())
    if abs(sums[token] - 1) > max(1e-4, k * tolerance):
        total = f"{sums[token]:.4f}"
        return f"Right experts, wrong weights: those of token {token} sum to {total}."
    return "Right experts, wrong weights. Work out one token by hand and compare."


def check_route(route: Callable[[Tensor, int], Any]) -> CheckResult:
    """Check ``route(router_logits, k)`` for Mixtral's routing [jiang2024mixtral].

    ``router_logits`` is a float tensor (T, E): one row per token, one column per
    expert. ``route`` returns ``(weights, experts)``, both (T, k): for each token its
    k most probable experts (integer indices) and their probabilities, renormalised
    to sum to 1 over those k. The k pairs of a token may come in any order, as long
    as each weight sits beside its expert; tensors, NumPy arrays and lists are all
    accepted, in any float dtype.
    """
    check_callable("route", route)
    for logits, k in _logits(ROUTE_CASES):
        got, failure = call_keeping_input(route, "router_logits", logits, k)
        if failure:
            return report(False, failure)
        where = f"For router_logits of shape {tuple(logits.shape)} and k={k}"
        result, failure = _route_result(got, logits, k, where)
        if failure:
            return report(False, failure)
        weights, experts = _by_expert(*result[:2])
        expected_weights, expected_experts = _by_expert(*reference_route(logits, k))
        tolerance = result[2]
        if not torch.equal(experts, expected_experts) or not torch.allclose(
            weights, expected_weights, atol=tolerance, rtol=0
        ):
            hint = _route_hint(weights, experts, logits, k, tolerance)
            return report(False, f"{where}: {hint}")
    return report(True, "Correct: your routing equals Mixtral's on every case.")
