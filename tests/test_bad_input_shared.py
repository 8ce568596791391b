"""Bad input for the shared modules: the figure builders and the slider figure
(``llmviz.viz``), the live explorers (``llmviz.widgets``), the notebook helpers
(``llmviz.setup``, ``show_source``, ``table``, ``versions``), ``llmviz.measure`` and the
corpora (``llmviz.data``). Each bad value of each parameter is refused with a
``ValueError`` or ``TypeError`` naming it, and valid calls leave their inputs alone
(tests/bad_input.py)."""

from __future__ import annotations

import math

import ipywidgets
import numpy as np
import plotly.graph_objects as go
import torch

import llmviz
from llmviz import data, measure, viz
from llmviz.widgets import Explorer, LiveOnly, explore
from tests.bad_input import (
    BOOL,
    BOTH,
    CALLABLE,
    CHOICE,
    INT,
    REAL,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)


def matrix() -> torch.Tensor:
    return torch.arange(6.0).reshape(2, 3) / 6


def ARRAY(ndim: int, gaps: bool = False) -> VALUES:
    """What no figure builder can draw as an ``ndim``-dimensional array of numbers."""
    shape = (2,) * ndim
    values = [
        ("None", None),
        ("str", "values"),
        ("dict", {"a": 1}),
        ("words", np.full(shape, "a").tolist()),
        ("one dimension more", torch.ones((2,) * (ndim + 1))),
        ("empty", torch.ones(shape)[..., :0]),
        ("inf", torch.ones(shape).flatten().index_fill(0, torch.tensor([0]), math.inf).reshape(shape)),
    ]  # fmt: skip
    if ndim > 1:
        values.append(("one dimension less", torch.ones(2)))
    if not gaps:
        values.append(("nan", torch.full(shape, math.nan)))
    return VALUES(*values)


LABELS = VALUES(("wrong count", ["a"]), ("str", "abc"), ("int", 3), ("dict", {}))
TITLE = TEXT(none=True)
RANGE_END = REAL(none=True)


def bars_of(n: int) -> list[float]:
    return [1.0] * n


def slider_kwargs() -> dict:
    return {"compute": bars_of, "param": "n", "values": [1, 2, 3], "draw": viz.bars,
            "fixed": None, "active": 0, "label": "length", "play": False}  # fmt: skip


def rows() -> list[dict]:
    return [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.25}]


CORPUS = data.Corpus("tiny", "one\ntwo\nthree\n", "written here")

