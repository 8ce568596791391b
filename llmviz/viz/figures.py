"""Plotly figure builders: heatmaps, masks, bars, lines and 2-D arrows.

They draw what they are given (lists, NumPy arrays or torch tensors); no maths here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz.viz._args import _array, _bounds, _flag, _labels, _text
from llmviz.viz.theme import COLORS, MASK_COLORS, SEQUENTIAL, style


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
    scale_title: str | None = None,
) -> go.Figure:
    """A matrix with row 0 at the top, as matrices are written (weights, masks).
    NaN entries are left blank; ``scale_title`` names what the colour bar measures."""
    z = _array(z, "z", 2, gaps=True)
    x = _labels(x_labels, "x_labels", z.shape[1])
    y = _labels(y_labels, "y_labels", z.shape[0])
    _text("title", title, none=True)
    _text("x_title", x_title)
    _text("y_title", y_title)
    _bounds(("zmin", "zmax"), zmin, zmax)
    _flag("show_scale", show_scale)
    _text("scale_title", scale_title, none=True)
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
            colorbar=dict(title=dict(text=scale_title, side="right"))
            if scale_title
            else None,
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
    mask = _array(mask, "mask", 2)
    if not np.isin(mask, (0, 1)).all():
        raise ValueError("mask must hold only True/False (or 1/0) entries")
    mask = mask.astype(bool)
    _text("title", title, none=True)
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
    if not series:
        raise ValueError("values must hold at least one series, got an empty mapping")
    arrays = {
        name: _array(v, f"values[{name!r}]" if name else "values", 1)
        for name, v in series.items()
    }
    lengths = sorted({len(a) for a in arrays.values()})
    if len(lengths) != 1:
        raise ValueError(
            f"every series of values must have the same length, got {lengths}"
        )
    labels = _labels(labels, "labels", lengths[0])
    for name, text in (("x_title", x_title), ("y_title", y_title)):
        _text(name, text)
    _text("title", title, none=True)
    _flag("horizontal", horizontal)
    if y_range is not None:
        if not isinstance(y_range, (tuple, list)) or len(y_range) != 2:
            raise TypeError(
                f"y_range must be a (low, high) pair or None, got {y_range!r:.40}"
            )
        _bounds(("y_range[0]", "y_range[1]"), *y_range)
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
    """One line with markers for each {name: values} entry, all over the same ``x``;
    NaN values are gaps in their line."""
    x = _array(x, "x", 1)
    if not isinstance(ys, Mapping) or not ys:
        raise TypeError(
            f"ys must be a non-empty {{name: values}} mapping, got {ys!r:.40}"
        )
    for name, text in (("x_title", x_title), ("y_title", y_title)):
        _text(name, text)
    _text("title", title, none=True)
    _flag("log_x", log_x)
    _flag("log_y", log_y)
    fig = go.Figure()
    for i, (name, values) in enumerate(ys.items()):
        y = _array(values, f"ys[{name!r}]", 1, gaps=True)
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
    if not isinstance(arrows, Mapping) or not arrows:
        raise TypeError(
            f"arrows must be a non-empty {{name: (x, y)}} mapping, got {arrows!r:.40}"
        )
    _text("title", title, none=True)
    if limit is not None:
        _bounds(("limit", "limit"), None, limit)
        if limit <= 0:
            raise ValueError(f"limit must be > 0 or None, got {limit}")
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
