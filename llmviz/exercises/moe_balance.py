"""Checks for chapter 7's exercises on keeping experts balanced: Mixtral's
load-balancing loss and the Switch Transformer's capacity (``check_route`` is in
``moe``), and the helpers the chapter's checks share.

Whatever the reader's function does (any return type or dtype, NaN, an exception, a
hang) becomes ✅ or ❌ and one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.exercises._check import (
    CheckResult,
    call_keeping_input,
    number_result,
    report,
)
from llmviz.moe.capacity import top1_with_capacity
from llmviz.moe.losses import load_balancing_loss as reference_loss

LOSS_CASES = [(10, 4, 2), (16, 8, 3), (12, 6, 2), (10, 5, 1), (6, 3, 3)]  # (T, E, k)
OVERFLOW_CASES = [(13, 3, 2), (16, 4, 3), (12, 4, 1), (8, 2, 5), (20, 5, 4)]  # T, E, C


def _shape(value: Any) -> Any:
    return tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__


def _logits(cases: list[tuple[int, int, int]]) -> list[tuple[Tensor, int]]:
    """(router_logits (T, E), k) for each case, seeded, without ties."""
    generator = torch.Generator().manual_seed(0)
    return [(2 * torch.randn(t, e, generator=generator), k) for t, e, k in cases]


def _array(value: Any) -> Tensor | None:
    """The reader's value as a tensor of its own dtype (a tensor, a NumPy array or
    number, or a nested list of numbers), or None if it is none of those."""
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        try:
            return torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError, RuntimeError):
            return None
    return None


def _tolerance(dtype: torch.dtype, base: float) -> float:
    """``base``, or four rounding steps of a (b)float16 answer, which are coarser."""
    return max(base, 4 * torch.finfo(dtype).eps) if dtype.is_floating_point else base


# --- load_balancing_loss -----------------------------------------------------------


def _loss(logits: Tensor, k: int, mistake: str = "") -> float:
    """Mixtral's loss in float64, or what one of ``LOSS_MISTAKES`` makes of it."""
    tokens, num_experts = logits.shape
    probs = logits.double().softmax(dim=0 if mistake == "dim0" else -1)  # (T, E)
    chosen = torch.topk(probs, k, dim=-1).indices[:, : 1 if mistake == "top1" else k]
    counts = F.one_hot(chosen, num_experts).double().sum(dim=0)  # (k, E)
    fraction = counts if mistake == "counts" else counts / tokens
    mean = logits.double().mean(0) if mistake == "logits" else probs.mean(0)
    loss = (fraction * mean).sum()
    loss = loss * (1 if mistake == "no_e" else num_experts)
    return float(loss / k if mistake == "mean_k" else loss)


LOSS_MISTAKES = {
    "dim0": "your softmax runs over the tokens (dim 0): each token's probabilities "
    "are taken over the experts",
    "no_e": "your loss misses the factor E, the number of experts, in front of the sum",
    "top1": "you count only each token's first choice: each of its k choices counts",
    "mean_k": "you average over the k choices: the loss sums them",
    "logits": "P_e averages the raw logits: it is the mean router probability",
    "counts": "your loss grows with the number of tokens: f_{k,e} is a fraction of "
    "the T tokens, and P_e a mean over them",
}


def _loss_hint(value: float, logits: Tensor, k: int, tolerance: float) -> str:
    """The mistake whose loss matches the reader's, if one does."""
    for mistake, hint in LOSS_MISTAKES.items():
        if abs(value - _loss(logits, k, mistake)) <= tolerance * (1 + abs(value)):
            return f"It looks like {hint}."
    return "Work out a case with 2 tokens and 2 experts by hand and compare."


def _loss_value(got: Any) -> tuple[tuple[float, float] | None, str | None]:
    """(the reader's loss, its tolerance), or the sentence that says why it is not
    one finite number."""
    array = _array(got)
    if array is not None and array.numel() != 1:
        return None, (
            "load_balancing_loss should return one number (a scalar tensor or a "
            f"float), got {tuple(array.shape)}."
        )
    if isinstance(got, (list, tuple)):
        got = array  # a list holding one number
    value, failure = number_result(got, name="load_balancing_loss")
    if failure:
        return None, failure
    dtype = array.dtype if array is not None else torch.float64
    return (value, _tolerance(dtype, 1e-4)), None


