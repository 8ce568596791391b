"""Bad input for chapter 3's perplexity (llmviz.attention.perplexity): each bad value
of each parameter is refused with a ValueError or TypeError naming it, and a valid call
leaves its inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.attention.perplexity import perplexity
from tests.bad_input import (
    BOTH,
    INT,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)


def logits() -> torch.Tensor:
    return torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))


TARGETS = BOTH(
    TENSOR((2,), floating=False, mismatch=True),
    VALUES(("above the vocabulary", torch.tensor([[0, 1, 5], [2, 3, 4]])),
           ("negative id", torch.tensor([[0, -1, 2], [2, 3, 4]])),
           ("all ignored", torch.full((2, 3), -100)),
           ("bool", torch.ones(2, 3, dtype=torch.bool))),
)  # fmt: skip

CASES = [
    Case("llmviz.attention.perplexity", perplexity,
         lambda: {"logits": logits(), "targets": torch.tensor([[0, 1, 4], [2, 3, -100]]),
                  "ignore_index": -100},
         {"logits": BOTH(TENSOR(), VALUES(("one dimension", torch.zeros(5)))),
          "targets": TARGETS, "ignore_index": INT(minimum=None)}),
]  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
