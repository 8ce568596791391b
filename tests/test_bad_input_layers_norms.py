"""Bad input for the norms of chapter 5 (llmviz.layers.normalization, .batch_norm and
.rmsnorm_variants): each bad value of each parameter is refused with a ValueError or
TypeError naming it, and valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.layers.batch_norm import batch_norm, padding_shift, train_eval_gap
from llmviz.layers.normalization import (
    LayerNorm,
    group_norm,
    instance_norm,
    layer_norm,
    norm_axes,
    standardize,
    statistic_index,
)
from llmviz.layers.rmsnorm_variants import OffsetRMSNorm, cast_order_gap, rms_norm
from llmviz.viz.norm_axes import norm_axes_figure
from tests.bad_input import (
    BOOL,
    BOTH,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)


def rand(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


EPS = REAL(0, 1, open_min=True)
C = 6
AFFINE = TENSOR((1,), mismatch=True, none=True)
X = TENSOR((3,))
SHAPE = BOTH(
    INT(1, 1 << 20),
    VALUES(("empty tuple", ()), ("list of str", ["6"]), ("absurd", (10**9,))),
)
NORMALIZED = BOTH(SHAPE, VALUES(("not the last dimension", (4,)),
                                ("longer than x", (2, 3, 4, C))))  # fmt: skip
LAYER = LayerNorm(C)

CASES = [
    Case("norm_axes", norm_axes, lambda: {"kind": "layer", "layout": "BTC"},
         {"kind": CHOICE("batch"), "layout": CHOICE("BTC")}),
    Case("standardize", standardize,
         lambda: {"x": rand(2, 3, C), "dims": (0, 1), "eps": 1e-5},
         {"x": TENSOR(), "dims": VALUES(("None", None), ("int", 1), ("empty", ()),
                                         ("out of range", (3,)), ("repeated", (1, -2)),
                                         ("float", (1.0,))),
          "eps": EPS}),
    Case("layer_norm", layer_norm,
         lambda: {"x": rand(2, 3, C), "normalized_shape": (C,), "weight": rand(C),
                  "bias": rand(C, seed=1), "eps": 1e-5},
         {"x": BOTH(TENSOR(), VALUES(("wrong hidden size", rand(2, 3, C + 1)))),
          "normalized_shape": NORMALIZED, "weight": AFFINE, "bias": AFFINE,
          "eps": EPS}),
    Case("LayerNorm", LayerNorm, lambda: {"normalized_shape": C, "eps": 1e-5},
         {"normalized_shape": SHAPE, "eps": EPS}),
    Case("LayerNorm.forward", lambda x: LAYER(x), lambda: {"x": rand(2, C)},
         {"x": BOTH(TENSOR(), VALUES(("wrong hidden size", rand(2, C + 1))))}),
    Case("instance_norm", instance_norm,
         lambda: {"x": rand(2, 3, C), "weight": rand(C), "bias": rand(C), "eps": 1e-5},
         {"x": X, "weight": AFFINE, "bias": AFFINE, "eps": EPS}),
    Case("group_norm", group_norm,
         lambda: {"x": rand(2, 3, C), "num_groups": 2, "weight": rand(C),
                  "bias": rand(C), "eps": 1e-5},
         {"x": X, "num_groups": BOTH(INT(1, 1 << 16), VALUES(("not a divisor", 4))),
          "weight": AFFINE, "bias": AFFINE, "eps": EPS}),
    Case("batch_norm", batch_norm,
         lambda: {"x": rand(2, 3, C), "running_mean": torch.zeros(C),
                  "running_var": torch.ones(C), "weight": rand(C), "bias": rand(C),
                  "training": True, "momentum": 0.1, "eps": 1e-5},
         {"x": BOTH(X, VALUES(("one value per unit", rand(1, 1, C)))),
          "running_mean": TENSOR((1,), mismatch=True),
          "running_var": BOTH(TENSOR((1,), mismatch=True),
                              VALUES(("negative", -torch.ones(C)))),
          "weight": AFFINE, "bias": AFFINE, "training": BOOL(),
          "momentum": REAL(0, 1), "eps": EPS}),
    Case("padding_shift", padding_shift,
         lambda: {"x": rand(2, 3, C), "padding": 2, "norm": "batch"},
         {"x": X, "padding": INT(0, 1 << 12), "norm": CHOICE("batch", "layer")}),
    Case("train_eval_gap", train_eval_gap,
         lambda: {"batches": rand(2, 2, 3, C), "momentum": 0.1, "eps": 1e-5},
         {"batches": TENSOR((4,)), "momentum": REAL(0, 1), "eps": EPS}),
    Case("rms_norm", rms_norm,
         lambda: {"x": rand(2, C), "weight": rand(C), "eps": 1e-6, "offset": 1.0,
                  "cast_before_weight": False},
         {"x": BOTH(TENSOR(), VALUES(("0-d", torch.tensor(1.0)),
                                     ("wrong hidden size", rand(2, C + 1)))),
          "weight": TENSOR((1,), mismatch=True), "eps": EPS, "offset": REAL(-10, 10),
          "cast_before_weight": BOOL()}),
    Case("OffsetRMSNorm", OffsetRMSNorm, lambda: {"hidden_size": C, "eps": 1e-6},
         {"hidden_size": INT(1, 1 << 20), "eps": EPS}),
    Case("cast_order_gap", cast_order_gap,
         lambda: {"x": rand(2, C).bfloat16(), "weight": rand(C), "eps": 1e-6},
         {"x": BOTH(TENSOR(), VALUES(("0-d", torch.tensor(1.0)))),
          "weight": TENSOR((1,), mismatch=True), "eps": EPS}),
]  # fmt: skip
CASES.append(
    Case(
        "statistic_index",
        statistic_index,
        lambda: {"shape": (2, 3, 4), "dims": (1, 2), "num_groups": 2},
        {
            "shape": VALUES(
                ("None", None),
                ("list", [2, 3, 4]),
                ("empty", ()),
                ("zero size", (2, 0, 4)),
                ("absurd", (2, 10**6, 4)),
                ("str size", (2, "3", 4)),
                ("5-d", (1, 1, 1, 1, 1)),
            ),
            "dims": VALUES(("None", None), ("out of range", (3,)), ("int", 1)),
            "num_groups": BOTH(INT(1, 1 << 16), VALUES(("not a divisor", 3))),
        },
    ),
)
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.layers.{case.name}"
TOKENS = [list("搜推y"), list("LLM")]
CASES.append(
    Case(
        "llmviz.viz.norm_axes_figure",
        norm_axes_figure,
        lambda: {
            "panels": {"LN": statistic_index((2, 3, 4), (2,))},
            "tokens": TOKENS,
            "title": "t",
            "cols": 2,
        },
        {
            "panels": VALUES(
                ("None", None),
                ("empty", {}),
                ("float", {"LN": rand(2, 3, 4)}),
                ("2-d", {"LN": torch.zeros(3, 4, dtype=torch.long)}),
            ),
            "tokens": VALUES(
                ("None", None),
                ("str", "搜推"),
                ("short", TOKENS[:1]),
                ("ints", [[1, 2, 3], [4, 5, 6]]),
            ),
            "title": VALUES(("None", None), ("empty", " "), ("int", 3)),
            "cols": INT(1, 12),
        },
    ),
)

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
