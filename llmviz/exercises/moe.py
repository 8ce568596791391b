"""Checks for the exercises of chapter 7, mixture of experts.

Each helper runs the reader's function on seeded random inputs, compares it with
llmviz's own, and names the most likely mistake when they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call_keeping_input, report
from llmviz.moe.capacity import top1_with_capacity
from llmviz.moe.losses import load_balancing_loss as reference_loss
from llmviz.moe.routing import route as reference_route

ROUTE_CASES = [(5, 4, 2), (7, 8, 2), (6, 8, 1), (4, 16, 4), (3, 6, 6)]  # (T, E, k)
LOSS_CASES = [(8, 4, 2), (16, 8, 3), (12, 6, 2), (10, 5, 1), (6, 3, 3)]  # (T, E, k)
OVERFLOW_CASES = [(13, 3, 2), (16, 4, 3), (12, 4, 1), (8, 2, 5), (20, 5, 4)]  # T, E, C


def _shape(value: Any) -> Any:
    return tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__


def _logits(cases: list[tuple[int, int, int]]) -> list[tuple[Tensor, int]]:
    """(router_logits (T, E), k) for each case, seeded, without ties."""
    generator = torch.Generator().manual_seed(0)
    return [(2 * torch.randn(t, e, generator=generator), k) for t, e, k in cases]


def _by_expert(weights: Tensor, experts: Tensor) -> tuple[Tensor, Tensor]:
    """Each token's (weight, expert) pairs sorted by expert: (T, k) float64, long."""
    order = experts.argsort(dim=-1)
    return weights.detach().double().gather(-1, order), experts.long().gather(-1, order)


def _route_failure(got: Any, logits: Tensor, k: int, where: str) -> str | None:
    """What is wrong with the kind or shape of the reader's (weights, experts)."""
    length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
    if not length or len(got) != 2:
        kind = type(got).__name__
        return (
            f"route should return two tensors (weights, experts), got {kind}{length}."
        )
    weights, experts = got
    if not isinstance(weights, Tensor) or not isinstance(experts, Tensor):
        shown = f"{_shape(weights)} and {_shape(experts)}"
        return f"route should return two tensors, got {shown}."
    if experts.is_floating_point():
        if not weights.is_floating_point():
            return (
                "You return (experts, weights): route should return the weights first."
            )
        return f"experts should hold integer indices, got dtype {experts.dtype}."
    tokens, num_experts = logits.shape
    if weights.shape != (tokens, k) or experts.shape != (tokens, k):
        return (
            f"{where}, weights and experts should both have shape ({tokens}, {k}), "
            f"got {tuple(weights.shape)} and {tuple(experts.shape)}."
        )
    if experts.min() < 0 or experts.max() >= num_experts:
        return f"{where}, experts should lie in 0..{num_experts - 1}."
    return None


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


def _route_hint(weights: Tensor, experts: Tensor, logits: Tensor, k: int) -> str:
    """The mistake whose output matches the reader's (sorted by expert), if one does."""
    z = logits.double()
    expected = _by_expert(*reference_route(logits, k))[1]
    if not torch.equal(experts, expected):
        for hint, wrong in EXPERT_MISTAKES:
            if torch.equal(experts, wrong(z, k).sort(dim=-1).values):
                return f"Wrong experts. It looks like {hint}."
        return "Wrong experts. Compare one token's logits with the experts you chose."
    for hint, wrong in WEIGHT_MISTAKES:
        if torch.allclose(weights, wrong(z, expected), atol=1e-5):
            return f"Right experts, wrong weights. It looks like {hint}."
    sums = weights.sum(dim=-1)
    token = int((sums - 1).abs().argmax())
    if abs(sums[token] - 1) > 1e-4:
        total = f"{sums[token]:.4f}"
        return f"Right experts, wrong weights: those of token {token} sum to {total}."
    return "Right experts, wrong weights. Work out one token by hand and compare."


def check_route(route: Callable[[Tensor, int], Any]) -> CheckResult:
    """Check ``route(router_logits, k)``: Mixtral's routing of the T tokens of logits
    (T, E), returning (weights (T, k), experts (T, k)): the k most probable experts of
    each token and their probabilities, renormalised to sum to 1 [jiang2024mixtral].

    The k pairs (weight, expert) of a token may come in any order, as long as each
    weight sits beside its expert. Softmax over the k chosen logits alone is accepted:
    it equals softmax over all E then renormalising, since the partition function
    cancels.

    >>> def route(router_logits, k):
    ...     weights, experts = torch.softmax(router_logits, -1).topk(k, dim=-1)
    ...     return weights / weights.sum(-1, keepdim=True), experts
    >>> assert check_route(route)
    ✅ Correct: ...
    """
    check_callable("route", route)
    for logits, k in _logits(ROUTE_CASES):
        got, failure = call_keeping_input(route, "router_logits", logits, k)
        if failure:
            return report(False, failure)
        where = f"For router_logits of shape {tuple(logits.shape)} and k={k}"
        failure = _route_failure(got, logits, k, where)
        if failure:
            return report(False, failure)
        weights, experts = _by_expert(*got)
        expected_weights, expected_experts = _by_expert(*reference_route(logits, k))
        if not torch.equal(experts, expected_experts) or not torch.allclose(
            weights, expected_weights, atol=1e-5
        ):
            hint = _route_hint(weights, experts, logits, k)
            return report(False, f"{where}: {hint}")
    return report(True, "Correct: your routing equals Mixtral's on every case.")