def check_load_balancing_loss(load_balancing_loss: Callable[..., Any]) -> CheckResult:
    """Check ``load_balancing_loss(router_logits, k)``: Mixtral's auxiliary loss
    E · Σ_{k,e} f_{k,e} · P_e for one layer's logits (T, E) [fedus2022switch].

    f_{k,e} is the fraction of the T tokens whose k-th choice is expert e, P_e the
    router's probability of e averaged over the tokens. The loss is one number: a
    float, a NumPy number or a one-element tensor, in any float dtype.
    """
    check_callable("load_balancing_loss", load_balancing_loss)
    for logits, k in _logits(LOSS_CASES):
        fn = load_balancing_loss
        got, failure = call_keeping_input(fn, "router_logits", logits, k)
        if failure:
            return report(False, failure)
        result, failure = _loss_value(got)
        if failure:
            return report(False, failure)
        (value, tolerance), (tokens, num_experts) = result, logits.shape
        expected = reference_loss(logits, num_experts, k).item()
        if abs(value - expected) > tolerance * (1 + abs(expected)):
            return report(
                False,
                f"For router_logits of shape ({tokens}, {num_experts}) and k={k} the "
                f"loss is {expected:.4f}, you gave {value:.4f}. "
                + _loss_hint(value, logits, k, tolerance),
            )
    return report(True, "Correct: your loss equals Mixtral's on every case.")


# --- dropped_tokens ----------------------------------------------------------------


def _dropped(
    experts: Tensor, num_experts: int, capacity: int, mistake: str = ""
) -> Tensor:
    """The tokens dropped, or what one of ``OVERFLOW_MISTAKES`` drops: (T,) bool."""
    one_hot = F.one_hot(experts, num_experts)  # (T, E)
    position = (one_hot.cumsum(dim=0) * one_hot).sum(dim=-1)  # t-th token of its expert
    total = one_hot.sum(dim=0)[experts]  # how many tokens its expert receives
    return {
        "": position > capacity,
        "kept": position <= capacity,
        "first": position <= total - capacity,
        "too_few": position >= capacity,
        "too_many": position > capacity + 1,
        "all_tokens": torch.arange(1, len(experts) + 1) > capacity,
    }[mistake]


OVERFLOW_MISTAKES = {
    "kept": "you mark the tokens that are kept: True should mark those dropped",
    "first": "you drop each expert's first tokens: the tokens that come first are "
    "served first",
    "too_few": "your experts take one token fewer than their capacity",
    "too_many": "your experts take one token more than their capacity",
    "all_tokens": "you count the tokens of all experts together: each expert has "
    "its own capacity",
}


def _overflow_hint(
    dropped: Tensor, experts: Tensor, num_experts: int, capacity: int
) -> str:
    """The mistake whose mask matches the reader's, if one does."""
    for mistake, hint in OVERFLOW_MISTAKES.items():
        if torch.equal(dropped, _dropped(experts, num_experts, capacity, mistake)):
            return f"It looks like {hint}."
    return "Follow the tokens of one expert by hand and compare."


def check_overflow(dropped_tokens: Callable[..., Any]) -> CheckResult:
    """Check ``dropped_tokens(expert_of_token, num_experts, capacity)`` for the
    Switch Transformer's capacity [fedus2022switch].

    ``expert_of_token`` is a long tensor (T,): the expert of each token of one group,
    in sequence order. Each expert serves its tokens first come, first served, and
    takes at most ``capacity`` of them. ``dropped_tokens`` returns a bool mask (T,),
    True for the tokens that overflow (a tensor, a NumPy array or a list of bools).
    """
    check_callable("dropped_tokens", dropped_tokens)
    generator = torch.Generator().manual_seed(0)
    for tokens, num_experts, capacity in OVERFLOW_CASES:
        experts = torch.randint(num_experts, (tokens,), generator=generator)
        args = (experts, num_experts, capacity)
        got, failure = call_keeping_input(dropped_tokens, "expert_of_token", *args)
        if failure:
            return report(False, failure)
        mask = _array(got)
        if mask is None or tuple(mask.shape) != (tokens,) or mask.dtype != torch.bool:
            shown = _shape(got) if mask is None else tuple(mask.shape)
            kind = "" if mask is None else f", dtype {mask.dtype}"
            return report(
                False,
                f"For {tokens} tokens dropped_tokens should return a bool tensor of "
                f"shape ({tokens},), got {shown}{kind}.",
            )
        expected = top1_with_capacity(
            F.one_hot(experts, num_experts).float()[None],
            capacity,  # (1, T, E)
        )["dropped"][0]
        if not torch.equal(mask, expected):
            where = f"expert_of_token={experts.tolist()}, num_experts={num_experts}"
            hint = _overflow_hint(mask, experts, num_experts, capacity)
            return report(
                False, f"For {where}, capacity={capacity}: wrong tokens. {hint}"
            )
    return report(True, "Correct: your mask equals Switch's dropping on every case.")
