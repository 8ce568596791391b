"""Bad input for chapter 5's feed-forward layers, activations and their figures
(llmviz.layers.ffn_classic, .ffn_params, .activations, .activation_stats and
llmviz.viz.activations): each bad value of each parameter is refused with a ValueError
or TypeError naming it, and valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch
from torch import nn

from llmviz.layers.activation_stats import (
    dead_fraction,
    dead_unit_run,
    mean_output,
    saturation,
)
from llmviz.layers.activations import activation, derivative
from llmviz.layers.ffn_classic import (
    MAX_HIDDEN,
    ClassicFFN,
    other_tokens_change,
    per_token_change,
)
from llmviz.layers.ffn_params import (
    MAX_SIZE,
    classic_ffn_parameters,
    ffn_share,
    llama_intermediate_size,
    module_ffn_share,
    swiglu_parameters,
)
from llmviz.viz.activations import (
    activation_gallery,
    activation_panel,
    parameter_slider,
)
from tests.bad_input import (
    BOOL,
    BOTH,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)


def x(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


NAME = BOTH(CHOICE("relu"), VALUES(("wrong case", "ReLU")))
ELEMENTWISE = BOTH(NAME, VALUES(("softmax", "softmax")))
ALPHA = REAL(0, 100)
FFN = ClassicFFN(4, 8)
SIZE = INT(1, MAX_SIZE)
ARRAY = VALUES(("None", None), ("str", "abc"), ("2-D", [[0.0, 1.0]]), ("empty", []),
               ("nan", [0.0, float("nan")]), ("dict", {"a": 1}))  # fmt: skip
LLAMA = dict(vocab_size=50, hidden_size=8, intermediate_size=16, num_hidden_layers=2,
             num_attention_heads=2)  # fmt: skip

CASES = [
    Case("activation", activation,
         lambda: {"name": "elu", "x": x(3, 4), "alpha": 1.0},
         {"name": NAME, "x": TENSOR(), "alpha": ALPHA}),
    Case("derivative", derivative,
         lambda: {"name": "silu", "x": x(3, 4), "beta": 1.5},
         {"name": NAME, "x": TENSOR(), "beta": ALPHA}),
    Case("saturation", saturation,
         lambda: {"name": "tanh", "threshold": 1e-3, "scale": 2.0},
         {"name": ELEMENTWISE, "threshold": REAL(0, 1, open_min=True),
          "scale": REAL(0, 1e3, open_min=True)}),
    Case("mean_output", mean_output,
         lambda: {"name": "leaky_relu", "scale": 1.0, "alpha": 0.1},
         {"name": ELEMENTWISE, "scale": REAL(0, 1e3, open_min=True), "alpha": ALPHA}),
    Case("dead_fraction", dead_fraction,
         lambda: {"name": "relu", "pre_activations": x(5, 3), "threshold": 1e-3},
         {"name": ELEMENTWISE, "pre_activations": TENSOR((2,)),
          "threshold": REAL(0, 1, open_min=True)}),
    Case("dead_unit_run", dead_unit_run,
         lambda: {"name": "relu", "learning_rate": 0.4, "steps": 2, "hidden_size": 4,
                  "seed": 0},
         {"name": ELEMENTWISE,
          "learning_rate": REAL(0, 100, open_min=True),
          "steps": INT(1, 10_000), "hidden_size": INT(1, 4096),
          "seed": INT(0, 2**32 - 1)}),
    Case("ClassicFFN", ClassicFFN,
         lambda: {"hidden_size": 4, "intermediate_size": 8, "activation": "gelu"},
         {"hidden_size": INT(1, MAX_HIDDEN), "intermediate_size": INT(1, 1 << 18),
          "activation": ELEMENTWISE}),
    Case("ClassicFFN.forward", lambda hidden_states: FFN(hidden_states),
         lambda: {"hidden_states": x(2, 3, 4)},
         {"hidden_states": BOTH(TENSOR(mismatch=True),
                                VALUES(("0-d", torch.tensor(1.0))))}),
    Case("other_tokens_change", other_tokens_change,
         lambda: {"layer": FFN, "hidden_states": x(1, 3, 4), "position": 1, "seed": 0},
         {"layer": VALUES(("None", None), ("function", torch.relu)),
          "hidden_states": TENSOR((3,)), "position": INT(0, 2),
          "seed": INT(0, 2**32 - 1)}),
    Case("per_token_change", per_token_change,
         lambda: {"layer": FFN, "hidden_states": x(1, 3, 4), "position": 1, "seed": 0},
         {"layer": VALUES(("None", None), ("function", torch.relu)),
          "hidden_states": TENSOR((3,)), "position": INT(0, 2),
          "seed": INT(0, 2**32 - 1)}),
    Case("classic_ffn_parameters", classic_ffn_parameters,
         lambda: {"hidden_size": 8, "intermediate_size": 32, "bias": True},
         {"hidden_size": SIZE, "intermediate_size": SIZE, "bias": BOOL()}),
    Case("swiglu_parameters", swiglu_parameters,
         lambda: {"hidden_size": 8, "intermediate_size": 24},
         {"hidden_size": SIZE, "intermediate_size": SIZE}),
    Case("llama_intermediate_size", llama_intermediate_size,
         lambda: {"hidden_size": 4096, "multiple_of": 256, "ffn_dim_multiplier": 1.3},
         {"hidden_size": SIZE, "multiple_of": SIZE,
          "ffn_dim_multiplier": REAL(0, 16, open_min=True, none=True)}),
    Case("ffn_share", ffn_share, lambda: {"config": dict(LLAMA)},
         {"config": VALUES(("None", None), ("str", "llama"), ("empty", {}),
                           ("zero layers", LLAMA | {"num_hidden_layers": 0}),
                           ("k > E", LLAMA | {"num_local_experts": 2,
                                             "num_experts_per_tok": 3}))}),
    Case("module_ffn_share", module_ffn_share, lambda: {"model": FFN},
         {"model": VALUES(("None", None), ("tensor", x(2)),
                          ("no parameters", nn.ReLU()))}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.layers.{case.name}"

GRID = [-1.0, 0.0, 1.0]
VIZ = [
    Case("activation_panel", activation_panel,
         lambda: {"x": GRID, "values": [0.0, 0.0, 1.0], "slopes": [0.0, 1.0, 1.0],
                  "title": "t"},
         {"x": ARRAY, "values": BOTH(ARRAY, VALUES(("short", [0.0]))),
          "slopes": BOTH(ARRAY, VALUES(("short", [0.0]))), "title": TEXT()}),
    Case("activation_gallery", activation_gallery,
         lambda: {"x": GRID, "curves": {"relu": ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0])},
                  "title": "t", "cols": 2},
         {"x": ARRAY,
          "curves": VALUES(("None", None), ("empty", {}), ("not a pair", {"a": 3}),
                           ("short", {"a": ([0.0], [1.0])}),
                           ("int key", {3: ([0.0] * 3, [1.0] * 3)})),
          "title": TEXT(), "cols": INT(1, 6)}),
    Case("parameter_slider", parameter_slider,
         lambda: {"name": "elu", "x": GRID, "values": [0.5, 1.0], "active": 1,
                  "title": "t"},
         {"name": BOTH(CHOICE("elu"), VALUES(("no parameter", "relu"))), "x": ARRAY,
          "values": VALUES(("None", None), ("empty", []), ("str", "abc"),
                           ("negative", [-1.0, 1.0]), ("nan", [float("nan"), 1.0])),
          "active": INT(0, 1), "title": TEXT()}),
]  # fmt: skip
for case in VIZ:
    case.name = f"llmviz.viz.{case.name}"
CASES += VIZ

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
