"""Chapter 7's checks on mixture of experts accept right answers, written another way
than llmviz's (loops, NumPy, other dtypes, in-place operations on copies), and turn
every wrong one (a usual mistake, a wrong type, NaN, an exception, a hang) into ❌ and
the sentence for it, without giving the answer away."""

from __future__ import annotations

import inspect
import math
from itertools import combinations

import numpy as np
import pytest
import torch

import llmviz.exercises._check as harness
from llmviz.exercises import (
    check_load_balancing_loss,
    check_overflow,
    check_route,
)
from llmviz.exercises.moe import ROUTE_CASES
from llmviz.exercises.moe_balance import (
    LOSS_CASES,
    LOSS_MISTAKES,
    OVERFLOW_CASES,
    OVERFLOW_MISTAKES,
    _dropped,
    _logits,
    _loss,
)
from llmviz.moe.losses import load_balancing_loss
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

# route: token by token, in plain Python


def route(logits, k, smallest=False, dim=-1, renormalise=True, logits_out=False):
    """A right answer, with switches for the usual mistakes."""
    probs = logits.softmax(dim=dim).tolist()
    weights, experts = [], []
    for token, scores in enumerate(logits.tolist()):
        ranked = sorted(range(len(scores)), key=lambda e: probs[token][e])
        chosen = ranked[:k] if smallest else ranked[::-1][:k]
        values = [scores[e] if logits_out else probs[token][e] for e in chosen]
        total = sum(values) if renormalise else 1.0
        weights.append([value / total for value in values])
        experts.append(chosen)
    return torch.tensor(weights), torch.tensor(experts)


def route_softmax_of_chosen(logits, k):
    """Softmax over the k largest logits only: the same as renormalising."""
    top, experts = logits.topk(k, dim=-1)
    return top.softmax(dim=-1), experts


def route_ascending(logits, k):
    """The pairs sorted by expert index, not by weight."""
    weights, experts = route(logits, k)
    experts, order = experts.sort(dim=-1)
    return weights.gather(-1, order), experts


def route_float64(logits, k):
    weights, experts = route(logits.double(), k)
    return weights.double(), experts