CASES = [
    Case(
        "llmviz.viz.heatmap",
        viz.heatmap,
        lambda: {
            "z": matrix(),
            "x_labels": ["a", "b", "c"],
            "y_labels": ["p", "q"],
            "title": "t",
            "x_title": "key",
            "y_title": "query",
            "zmin": 0.0,
            "zmax": 1.0,
            "colorscale": "Viridis",
            "show_scale": True,
            "scale_title": "weight",
        },  # fmt: skip
        {
            "z": ARRAY(2, gaps=True),
            "x_labels": LABELS,
            "y_labels": LABELS,
            "title": TITLE,
            "x_title": TEXT(),
            "y_title": TEXT(),
            "zmin": BOTH(RANGE_END, VALUES(("above zmax", 2.0))),
            "zmax": BOTH(RANGE_END, VALUES(("below zmin", -1.0))),
            "colorscale": VALUES(("int", 3), ("bogus name", "bogus")),
            "show_scale": BOOL(),
            "scale_title": TEXT(none=True),
        },
    ),
    Case(
        "llmviz.viz.mask_heatmap",
        viz.mask_heatmap,
        lambda: {"mask": torch.ones(3, 3, dtype=torch.bool).tril(), "title": None},
        {
            "mask": BOTH(ARRAY(2), VALUES(("not 0 or 1", torch.full((2, 2), 0.5)))),
            "title": TITLE,
        },
    ),
    Case(
        "llmviz.viz.bars",
        viz.bars,
        lambda: {
            "values": [1.0, 2.0, 3.0],
            "labels": ["a", "b", "c"],
            "title": "t",
            "x_title": "x",
            "y_title": "y",
            "y_range": (0.0, 4.0),
            "horizontal": False,
        },  # fmt: skip
        {
            "values": BOTH(
                ARRAY(1),
                VALUES(
                    ("empty mapping", {}), ("uneven series", {"a": [1, 2], "b": [1]})
                ),
            ),
            "labels": LABELS,
            "title": TITLE,
            "x_title": TEXT(),
            "y_title": TEXT(),
            "y_range": VALUES(
                ("reversed", (4.0, 0.0)),
                ("nan", (0.0, math.nan)),
                ("one number", 4.0),
                ("three numbers", (0, 1, 2)),
                ("str", "04"),
                ("words", ("a", "b")),
            ),  # fmt: skip
            "horizontal": BOOL(),
        },
    ),
    Case(
        "llmviz.viz.lines",
        viz.lines,
        lambda: {
            "x": [1, 2, 3],
            "ys": {"a": [1.0, 2.0, 3.0]},
            "title": None,
            "x_title": "x",
            "y_title": "y",
            "log_x": False,
            "log_y": True,
        },  # fmt: skip
        {
            "x": ARRAY(1),
            "ys": VALUES(
                ("None", None),
                ("list", [[1.0, 2.0, 3.0]]),
                ("empty", {}),
                ("too short", {"a": [1.0]}),
                ("inf", {"a": [1.0, math.inf, 2.0]}),
                ("words", {"a": ["x", "y", "z"]}),
            ),  # fmt: skip
            "title": TITLE,
            "x_title": TEXT(),
            "y_title": TEXT(),
            "log_x": BOOL(),
            "log_y": BOOL(),
        },
    ),
    Case(
        "llmviz.viz.vectors",
        viz.vectors,
        lambda: {
            "arrows": {"q": [1.0, 0.5], "k": torch.tensor([0.0, 1.0])},
            "title": "t",
            "limit": 2.0,
        },  # fmt: skip
        {
            "arrows": VALUES(
                ("None", None),
                ("list", [[1.0, 0.5]]),
                ("empty", {}),
                ("three entries", {"q": [1, 2, 3]}),
                ("nan", {"q": [math.nan, 1.0]}),
            ),  # fmt: skip
            "title": TITLE,
            "limit": REAL(0, open_min=True, none=True),
        },
    ),
    Case(
        "llmviz.viz.slider_figure",
        viz.slider_figure,
        slider_kwargs,
        {
            "compute": CALLABLE(),
            "param": BOTH(TEXT(empty=True), VALUES(("not compute's", "m"))),
            "values": VALUES(
                ("None", None),
                ("empty", []),
                ("int", 3),
                ("str", "123"),
                ("refused by compute", [1, -1]),
            ),  # fmt: skip
            "draw": BOTH(CALLABLE(), VALUES(("not drawing", lambda result: result))),
            "fixed": VALUES(("int", 3), ("list", [1]), ("the slider's", {"n": 2})),
            "active": INT(0, 2),
            "label": TEXT(none=True),
            "play": BOOL(),
        },
    ),
    Case(
        "llmviz.viz.small_multiples",
        viz.small_multiples,
        lambda: {
            "panels": {"a": viz.bars([1, 2]), "b": viz.bars([2, 1])},
            "title": "two panels",
            "cols": 2,
            "row_height": 240,
        },
        {
            "panels": VALUES(
                ("None", None),
                ("empty", {}),
                ("list", [go.Figure()]),
                ("not a figure", {"a": 3}),
                ("int key", {1: go.Figure()}),
            ),  # fmt: skip
            "title": VALUES(("None", None), ("empty", " "), ("int", 3)),
            "cols": INT(1, 12),
            "row_height": INT(80, 2000),
        },
    ),
    Case(
        "llmviz.viz.style",
        viz.style,
        lambda: {"fig": go.Figure(), "title": "t", "height": 300, "top": 40},
        {
            "fig": VALUES(("None", None), ("dict", {"data": []}), ("int", 3)),
            "title": TITLE,
            "height": INT(1, 100_000),
            "top": INT(0, 100_000),
        },
    ),
    Case(
        "llmviz.viz.compact",
        viz.compact,
        lambda: {"fig": viz.bars([1, 2])},
        {"fig": VALUES(("None", None), ("dict", {"data": []}), ("int", 3))},
    ),
    Case(
        "llmviz.viz.legend_above",
        viz.legend_above,
        lambda: {"fig": viz.bars([1, 2]), "rows": 2},
        {
            "fig": VALUES(("None", None), ("dict", {"data": []}), ("int", 3)),
            "rows": INT(1, 20),
        },
    ),
    Case(
        "llmviz.widgets.explore",
        lambda compute, draw, length: explore(compute, draw, length=length),
        lambda: {"compute": bars_of_length, "draw": viz.bars, "length": (1, 5)},
        {
            "compute": CALLABLE(),
            "draw": CALLABLE(),
            "length": VALUES(
                ("None", None),
                ("empty list", []),
                ("dict", {}),
                ("reversed range", (5, 1)),
                ("start outside", (1, 5, 1, 9)),
                ("five numbers", (1, 2, 3, 4, 5)),
                ("words", ("a", "b")),
            ),  # fmt: skip
        },
    ),
    Case(
        "llmviz.widgets.Explorer",
        Explorer,
        lambda: {"compute": bars_of_length, "draw": viz.bars, "controls": controls_n()},
        {
            "compute": CALLABLE(),
            "draw": CALLABLE(),
            "controls": VALUES(
                ("None", None),
                ("empty", {}),
                ("list", [1]),
                ("a tuple spec", {"length": (1, 5)}),
            ),  # fmt: skip
        },
    ),
    Case(
        "llmviz.widgets.LiveOnly",
        LiveOnly,
        lambda: {"figure": go.Figure()},
        {"figure": VALUES(("None", None), ("dict", {"data": []}), ("str", "figure"))},
    ),
    Case(
        "llmviz.setup",
        llmviz.setup,
        lambda: {"seed": 0, "language": None},
        {
            "seed": INT(0, 2**32 - 1),
            "language": VALUES(("int", 3), ("unknown", "fr"), ("list", ["zh_CN"])),
        },
    ),
    Case(
        "llmviz.show_source",
        llmviz.show_source,
        lambda: {"obj": viz.bars},
        {
            "obj": VALUES(
                ("None", None), ("int", 3), ("str", "viz.bars"), ("builtin", len)
            )
        },
    ),
    Case(
        "llmviz.table",
        llmviz.table,
        lambda: {"rows": rows(), "percent": ("share",)},
        {
            "rows": VALUES(
                ("None", None),
                ("empty", []),
                ("dict", {"a": 1}),
                ("list of ints", [1, 2]),
                ("str", "rows"),
            ),  # fmt: skip
            "percent": VALUES(
                ("None", None),
                ("str", "share"),
                ("unknown column", ("sahre",)),
                ("int", 3),
            ),  # fmt: skip
        },
    ),
    Case(
        "llmviz.reference_check",
        llmviz.reference_check,
        lambda: {
            "name": "torch",
            "ours": torch.tensor([0.5, 0.25]),
            "reference": torch.tensor([0.5, 0.25]),
            "atol": 1e-5,
            "rtol": 0.0,
        },
        {
            "name": VALUES(("None", None), ("empty", ""), ("int", 3)),
            "ours": VALUES(
                ("None", None),
                ("str", "0.5"),
                ("NaN", torch.tensor([float("nan"), 0.0])),
            ),
            "reference": VALUES(
                ("None", None), ("dict", {"a": 1}), ("inf", [float("inf"), 0.0])
            ),
            "atol": REAL(0.0, 1e6),
            "rtol": REAL(0.0, 1e6),
        },
    ),
    Case("llmviz.versions", llmviz.versions, dict, {}),
    Case(
        "llmviz.measure.seconds_per_call",
        measure.seconds_per_call,
        lambda: {"fn": lambda: None, "repeats": 2, "warmup": 1},
        {
            "fn": CALLABLE(),
            "repeats": INT(1, measure.MAX_REPEATS),
            "warmup": INT(0, measure.MAX_REPEATS),
        },
    ),
    Case(
        "llmviz.measure.interleaved_best",
        measure.interleaved_best,
        lambda: {"fns": {"a": lambda: 1, "b": lambda: 2}, "repeats": 2},
        {
            "fns": VALUES(
                ("None", None),
                ("empty", {}),
                ("list", [lambda: 1]),
                ("not callable", {"a": 3}),
            ),  # fmt: skip
            "repeats": INT(1, measure.MAX_REPEATS),
        },
    ),
    Case(
        "llmviz.data.python_docs",
        data.python_docs,
        lambda: {"max_bytes": 1000},
        {"max_bytes": INT(1, none=True)},
    ),
    Case(
        "llmviz.data.stdlib_code",
        data.stdlib_code,
        lambda: {"max_bytes": 1000},
        {"max_bytes": INT(1, none=True)},
    ),
    Case("llmviz.data.chinese", data.chinese, dict, {}),
    Case("llmviz.data.multilingual", data.multilingual, dict, {}),
    Case(
        "llmviz.data.Corpus",
        data.Corpus,
        lambda: {"name": "tiny", "text": "one\ntwo\n", "source": "here"},
        {"name": TEXT(), "text": TEXT(), "source": TEXT()},
    ),
    Case(
        "llmviz.data.Corpus.split",
        lambda fraction: CORPUS.split(fraction),
        lambda: {"fraction": 0.5},
        {"fraction": REAL(0, 1, open_min=True, open_max=True)},
    ),
]

