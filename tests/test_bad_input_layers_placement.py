"""Bad input for chapter 5's residual placements, DeepNorm, the decoder block, the
depth experiment and its figures (llmviz.layers.placement, .deepnorm, .block,
.depth_experiment, llmviz.viz.depth) and the Pre-Norm block's check: each bad value
of each parameter is refused with a ValueError or TypeError naming it, and valid
calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch
from torch import nn

from llmviz.exercises.layers_block import check_pre_norm_block
from llmviz.layers.block import DecoderBlock
from llmviz.layers.deepnorm import deepnorm_constants, deepnorm_init_
from llmviz.layers.depth_analysis import (
    compare_losses,
    final_losses,
    gradient_grid,
    last_to_first_gradient,
    loss_curve,
    state_changes,
)
from llmviz.layers.depth_experiment import DepthModel, byte_ids, load_log, train_run
from llmviz.layers.placement import (
    ResidualBlock,
    apply_placement,
    residual_stack_gradients,
)
from llmviz.layers.update_size import update_size
from llmviz.viz.depth import (
    gradient_heatmaps,
    layer_profile,
    loss_curves,
    seeds_over_depth,
)
from tests.bad_input import (
    BOOL,
    BOTH,
    CALLABLE,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

MODULE = VALUES(("None", None), ("int", 3), ("str", "linear"))
X = BOTH(TENSOR(), VALUES(("wrong width", torch.zeros(2, 3, 5))))


def x() -> torch.Tensor:
    return torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))


BLOCK = ResidualBlock(nn.Linear(4, 4), 4, "sandwich")
DECODER = DecoderBlock(8, 2, 16)

CASES = [
    Case("apply_placement", apply_placement,
         lambda: {"x": x(), "sublayer": nn.Linear(4, 4), "norm": nn.LayerNorm(4),
                  "placement": "sandwich", "alpha": 2.0, "out_norm": nn.LayerNorm(4)},
         {"x": TENSOR(), "sublayer": CALLABLE(), "norm": CALLABLE(),
          "placement": CHOICE("pre"), "alpha": REAL(0, 1e6, open_min=True),
          "out_norm": CALLABLE()}),
    Case("ResidualBlock", ResidualBlock,
         lambda: {"sublayer": nn.Linear(4, 4), "hidden_size": 4, "placement": "post",
                  "alpha": 1.0, "eps": 1e-5},
         {"sublayer": MODULE, "hidden_size": INT(1, 1 << 16), "placement": CHOICE("pre"),
          "alpha": REAL(0, 1e6, open_min=True), "eps": REAL(0, 1, open_min=True)}),
    Case("ResidualBlock.forward", lambda x: BLOCK(x), lambda: {"x": x()}, {"x": X}),
    Case("residual_stack_gradients", residual_stack_gradients,
         lambda: {"num_layers": 3, "hidden_size": 4, "residual": True, "init_std": 0.5,
                  "steps": 1, "seed": 0},
         {"num_layers": INT(1, 256), "hidden_size": INT(1, 1024), "residual": BOOL(),
          "init_std": REAL(0, 100, open_min=True), "steps": INT(0, 1000),
          "seed": INT(0, 2**32 - 1)}),
    Case("deepnorm_constants", deepnorm_constants,
         lambda: {"encoder_layers": 6, "decoder_layers": 6},
         {"encoder_layers": INT(0, 100_000), "decoder_layers": INT(0, 100_000)}),
    Case("deepnorm_init_", deepnorm_init_,
         lambda: {"module": nn.Linear(2, 2), "beta": 0.5},
         {"module": MODULE, "beta": REAL(0, 1e3, open_min=True)}),
    Case("DecoderBlock", DecoderBlock,
         lambda: {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16,
                  "num_key_value_heads": 1, "rms_norm_eps": 1e-5},
         {"hidden_size": INT(1, 1 << 16), "num_attention_heads": INT(1, 8),
          "intermediate_size": INT(1, 1 << 18), "num_key_value_heads": INT(1, 2, none=True),
          "rms_norm_eps": REAL(0, 1, open_min=True)}),
    Case("DecoderBlock.forward", lambda x: DECODER(x),
         lambda: {"x": torch.randn(1, 3, 8)},
         {"x": BOTH(TENSOR((3,)), VALUES(("wrong width", torch.zeros(1, 3, 5))))}),
    Case("train_run", train_run,
         lambda: {"variant": "pre", "seed": 0, "steps": 1, "num_layers": 1,
                  "hidden_size": 8, "lr": 1e-3, "log_every": 1},
         {"variant": CHOICE("pre"), "seed": INT(0, 2**31 - 1), "steps": INT(1, 100_000),
          "num_layers": INT(1, 256),
          "hidden_size": BOTH(INT(4, 1024), VALUES(("not a multiple of 4", 6))),
          "lr": REAL(0, 1, open_min=True), "log_every": INT(1, 100_000)}),
    Case("load_log", load_log, lambda: {"path": None},
         {"path": VALUES(("int", 3), ("missing", "/nonexistent/log.json"))}),
    Case("check_pre_norm_block", check_pre_norm_block,
         lambda: {"pre_norm_block": lambda x, n, s: x + s(n(x))},
         {"pre_norm_block": CALLABLE()}),
]  # fmt: skip


def tiny_log() -> dict:
    run = {
        "loss": [3.0, 2.0, 1.0],
        "logged_steps": [0, 2],
        "val_loss": 1.0,
        "grad_norms": [[1.0, 2.0], [0.5, 1.0]],
        "state_changes": [[0.1, 0.2]] * 2,
    }
    return {"runs": {"pre": {"0": run, "1": run}}}


LOG = VALUES(("None", None), ("list", [1]), ("no runs", {"settings": {}}))
GRID = {"step": [0, 10], "grad": [[1.0, 0.5], [2.0, 1.0]]}
CURVE = {"step": [0, 1], "mean": [2.0, 1.0], "low": [1.9, 0.9], "high": [2.1, 1.1]}
DATA = VALUES(
    ("None", None),
    ("empty", {}),
    ("list", [1.0]),
    (
        "nan",
        {
            "a": {
                "step": [0.0],
                "grad": [[float("nan")]],
                "mean": [float("nan")],
                "low": [0.0],
                "high": [0.0],
            }
        },
    ),
)
CASES += [
    Case(
        "loss_curve",
        loss_curve,
        lambda: {"log": tiny_log(), "variant": "pre", "window": 2},
        {"log": LOG, "variant": CHOICE("pre"), "window": INT(1, 10_000)},
    ),
    Case(
        "gradient_grid",
        gradient_grid,
        lambda: {"log": tiny_log(), "variant": "pre", "seed": 1},
        {"log": LOG, "variant": CHOICE("pre"), "seed": INT(0, 1)},
    ),
    Case(
        "last_to_first_gradient",
        last_to_first_gradient,
        lambda: {"log": tiny_log(), "variant": "pre", "row": 0},
        {"log": LOG, "variant": CHOICE("pre"), "row": INT(-2, 1)},
    ),
    Case(
        "state_changes",
        state_changes,
        lambda: {"log": tiny_log(), "variant": "pre", "row": -1},
        {"log": LOG, "variant": CHOICE("pre"), "row": INT(-2, 1)},
    ),
    Case("final_losses", final_losses, lambda: {"log": tiny_log()}, {"log": LOG}),
    Case(
        "compare_losses",
        compare_losses,
        lambda: {"a": [1.0, 2.0], "b": [3.0]},
        {"a": VALUES(("None", None), ("empty", [])), "b": VALUES(("float", 1.0))},
    ),
    Case(
        "viz.gradient_heatmaps",
        gradient_heatmaps,
        lambda: {"grids": {"pre": GRID}, "title": "t", "cols": 2},
        {
            "grids": DATA,
            "title": VALUES(("None", None), ("int", 3)),
            "cols": INT(1, 12),
        },
    ),
    Case(
        "viz.loss_curves",
        loss_curves,
        lambda: {"curves": {"pre": CURVE}, "title": "t", "log_y": False},
        {"curves": DATA, "title": VALUES(("None", None)), "log_y": BOOL()},
    ),
    Case(
        "viz.layer_profile",
        layer_profile,
        lambda: {
            "profiles": {"a": [1.0, 2.0]},
            "title": "t",
            "y_title": "y",
            "log_y": True,
        },
        {
            "profiles": VALUES(
                ("None", None), ("empty", {}), ("nan", {"a": [float("nan")]})
            ),
            "title": VALUES(("None", None)),
            "y_title": VALUES(("int", 1)),
            "log_y": BOOL(),
        },
    ),
]
CASES += [
    Case("DepthModel", DepthModel,
         lambda: {"placement": "deepnorm", "num_layers": 2, "hidden_size": 8},
         {"placement": CHOICE("pre"), "num_layers": INT(1, 256),
          "hidden_size": BOTH(INT(4, 1024), VALUES(("not a multiple of 4", 6)))}),
    Case("byte_ids", byte_ids, dict, {}),
    Case("viz.seeds_over_depth", seeds_over_depth,
         lambda: {"depths": [2, 4], "values": {"a": [[1.0, 2.0]]}, "title": "t",
                  "y_title": "y"},
         {"depths": VALUES(("None", None), ("2-d", [[2, 4]]), ("nan", [2, float("nan")])),
          "values": VALUES(("None", None), ("empty", {}), ("1-d", {"a": [1.0, 2.0]}),
                           ("wrong width", {"a": [[1.0]]})),
          "title": VALUES(("None", None)), "y_title": VALUES(("int", 1))}),
    Case("update_size", update_size,
         lambda: {"placement": "post", "num_layers": 1, "hidden_size": 8, "lr": 1e-3,
                  "seed": 0},
         {"placement": CHOICE("pre"), "num_layers": INT(1, 128),
          "hidden_size": BOTH(INT(4, 256), VALUES(("not a multiple of 4", 6))),
          "lr": REAL(0, 1, open_min=True), "seed": INT(0, 2**31 - 1)}),
    Case("DecoderBlock.trace", lambda x, position_embeddings: DECODER.trace(x, position_embeddings),
         lambda: {"x": torch.randn(1, 3, 8), "position_embeddings": None},
         {"x": BOTH(TENSOR((3,)), VALUES(("wrong width", torch.zeros(1, 3, 5)))),
          "position_embeddings": VALUES(("str", "rope"), ("wrong length",
                                        (torch.ones(1, 2, 4), torch.zeros(1, 2, 4))))}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    if case.name.startswith("viz."):
        case.name = f"llmviz.{case.name}"
    else:
        package = "exercises" if case.name.startswith("check_") else "layers"
        case.name = f"llmviz.{package}.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
