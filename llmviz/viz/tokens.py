"""Tokenization figures: tokens as boxes laid out like text, Unigram lattice, n-best.

They draw what they are given (token strings, lattice edges, probabilities). Each keeps
the same traces whatever its input, so it can be the ``draw`` of ``slider_figure``. Text
takes the layout's font colour, which ``_static/llmviz-theme.js`` sets in dark mode.
"""

from __future__ import annotations

import functools
import html
import numbers
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_int
from llmviz.viz.theme import COLORS, style

BOX_COLORS = COLORS[:4]  # token i of a row is filled with BOX_COLORS[i % 4]
# Whitespace and control characters drawn as visible marks (others as Unicode's ␀..␟)
VISIBLE = {code: chr(0x2400 + code) for code in range(32)} | {
    ord(" "): "·",
    ord("\n"): "↵",
    ord("\t"): "→",
}
MONOSPACE = "Menlo, Consolas, 'DejaVu Sans Mono', monospace"
LINE_PX = 26  # pixels per line of token boxes
ARC_RISE = 0.5  # lattice arc height per character spanned
GREY = "rgba(128, 128, 128, 0.55)"

Rows = Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]]


def visible(token: str) -> str:
    """``token`` with whitespace and control characters drawn as visible marks.

    >>> visible("a b\\tc\\n")
    'a·b→c↵'
    """
    return token.translate(VISIBLE)


@functools.lru_cache(maxsize=1 << 16)
def columns(text: str) -> int:
    """Columns ``text`` fills in monospace: 2 per wide (CJK) character, at least 1.

    >>> columns("ab"), columns("你好")
    (2, 4)
    """
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    narrow = sum(not unicodedata.combining(ch) for ch in text) - wide
    return max(1, 2 * wide + narrow)


def _label(text: str) -> str:
    """``text`` with visible whitespace, escaped so plotly shows it, not its HTML."""
    return html.escape(visible(text), quote=False)


def _rgba(color: str, alpha: float) -> str:
    """A ``#rrggbb`` colour as ``rgba(...)`` with opacity ``alpha``."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def _text_trace(text: Sequence, x: Any, y: Any, **scatter: Any) -> go.Scatter:
    """Monospace ``text`` at (x, y) in the layout's font colour; hover only if asked."""
    settings = dict(mode="text", hoverinfo="skip", textfont=dict(family=MONOSPACE))
    return go.Scatter(x=x, y=y, text=text, **(settings | scatter))


def _check_tokens(name: str, tokens: Any, row_ids: Any) -> list[str]:
    """``tokens`` as a list of str, with one id each in ``row_ids`` if given."""
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"rows[{name!r}] must be a list of str tokens, got {tokens!r}")
    for i, token in enumerate(tokens):
        if not isinstance(token, str):
            kind = type(token).__name__
            raise TypeError(
                f"rows[{name!r}][{i}] must be a str, got {token!r} ({kind})"
            )
    if row_ids is not None and len(row_ids) != len(tokens):
        raise ValueError(
            f"ids[{name!r}] has {len(row_ids)} ids but rows[{name!r}] has "
            f"{len(tokens)} tokens; give one id per token"
        )
    return list(tokens)


def _check_rows(rows: Rows, ids: Mapping[str, Sequence[int]] | None) -> list[tuple]:
    """``rows`` as (name, tokens, ids or None) triples, checked."""
    pairs = list(rows.items()) if isinstance(rows, Mapping) else list(rows)
    if not pairs:
        raise ValueError(f"rows must map tokenizer names to tokens, got none: {rows!r}")
    if any(not isinstance(pair, Sequence) or len(pair) != 2 for pair in pairs):
        raise TypeError(f"rows must be a mapping or (name, tokens) pairs, got {rows!r}")
    ids = dict(ids or {})
    for name in set(ids) - {name for name, _ in pairs}:
        raise ValueError(f"ids names {name!r}, which is not one of the rows")
    checked = [
        (name, _check_tokens(name, tokens, ids.get(name))) for name, tokens in pairs
    ]
    return [(str(name), tokens, ids.get(name)) for name, tokens in checked]


def _place(tokens: list[str], width: int, line: float) -> tuple[list[tuple], float]:
    """(line, column, columns) of each token laid out from ``line``; next free line."""
    column, places = 0, []
    for token in tokens:
        size = columns(token)
        if column and column + size > width:
            line, column = line + 1, 0
        places.append((line, column, size))
        column += size
        if "\n" in token:  # the newline ends the line after the token that holds it
            line, column = line + 1, 0
    return places, line + (1 if column else 0)


def _box_trace(places: np.ndarray, color: str) -> go.Scatter:
    """A filled-polygon trace: one rectangle per (line, column, columns), NaN-split."""
    line, column, size = places.T
    left, right, gap = column + 0.08, column + size - 0.08, np.full(len(line), np.nan)
    top, bottom = line - 0.38, line + 0.38
    x = np.stack([left, right, right, left, left, gap], axis=1).ravel()
    y = np.stack([top, top, bottom, bottom, top, gap], axis=1).ravel()
    fill = dict(fill="toself", fillcolor=_rgba(color, 0.25), hoverinfo="skip")
    return go.Scatter(x=x, y=y, mode="lines", line=dict(color=color, width=1), **fill)


