"""Token boundaries: each tokenizer's tokens as coloured boxes laid out like text.

The figure draws the token strings it is given. It keeps the same traces whatever its
input, so it can be the ``draw`` of ``slider_figure``. Text takes the layout's font
colour, which ``_static/llmviz-theme.js`` sets in dark mode. ``llmviz.viz.lattice``
reuses the text helpers here for the Unigram figures.
"""

from __future__ import annotations

import functools
import html
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_int
from llmviz.viz.theme import COLORS, MONOSPACE, style

BOX_COLORS = COLORS[:4]  # token i of a row is filled with BOX_COLORS[i % 4]
# Whitespace and control characters drawn as visible marks (others as Unicode's ␀..␟)
VISIBLE = {code: chr(0x2400 + code) for code in range(32)} | {
    ord(" "): "·",
    ord("\n"): "↵",
    ord("\t"): "→",
}
LINE_PX = 26  # pixels per line of token boxes
FONT_PX = 12  # token text: 40 columns of it fit a 390 px phone's 358 px column
SUBTITLE_PX = 22  # room for a title's second line, its subtitle
MAX_SIZE = 10_000  # the most columns and lines a figure may ask for

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


def _titled(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    """``style(fig)`` with ``title``'s first line as the title, the rest a subtitle.

    ``height`` is the plot's own; the room for the title is added to it. Plotly draws a
    title split by ``<br>`` with its first line cut off at the top, so a second line
    becomes the title's subtitle instead.

    >>> fig = _titled(go.Figure(), "The point<br>the numbers", 100)
    >>> fig.layout.title.text, fig.layout.title.subtitle.text, fig.layout.height
    ('The point', 'the numbers', 182)
    """
    head, _, sub = (title or "").partition("<br>")
    top = (60 + SUBTITLE_PX if sub else 60) if head else 30
    style(fig, head or None, height=height + top, top=top)
    if sub:
        fig.layout.title.subtitle.text = sub.replace("<br>", " ")
    return fig


def _rgba(color: str, alpha: float) -> str:
    """A ``#rrggbb`` colour as ``rgba(...)`` with opacity ``alpha``."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def _text_trace(text: Sequence, x: Any, y: Any, **scatter: Any) -> go.Scatter:
    """Monospace ``text`` at (x, y) in the layout's font colour; hover only if asked."""
    font = dict(family=MONOSPACE, size=FONT_PX)
    settings = dict(mode="text", hoverinfo="skip", textfont=font)
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
    if row_ids is not None and (
        isinstance(row_ids, (str, bytes))
        or not isinstance(row_ids, Sequence)
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in row_ids)
    ):
        raise TypeError(f"ids[{name!r}] must be a list of int, got {row_ids!r:.60}")
    if row_ids is not None and len(row_ids) != len(tokens):
        raise ValueError(
            f"ids[{name!r}] has {len(row_ids)} ids but rows[{name!r}] has "
            f"{len(tokens)} tokens; give one id per token"
        )
    return list(tokens)


def _check_rows(rows: Rows, ids: Mapping[str, Sequence[int]] | None) -> list[tuple]:
    """``rows`` as (name, tokens, ids or None) triples, checked."""
    if not isinstance(rows, (Mapping, list, tuple)):
        raise TypeError(f"rows must be a mapping or (name, tokens) pairs, got {rows!r}")
    if ids is not None and not isinstance(ids, Mapping):
        raise TypeError(f"ids must be a dict from row name to ids, got {ids!r:.60}")
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
    """(line, column, columns + ½) of each token laid out from ``line``; next line."""
    column, places = 0, []
    for token in tokens:
        size = columns(token) + 0.5  # room around the text inside its box
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


def _lay_out(rows: list[tuple], width: int) -> tuple[np.ndarray, list[tuple], float]:
    """(line, column, columns) of each token, row by row; row headers; lines used."""
    places, headers, line = [], [], 0.0
    for name, tokens, _ in rows:
        count = f"{len(tokens)} token{'' if len(tokens) == 1 else 's'}"
        headers.append((line, f"<b>{html.escape(name)}</b>: {count}"))
        row_places, line = _place(tokens, width, line + 1)
        places += row_places
        line += 0.5  # a gap before the next tokenizer's name
    return np.array(places, float).reshape(-1, 3), headers, line


def _box_traces(rows: list[tuple], places: np.ndarray) -> list[go.Scatter]:
    """One trace of boxes per colour: token i of a row is filled with colour i % 4."""
    colour_of = np.array(
        [i % len(BOX_COLORS) for _, tokens, _ in rows for i in range(len(tokens))]
    )
    return [_box_trace(places[colour_of == k], c) for k, c in enumerate(BOX_COLORS)]


def _token_text(rows: list[tuple], places: np.ndarray) -> go.Scatter:
    """Each token's visible text centred in its box; hover shows its id and bytes."""
    texts = [_label(token) for _, tokens, _ in rows for token in tokens]
    hovers = [
        _hover(name, i, token, row_ids)
        for name, tokens, row_ids in rows
        for i, token in enumerate(tokens)
    ]
    middles = places[:, 1] + places[:, 2] / 2
    hover = dict(hovertext=np.array(hovers, dtype=str), hoverinfo="text")
    return _text_trace(np.array(texts, dtype=str), middles, places[:, 0], **hover)


def _header_text(headers: list[tuple]) -> go.Scatter:
    """Each row's header (its name and token count) at the left of its own line."""
    header_lines, header_texts = zip(*headers, strict=True)
    left = dict(textposition="middle right", textfont={})
    return _text_trace(header_texts, [0.1] * len(headers), header_lines, **left)


def token_boundaries(
    rows: Rows,
    title: str | None = None,
    width: int = 40,
    ids: Mapping[str, Sequence[int]] | None = None,
    min_lines: int = 0,
) -> go.Figure:
    """Each tokenizer's tokens as coloured boxes laid out like text, ``width`` columns.

    ``ids`` maps a row's name to its token ids, shown on hover. Slider frames keep the
    first frame's height: ``min_lines`` reserves room for frames with more lines. The
    default 40 columns stay legible on a phone. A ``title`` may add, after ``<br>``, a
    second line: its subtitle.

    >>> fig = token_boundaries({"char": ["你", "好"], "word": ["你好"]})
    >>> len(fig.data), fig.data[-1].text
    (6, ('<b>char</b>: 2 tokens', '<b>word</b>: 1 token'))
    """
    width = check_int("width", width, minimum=1, maximum=MAX_SIZE)
    min_lines = check_int("min_lines", min_lines, minimum=0, maximum=MAX_SIZE)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {title!r:.60}")
    checked = _check_rows(rows, ids)
    places, headers, line = _lay_out(checked, width)
    boxes = _box_traces(checked, places)
    fig = go.Figure([*boxes, _token_text(checked, places), _header_text(headers)])
    ends = places[:, 1] + places[:, 2]
    fig.update_xaxes(visible=False, range=[-0.3, max([width, *ends]) + 0.3])
    line = max(line, min_lines)
    fig.update_yaxes(visible=False, range=[line - 0.5, -0.6])  # line 0 on top
    fig.update_layout(showlegend=False, hovermode="closest")
    _titled(fig, title, height=int(10 + LINE_PX * line))
    return fig.update_layout(margin=dict(l=10, r=10, b=10))
