"""Check for chapter 7's exercise on expert-choice routing: each expert picks its
``capacity`` tokens of highest router probability, the earlier token first among
equals.

Whatever the reader's function does (any return type or dtype, NaN, an exception, a
hang) becomes ✅ or ❌ and one sentence; a wrong answer is named by its symptom.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call_keeping_input, report
from llmviz.exercises.moe_balance import _array, _shape
from llmviz.moe.expert_choice import expert_choice_routing

EXPERT_CHOICE_CASES = [
    (8, 4, 2),
    (12, 3, 8),
    (10, 5, 4),
    (16, 4, 8),
    (9, 2, 5),
]  # T, E, c


def expert_choice_cases() -> list[tuple[Tensor, int]]:
    """(router_logits (T, E), capacity), seeded; the last token copies the token
    that expert 0 takes last, so that the two tie at the edge of its capacity."""
    generator = torch.Generator().manual_seed(0)
    cases = []
    for tokens, experts, capacity in EXPERT_CHOICE_CASES:
        logits = 2 * torch.randn(tokens - 1, experts, generator=generator)
        last_taken = expert_choice_routing(logits, capacity)["tokens"][0, -1]
        cases.append((torch.cat([logits, logits[last_taken][None]]), capacity))
    return cases


def _mask(scores: Tensor, capacity: int, later_first: bool = False) -> Tensor:
    """Each column's ``capacity`` highest scores, ties by token order: (T, E) bool."""
    tokens = scores.shape[0]
    order = torch.arange(tokens, dtype=scores.dtype)
    tie = -order if not later_first else order
    mask = torch.zeros(scores.shape, dtype=torch.bool)
    for e in range(scores.shape[1]):  # sort by (score, tie rule), keep the first c
        ranked = sorted(range(tokens), key=lambda t: (-scores[t, e].item(), -tie[t]))
        mask[ranked[:capacity], e] = True
    return mask


def _as_mask(
    got: Any, tokens: int, experts: int, capacity: int
) -> tuple[Tensor | None, str]:
    """The reader's answer as a (T, E) bool mask, or the sentence that says why not."""
    array = _array(got)
    if array is None:
        return None, f"expert_choice should return a tensor, got {_shape(got)}."
    if array.dtype == torch.bool:
        if tuple(array.shape) != (tokens, experts):
            return None, (
                f"The mask should have shape (T, E) = ({tokens}, {experts}), one row "
                f"per token, got {tuple(array.shape)}."
            )
        return array, ""
    if array.is_floating_point() or array.is_complex():
        return None, f"Return a bool mask or integer token indices, got {array.dtype}."
    if tuple(array.shape) == (tokens, capacity) and tokens != experts:
        return None, (
            f"You return ({tokens}, {capacity}) indices: one row per token. Each "
            "expert chooses: return one row of token indices per expert."
        )
    if tuple(array.shape) != (experts, capacity):
        return None, (
            f"Token indices should have shape (E, capacity) = ({experts}, {capacity}),"
            f" got {tuple(array.shape)}."
        )
    if array.min() < 0 or array.max() >= tokens:
        return None, f"Token indices should lie in 0..{tokens - 1}."
    mask = torch.zeros(tokens, experts, dtype=torch.bool)
    mask[array.long(), torch.arange(experts)[:, None]] = True
    if mask.sum() != experts * capacity:
        return None, "An expert takes the same token twice: take distinct tokens."
    return mask, ""


def _hint(mask: Tensor, logits: Tensor, capacity: int) -> str:
    """The mistake whose mask matches the reader's, if one does."""
    per_expert, per_token = mask.sum(dim=0), mask.sum(dim=1)
    if (per_token == per_token[0]).all() and (per_expert != capacity).any():
        return (
            "It looks like each token picks its experts: here each expert (column) "
            "picks its tokens."
        )
    if (per_expert == capacity + 1).all() or (per_expert == capacity - 1).all():
        more = "more" if per_expert[0] > capacity else "fewer"
        return f"Your experts take one token {more} than the capacity."
    if (per_expert != capacity).any():
        return "Each expert should take exactly capacity tokens."
    probs = logits.double().softmax(dim=-1)
    if torch.equal(mask, _mask(logits.double(), capacity)):
        return (
            "You rank the tokens by their logits, or by a softmax over the tokens: "
            "rank them by the router's probability, a softmax over each token's "
            "experts."
        )
    if torch.equal(mask, _mask(probs, capacity, later_first=True)):
        return "Where two tokens tie, you take the later one: take the earlier."
    return "Work out one expert's column by hand and compare."


def check_expert_choice(expert_choice: Callable[..., Any]) -> CheckResult:
    """Check ``expert_choice(router_logits, capacity)`` for expert-choice routing
    [zhou2022expertchoice].

    ``router_logits`` is a float tensor (T, E), one row per token. Each token's
    probabilities are the softmax of its row; then every expert takes the
    ``capacity`` tokens with the highest probability for it, and between tokens of
    equal probability, the earlier one. Return a bool mask (T, E), True where expert
    e takes token t, or a long tensor (E, capacity) of the tokens each expert takes,
    in any order.
    """
    check_callable("expert_choice", expert_choice)
    for logits, capacity in expert_choice_cases():
        tokens, experts = logits.shape
        got, failure = call_keeping_input(
            expert_choice, "router_logits", logits, capacity
        )
        if failure:
            return report(False, failure)
        mask, failure = _as_mask(got, tokens, experts, capacity)
        if mask is None:
            return report(False, failure)
        expected = expert_choice_routing(logits, capacity)["mask"]
        if not torch.equal(mask, expected):
            where = (
                f"For router_logits of shape ({tokens}, {experts}), capacity={capacity}"
            )
            return report(
                False, f"{where}: wrong tokens. {_hint(mask, logits, capacity)}"
            )
    return report(True, "Correct: every expert takes the right tokens on every case.")
