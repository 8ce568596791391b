"""Bad input for chapter 7's overflow policies (llmviz.moe.overflow): each bad value of
each parameter is refused with a ValueError or TypeError naming it, and valid calls
leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.moe.overflow import moe_with_residual, route_overflow
from tests.bad_input import (
    BOTH,
    CHOICE,
    INT,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

G, S, E, D = 2, 6, 3, 4  # groups, tokens per group, experts, hidden size


def draw(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def experts() -> torch.nn.ModuleList:
    torch.manual_seed(0)
    return torch.nn.ModuleList(torch.nn.Linear(D, D) for _ in range(E))


EXPERTS = VALUES(
    ("None", None),
    ("int", 3),
    ("str", "abc"),
    ("one callable", torch.nn.Linear(D, D)),
    ("too few", [torch.nn.Linear(D, D)] * (E - 1)),
    ("too many", [torch.nn.Linear(D, D)] * (E + 1)),
    ("not callable", [1, 2, 3]),
)

CASES = [
    Case(
        "llmviz.moe.route_overflow",
        route_overflow,
        lambda: {"router_logits": draw(G, S, E), "capacity": 2, "policy": "reroute"},
        {"router_logits": TENSOR((3,)), "capacity": INT(1), "policy": CHOICE("drop")},
    ),
    Case(
        "llmviz.moe.moe_with_residual",
        moe_with_residual,
        lambda: {
            "x": draw(G, S, D),
            "router_logits": draw(G, S, E),
            "experts": experts(),
            "capacity": 2,
            "policy": "drop",
        },
        {
            "x": BOTH(TENSOR((3,)), VALUES(("other S", draw(G, S + 1, D)))),
            "router_logits": BOTH(
                TENSOR((3,), mismatch=True), VALUES(("other G", draw(G + 1, S, E)))
            ),
            "experts": EXPERTS,
            "capacity": INT(1),
            "policy": CHOICE("drop"),
        },
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
