"""Chapters executed by nbclient, as papermill, nbgrader and myst-nb run them.

The live explorers used to show each figure with ``with output: display(fig)``.
nbclient mimics an ``Output`` widget by sending its outputs back to the kernel on the
shell socket while it waits on that same socket for the cell's reply; that wait could
then miss the reply and return only at the cell timeout, without an error (about one
explorer cell in twelve on a quiet machine). The explorer now sets the widget's
outputs as its state, which nbclient never sends back.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30  # seconds per cell: a stalled cell waits for all of them
EXPLORER_CELLS = 40  # with the old explorer, P(no stall) ≈ (11/12)^40 ≈ 3%

SETUP = """\
import llmviz
from llmviz import viz
from llmviz.widgets import explore

llmviz.setup()


def bars_of_length(n):
    return [1.0] * n
"""
EXPLORER = "explore(bars_of_length, draw=viz.bars, n=(1, 9, 1, 3))"


def execute(cells: list[str]) -> tuple[nbformat.NotebookNode, dict[int, float]]:
    """Run ``cells`` with nbclient in this environment's kernel; each cell's seconds."""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells]
    )
    started: dict[int, float] = {}
    seconds: dict[int, float] = {}
    client = NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
        on_cell_start=lambda cell, cell_index: started.update(
            {cell_index: time.time()}
        ),
        on_cell_executed=lambda cell, cell_index, execute_reply: seconds.update(
            {cell_index: time.time() - started[cell_index]}
        ),
    )
    client.execute()
    return nb, seconds


def decoded(values: list | dict) -> list:
    """A plotly JSON array: a list, or a base64 typed array {"dtype", "bdata"}."""
    if isinstance(values, list):
        return values
    return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]).tolist()


def widget_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    """The outputs that the notebook's saved widget state holds, Output widgets'."""
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    return [
        output
        for model in state["state"].values()
        if model["model_name"] == "OutputModel"
        for output in model["state"].get("outputs", [])
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="kernel timing differs")
def test_explorer_cells_finish_under_nbclient_and_keep_their_figure():
    nb, seconds = execute([SETUP] + [EXPLORER] * EXPLORER_CELLS + ["print('end')"])
    slow = {i: round(s, 1) for i, s in seconds.items() if s > TIMEOUT / 3}
    assert not slow, f"cells that waited for the timeout ({TIMEOUT} s): {slow}"
    assert nb.cells[-1].outputs[0]["text"] == "end\n"
    explorer_output = nb.cells[1].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in explorer_output
    figures = [
        output["data"]["application/vnd.plotly.v1+json"]
        for output in widget_outputs(nb)
        if "application/vnd.plotly.v1+json" in output.get("data", {})
    ]
    assert len(figures) == EXPLORER_CELLS  # each explorer shows its own first figure
    assert figures[0]["data"][0]["type"] == "bar"
    assert decoded(figures[0]["data"][0]["y"]) == [1.0, 1.0, 1.0]  # at its start, n=3
    state = json.dumps(nb.metadata["widgets"])
    assert "plotly.js v" not in state and len(state) < 2_000_000  # no plotly.js copy


def test_a_refused_value_shows_its_sentence_in_place_of_the_figure():
    moved = (
        "def compute(n):\n"
        "    if n > 3:\n"
        "        raise ValueError(f'n must be <= 3, got {n}')\n"
        "    return [1.0] * n\n\n"
        "explorer = explore(compute, draw=viz.bars, n=(1, 9))\n"
        "explorer.controls['n'].value = 5\n"
        "explorer"
    )
    nb, _ = execute([SETUP, moved])
    texts = [output.get("text", "") for output in widget_outputs(nb)]
    assert texts == ["These values are not allowed: n must be <= 3, got 5\n"], (
        widget_outputs(nb)
    )


def test_the_explorer_shows_its_figure_under_ipywidgets_7_too(monkeypatch):
    """Colab ships ipywidgets 7: its Output widget takes outputs as state too."""
    ipywidgets7 = Path(
        os.environ.get("LLMVIZ_IPYWIDGETS7", ROOT / ".venv" / "ipywidgets7")
    )
    if not (ipywidgets7 / "ipywidgets").is_dir():
        pytest.skip(f"ipywidgets 7.7.1 is not installed in {ipywidgets7}")
    monkeypatch.setenv("PYTHONPATH", str(ipywidgets7))  # the kernel inherits it
    version = "import ipywidgets\nprint(ipywidgets.__version__)"
    nb, seconds = execute([SETUP, version] + [EXPLORER] * 5)
    assert nb.cells[1].outputs[0]["text"] == "7.7.1\n"
    assert max(seconds.values()) < TIMEOUT / 3
    figures = [
        o for o in widget_outputs(nb) if "application/vnd.plotly.v1+json" in o["data"]
    ]
    assert len(figures) == 5