def route_numpy(logits, k):
    """NumPy throughout: argsort for the experts, weights as a float64 array."""
    z = logits.numpy().astype(np.float64)
    probs = np.exp(z - z.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    experts = np.argsort(-probs, axis=-1)[:, :k]
    weights = np.take_along_axis(probs, experts, axis=-1)
    return weights / weights.sum(-1, keepdims=True), experts


def route_float16(logits, k):
    """Half precision: the weights come back as float16."""
    weights, experts = torch.softmax(logits.double(), -1).topk(k, dim=-1)
    return (weights / weights.sum(-1, keepdim=True)).half(), experts


def route_in_place(logits, k):
    """In-place operations, on a copy of the input."""
    probs = logits.clone()
    probs.sub_(probs.amax(-1, keepdim=True)).exp_()
    weights, experts = probs.topk(k, dim=-1)
    weights /= weights.sum(-1, keepdim=True)
    return weights, experts


# load_balancing_loss: counting loops


def loss(logits, k, scale=True, slots=None, mean_k=False, raw=False, per_token=True):
    """A right answer, with switches for the usual mistakes."""
    tokens, num_experts = logits.shape
    probs = logits.softmax(dim=-1)
    fractions = [[0.0] * num_experts for _ in range(k)]
    for token in range(tokens):
        ranked = probs[token].argsort(descending=True).tolist()
        for slot in range(slots or k):
            fractions[slot][ranked[slot]] += 1 / tokens if per_token else 1
    mean = (logits if raw else probs).mean(dim=0).tolist()
    total = sum(f[e] * mean[e] for f in fractions for e in range(num_experts))
    return (num_experts if scale else 1) * total / (k if mean_k else 1)


def switch_style_loss(logits, k):
    """f_e counts the tokens that send any of their k choices to e, as Switch does."""
    probs = logits.softmax(dim=-1)
    top = probs.topk(k, dim=-1).indices
    routed = torch.zeros_like(probs).scatter(-1, top, 1.0)  # (T, E), k ones a row
    return probs.shape[-1] * (routed.mean(dim=0) @ probs.mean(dim=0))


def loss_with_summed_probabilities(logits, k):
    return loss(logits, k) * logits.shape[0]


def loss_numpy(logits, k):
    """NumPy throughout, returning a NumPy float64 number."""
    z = logits.numpy().astype(np.float64)
    probs = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    tokens, num_experts = probs.shape
    chosen = np.argsort(-probs, axis=-1)[:, :k]
    counts = np.zeros((k, num_experts))
    for j in range(k):
        np.add.at(counts[j], chosen[:, j], 1)
    return num_experts * np.sum(counts / tokens * probs.mean(0))


def loss_float16(logits, k):
    """The right loss as a 0-d float16 tensor: half precision's rounding is allowed."""
    return torch.tensor(loss(logits, k), dtype=torch.float16)


def softmax_over_tokens(logits, k, choose_on_logits=False):
    """The softmax taken over dim 0, the tokens, instead of over the experts."""
    probs = logits.softmax(dim=0)
    scores = logits if choose_on_logits else probs
    chosen = scores.topk(k, dim=-1).indices
    fraction = torch.nn.functional.one_hot(chosen, logits.shape[1]).float().mean(0)
    return logits.shape[1] * (fraction * probs.mean(0)).sum()


# dropped_tokens


def dropped(experts, num_experts, capacity, last=False, keep=None, together=False):
    """A right answer, with switches for the usual mistakes."""
    order = experts.tolist()
    keep = capacity if keep is None else keep
    served = {}
    out = [False] * len(order)
    for t in reversed(range(len(order))) if last else range(len(order)):
        key = 0 if together else order[t]
        served[key] = served.get(key, 0) + 1
        out[t] = served[key] > keep
    return torch.tensor(out)


def dropped_numpy(experts, num_experts, capacity):
    """A NumPy bool array, counting with a dict of seen tokens."""
    seen = dict.fromkeys(range(num_experts), 0)
    out = np.zeros(len(experts), dtype=bool)
    for t, expert in enumerate(experts.tolist()):
        seen[expert] += 1
        out[t] = seen[expert] > capacity
    return out


def dropped_by_sorting(experts, num_experts, capacity):
    """A stable sort groups each expert's tokens in their order."""
    order = experts.argsort(stable=True)
    counts = torch.bincount(experts, minlength=num_experts)
    starts = counts.cumsum(0) - counts  # where each expert's group begins
    rank = torch.empty_like(experts)
    rank[order] = torch.arange(len(experts)) - starts[experts[order]]
    return rank >= capacity


@pytest.mark.parametrize(
    ("check", "solution"),
    [
        (check_route, route),
        (check_route, route_softmax_of_chosen),
        (check_route, route_ascending),
        (check_route, route_float64),
        (check_route, lambda z, k: [*route(z, k)]),
        (check_load_balancing_loss, loss),
        (check_load_balancing_loss, switch_style_loss),
        (check_load_balancing_loss, lambda z, k: torch.tensor([loss(z, k)])),
        (check_route, route_numpy),
        (check_route, route_float16),
        (check_route, route_in_place),
        (check_route, lambda z, k: (route(z, k)[0].tolist(), route(z, k)[1].tolist())),
        (check_route, lambda z, k: route(z.mul_(1), k)),  # in place, but equal
        (check_load_balancing_loss, loss_numpy),
        (check_load_balancing_loss, loss_float16),
        (check_load_balancing_loss, lambda z, k: np.float32(loss(z, k))),
        (check_load_balancing_loss, lambda z, k: torch.tensor(loss(z, k))),
        (check_load_balancing_loss, lambda z, k: [loss(z, k)]),
        (check_overflow, dropped),
        (check_overflow, dropped_by_sorting),
        (check_overflow, dropped_numpy),
        (check_overflow, lambda e, n, c: dropped(e, n, c).tolist()),
        (check_overflow, lambda e, n, c: dropped(e.clone().add_(0), n, c)),
    ],
)
def test_checks_accept_correct_solutions(check, solution, capsys):
    assert_accepts(check, solution, capsys)


@pytest.mark.parametrize(
    ("check", "wrong", "expected"),
    [
        # route
        (
            check_route,
            lambda z, k: route(z, k, smallest=True),
            "For router_logits of shape (5, 4) and k=2: Wrong experts. It looks like "
            "you keep the experts with the smallest logits",
        ),
        (
            check_route,
            lambda z, k: route(z, k, renormalise=False),
            "Right experts, wrong weights. It looks like your weights are the "
            "probabilities of the softmax over all E experts",
        ),
        (
            check_route,
            lambda z, k: route(z, k, logits_out=True, renormalise=False),
            "your weights are the router's logits",
        ),
        (
            check_route,
            lambda z, k: route(z, k, dim=0),
            "It looks like your softmax runs over the tokens (dim 0)",
        ),
        (
            check_route,
            lambda z, k: route(z, k, dim=0, renormalise=False),
            "your softmax runs over the tokens (dim 0)",
        ),
        (
            check_route,
            lambda z, k: (route(z, k)[0] * 0.9, route(z, k)[1]),
            "Right experts, wrong weights: those of token 1 sum to 0.9000.",
        ),
        (
            check_route,
            lambda z, k: (route(z, k)[0].flip(-1), route(z, k)[1]),
            "Right experts, wrong weights. Work out one token by hand",
        ),
        (
            check_route,
            lambda z, k: (route(z, k)[0], route(z, k)[1].flip(-1)),
            "Right experts, wrong weights",
        ),
        (check_route, lambda z, k: route(z, k)[::-1], "You return (experts, weights)"),
        (
            check_route,
            lambda z, k: route(z, k)[0],
            "route should return two tensors (weights, experts), got Tensor.",
        ),
        (
            check_route,
            lambda z, k: (*route(z, k), None),
            "got tuple of length 3",
        ),
        (
            check_route,
            lambda z, k: (route(z, k)[0], "experts"),
            "route should return two tensors, got (5, 2) and str.",
        ),
        (
            check_route,
            lambda z, k: (route(z, k)[0] * math.nan, route(z, k)[1]),
            "For router_logits of shape (5, 4) and k=2, your weights hold NaN or inf",
        ),
        (
            check_route,
            lambda z, k: (route(z, k)[0] > 0.5, route(z, k)[1]),
            "weights should be real numbers, got dtype torch.bool.",
        ),
        (check_route, lambda z, k: None, "got NoneType."),
        (check_route, lambda z, k: 1 / 0, "Your function raised ZeroDivisionError"),
        (
            check_route,
            lambda z, k: (route(z, k)[0], route(z, k)[1].float()),
            "experts should hold integer indices, got dtype torch.float32",
        ),
        (
            check_route,
            lambda z, k: (z.softmax(-1), route(z, k)[1]),
            "should both have shape (5, 2), got (5, 4) and (5, 2)",
        ),
        (
            check_route,
            lambda z, k: (route(z, k)[0], route(z, k)[1] + 1),
            "experts should lie in 0..3",
        ),
        (check_route, lambda z, k: route(z.add_(1), k), "changed router_logits"),
        (check_route, not_written, "Your turn"),
        # load_balancing_loss
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k, scale=False),
            "For router_logits of shape (10, 4) and k=2 the loss is ",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k, scale=False),
            "misses the factor E",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k, slots=1),
            "you count only each token's first choice",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k, mean_k=True),
            "you average over the k choices",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k, raw=True),
            "P_e averages the raw logits",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k, per_token=False),
            "your loss grows with the number of tokens",
        ),
        (
            check_load_balancing_loss,
            loss_with_summed_probabilities,
            "your loss grows with the number of tokens",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k) + 0.1,
            "Work out a case with 2 tokens and 2 experts by hand",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: torch.full((2,), loss(z, k)),
            "should return one number (a scalar tensor or a float), got (2,)",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: "0.5",
            "load_balancing_loss returned str, not a number.",
        ),
        (
            check_load_balancing_loss,
            lambda *a: float("nan"),
            "load_balancing_loss returned nan, not a finite number.",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: torch.tensor(math.inf),
            "load_balancing_loss returned inf, not a finite number.",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: None,
            "load_balancing_loss returned NoneType, not a number.",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: {"loss": loss(z, k)},
            "load_balancing_loss returned dict, not a number.",
        ),
        (
            check_load_balancing_loss,
            softmax_over_tokens,
            "It looks like your softmax runs over the tokens (dim 0)",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: softmax_over_tokens(z, k, choose_on_logits=True),
            "It looks like your softmax runs over the tokens (dim 0)",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: z.softmax(-1)[k],
            "should return one number (a scalar tensor or a float), got (4,).",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z, k) + z.undefined,
            "Your function raised AttributeError",
        ),
        (
            check_load_balancing_loss,
            lambda z, k: loss(z.sub_(1), k),
            "changed router_logits",
        ),
        (check_load_balancing_loss, not_written, "Your turn"),
        # dropped_tokens
        (
            check_overflow,
            lambda e, n, c: ~dropped(e, n, c),
            "you mark the tokens that are kept",
        ),
        (
            check_overflow,
            lambda e, n, c: dropped(e, n, c, last=True),
            "you drop each expert's first tokens",
        ),
        (
            check_overflow,
            lambda e, n, c: dropped(e, n, c, keep=c - 1),
            "your experts take one token fewer than their capacity",
        ),
        (
            check_overflow,
            lambda e, n, c: dropped(e, n, c, keep=c + 1),
            "your experts take one token more than their capacity",
        ),
        (
            check_overflow,
            lambda e, n, c: dropped(e, n, c, together=True),
            "you count the tokens of all experts together",
        ),
        (
            check_overflow,
            lambda e, n, c: dropped(e, n, c) & (e != 0),
            "capacity=2: wrong tokens. Follow the tokens of one expert by hand",
        ),
        (
            check_overflow,
            lambda e, n, c: dropped(e, n, c).long(),
            "For 13 tokens dropped_tokens should return a bool tensor of shape (13,), "
            "got (13,), dtype torch.int64.",
        ),
        (
            check_overflow,
            lambda e, n, c: dropped(e, n, c).numpy().astype(int),
            "shape (13,), got (13,), dtype torch.int64.",
        ),
        (check_overflow, lambda e, n, c: dropped(e, n, c)[1:], "got (12,), dtype"),
        (check_overflow, lambda e, n, c: None, "shape (13,), got NoneType."),
        (check_overflow, lambda e, n, c: e[99], "Your function raised IndexError"),
        (
            check_overflow,
            lambda e, n, c: dropped(e.copy_(e.flip(0).clone()), n, c),
            "changed expert_of_token",
        ),
        (check_overflow, not_written, "Your turn"),
    ],
)
def test_checks_name_the_mistake(check, wrong, expected, capsys):
    answers = ("softmax(", "topk(", "cumsum(", "one_hot(", ".sum(")
    assert_names_mistake(check, wrong, expected, capsys, answers)


