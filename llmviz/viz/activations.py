"""Figures of chapter 5's activations: each function with its derivative, side by side,
and one function whose parameter (α of Leaky ReLU and ELU, β of Swish) a slider moves.

They draw what ``llmviz.layers.activations`` computes; no maths here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import torch

from llmviz._checks import check_int
from llmviz.layers.activations import PARAMS, activation, derivative
from llmviz.viz._args import _array, _text
from llmviz.viz.grid import small_multiples
from llmviz.viz.slider import slider_figure
from llmviz.viz.theme import COLORS, legend_above, style

VALUE, SLOPE = "f(x)", "f′(x)"  # the two lines of every panel


def activation_panel(x: Any, values: Any, slopes: Any, title: str = "") -> go.Figure:
    """One activation: its value (solid) and its derivative (dashed) over ``x``.

    >>> fig = activation_panel([0, 1], [0, 1], [1, 1])
    >>> [trace.name for trace in fig.data]
    ['f(x)', 'f′(x)']
    """
    x = _array(x, "x", 1)
    lines = {VALUE: _array(values, "values", 1), SLOPE: _array(slopes, "slopes", 1)}
    _text("title", title)
    fig = go.Figure()
    for (name, y), dash, color in zip(
        lines.items(), ("solid", "dash"), COLORS[:2], strict=True
    ):
        if len(y) != len(x):
            which = "values" if name == VALUE else "slopes"
            raise ValueError(f"{which} has {len(y)} points but x has {len(x)}")
        line = dict(color=color, dash=dash, width=2)
        fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", line=line))
    fig.update_xaxes(title="x", zeroline=True)
    fig.update_yaxes(title="f, f′", zeroline=True)
    return style(fig, title or None, height=300)


def activation_gallery(
    x: Any, curves: Mapping[str, tuple[Any, Any]], title: str, cols: int = 3
) -> go.Figure:
    """Small multiples: one panel per {name: (values, derivatives)} over the same x,
    on a shared y range, so that saturation (a flat derivative) and dead zones (a zero
    derivative) can be compared at a glance.

    >>> fig = activation_gallery([0, 1], {"a": ([0, 1], [1, 1])}, "t")
    >>> fig.layout.annotations[0].text
    'a'
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(
            f"curves must be a non-empty dict of name -> (values, derivatives), got "
            f"{type(curves).__name__}"
        )
    _text("title", title)
    check_int("cols", cols, minimum=1, maximum=6)
    panels = {}
    for name, pair in curves.items():
        _text("curves' keys", name)
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"curves[{name!r}] must be a (values, derivatives) pair")
        values, slopes = (_array(v, f"curves[{name!r}]", 1) for v in pair)
        if not len(values) == len(slopes) == len(_array(x, "x", 1)):
            raise ValueError(f"curves[{name!r}] must have as many points as x")
        panels[name] = activation_panel(x, values, slopes)
    fig = small_multiples(panels, title, cols=cols, row_height=190)
    fig.update_xaxes(title_text=None, tickvals=[-2, 0, 2])  # none at the panels' edges
    fig.update_yaxes(title_text=None, range=[-1.6, 3.1], dtick=1)
    cols = min(cols, len(panels))
    last_row = (len(panels) - 1) // cols
    for index in range(len(panels)):
        row, col = divmod(index, cols)
        if row == last_row:  # x is named once, under the bottom row
            fig.update_xaxes(title_text="x", row=row + 1, col=col + 1)
        if col == 0:
            fig.update_yaxes(title_text="f, f′", row=row + 1, col=1)
    legend_above(fig, rows=1)
    return fig


def parameter_slider(
    name: str, x: Any, values: list[float], active: int = 0, title: str = ""
) -> go.Figure:
    """The activation ``name`` and its derivative, a slider over its one parameter
    (α of leaky_relu and elu, β of silu) through ``values``, opening on
    ``values[active]``. Each frame's title gives f′ at the most negative x.

    >>> fig = parameter_slider("silu", [-1.0, 1.0], [0.5, 1.0], active=1)
    >>> fig.layout.sliders[0].active
    1
    """
    if not isinstance(name, str) or name not in PARAMS:
        raise ValueError(f"name must be one of {sorted(PARAMS)}, got {name!r:.40}")
    (param,) = PARAMS[name]
    grid = _array(x, "x", 1)
    _text("title", title)
    tensor = torch.as_tensor(grid, dtype=torch.float64)

    def compute(**kwargs: float) -> tuple:
        return activation(name, tensor, **kwargs), derivative(name, tensor, **kwargs)

    def draw(pair: tuple) -> go.Figure:
        heading = title or f"{name}: f and f′ as {param} changes"
        slope = float(pair[1][0])
        heading += f"<br>f′({grid[0]:g}) = {slope:.3g}"
        return activation_panel(grid, pair[0].numpy(), pair[1].numpy(), heading)

    fig = slider_figure(compute, param, values, draw, active=active)
    fig.update_yaxes(range=[-2.1, 3.1])
    return legend_above(fig, rows=1)
