"""Unigram figures: the segmentation lattice with its Viterbi path, and the n-best list.

They draw what they are given (lattice edges, a path, probabilities). Each keeps the
same traces whatever its input, so it can be the ``draw`` of ``slider_figure``. Text
takes the layout's font colour, which ``_static/llmviz-theme.js`` sets in dark mode.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_int
from llmviz.viz.theme import COLORS
from llmviz.viz.tokens import MONOSPACE, _label, _text_trace, _titled

GREY = "rgba(128, 128, 128, 0.55)"


def _check_real(name: str, value: Any) -> float:
    """``value`` as a float if it is a real number (not a bool), else ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    return float(value)


def _check_list(name: str, value: Any) -> None:
    """``TypeError`` unless ``value`` is a list or tuple."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list, got {value!r:.60}")


def _check_title(title: Any) -> None:
    """``TypeError`` unless ``title`` is a str or None."""
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {title!r:.60}")


def _check_edges(text: str, edges: Sequence[Sequence]) -> list[tuple]:
    """``edges`` as (start, end, piece, score) tuples inside ``text``, checked."""
    _check_list("edges", edges)
    checked = []
    for i, edge in enumerate(edges):
        if isinstance(edge, str) or not isinstance(edge, Sequence) or len(edge) != 4:
            raise TypeError(f"edges[{i}] must be (start, end, piece, score): {edge!r}")
        start, end, piece, score = edge
        check_int(f"edges[{i}] start", start)
        check_int(f"edges[{i}] end", end)
        if not 0 <= start < end <= len(text):
            raise ValueError(
                f"edges[{i}] = {edge!r} is out of range: need 0 <= start < end <= "
                f"len(text) = {len(text)}"
            )
        if not isinstance(piece, str):
            raise TypeError(f"edges[{i}] piece must be a str, got {piece!r}")
        score = _check_real(f"edges[{i}] score", score)
        if not math.isfinite(score):
            raise ValueError(f"edges[{i}] score must be finite, got {score}")
        checked.append((start, end, piece, score))
    return checked


def _check_path(text: str, path: Sequence[Sequence[int]], spans: dict) -> list[tuple]:
    """``path`` as (start, end) spans that cover ``text`` end to end, each an edge."""
    _check_list("path", path)
    position, checked = 0, []
    for i, span in enumerate(path):
        span = tuple(span) if isinstance(span, Sequence) else span
        if not isinstance(span, tuple) or len(span) != 2:
            raise TypeError(f"path[{i}] must be a (start, end) pair, got {span!r}")
        if span[0] != position or span[1] <= position:
            raise ValueError(
                f"path must cover text[0:{len(text)}] with contiguous spans, but "
                f"path[{i}] = {span!r} is not ({position}, end > {position})"
            )
        if span not in spans:
            raise ValueError(f"path[{i}] = {span!r} is not one of the edges")
        position = span[1]
        checked.append(span)
    if position != len(text):
        raise ValueError(f"path must end at len(text) = {len(text)}, not {position}")
    return checked


def _arc_height(span: np.ndarray, length: int) -> np.ndarray:
    """Arc height for pieces of ``span`` characters: grows with the span, 1 at most."""
    return np.log1p(span) / np.log1p(length)


def _arcs(edges: list[tuple], length: int, **scatter: Any) -> go.Scatter:
    """A line trace of one half-ellipse per (start, end, ...) edge, NaN-split."""
    spans = np.array([edge[:2] for edge in edges], dtype=float).reshape(-1, 2)
    middle, half = spans.mean(axis=1, keepdims=True), np.diff(spans, axis=1) / 2
    angle = np.linspace(0, np.pi, 17)
    x = (middle - half * np.cos(angle)) / length
    y = _arc_height(2 * half, length) * np.sin(angle)
    gap = np.full((len(spans), 1), np.nan)
    x, y = np.hstack([x, gap]).ravel(), np.hstack([y, gap]).ravel()
    return go.Scatter(x=x, y=y, mode="lines", hoverinfo="skip", **scatter)


def _apexes(edges: list[tuple], length: int, **scatter: Any) -> go.Scatter:
    """A point on top of each edge's arc, hovering its piece, span and score."""
    spans = np.array([edge[:2] for edge in edges], dtype=float).reshape(-1, 2)
    hover = "{2!r} = text[{0}:{1}], log p = {3:.3f}"
    return _text_trace(
        text=[_label(piece) for _, _, piece, _ in edges],
        x=spans.mean(axis=1) / length,
        y=_arc_height(spans[:, 1] - spans[:, 0], length),
        hovertext=[html.escape(hover.format(*edge)) for edge in edges],
        hoverinfo="text",
        **scatter,
    )


def _check_text(text: Any) -> str:
    """``text`` if it is a non-empty str, else ``TypeError`` or ``ValueError``."""
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, got {text!r} of type {type(text).__name__}"
        )
    if not text:
        raise ValueError(f"text must be a non-empty str, got {text!r}")
    return text


def _edge_traces(edges: list[tuple], best: list[tuple], n: int) -> list[go.Scatter]:
    """Each edge over ``n`` characters as a thin grey arc, then the best path's bold."""
    labelled = dict(mode="markers+text", textposition="top center")
    return [
        _arcs(edges, n, line=dict(color=GREY, width=1)),
        _apexes(edges, n, mode="markers", marker=dict(color=GREY, size=6)),
        _arcs(best, n, line=dict(color=COLORS[0], width=4)),
        _apexes(best, n, marker=dict(color=COLORS[0], size=8), **labelled),
    ]


def _node_traces(text: str) -> list[go.Scatter]:
    """The nodes 0..len(text) along the bottom, and ``text``'s characters between."""
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
        _text_trace([_label(ch) for ch in text], middles, np.zeros(n)),
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
    fig.update_yaxes(visible=False, range=[-0.15, 1.1])
    fig.update_layout(showlegend=False, hovermode="closest")
    return _titled(fig, title, height=320).update_layout(margin=dict(l=20, r=20))


def _check_segmentation(i: int, segmentation: Any) -> tuple[str, float]:
    """One (pieces, probability) as its ``|``-joined label and its probability."""
    if not isinstance(segmentation, Sequence) or len(segmentation) != 2:
        raise TypeError(
            f"segmentations[{i}] must be (pieces, probability): {segmentation!r}"
        )
    pieces, probability = segmentation
    if isinstance(pieces, str) or not all(isinstance(p, str) for p in pieces):
        raise TypeError(f"segmentations[{i}] pieces must be a list of str: {pieces!r}")
    probability = _check_real(f"segmentations[{i}] probability", probability)
    if not 0 <= probability <= 1:
        raise ValueError(
            f"segmentations[{i}] probability must be in [0, 1], got {probability!r}"
        )
    return "|".join(_label(piece) for piece in pieces), probability


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
    fig.update_traces(marker_color=COLORS[0])
    fig.update_xaxes(title="P(segmentation | word)", range=[0, 1])
    fig.update_yaxes(
        title="segmentation", type="category", autorange="reversed",
        tickfont_family=MONOSPACE,
    )  # fmt: skip
    return _titled(fig, title, height=max(160, 50 + 32 * len(rows)))
