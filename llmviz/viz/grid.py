"""Small multiples: several figures side by side on shared scales, for comparison.

A slider shows one case at a time; when the point is the difference between cases (the
masks of a gallery, the terms of a score, the architectures of a family), the reader
should see them all at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from llmviz._checks import check_int
from llmviz.viz.theme import style

_AXIS_KEYS = ("title", "autorange", "tickvals", "ticktext", "tickangle", "type",
              "range", "showticklabels", "constrain", "dtick")  # fmt: skip


def _axis(axis: go.layout.XAxis | go.layout.YAxis) -> dict:
    """The parts of a panel's axis that carry over to its place in the grid."""
    found = axis.to_plotly_json()
    return {
        key: found[key] for key in _AXIS_KEYS if key in found and key != "scaleanchor"
    }


def small_multiples(
    panels: Mapping[str, go.Figure],
    title: str,
    cols: int = 3,
    row_height: int = 240,
) -> go.Figure:
    """One figure with a subplot per panel, titled by its key, ``cols`` to a row.

    Each panel keeps its traces and its axis titles and ranges. A legend entry or
    colour bar that several panels share is shown once.

    >>> import llmviz.viz as viz
    >>> panels = {"a": viz.bars([1, 2]), "b": viz.bars([2, 1])}
    >>> fig = small_multiples(panels, "two", cols=2)
    >>> [a.text for a in fig.layout.annotations]
    ['a', 'b']
    """
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(
            f"panels must be a non-empty dict of name -> Figure, got {panels!r:.60}"
        )
    for name, panel in panels.items():
        if not isinstance(name, str) or not isinstance(panel, go.Figure):
            raise TypeError(
                f"panels must map str names to plotly Figures, got {name!r} -> "
                f"{type(panel).__name__}"
            )
    if not isinstance(title, str) or not title.strip():
        raise TypeError(f"title must state the figure's point as a str, got {title!r}")
    check_int("cols", cols, minimum=1, maximum=12)
    check_int("row_height", row_height, minimum=80, maximum=2000)
    cols = min(cols, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=list(panels),
        horizontal_spacing=0.12 / cols * 2, vertical_spacing=0.3 / rows,
    )  # fmt: skip
    seen = set()
    for index, panel in enumerate(panels.values()):
        row, col = divmod(index, cols)
        for trace in panel.data:
            # a copy: the caller's figure stays as it was
            trace = go.Figure(trace).data[0]
            key = (trace.type, trace.name)
            if key in seen:  # shown once; a panel's own choice to hide one stands
                if "showscale" in trace:
                    trace.showscale = False
                if trace.name:
                    trace.showlegend = False
            if trace.name:
                trace.legendgroup = trace.name
            seen.add(key)
            fig.add_trace(trace, row=row + 1, col=col + 1)
        fig.update_xaxes(_axis(panel.layout.xaxis), row=row + 1, col=col + 1)
        fig.update_yaxes(_axis(panel.layout.yaxis), row=row + 1, col=col + 1)
        _keep_aspect(fig.get_subplot(row + 1, col + 1), panel.layout)
    for index in range(len(panels), rows * cols):  # the empty cells of the last row
        empty = fig.get_subplot(index // cols + 1, index % cols + 1)
        empty.xaxis.visible = empty.yaxis.visible = False
    style(fig, title, height=rows * row_height + 90, top=90)
    return fig


def _keep_aspect(subplot, layout: go.Layout) -> None:
    """A panel with square cells (y scaled to x, or x to y) keeps them in the grid."""
    x_id = subplot.xaxis.plotly_name.replace("axis", "")
    y_id = subplot.yaxis.plotly_name.replace("axis", "")
    if layout.yaxis.scaleanchor == "x":
        subplot.yaxis.scaleanchor = x_id
    if layout.xaxis.scaleanchor == "y":
        subplot.xaxis.scaleanchor = y_id
