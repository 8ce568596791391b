"""Bad input to the public callables of chapter 6's "why" sections
(``llmviz.positions.sinusoid_checks`` and ``llmviz.positions.temperature``): each bad
value of each parameter raises a clear ``ValueError`` or ``TypeError`` naming it, and a
valid call changes none of its arguments. The harness and the kinds are in
tests/bad_input.py.
"""

from __future__ import annotations

import math

import torch

from llmviz.positions.rope import rope_cos_sin
from llmviz.positions.sinusoid_checks import offset_scores
from llmviz.positions.temperature import rotary_logits, yarn_temperature
from tests.bad_input import (
    BOTH,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)
from tests.test_bad_input_positions import ROTARY, positions_kind

POSITIVE = REAL(0, math.inf, open_min=True)
INDICES = BOTH(
    positions_kind(ranks_bad=[("2-d", torch.zeros(2, 2, dtype=torch.long))]),
    VALUES(
        ("float dtype", torch.tensor([0.5, 1.0])),
        ("absurd", torch.tensor([0, 10**12])),
    ),
)


def _offsets() -> dict:
    return {
        "positions": torch.arange(3),
        "offsets": torch.tensor([-2, 0, 5]),
        "dim": 8,
        "w_q": torch.randn(8, 4),
        "w_k": torch.randn(8, 4),
        "base": 100.0,
    }


def _rotary() -> dict:
    cos, sin = rope_cos_sin(torch.arange(4), 8, attention_factor=1.5)
    q, k = torch.randn(2, 3, 4, 8), torch.randn(2, 1, 4, 8)  # GQA: k has one head
    return {"q": q, "k": k, "cos": cos[None], "sin": sin[None]}


PROJECTION = BOTH(
    TENSOR((2,), mismatch=True, none=True),
    VALUES(("other rows", torch.randn(6, 4))),
)
CASES = [
    Case(
        "llmviz.positions.offset_scores",
        offset_scores,
        _offsets,
        {
            "positions": INDICES,
            "offsets": INDICES,
            "dim": BOTH(INT(2, 2**16), VALUES(("odd", 7))),
            "w_q": PROJECTION,
            "w_k": PROJECTION,
            "base": POSITIVE,
        },
    ),
    Case(
        "llmviz.positions.yarn_temperature",
        yarn_temperature,
        lambda: {"factor": 4.0},
        {"factor": POSITIVE},
    ),
    Case(
        "llmviz.positions.rotary_logits",
        rotary_logits,
        _rotary,
        ROTARY,
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
