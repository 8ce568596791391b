"""Plotly figure builders: heatmaps, masks, bars, lines and 2-D arrows.

They draw what they are given (lists, NumPy arrays or torch tensors); no maths here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz.viz.theme import COLORS, MASK_COLORS, SEQUENTIAL, style


def _array(values: Any, name: str, ndim: int) -> np.ndarray:
    """A NumPy copy of ``values``, checked to have ``ndim`` dimensions."""
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimension(s), got shape {array.shape}"
        )
    return array


def heatmap(
    z: Any,
    x_labels: Sequence | None = None,
    y_labels: Sequence | None = None,
    title: str | None = None,
    x_title: str = "key position j",
    y_title: str = "query position i",
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: Any = SEQUENTIAL,
    show_scale: bool = True,
) -> go.Figure:
    """A matrix with row 0 at the top, as matrices are written (weights, masks)."""
    z = _array(z, "z", 2).astype(float)
    x = list(range(z.shape[1])) if x_labels is None else list(x_labels)
    y = list(range(z.shape[0])) if y_labels is None else list(y_labels)
    if (len(y), len(x)) != z.shape:
        raise ValueError(
            f"got {len(y)} row labels and {len(x)} column labels for a matrix of "
            f"shape {z.shape}"
        )
    hover = f"{y_title} %{{y}}<br>{x_title} %{{x}}<br>%{{z:.3g}}<extra></extra>"
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=y,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            showscale=show_scale,
            xgap=1,
            ygap=1,
            hovertemplate=hover,
        )
    )
    # The key axis sits on top, as in a matrix; the title goes above it.
    fig.update_xaxes(title=x_title, side="top", type="category", showgrid=False)
    fig.update_yaxes(
        title=y_title, autorange="reversed", type="category", showgrid=False
    )
    height = max(320, min(640, 130 + 22 * z.shape[0]))
    return style(fig, title, height=height, top=110)


def mask_heatmap(mask: Any, title: str | None = None) -> go.Figure:
    """A bool attention mask: the coloured cells are the pairs that may attend."""
    mask = _array(mask, "mask", 2).astype(bool)
    if title is None:
        title = f"{mask.sum()} of {mask.size} query–key pairs visible"
    colorscale = [[0, MASK_COLORS[0]], [1, MASK_COLORS[1]]]
    fig = heatmap(mask, title=title, zmin=0, zmax=1, colorscale=colorscale)
    fig.update_traces(
        showscale=False, hovertemplate="query %{y}, key %{x}<extra></extra>"
    )
    # square cells, with the plot shrunk to fit rather than padded with empty range
    fig.update_xaxes(constrain="domain")
    fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
    return fig


def bars(
    values: Any,
    labels: Sequence | None = None,
    title: str | None = None,
    x_title: str = "",
    y_title: str = "",
    y_range: tuple[float, float] | None = None,
    horizontal: bool = False,
) -> go.Figure:
    """Bars for one series, or grouped bars for a {name: values} mapping of series.

    ``horizontal=True`` lays the bars along x, the first label at the top, which
    suits many long labels; x_title and y_title still name the labels' axis and the
    values' axis, and y_range the values' range.
    """
    series = dict(values) if isinstance(values, Mapping) else {"": values}
    arrays = {name: _array(v, f"values[{name!r}]", 1) for name, v in series.items()}
    lengths = sorted({len(a) for a in arrays.values()})
    if len(lengths) != 1:
        raise ValueError(f"every series must have the same length, got {lengths}")
    labels = list(range(lengths[0])) if labels is None else list(labels)
    fig = go.Figure()
    for i, (name, heights) in enumerate(arrays.items()):
        color = COLORS[i % len(COLORS)]
        if horizontal:
            bar = go.Bar(x=heights, y=labels, orientation="h", marker_color=color)
        else:
            bar = go.Bar(x=labels, y=heights, marker_color=color)
        fig.add_trace(bar.update(name=name))
    fig.update_layout(barmode="group", showlegend=len(arrays) > 1)
    label_axis = dict(title=x_title, type="category")
    value_axis = dict(title=y_title, range=list(y_range) if y_range else None)
    if horizontal:
        fig.update_yaxes(**label_axis, autorange="reversed")
        fig.update_xaxes(**value_axis)
        return style(fig, title, height=max(380, 60 + 16 * lengths[0] * len(arrays)))
    fig.update_xaxes(**label_axis)
    fig.update_yaxes(**value_axis)
    return style(fig, title)


def lines(
    x: Any,
    ys: Mapping[str, Any],
    title: str | None = None,
    x_title: str = "",
    y_title: str = "",
    log_x: bool = False,
    log_y: bool = False,
) -> go.Figure:
    """One line with markers for each {name: values} entry, all over the same ``x``."""
    x = _array(x, "x", 1)
    fig = go.Figure()
    for i, (name, values) in enumerate(ys.items()):
        y = _array(values, f"ys[{name!r}]", 1)
        if len(y) != len(x):
            raise ValueError(f"ys[{name!r}] has {len(y)} values but x has {len(x)}")
        color = COLORS[i % len(COLORS)]
        fig.add_trace(
            go.Scatter(x=x, y=y, name=name, mode="lines+markers", line_color=color)
        )
    fig.update_xaxes(
        title=x_title, type="log" if log_x else None, exponentformat="power"
    )
    fig.update_yaxes(
        title=y_title, type="log" if log_y else None, exponentformat="power"
    )
    return style(fig, title)


def vectors(
    arrows: Mapping[str, Any], title: str | None = None, limit: float | None = None
) -> go.Figure:
    """2-D vectors as arrows from the origin, on square axes (rotations look right)."""
    points = {name: _array(v, f"arrows[{name!r}]", 1) for name, v in arrows.items()}
    for name, point in points.items():
        if point.shape != (2,):
            raise ValueError(f"arrows[{name!r}] must have 2 entries, got {point.shape}")
    extent = limit or 1.15 * max(
        [float(np.abs(p).max()) for p in points.values()] + [1e-9]
    )
    fig = go.Figure()
    for i, (name, (px, py)) in enumerate(points.items()):
        color = COLORS[i % len(COLORS)]
        head = dict(symbol="arrow", angleref="previous", size=[0, 14], color=color)
        fig.add_trace(
            go.Scatter(
                x=[0, px],
                y=[0, py],
                name=name,
                mode="lines+markers",
                line=dict(color=color, width=3),
                marker=head,
            )
        )
    fig.update_xaxes(range=[-extent, extent])
    fig.update_yaxes(range=[-extent, extent], scaleanchor="x", scaleratio=1)
    return style(fig, title, height=420)
