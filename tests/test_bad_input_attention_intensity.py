"""Bad input for chapter 3's arithmetic intensity and roofline (llmviz.attention's
intensity and roofline functions, and the roofline figure): each bad value of each
parameter is refused with a ValueError or TypeError naming it, and a valid call leaves
its inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.attention import (
    attainable,
    attention_core,
    attention_cost,
    intensity_table,
    layer_shape,
    memory_bandwidth,
    peak_flops,
    time_layers,
)
from llmviz.viz.roofline import roofline_figure, roofline_title
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

POSITIVE = REAL(0, open_min=True)
SMALL = {"GQA": {"heads": 4, "kv_heads": 2, "k_dim": 8, "v_dim": 8}}
LAYERS = VALUES(
    ("None", None), ("empty", {}), ("list", [SMALL["GQA"]]),
    ("not a dict", {"GQA": 3}), ("missing key", {"GQA": {"heads": 4}}),
    ("unknown key", {"GQA": {**SMALL["GQA"], "seq_len": 3}}),
    ("zero heads", {"GQA": {**SMALL["GQA"], "heads": 0}}),
    ("kv heads not dividing", {"GQA": {**SMALL["GQA"], "kv_heads": 3}}),
    ("shared values wider than keys",
     {"GQA": {**SMALL["GQA"], "v_dim": 9, "shared_kv": True}}),
)  # fmt: skip
DEVICE = VALUES(("None", None), ("unknown", "bogus"), ("int", 3))
DTYPE = VALUES(("None", None), ("str", "float32"), ("integer", torch.int64))
ROWS = VALUES(
    ("None", None), ("empty", []), ("str", "rows"), ("missing key", [{"layer": "x"}]),
    ("unknown phase", [{"layer": "x", "phase": "train", "intensity": 1, "achieved": 1}]),
    ("zero intensity", [{"layer": "x", "phase": "decode", "intensity": 0, "achieved": 1}]),
    ("nan achieved",
     [{"layer": "x", "phase": "decode", "intensity": 1, "achieved": float("nan")}]),
)  # fmt: skip


def qkv() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    shapes = {"q": (1, 4, 3, 8), "k": (1, 2, 5, 8), "v": (1, 2, 5, 6)}
    return {
        name: torch.randn(shape, generator=generator) for name, shape in shapes.items()
    }


def rows() -> list[dict]:
    return [{"layer": "MHA", "phase": "decode", "intensity": 1.0, "achieved": 1e9},
            {"layer": "MHA", "phase": "prefill", "intensity": 64.0, "achieved": 5e9}]  # fmt: skip


CASES = [
    Case("llmviz.attention.attention_cost", attention_cost,
         lambda: {"heads": 8, "kv_heads": 2, "k_dim": 16, "v_dim": 8, "seq_len": 10,
                  "phase": "decode", "bytes_per_value": 2, "shared_kv": True},
         {"heads": INT(maximum=1 << 24), "kv_heads": INT(maximum=8),
          "k_dim": INT(maximum=1 << 24), "v_dim": INT(maximum=16),
          "seq_len": INT(maximum=1 << 24), "phase": CHOICE("prefill", "decode"),
          "bytes_per_value": INT(maximum=8), "shared_kv": BOOL()}),
    Case("llmviz.attention.layer_shape", layer_shape,
         lambda: {"config": {"num_hidden_layers": 2, "num_attention_heads": 8,
                             "num_key_value_heads": 2, "hidden_size": 64}},
         {"config": VALUES(("None", None), ("str", "llama"), ("empty", {}),
                           ("zero heads", {"num_hidden_layers": 2, "num_attention_heads": 0,
                                           "hidden_size": 64}))}),
    Case("llmviz.attention.intensity_table", intensity_table,
         lambda: {"layers": SMALL, "seq_len": 16, "bytes_per_value": 2},
         {"layers": LAYERS, "seq_len": INT(maximum=1 << 24),
          "bytes_per_value": INT(maximum=8)}),
    Case("llmviz.attention.attention_core", attention_core, qkv,
         {"q": BOTH(TENSOR((4,), mismatch=True), VALUES(("heads not a multiple",
                                                         torch.zeros(1, 3, 3, 8)))),
          "k": TENSOR((4,), mismatch=True), "v": BOTH(TENSOR((4,)), VALUES(
              ("float64", torch.zeros(1, 2, 5, 6, dtype=torch.float64)),
              ("other length", torch.zeros(1, 2, 4, 6))))}),
    Case("llmviz.attention.peak_flops", peak_flops,
         lambda: {"device": "cpu", "dtype": torch.float32, "size": 32, "repeats": 1},
         {"device": DEVICE, "dtype": DTYPE, "size": INT(minimum=16, maximum=1 << 15),
          "repeats": INT(maximum=100)}),
    Case("llmviz.attention.memory_bandwidth", memory_bandwidth,
         lambda: {"device": "cpu", "megabytes": 1, "repeats": 1},
         {"device": DEVICE, "megabytes": INT(maximum=2048), "repeats": INT(maximum=100)}),
    Case("llmviz.attention.attainable", attainable,
         lambda: {"intensity": 2.0, "peak": 1e11, "bandwidth": 1e10},
         {"intensity": POSITIVE, "peak": POSITIVE, "bandwidth": POSITIVE}),
    Case("llmviz.attention.time_layers", time_layers,
         lambda: {"layers": SMALL, "prefill_len": 8, "decode_len": 8, "device": "cpu",
                  "dtype": torch.float32, "cache_megabytes": 1, "repeats": 1},
         {"layers": LAYERS,
          "prefill_len": BOTH(INT(maximum=1 << 14)),
          "decode_len": BOTH(INT(maximum=1 << 24), VALUES(("a cache too big", 1 << 24))),
          "device": DEVICE, "dtype": DTYPE, "cache_megabytes": INT(maximum=2048),
          "repeats": INT(maximum=100)}),
    Case("llmviz.viz.roofline.roofline_title", roofline_title,
         lambda: {"rows": rows(), "peak": 1e11, "bandwidth": 1e10},
         {"rows": ROWS, "peak": POSITIVE, "bandwidth": POSITIVE}),
    Case("llmviz.viz.roofline.roofline_figure", roofline_figure,
         lambda: {"rows": rows(), "peak": 1e11, "bandwidth": 1e10, "title": None,
                  "device": "this CPU"},
         {"rows": ROWS, "peak": POSITIVE, "bandwidth": POSITIVE,
          "title": TEXT(none=True), "device": TEXT()}),
]  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
