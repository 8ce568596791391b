"""Small multiples in rows with room between them (chapter 8's two-row figures)."""

from __future__ import annotations

import plotly.graph_objects as go

from llmviz._checks import check_real


def rows_apart(fig: go.Figure, gap: float) -> go.Figure:
    """Space ``fig``'s rows of panels ``gap`` of the plot's height apart, in place.

    Each of the R rows gets the height h = (1 − gap · (R − 1)) / R, top down, so that a
    row's tick labels and axis title clear the next row's panel titles; each panel's
    title (an annotation at its panel's old top) moves with its panel.

    >>> from plotly.subplots import make_subplots
    >>> fig = rows_apart(make_subplots(rows=2, cols=1), 0.2)
    >>> fig.layout.yaxis.domain, fig.layout.yaxis2.domain
    ((0.6, 1.0), (0.0, 0.4))
    """
    if not isinstance(fig, go.Figure):
        raise TypeError(f"fig must be a plotly go.Figure, got {type(fig).__name__}")
    gap = check_real("gap", gap, 0, 1, open_max=True)
    tops = sorted({axis.domain[1] for axis in fig.select_yaxes()}, reverse=True)
    if not tops:
        raise ValueError("fig must have at least one y axis to space, got none")
    height = (1 - gap * (len(tops) - 1)) / len(tops)
    if height <= 0:
        raise ValueError(
            f"gap must leave room for {len(tops)} rows: gap · (rows − 1) < 1, got {gap}"
        )
    new = {top: 1 - i * (height + gap) for i, top in enumerate(tops)}
    for axis in fig.select_yaxes():
        top = new[axis.domain[1]]
        axis.domain = (max(0.0, round(top - height, 6)), round(top, 6))
    for note in fig.layout.annotations:  # the panels' titles, on their panel's top
        top = min(new, key=lambda old: abs(old - note.y))
        if abs(top - note.y) < 1e-6:
            note.y = round(new[top], 6)
    return fig
