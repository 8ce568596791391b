"""Unigram figures: the segmentation lattice with its Viterbi path, and the n-best list.

They draw what they are given (lattice edges, a path, probabilities). Each keeps the
same traces whatever its input, so it can be the ``draw`` of ``slider_figure``. Text
takes the layout's font colour, which ``_static/llmviz-theme.js`` sets in dark mode.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz.viz._lattice_checks import (
    _check_edges,
    _check_list,
    _check_path,
    _check_segmentation,
    _check_text,
    _check_title,
)
from llmviz.viz.theme import COLORS
from llmviz.viz.tokens import MONOSPACE, _label, _text_trace, _titled

GREY = "rgba(128, 128, 128, 0.55)"
CHAR_ROW = -0.2  # the characters' row, below the node numbers


def _arc_height(span: np.ndarray, tallest: int) -> np.ndarray:
    """Arc height for pieces of ``span`` characters: grows with the span, 1 for the
    ``tallest`` span of the lattice, so the arcs fill the plot whatever the text."""
    return np.log1p(span) / np.log1p(tallest)


def _arcs(edges: list[tuple], length: int, tallest: int, **scatter: Any) -> go.Scatter:
    """A line trace of one half-ellipse per (start, end, ...) edge, NaN-split."""
    spans = np.array([edge[:2] for edge in edges], dtype=float).reshape(-1, 2)
    middle, half = spans.mean(axis=1, keepdims=True), np.diff(spans, axis=1) / 2
    angle = np.linspace(0, np.pi, 17)
    x = (middle - half * np.cos(angle)) / length
    y = _arc_height(2 * half, tallest) * np.sin(angle)
    gap = np.full((len(spans), 1), np.nan)
    x, y = np.hstack([x, gap]).ravel(), np.hstack([y, gap]).ravel()
    return go.Scatter(x=x, y=y, mode="lines", hoverinfo="skip", **scatter)


def _apexes(
    edges: list[tuple], length: int, tallest: int, **scatter: Any
) -> go.Scatter:
    """A point on top of each edge's arc, hovering its piece, span and score."""
    spans = np.array([edge[:2] for edge in edges], dtype=float).reshape(-1, 2)
    hover = "{2!r} = text[{0}:{1}], log p = {3:.3f}"
    return _text_trace(
        text=[_label(piece) for _, _, piece, _ in edges],
        x=spans.mean(axis=1) / length,
        y=_arc_height(spans[:, 1] - spans[:, 0], tallest),
        hovertext=[html.escape(hover.format(*edge)) for edge in edges],
        hoverinfo="text",
        **scatter,
    )


def _edge_traces(edges: list[tuple], best: list[tuple], n: int) -> list[go.Scatter]:
    """Each edge over ``n`` characters as a thin grey arc, then the best path's bold."""
    labelled = dict(mode="markers+text", textposition="top center")
    tallest = max(end - start for start, end, _, _ in edges)
    return [
        _arcs(edges, n, tallest, line=dict(color=GREY, width=1)),
        _apexes(edges, n, tallest, mode="markers", marker=dict(color=GREY, size=6)),
        _arcs(best, n, tallest, line=dict(color=COLORS[0], width=4)),
        _apexes(best, n, tallest, marker=dict(color=COLORS[0], size=8), **labelled),
    ]


def _node_traces(text: str) -> list[go.Scatter]:
    """The nodes 0..len(text) along the bottom, numbered below, and ``text``'s
    characters between them on a row of their own under the numbers (squeezed between
    the dots and numbers they touched them on a phone)."""
    n = len(text)
    nodes, middles = np.arange(n + 1), (np.arange(n) + 0.5) / n
    node_hover = [f"node {i}: text[:{i}] = {text[:i]!r}" for i in nodes]
    return [
        _text_trace(
            nodes,
            nodes / n,
            np.zeros(n + 1),
            mode="markers+text",
            marker=dict(color=COLORS[1], size=9),
            hoverinfo="text",
            hovertext=[html.escape(h) for h in node_hover],
            textposition="bottom center",
            textfont={},
        ),
        _text_trace([_label(ch) for ch in text], middles, np.full(n, CHAR_ROW)),
    ]


