"""Bad input for llmviz.embeddings.onehot: each bad value of each parameter is refused
with a ValueError or TypeError naming it, and valid calls leave their inputs alone
(tests/bad_input.py)."""

from __future__ import annotations

import pytest
import torch

from llmviz.embeddings.onehot import (
    MAX_ONE_HOT,
    MAX_VOCAB,
    cosine_matrix,
    lookup_by_matmul,
    nearest_rows,
    one_hot,
)
from tests.bad_input import (
    BOTH,
    INT,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)


def table(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


IDS = BOTH(
    TENSOR((1, 2), floating=False),
    VALUES(("negative id", torch.tensor([0, -1])), ("id = vocab_size", torch.tensor([0, 5]))),
)  # fmt: skip
ROWS = BOTH(
    TENSOR((2,)),
    VALUES(("a zero row", torch.tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]))),
)  # fmt: skip

CASES = [
    Case("one_hot", one_hot, lambda: {"ids": torch.tensor([[0, 4, 2]]), "vocab_size": 5},
         {"ids": IDS,
          "vocab_size": BOTH(INT(1, MAX_VOCAB), VALUES(("below an id", 3)))}),
    Case("lookup_by_matmul", lookup_by_matmul,
         lambda: {"ids": torch.tensor([[0, 4], [2, 1]]), "weight": table(5, 3)},
         {"ids": IDS,
          "weight": BOTH(TENSOR((2,)), VALUES(("too few rows", table(3, 3))))}),
    Case("cosine_matrix", cosine_matrix, lambda: {"vectors": table(4, 3)},
         {"vectors": ROWS}),
    Case("nearest_rows", nearest_rows,
         lambda: {"vectors": table(6, 3), "index": 2, "k": 3},
         {"vectors": BOTH(ROWS, VALUES(("one row", table(1, 3)))),
          "index": INT(0, 5), "k": INT(1, 5)}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.embeddings.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)


def test_one_hot_refuses_a_tensor_too_large_to_allocate():
    ids = torch.zeros(MAX_ONE_HOT // MAX_VOCAB + 1, dtype=torch.long)
    with pytest.raises(ValueError, match="vocab_size"):
        one_hot(ids, MAX_VOCAB)
