"""Figures for chapter 5's depth experiments: gradient norms per layer over training
for each norm placement, loss curves, and per-layer profiles. They draw what
``llmviz.layers.depth_analysis`` and ``llmviz.layers.placement`` compute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_int
from llmviz.viz._args import _array, _flag, _text
from llmviz.viz.grid import small_multiples
from llmviz.viz.theme import COLORS, SEQUENTIAL, legend_above, style


def _panels(panels: Any, name: str) -> None:
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(
            f"{name} must be a non-empty dict of name -> data, got {panels!r:.60}"
        )
    if len(panels) > len(COLORS):
        raise ValueError(
            f"{name} must have at most {len(COLORS)} entries, got {len(panels)}"
        )


def _entry(data: Any, key: str, name: str, ndim: int) -> np.ndarray:
    """``data[key]`` as a float array of ``ndim`` dimensions, or a clear error."""
    if not isinstance(data, Mapping) or key not in data:
        raise TypeError(f"{name} must be a dict with a {key!r} entry, got {data!r:.60}")
    return _array(data[key], f"{name}[{key!r}]", ndim)


def gradient_heatmaps(
    grids: Mapping[str, Mapping[str, Any]], title: str, cols: int = 2
) -> go.Figure:
    """One heatmap per placement of ‖grad‖ per layer (y, layer 1 at the bottom) over
    training steps (x), on one shared log₁₀ colour scale. ``grids`` maps a name to
    ``{"step": (S,), "grad": (layers, S)}``, as ``depth_analysis.gradient_grid`` gives.

    >>> g = {"step": [0, 10], "grad": [[1.0, 0.5], [2.0, 1.0]]}
    >>> len(gradient_heatmaps({"pre": g, "post": g}, "t").data)
    2
    """
    _panels(grids, "grids")
    _text("title", title)
    check_int("cols", cols, minimum=1, maximum=12)
    logs = {}
    for name, grid in grids.items():
        step = _entry(grid, "step", f"grids[{name!r}]", 1)
        grad = _entry(grid, "grad", f"grids[{name!r}]", 2)
        if grad.shape[1] != len(step) or (grad <= 0).any():
            raise ValueError(
                f"grids[{name!r}]['grad'] must be positive, (layers, {len(step)})"
            )
        logs[name] = (step, np.log10(grad))
    low = min(float(z.min()) for _, z in logs.values())
    high = max(float(z.max()) for _, z in logs.values())
    panels = {}
    for index, (name, (step, z)) in enumerate(logs.items()):
        trace = go.Heatmap(
            z=z, x=step, y=np.arange(1, z.shape[0] + 1), zmin=low, zmax=high,
            colorscale=SEQUENTIAL, name="log10 grad",
            colorbar=dict(title=dict(text="log₁₀ ‖grad‖", side="right"), thickness=12),
            hovertemplate="step %{x}<br>layer %{y}<br>%{z:.2f}<extra></extra>",
        )  # fmt: skip
        panel = go.Figure(trace)
        panel.update_xaxes(title="step")
        if index % cols == 0:  # the layers are the same in every panel: one axis a row
            panel.update_yaxes(title="layer")
        else:
            panel.update_yaxes(showticklabels=False)
        panels[name] = panel
    fig = small_multiples(panels, title, cols=cols, row_height=210)
    _lower_panels(fig, 0.05)
    return fig


def _lower_panels(fig: go.Figure, gap: float) -> None:
    """Lower the top of every panel, and its title with it, by ``gap`` of the plot's
    height: room for the x-axis title of the panel above, every row the same height."""
    tops = {axis.domain[1] for axis in fig.select_yaxes()}
    for axis in fig.select_yaxes():
        low, high = axis.domain
        axis.domain = (low, high - gap)
    for note in fig.layout.annotations:
        if note.y in tops:
            note.y = note.y - gap


def loss_curves(
    curves: Mapping[str, Mapping[str, Any]], title: str, log_y: bool = False
) -> go.Figure:
    """Training loss over steps, one line per variant (the mean over seeds) with a
    band from the lowest to the highest seed. ``curves`` maps a name to
    ``{"step", "mean", "low", "high"}``, as ``depth_analysis.loss_curve`` gives.

    >>> c = {"step": [0, 1], "mean": [2.0, 1.0], "low": [1.9, 0.9], "high": [2.1, 1.1]}
    >>> len(loss_curves({"pre": c}, "t").data)
    2
    """
    _panels(curves, "curves")
    _text("title", title)
    _flag("log_y", log_y)
    fig = go.Figure()
    for color, (name, c) in zip(COLORS, curves.items(), strict=False):
        step, mean, low, high = (
            _entry(c, k, f"curves[{name!r}]", 1)
            for k in ("step", "mean", "low", "high")
        )
        if not len(step) == len(mean) == len(low) == len(high):
            raise ValueError(f"curves[{name!r}] must have one value per step")
        band = [low, high]
        fig.add_trace(go.Scatter(
            x=np.concatenate([step, step[::-1]]),
            y=np.concatenate([band[1], band[0][::-1]]), fill="toself",
            fillcolor=color, opacity=0.2, line=dict(width=0), hoverinfo="skip",
            showlegend=False, legendgroup=name,
        ))  # fmt: skip
        fig.add_trace(go.Scatter(x=step, y=mean, name=name, legendgroup=name,
                                 line=dict(color=color, width=2)))  # fmt: skip
    fig.update_xaxes(title="training step")
    fig.update_yaxes(
        title="training loss (nats per byte)", type="log" if log_y else None
    )
    style(fig, title, height=440)
    return legend_above(fig, rows=2)


def layer_profile(
    profiles: Mapping[str, Any], title: str, y_title: str, log_y: bool = False
) -> go.Figure:
    """One line per variant of a per-layer quantity (a gradient norm, the change a
    layer makes to the hidden state) over layers 1…L.

    >>> len(layer_profile({"a": [1.0, 2.0]}, "t", "y").data)
    1
    """
    _panels(profiles, "profiles")
    for name, text in (("title", title), ("y_title", y_title)):
        _text(name, text)
    _flag("log_y", log_y)
    fig = go.Figure()
    for color, (name, values) in zip(COLORS, profiles.items(), strict=False):
        y = _array(values, f"profiles[{name!r}]", 1)
        line = dict(color=color)
        x = np.arange(1, len(y) + 1)
        fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines+markers", line=line))
    fig.update_xaxes(title="layer (1 = next to the input)")
    fig.update_yaxes(
        title=y_title, type="log" if log_y else None, exponentformat="power"
    )
    style(fig, title, height=420)
    return legend_above(fig, rows=2)


def seeds_over_depth(
    depths: Any, values: Mapping[str, Any], title: str, y_title: str
) -> go.Figure:
    """One line per variant over the number of layers (log x): the mean over seeds,
    with bars from the lowest to the highest seed. ``values`` maps a name to a
    (seeds, depths) array.

    >>> len(seeds_over_depth([2, 4], {"post": [[1.0, 2.0], [1.2, 2.4]]}, "t", "y").data)
    1
    """
    x = _array(depths, "depths", 1)
    _panels(values, "values")
    for name, text in (("title", title), ("y_title", y_title)):
        _text(name, text)
    fig = go.Figure()
    for color, (name, v) in zip(COLORS, values.items(), strict=False):
        v = _array(v, f"values[{name!r}]", 2)
        if v.shape[1] != len(x):
            raise ValueError(f"values[{name!r}] must have one column per depth")
        mean = v.mean(0)
        bars = dict(type="data", symmetric=False, array=v.max(0) - mean,
                    arrayminus=mean - v.min(0))  # fmt: skip
        label = f"{name} (mean of {v.shape[0]} seeds)"
        fig.add_trace(go.Scatter(x=x, y=mean, name=label, error_y=bars,
                                 line=dict(color=color)))  # fmt: skip
    ticks = [str(int(d)) if float(d).is_integer() else str(d) for d in x]
    fig.update_xaxes(title="layers", type="log", tickvals=x, ticktext=ticks)
    fig.update_yaxes(title=y_title)
    style(fig, title, height=420)
    return legend_above(fig, rows=2)