def test_the_first_cases_tell_the_mistakes_apart():
    # A hint is looked for in the first case that fails, usually the first one.
    logits, k = _logits(LOSS_CASES)[0]
    values = [_loss(logits, k, mistake) for mistake in ["", *LOSS_MISTAKES]]
    assert min(abs(a - b) for a, b in combinations(values, 2)) > 1e-2
    tokens, num_experts, capacity = OVERFLOW_CASES[0]
    generator = torch.Generator().manual_seed(0)  # as check_overflow draws them
    experts = torch.randint(num_experts, (tokens,), generator=generator)
    masks = {
        tuple(_dropped(experts, num_experts, capacity, mistake).tolist())
        for mistake in ["", *OVERFLOW_MISTAKES]
    }
    assert len(masks) == 1 + len(OVERFLOW_MISTAKES)


def test_the_cases_cover_what_the_exercises_promise():
    assert ROUTE_CASES[0][2] > 1  # with k = 1 every renormalised weight is 1
    assert any(k == 1 for _, _, k in ROUTE_CASES + LOSS_CASES)
    assert any(k == e for _, e, k in ROUTE_CASES + LOSS_CASES)
    assert any(c * e >= t for t, e, c in OVERFLOW_CASES)  # room enough for some
    assert min(c for _, _, c in OVERFLOW_CASES) == 1