def _loss(logits: Tensor, k: int, mistake: str = "") -> float:
    """Mixtral's loss in float64, or what one of ``LOSS_MISTAKES`` makes of it."""
    tokens, num_experts = logits.shape
    probs = logits.double().softmax(dim=-1)  # (T, E)
    chosen = torch.topk(probs, k, dim=-1).indices[:, : 1 if mistake == "top1" else k]
    counts = F.one_hot(chosen, num_experts).double().sum(dim=0)  # (k, E)
    fraction = counts if mistake == "counts" else counts / tokens
    mean = logits.double().mean(0) if mistake == "logits" else probs.mean(0)
    loss = (fraction * mean).sum()
    loss = loss * (1 if mistake == "no_e" else num_experts)
    return float(loss / k if mistake == "mean_k" else loss)


LOSS_MISTAKES = {
    "no_e": "your loss misses the factor E, the number of experts, in front of the sum",
    "top1": "you count only each token's first choice: each of its k choices counts",
    "mean_k": "you average over the k choices: the loss sums them",
    "logits": "P_e averages the raw logits: it is the mean router probability",
    "counts": "your loss grows with the number of tokens: f_{k,e} is a fraction of "
    "the T tokens, and P_e a mean over them",
}


def _loss_hint(value: float, logits: Tensor, k: int) -> str:
    """The mistake whose loss matches the reader's, if one does."""
    for mistake, hint in LOSS_MISTAKES.items():
        if abs(value - _loss(logits, k, mistake)) <= 1e-4 * (1 + abs(value)):
            return f"It looks like {hint}."
    return "Work out a case with 2 tokens and 2 experts by hand and compare."


def check_load_balancing_loss(load_balancing_loss: Callable[..., Any]) -> CheckResult:
    """Check ``load_balancing_loss(router_logits, k)``: Mixtral's auxiliary loss
    E · Σ_{k,e} f_{k,e} · P_e for one layer's logits (T, E) [fedus2022switch], a scalar
    tensor or a float.

    >>> def load_balancing_loss(router_logits, k):
    ...     probs = router_logits.softmax(-1)  # (T, E)
    ...     chosen = F.one_hot(probs.topk(k).indices, probs.shape[-1])  # (T, k, E)
    ...     return probs.shape[-1] * (chosen.float().mean(0) * probs.mean(0)).sum()
    >>> assert check_load_balancing_loss(load_balancing_loss)
    ✅ Correct: ...
    """
    check_callable("load_balancing_loss", load_balancing_loss)
    for logits, k in _logits(LOSS_CASES):
        fn = load_balancing_loss
        got, failure = call_keeping_input(fn, "router_logits", logits, k)
        if failure:
            return report(False, failure)
        try:
            value = torch.as_tensor(
                got.detach() if isinstance(got, Tensor) else got, dtype=torch.float64
            )
        except (TypeError, ValueError, RuntimeError):
            value = None
        if value is None or value.numel() != 1:
            shown = tuple(value.shape) if value is not None else _shape(got)
            return report(
                False,
                "load_balancing_loss should return one number (a scalar tensor or a "
                f"float), got {shown}.",
            )
        value, tokens, num_experts = value.item(), *logits.shape
        expected = reference_loss(logits, num_experts, k).item()
        if abs(value - expected) > 1e-4 * (1 + abs(expected)):
            return report(
                False,
                f"For router_logits of shape ({tokens}, {num_experts}) and k={k} the "
                f"loss is {expected:.4f}, you gave {value:.4f}. "
                + _loss_hint(value, logits, k),
            )
    return report(True, "Correct: your loss equals Mixtral's on every case.")


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
    """Check ``dropped_tokens(expert_of_token, num_experts, capacity)``: a bool mask
    (T,) of the tokens that overflow their expert, for one group of T tokens served
    first come, first served, each expert taking at most ``capacity`` [fedus2022switch].

    >>> def dropped_tokens(expert_of_token, num_experts, capacity):
    ...     seen, dropped = [0] * num_experts, []
    ...     for expert in expert_of_token.tolist():
    ...         seen[expert] += 1
    ...         dropped.append(seen[expert] > capacity)
    ...     return torch.tensor(dropped)
    >>> assert check_overflow(dropped_tokens)
    ✅ Correct: ...
    """
    check_callable("dropped_tokens", dropped_tokens)
    generator = torch.Generator().manual_seed(0)
    for tokens, num_experts, capacity in OVERFLOW_CASES:
        experts = torch.randint(num_experts, (tokens,), generator=generator)
        args = (experts, num_experts, capacity)
        got, failure = call_keeping_input(dropped_tokens, "expert_of_token", *args)
        if failure:
            return report(False, failure)
        if _shape(got) != (tokens,) or got.dtype != torch.bool:
            kind = f", dtype {got.dtype}" if isinstance(got, Tensor) else ""
            return report(
                False,
                f"For {tokens} tokens dropped_tokens should return a bool tensor of "
                f"shape ({tokens},), got {_shape(got)}{kind}.",
            )
        logits = F.one_hot(experts, num_experts).float()[None]  # (1, T, E)
        expected = top1_with_capacity(logits, capacity)["dropped"][0]
        if not torch.equal(got, expected):
            where = f"expert_of_token={experts.tolist()}, num_experts={num_experts}"
            hint = _overflow_hint(got, experts, num_experts, capacity)
            return report(
                False, f"For {where}, capacity={capacity}: wrong tokens. {hint}"
            )
    return report(True, "Correct: your mask equals Switch's dropping on every case.")