def _hover(name: str, i: int, token: str, row_ids: Sequence[int] | None) -> str:
    """Hover text of token ``i`` of a row: the token, its id if known, its bytes."""
    number = "" if row_ids is None else f"<br>id {row_ids[i]}"
    token_bytes = f"<br>{len(token.encode('utf-8'))} bytes in UTF-8"
    written = html.escape(f"{name} token {i}: {token!r}", quote=False)
    return written + number + token_bytes


def token_boundaries(
    rows: Rows,
    title: str | None = None,
    width: int = 48,
    ids: Mapping[str, Sequence[int]] | None = None,
    min_lines: int = 0,
) -> go.Figure:
    """Each tokenizer's tokens as coloured boxes laid out like text, ``width`` columns.

    ``ids`` maps a row's name to its token ids, shown on hover. Slider frames keep the
    first frame's height: ``min_lines`` reserves room for frames with more lines.

    >>> fig = token_boundaries({"char": ["你", "好"], "word": ["你好"]})
    >>> len(fig.data), fig.data[-1].text
    (6, ('<b>char</b>: 2 tokens', '<b>word</b>: 1 token'))
    """
    width = check_int("width", width, minimum=1)
    min_lines = check_int("min_lines", min_lines, minimum=0)
    places, colour_of, texts, hovers, headers, line = [], [], [], [], [], 0.0
    for name, tokens, row_ids in _check_rows(rows, ids):
        count = f"{len(tokens)} token{'' if len(tokens) == 1 else 's'}"
        headers.append((line, f"<b>{html.escape(name)}</b>: {count}"))
        row_places, line = _place(tokens, width, line + 1)
        places += row_places
        colour_of += [i % len(BOX_COLORS) for i in range(len(tokens))]
        texts += [_label(token) for token in tokens]
        hovers += [_hover(name, i, token, row_ids) for i, token in enumerate(tokens)]
        line += 0.5  # a gap before the next tokenizer's name
    places, colour_of = np.array(places, float).reshape(-1, 3), np.array(colour_of)
    boxes = [_box_trace(places[colour_of == k], c) for k, c in enumerate(BOX_COLORS)]
    middles, ends = places[:, 1] + places[:, 2] / 2, places[:, 1] + places[:, 2]
    hover = dict(hovertext=np.array(hovers, dtype=str), hoverinfo="text")
    fig = go.Figure(
        [
            *boxes,
            _text_trace(np.array(texts, dtype=str), middles, places[:, 0], **hover),
        ]
    )
    header_lines, header_texts = zip(*headers, strict=True)
    left = dict(textposition="middle right", textfont={})
    fig.add_trace(_text_trace(header_texts, [0.1] * len(headers), header_lines, **left))
    fig.update_xaxes(visible=False, range=[-0.3, max([width, *ends]) + 0.3])
    line = max(line, min_lines)
    fig.update_yaxes(visible=False, range=[line - 0.5, -0.6])  # line 0 on top
    fig.update_layout(showlegend=False, hovermode="closest")
    style(fig, title, height=int((60 if title else 30) + 10 + LINE_PX * line))
    return fig.update_layout(margin=dict(l=10, r=10, b=10))


def _check_real(name: str, value: Any) -> float:
    """``value`` as a float if it is a real number (not a bool), else ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    return float(value)


def _check_edges(text: str, edges: Sequence[Sequence]) -> list[tuple]:
    """``edges`` as (start, end, piece, score) tuples inside ``text``, checked."""
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
        checked.append((start, end, piece, _check_real(f"edges[{i}] score", score)))
    return checked


def _check_path(text: str, path: Sequence[Sequence[int]], spans: dict) -> list[tuple]:
    """``path`` as (start, end) spans that cover ``text`` end to end, each an edge."""
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
    'best path ab: log p = -1.50'
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, got {text!r} of type {type(text).__name__}"
        )
    if not text:
        raise ValueError(f"text must be a non-empty str, got {text!r}")
    edges = _check_edges(text, edges)
    by_span = {edge[:2]: edge for edge in edges}
    best = [by_span[span] for span in _check_path(text, path, by_span)]
    n = len(text)
    nodes, middles = np.arange(n + 1), (np.arange(n) + 0.5) / n
    node_hover = [f"node {i}: text[:{i}] = {text[:i]!r}" for i in nodes]
    fig = go.Figure(
        [
            _arcs(edges, n, line=dict(color=GREY, width=1)),
            _apexes(edges, n, mode="markers", marker=dict(color=GREY, size=6)),
            _arcs(best, n, line=dict(color=COLORS[0], width=4)),
            _apexes(
                best,
                n,
                mode="markers+text",
                textposition="top center",
                marker=dict(color=COLORS[0], size=8),
            ),
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
    )
    if title is None:
        pieces = "|".join(_label(piece) for _, _, piece, _ in best)
        title = f"best path {pieces}: log p = {sum(edge[3] for edge in best):.2f}"
    # Positions are scaled into [0, 1], so every text fits the same axes in a slider.
    fig.update_traces(cliponaxis=False)  # piece and node labels may pass the axes
    fig.update_xaxes(visible=False, range=[-0.03, 1.03])
    fig.update_yaxes(visible=False, range=[-0.15, 1.1])
    fig.update_layout(showlegend=False, hovermode="closest")
    return style(fig, title, height=380).update_layout(margin=dict(l=20, r=20))


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
    fig.update_xaxes(title="probability", range=[0, 1])
    fig.update_yaxes(type="category", autorange="reversed", tickfont_family=MONOSPACE)
    return style(fig, title, height=max(220, 110 + 32 * len(rows)))
