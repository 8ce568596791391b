"""The live explorer, under the ipywidgets of this environment (8) and, through a second run
of this file, under ipywidgets 7.7.1, which is what Colab ships."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ipywidgets
import plotly.graph_objects as go
import pytest

import llmviz.widgets.explorer as explorer_module
from llmviz import viz
from llmviz.attention import MASK_NAMES, composed_mask
from llmviz.notebook import BOOK_ENV
from llmviz.widgets import LIVE_ONLY_NOTE, Explorer, LiveOnly, explore

ROOT = Path(__file__).resolve().parent.parent
IPYWIDGETS7 = Path(os.environ.get("LLMVIZ_IPYWIDGETS7", ROOT / ".venv" / "ipywidgets7"))
EXPECTED_VERSION = os.environ.get("LLMVIZ_EXPECT_IPYWIDGETS")


@pytest.fixture(autouse=True)
def live(monkeypatch):
    monkeypatch.delenv(BOOK_ENV, raising=False)


def bars_of_length(n: int, scale: float = 1.0, label: str = "", flip: bool = False):
    return [scale] * n


def test_this_run_uses_the_expected_ipywidgets():
    if EXPECTED_VERSION:  # set by the run under ipywidgets 7 below
        assert ipywidgets.__version__ == EXPECTED_VERSION
    else:
        assert ipywidgets.__version__.startswith("8.")


def test_controls_follow_the_specs():
    explorer = explore(
        bars_of_length,
        draw=viz.bars,
        n=(1, 9),
        scale=(0.5, 2.0),
        label="hi",
        flip=False,
    )
    assert isinstance(explorer, Explorer)
    kinds = {
        name: type(control).__name__ for name, control in explorer.controls.items()
    }
    assert kinds == {
        "n": "IntSlider",
        "scale": "FloatSlider",
        "label": "Text",
        "flip": "Checkbox",
    }
    assert explorer.values == {"n": 1, "scale": 0.5, "label": "hi", "flip": False}
    started = explore(
        bars_of_length, draw=viz.bars, n=(1, 9, 2, 5), scale=(0.5, 2, 0.25, 1.0)
    )
    assert started.values == {"n": 5, "scale": 1.0}
    assert [started.controls[k].step for k in ("n", "scale")] == [2, 0.25]
    dropdown = explore(composed_mask, draw=viz.mask_heatmap, first=list(MASK_NAMES))
    assert type(dropdown.controls["first"]).__name__ == "Dropdown"
    assert dropdown.controls["first"].value == MASK_NAMES[0]


def test_moving_a_control_recomputes_and_redraws():
    explorer = explore(bars_of_length, draw=viz.bars, n=(1, 9), scale=(0.5, 2.0))
    assert len(explorer.figure.data[0].y) == 1
    explorer.controls["n"].value = 7
    assert len(explorer.figure.data[0].y) == 7
    explorer.controls["scale"].value = 1.5
    assert list(explorer.figure.data[0].y) == [1.5] * 7
    assert (
        type(explorer.figure) is go.Figure
    )  # never a FigureWidget, which breaks in Colab
    assert explorer.last_redraw_ms >= 0


def test_the_mask_explorer_redraws_the_composed_mask():
    explorer = explore(composed_mask, draw=viz.mask_heatmap, first=list(MASK_NAMES),
                       operation=["and", "or"], second=["sliding_window", "strided"], seq_len=(16, 32),
                       window=(4, 16))  # fmt: skip
    explorer.controls["operation"].value = "or"
    explorer.controls["second"].value = "strided"
    expected = composed_mask("causal", "or", "strided", seq_len=16, window=4)
    assert (explorer.figure.data[0].z == expected.numpy()).all()


def test_values_the_compute_refuses_leave_the_figure_and_explain(capsys):
    def compute(n: int):
        if n > 3:
            raise ValueError(f"n must be <= 3, got {n}")
        return [1.0] * n

    explorer = explore(compute, draw=viz.bars, n=(1, 9))
    before = explorer.figure
    explorer.controls["n"].value = 5  # no exception escapes into the widget callback
    assert explorer.figure is before


def test_while_building_the_book_no_widget_is_made(monkeypatch):
    monkeypatch.setenv(BOOK_ENV, "1")
    monkeypatch.setattr(
        explorer_module, "_control", lambda *a: pytest.fail("a widget was built")
    )
    result = explore(bars_of_length, draw=viz.bars, n=(2, 9))
    assert isinstance(result, LiveOnly)
    assert len(result.figure.data[0].y) == 2  # the code still ran
    assert result._repr_markdown_() == LIVE_ONLY_NOTE


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({}, ValueError, "explore needs at least one parameter to control, got none"),
        (
            {"n": (9, 1)},
            ValueError,
            r"the range for n must have min < max, got \(9, 1\)",
        ),
        (
            {"n": []},
            TypeError,
            r"n must be \(min, max\), \(min, max, step\) or \(min, max, step, start\)",
        ),
        (
            {"n": (1, 9, 1, 12)},
            ValueError,
            r"the start of n must lie in \[1, 9\], got 12",
        ),
        ({"n": (1, 2, 3, 4, 5)}, TypeError, r"got \(1, 2, 3, 4, 5\)"),
        ({"n": None}, TypeError, "got None"),
    ],
)
def test_bad_specs_raise_clear_errors(params, error, message):
    with pytest.raises(error, match=message):
        explore(bars_of_length, draw=viz.bars, **params)


def test_explore_checks_its_functions():
    with pytest.raises(TypeError, match="draw must be callable, got 'bars'"):
        explore(bars_of_length, draw="bars", n=(1, 3))


def test_no_figure_widget_anywhere_in_llmviz():
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "llmviz").rglob("*.py")]
    assert not any("FigureWidget(" in source for source in sources)


@pytest.mark.skipif(
    EXPECTED_VERSION is not None, reason="this is already the ipywidgets 7 run"
)
def test_the_same_tests_pass_under_ipywidgets_7():
    assert (IPYWIDGETS7 / "ipywidgets").is_dir(), (
        f"ipywidgets 7.7.1 is not installed in {IPYWIDGETS7}: `make unit` installs it"
    )
    env = dict(
        os.environ, PYTHONPATH=str(IPYWIDGETS7), LLMVIZ_EXPECT_IPYWIDGETS="7.7.1"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