# The concept diagrams (llmviz.viz.diagrams).
CASES += [
    Case(
        "llmviz.viz.model_diagram",
        viz.model_diagram,
        lambda: {"base": "../notebooks/"},
        {"base": TEXT()},
    ),
    Case(
        "llmviz.viz.attention_head_diagram",
        viz.attention_head_diagram,
        lambda: {"seq_len": 6, "hidden_size": 64, "head_dim": 16},
        {
            name: INT(1, 10**9, none=True)
            for name in ("seq_len", "hidden_size", "head_dim")
        },
    ),
    Case(
        "llmviz.viz.norm_placement_diagram",
        viz.norm_placement_diagram,
        lambda: {"active": "pre"},
        {"active": CHOICE()},
    ),
    Case(
        "llmviz.viz.gqa_diagram",
        viz.gqa_diagram,
        lambda: {"num_attention_heads": 8, "num_key_value_heads": 2, "compare": True},
        {
            "num_attention_heads": BOTH(INT(1, 16), VALUES(("not a multiple", 7))),
            "num_key_value_heads": BOTH(INT(1, 16), VALUES(("not a divisor", 3))),
            "compare": BOOL(),
        },
    ),
    Case(
        "llmviz.viz.mla_diagram",
        viz.mla_diagram,
        lambda: {
            "absorbed": False,
            "num_attention_heads": 4,
            "kv_lora_rank": 8,
            "qk_nope_head_dim": 4,
            "qk_rope_head_dim": 2,
            "v_head_dim": 4,
        },
        {
            "absorbed": BOOL(),
            "num_attention_heads": INT(1, 1024),
            **{
                name: INT(1, 2**16)
                for name in (
                    "kv_lora_rank",
                    "qk_nope_head_dim",
                    "qk_rope_head_dim",
                    "v_head_dim",
                )
            },
        },
    ),
    Case(
        "llmviz.viz.moe_router_diagram",
        viz.moe_router_diagram,
        lambda: {
            "router_logits": torch.tensor([0.5, -1.0, 2.0, 0.0]),
            "top_k": 2,
            "norm_topk_prob": True,
        },
        {
            "router_logits": BOTH(
                ARRAY(1), VALUES(("one expert", [1.0]), ("eleven experts", [0.0] * 11))
            ),
            "top_k": INT(1, 4),
            "norm_topk_prob": BOOL(),
        },
    ),
    Case(
        "llmviz.viz.beam_step_diagram",
        viz.beam_step_diagram,
        lambda: {
            "beam_scores": [-0.4, -1.1],
            "log_probs": -torch.linspace(0.1, 3.0, 14).reshape(2, 7),
            "num_beams": 2,
            "per_beam": 3,
            "label": str,
            "beam_labels": ["The cat", "The dog"],
        },
        {
            "beam_scores": BOTH(
                ARRAY(1), VALUES(("three beams", [0.0] * 3), ("five beams", [0.0] * 5))
            ),
            "log_probs": BOTH(
                ARRAY(2),
                VALUES(
                    ("positive", [[0.5, -1.0, -2.0], [-1.0, -1.0, -1.0]]),
                    ("one row", [[-1.0, -2.0, -3.0]]),
                ),
            ),
            "num_beams": INT(1, 4, none=True),
            "per_beam": BOTH(INT(1, 12), VALUES(("14 candidates", 7))),
            "label": BOTH(CALLABLE(), VALUES(("not a str", lambda token: token))),
            "beam_labels": VALUES(
                ("wrong count", ["a"]),
                ("str", "ab"),
                ("int", 3),
                ("numbers", [1.5, 2.5]),
            ),
        },
    ),
]


def bars_of_length(length: int) -> list[float]:
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    return [1.0] * length


def controls_n() -> dict:
    return {"length": ipywidgets.IntSlider(value=2, min=1, max=5)}


test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