def _best_path_title(best: list[tuple]) -> str:
    """Two lines: the best path's total log-probability, then its pieces joined by |."""
    pieces = "|".join(_label(piece) for _, _, piece, _ in best)
    score = sum(edge[3] for edge in best)
    return f"Viterbi's best path, bold: log p = {score:.2f}<br>{pieces}"


def lattice_figure(
    text: str,
    edges: Sequence[tuple[int, int, str, float]],
    path: Sequence[tuple[int, int]],
    title: str | None = None,
) -> go.Figure:
    """The Unigram lattice: one arc per piece over ``text``, the Viterbi ``path`` bold.

    ``edges`` are (start, end, piece, log-probability) with ``piece`` covering
    ``text[start:end]``; ``path`` lists the (start, end) of the best segmentation.

    >>> edges = [(0, 1, "a", -1.0), (1, 2, "b", -1.0), (0, 2, "ab", -1.5)]
    >>> lattice_figure("ab", edges, path=[(0, 2)]).layout.title.text
    "Viterbi's best path, bold: log p = -1.50"
    """
    text = _check_text(text)
    _check_title(title)
    edges = _check_edges(text, edges)
    by_span = {edge[:2]: edge for edge in edges}
    best = [by_span[span] for span in _check_path(text, path, by_span)]
    fig = go.Figure([*_edge_traces(edges, best, len(text)), *_node_traces(text)])
    if title is None:
        title = _best_path_title(best)
    # Positions are scaled into [0, 1], so every text fits the same axes in a slider.
    fig.update_traces(cliponaxis=False)  # piece and node labels may pass the axes
    fig.update_xaxes(visible=False, range=[-0.03, 1.03])
    fig.update_yaxes(visible=False, range=[-0.25, 1.1])
    fig.update_layout(showlegend=False, hovermode="closest")
    return _titled(fig, title, height=300).update_layout(margin=dict(l=20, r=20, b=20))


def nbest_figure(
    segmentations: Sequence[tuple[Sequence[str], float]], title: str | None = None
) -> go.Figure:
    """Bars of each segmentation's probability, pieces joined by ``|``, best on top.

    >>> fig = nbest_figure([(["▁un", "related"], 0.3), (["▁unrelated"], 0.6)])
    >>> fig.data[0].y
    ('▁unrelated', '▁un|related')
    """
    _check_list("segmentations", segmentations)
    _check_title(title)
    if not segmentations:
        raise ValueError(
            f"segmentations must hold (pieces, probability) pairs: {segmentations!r}"
        )
    rows = [_check_segmentation(i, s) for i, s in enumerate(segmentations)]
    labels = [label for label, _ in rows]
    if len(set(labels)) != len(labels):
        raise ValueError(f"segmentations must all differ, but some repeat: {labels}")
    labels, probabilities = zip(*sorted(rows, key=lambda row: -row[1]), strict=True)
    hover = "%{y}<br>p = %{x:.4f}<extra></extra>"
    bar = go.Bar(x=probabilities, y=labels, orientation="h", hovertemplate=hover)
    fig = go.Figure(bar.update(text=[f"{p:.3f}" for p in probabilities]))
    # outside its bar, a probability never straddles the bar's end
    fig.update_traces(marker_color=COLORS[0], textposition="outside", cliponaxis=False)
    # short: on a phone the segmentations leave the axis little width
    fig.update_xaxes(title="probability", range=[0, 1])
    fig.update_yaxes(
        title="segmentation", type="category", autorange="reversed",
        tickfont_family=MONOSPACE,
    )  # fmt: skip
    return _titled(fig, title, height=max(160, 50 + 32 * len(rows)))