def test_the_mistakes_start_from_the_right_answers():
    for logits, k in _logits(LOSS_CASES):
        expected = load_balancing_loss(logits, logits.shape[-1], k).item()
        assert math.isclose(_loss(logits, k), expected, rel_tol=1e-5)
    for tokens, num_experts, capacity in OVERFLOW_CASES:
        experts = torch.randint(num_experts, (tokens,))
        expected = dropped(experts, num_experts, capacity)
        assert torch.equal(_dropped(experts, num_experts, capacity), expected)


@pytest.mark.parametrize(
    "check", [check_route, check_load_balancing_loss, check_overflow]
)
def test_checks_refuse_what_is_not_a_function(check):
    with pytest.raises(TypeError, match="must be callable"):
        check("not a function")


@pytest.mark.parametrize(
    "check", [check_route, check_load_balancing_loss, check_overflow]
)
def test_a_hang_is_a_failure(check, monkeypatch, capsys):
    monkeypatch.setattr(harness, "TIME_LIMIT", 0.2)
    assert_names_mistake(check, hangs, "took longer than 0.2 s", capsys, ())


@pytest.mark.parametrize(
    "check", [check_route, check_load_balancing_loss, check_overflow]
)
def test_no_working_solution_in_the_docstrings(check):
    """Colab shows the docstring as soon as the reader types the call."""
    doc = inspect.getdoc(check)
    for code in (">>>", "def ", "return ", "import ", " = ", "softmax(", "topk("):
        assert code not in doc, code
