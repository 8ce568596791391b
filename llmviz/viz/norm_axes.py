"""Which cells of a (batch, sequence, hidden) tensor share one mean and variance, for
each norm: the tensor unrolled as a grid, a column per token (sentences apart), a row
per hidden unit, and two of its statistics' cells coloured. The maths (which cells
share a statistic) is ``llmviz.layers.normalization.statistic_index``'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz.viz.grid import small_multiples
from llmviz.viz.theme import COLORS, legend_above

GREY = "rgba(128, 128, 128, 0.22)"
_SCALE = [
    [0, GREY],
    [1 / 3, GREY],
    [1 / 3, COLORS[0]],
    [2 / 3, COLORS[0]],
    [2 / 3, COLORS[1]],
    [1, COLORS[1]],
]


def _check_tokens(tokens: Any, shape: tuple[int, ...]) -> list[list[str]]:
    if not isinstance(tokens, Sequence) or isinstance(tokens, str):
        raise TypeError(f"tokens must be a list of lists of str, got {tokens!r:.60}")
    rows = [list(row) for row in tokens]
    if len(rows) != shape[0] or any(len(row) != shape[1] for row in rows):
        raise ValueError(
            f"tokens must hold {shape[0]} sentences of {shape[1]} tokens (the "
            f"panels' shape {shape}), got lengths {[len(r) for r in rows]}"
        )
    if not all(isinstance(t, str) for row in rows for t in row):
        raise TypeError("tokens must hold only str")
    return rows


def _panel(index: np.ndarray, tokens: list[list[str]]) -> go.Figure:
    """One norm, a column per token (an empty one between sentences), a row per
    hidden unit; 1 and 2 mark the two coloured statistics."""
    b, t, c = index.shape
    first, last = index[0, 0, 0], index[-1, -1, -1]
    z = np.where(index == first, 1.0, np.where(index == last, 2.0, 0.0))
    columns = np.full((c, b * (t + 1) - 1), np.nan)
    for s in range(b):
        columns[:, s * (t + 1) : s * (t + 1) + t] = z[s].T  # (C, T)
    ticks = [s * (t + 1) + i for s in range(b) for i in range(t)]
    heat = go.Heatmap(z=columns, zmin=0, zmax=2, colorscale=_SCALE, showscale=False,
                      xgap=2, ygap=2, hoverinfo="skip")  # fmt: skip
    fig = go.Figure(heat)
    fig.update_xaxes(title="token", tickvals=ticks, tickangle=0,
                     ticktext=[w for row in tokens for w in row])  # fmt: skip
    fig.update_yaxes(title="unit", autorange="reversed", tickvals=list(range(c)),
                     ticktext=[str(k + 1) for k in range(c)])  # fmt: skip
    return fig


def norm_axes_figure(
    panels: Mapping[str, Any],
    tokens: Sequence[Sequence[str]],
    title: str,
    cols: int = 1,
) -> go.Figure:
    """Small multiples, one per norm: ``panels`` maps a name to the (B, T, C) tensor
    of statistic indices (``statistic_index``); the cells standardised with the first
    token's first unit's statistic are blue, with the last token's last unit's orange.

    >>> import torch
    >>> ids = torch.arange(4).reshape(1, 2, 2)
    >>> norm_axes_figure({"x": ids}, [["a", "b"]], "t").layout.title.text
    't'
    """
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(
            f"panels must be a non-empty dict name -> indices, got {panels!r:.60}"
        )
    arrays = {}
    for name, index in panels.items():
        array = np.asarray(index.detach() if hasattr(index, "detach") else index)
        if array.ndim != 3 or array.size == 0 or array.dtype.kind not in "iu":
            raise ValueError(
                f"panels[{name!r}] must be a non-empty (B, T, C) integer array, got "
                f"shape {array.shape} of {array.dtype}"
            )
        if array.shape[0] * array.shape[1] > 64 or array.shape[2] > 32:
            raise ValueError(
                f"panels[{name!r}] must have at most 64 tokens and 32 hidden units "
                f"to be read as cells, got shape {array.shape}"
            )
        arrays[name] = array
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) > 1:
        raise ValueError(f"panels must share one shape, got {sorted(shapes)}")
    rows = _check_tokens(tokens, next(iter(shapes)))
    grids = {name: _panel(a, rows) for name, a in arrays.items()}
    height = 76 + 14 * next(iter(shapes))[2]
    fig = small_multiples(grids, title, cols=cols, row_height=height)
    last_row = {
        f"xaxis{i + 1}" if i else "xaxis" for i in range(len(grids) - cols, len(grids))
    }
    for name in ["xaxis", *(f"xaxis{i}" for i in range(2, len(grids) + 1))]:
        if name not in last_row:  # the columns line up: tokens named under the last
            fig.layout[name].visible = False
    fig.update_xaxes(showgrid=False, zeroline=False)  # the cells' gaps are the grid
    fig.update_yaxes(showgrid=False, zeroline=False)
    first, last, units = rows[0][0], rows[-1][-1], next(iter(shapes))[2]
    for color, label in (
        (COLORS[0], f"mean of {first}, unit 1"),
        (COLORS[1], f"mean of {last}, unit {units}"),
    ):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=label,
                marker=dict(symbol="square", size=12, color=color),
            )
        )
    return legend_above(fig, rows=2)
