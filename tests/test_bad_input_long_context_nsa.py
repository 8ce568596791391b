"""Bad input for NSA's public callables (llmviz.long_context.nsa, nsa_blocks): each bad
value of each parameter is refused with a ``ValueError`` or ``TypeError`` naming it,
and valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.long_context.nsa import nsa_attention
from llmviz.long_context.nsa_blocks import compress_blocks, nsa_select, selection_scores
from tests.bad_input import (
    BOTH,
    INT,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)
from tests.test_bad_input_long_context import SCALE, SIZE, B, D, H, T, qk, qkv, randn

SIZES = {"compress_block": 2, "compress_stride": 1, "select_block": 4}
QK = TENSOR(mismatch=True)
OTHER = VALUES(("1-d", torch.ones(D)), ("batch 3", randn(3, H, T, D)),
               ("other length", randn(B, H, T - 2, D)))  # fmt: skip
Q_K = {"query": BOTH(QK, OTHER), "key": BOTH(QK, OTHER)}
BLOCKS = {
    "compress_block": BOTH(SIZE, VALUES(("more than T", T + 1))),
    "compress_stride": BOTH(INT(1, 2), VALUES(("above the block", 3))),
    "select_block": BOTH(SIZE, VALUES(("not a divisor", 3), ("more than T", 2 * T),
                                      ("below compress_block", 1))),
}  # fmt: skip
GROUP = BOTH(INT(1, 4096), VALUES(("not a divisor of heads", 3)))
GATES = BOTH(
    TENSOR(none=True),
    VALUES(("two gates", torch.ones(2)), ("scalar", torch.tensor(1.0)),
           ("negative", torch.tensor([-0.5, 1, 1])), ("above 1", torch.tensor([2.0, 1, 1])),
           ("wrong length", torch.ones(T + 1, 3))),
)  # fmt: skip

CASES = [
    Case("compress_blocks", compress_blocks,
         lambda: {"x": randn(B, T, D), "compress_block": 4, "compress_stride": 2},
         {"x": BOTH(TENSOR(), VALUES(("1-d", torch.ones(D)))),
          "compress_block": BOTH(SIZE, VALUES(("more than T", T + 1))),
          "compress_stride": BOTH(INT(1, 4), VALUES(("above the block", 5)))}),
    Case("selection_scores", selection_scores, lambda: qk() | SIZES | {"scale": None},
         Q_K | BLOCKS | {"scale": SCALE}),
    Case("nsa_select", nsa_select,
         lambda: qk() | SIZES | {"num_selected": 2, "heads_per_group": 2, "scale": 0.5},
         Q_K | BLOCKS | {"num_selected": SIZE, "heads_per_group": GROUP,
                         "scale": SCALE}),
    Case("nsa_attention", nsa_attention,
         lambda: qkv() | SIZES | {"num_selected": 2, "window": 3,
                                  "gates": torch.full((T, 3), 0.5),
                                  "heads_per_group": 1, "scale": None},
         Q_K | BLOCKS | {"value": BOTH(TENSOR(), VALUES(
                             ("1-d", torch.ones(D)), ("other length", randn(B, H, T + 1, D)))),
                         "num_selected": SIZE,
                         "window": BOTH(SIZE, VALUES(("more than T", T + 1))),
                         "gates": GATES, "heads_per_group": GROUP, "scale": SCALE}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.long_context.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
