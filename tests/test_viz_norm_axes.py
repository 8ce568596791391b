"""The norm-axes figure colours exactly the cells that share a statistic (read back
from its heatmaps), labels every token, and refuses bad input clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmviz.layers.normalization import norm_axes, statistic_index
from llmviz.viz.norm_axes import norm_axes_figure

TOKENS = [list("搜推yyds"), list("LLM大法好"), list("CV永不为奴")]
SHAPE = (3, 6, 4)


def figure():
    panels = {kind: statistic_index(SHAPE, norm_axes(kind), 2 if kind == "group" else 1)
              for kind in ("batch", "layer", "instance", "group")}  # fmt: skip
    return panels, norm_axes_figure(panels, TOKENS, "Four norms, four groupings")


def test_coloured_cells_are_the_two_statistics():
    panels, fig = figure()
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 4
    for index, heat in zip(panels.values(), heatmaps, strict=True):
        z = np.asarray(heat.z, dtype=float)
        rows = z[:, ~np.isnan(z).all(0)].T  # the gap columns between sentences dropped
        cells = index.reshape(-1, SHAPE[2]).numpy()
        assert np.array_equal(rows == 1, cells == cells[0, 0])
        assert np.array_equal(
            rows == 2, (cells == cells[-1, -1]) & (cells != cells[0, 0])
        )
    tick_text = list(fig.layout.xaxis.ticktext)
    assert tick_text == [w for row in TOKENS for w in row]


def test_title_and_legend():
    _, fig = figure()
    assert fig.layout.title.text == "Four norms, four groupings"
    names = [t.name for t in fig.data if t.type == "scatter"]
    assert len(names) == 2 and "搜" in names[0] and "奴" in names[1]
    assert fig.layout.height <= 700


@pytest.mark.parametrize(
    ("panels", "tokens", "error"),
    [
        (None, TOKENS, TypeError),
        ({}, TOKENS, TypeError),
        ({"x": torch.zeros(3, 6)}, TOKENS, ValueError),
        ({"x": torch.zeros(3, 6, 4)}, TOKENS, ValueError),  # float, not indices
        ({"x": torch.zeros(3, 6, 4, dtype=torch.long)}, TOKENS[:2], ValueError),
        ({"x": torch.zeros(3, 6, 4, dtype=torch.long)}, "搜推", TypeError),
        ({"x": torch.zeros(3, 6, 4, dtype=torch.long),
          "y": torch.zeros(3, 6, 2, dtype=torch.long)}, TOKENS, ValueError),
        ({"x": torch.zeros(30, 6, 4, dtype=torch.long)}, [["a"] * 6] * 30, ValueError),
    ],
)  # fmt: skip
def test_bad_input(panels, tokens, error):
    with pytest.raises(error, match="panels|tokens"):
        norm_axes_figure(panels, tokens, "t")
