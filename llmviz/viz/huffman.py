"""Chapter 2's figures of hierarchical softmax and of negative sampling's distributions:
the Huffman tree with one word's path, the noise distribution at a power, and
subsampling's keep probability. They draw what ``llmviz.embeddings`` computes; no maths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_int, check_real
from llmviz.viz._args import _array, _labels, _text
from llmviz.viz.theme import COLORS, legend_above, style

GREY = "rgba(128, 128, 128, 0.55)"


def _bit_array(name: str, code: Any) -> np.ndarray | None:
    """``code``'s bits as a 1-D array (None for a str); nothing but 0 and 1."""
    if isinstance(code, str):
        return None
    try:
        array = np.asarray(code)
    except (TypeError, ValueError):  # ragged
        array = np.asarray(None)
    if (
        array.dtype.kind not in "biuf"
        or array.ndim > 1
        or not np.isin(array, (0, 1)).all()
    ):
        raise ValueError(f"{name} must be 1-D bits 0 and 1, got {code!r:.40}")
    return array.ravel()


def _shares(values: Any, name: str) -> np.ndarray:
    """A 1-D array of probabilities (or shares of a total), each in [0, 1]."""
    array = _array(values, name, 1)
    if (array < 0).any() or (array > 1).any():
        raise ValueError(f"{name} must hold probabilities in [0, 1], got {array!r:.60}")
    return array


def _bit_strings(codes: Any) -> list[str]:
    if not isinstance(codes, (list, tuple)) or len(codes) < 2:
        raise TypeError(
            "codes must be a list of two or more codes (bit arrays or strings)"
        )
    out = []
    for i, code in enumerate(codes):
        array = _bit_array(f"codes[{i}]", code)
        bits = code if array is None else "".join(str(int(b)) for b in array)
        if not bits or set(bits) - {"0", "1"}:
            raise ValueError(
                f"codes[{i}] must be a non-empty string of bits, got {code!r:.40}"
            )
        out.append(bits)
    prefixes = {c[:k] for c in out for k in range(len(c))}
    if len(set(out)) != len(out) or prefixes & set(out):
        raise ValueError("codes must be prefix-free: the leaves of one binary tree")
    return out


def _layout(codes: list[str]) -> dict[str, tuple[float, float]]:
    """(depth, row) of every node, named by its prefix; leaves one row each, top to
    bottom in code order (the 0 branch above the 1 branch), a parent between its
    children."""
    place = {code: (len(code), float(row)) for row, code in enumerate(sorted(codes))}
    for prefix in sorted(
        {c[:k] for c in codes for k in range(len(c))}, key=len, reverse=True
    ):
        rows = [place[prefix + b][1] for b in "01" if prefix + b in place]
        place[prefix] = (len(prefix), sum(rows) / len(rows))
    return place


def _segments(place: dict, pairs: list[tuple[str, str]]) -> tuple[list, list]:
    x: list = []
    y: list = []
    for parent, child in pairs:
        x += [place[parent][0], place[child][0], None]
        y += [place[parent][1], place[child][1], None]
    return x, y


def huffman_tree_figure(
    labels: Sequence[str],
    codes: Any,
    word: int,
    title: str | None = None,
    hover: Sequence[str] | None = None,
) -> go.Figure:
    """The binary tree of ``codes`` (one leaf per label, root at the left), with the
    path of leaf ``word`` drawn thick and its bits written on the edges."""
    bits = _bit_strings(codes)
    if labels is None:
        raise TypeError("labels must be a sequence of labels, one per code, got None")
    labels = [str(s) for s in _labels(labels, "labels", len(bits))]
    hover = (
        labels
        if hover is None
        else [str(s) for s in _labels(hover, "hover", len(bits))]
    )
    check_int("word", word, minimum=0, maximum=len(bits) - 1)
    _text("title", title, none=True)
    place = _layout(bits)
    inner = [p for p in place if p not in set(bits)]
    edges = [(node[:-1], node) for node in place if node]
    path = [(bits[word][:k], bits[word][: k + 1]) for k in range(len(bits[word]))]
    fig = go.Figure()
    x, y = _segments(place, edges)
    fig.add_scatter(
        x=x,
        y=y,
        mode="lines",
        line=dict(color=GREY, width=1.5),
        showlegend=False,
        hoverinfo="skip",
    )
    x, y = _segments(place, path)
    fig.add_scatter(
        x=x,
        y=y,
        mode="lines",
        line=dict(color=COLORS[1], width=5),
        name="the word's path",
        hoverinfo="skip",
    )
    mid = [
        ((place[a][0] + place[b][0]) / 2, (place[a][1] + place[b][1]) / 2, b[-1])
        for a, b in path
    ]
    # each bit in white on an orange disc on its edge: readable on the thick path in
    # both themes
    fig.add_scatter(
        x=[m[0] for m in mid],
        y=[m[1] for m in mid],
        text=[m[2] for m in mid],
        mode="markers+text",
        marker=dict(size=18, color=COLORS[1], line=dict(width=0)),
        textfont=dict(size=12, color="white"),
        textposition="middle center",
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=[place[p][0] for p in inner],
        y=[place[p][1] for p in inner],
        mode="markers",
        marker=dict(size=8, color=COLORS[0], symbol="circle"),
        name="inner node: a sigmoid",
        hovertemplate="inner node, path %{text}<extra></extra>",
        text=[p or "(root)" for p in inner],
    )
    fig.add_scatter(
        x=[place[c][0] for c in bits],
        y=[place[c][1] for c in bits],
        mode="markers+text",
        text=labels,
        textposition="middle right",
        marker=dict(size=9, color=COLORS[2], symbol="square"),
        name="word (a leaf)",
        cliponaxis=False,
        textfont=dict(size=12),
        customdata=[[h, c] for h, c in zip(hover, bits, strict=True)],
        hovertemplate="%{customdata[0]}<br>code %{customdata[1]}<extra></extra>",
    )
    deepest = max(len(c) for c in bits)
    style(
        fig,
        title or "A Huffman tree: each word is a leaf",
        height=min(700, 150 + 26 * len(bits)),
    )
    fig.update_xaxes(
        title="depth: decisions from the root",
        range=[-0.3, deepest + 0.4],
        dtick=1,
        zeroline=False,
    )
    fig.update_yaxes(
        visible=False, autorange="reversed", title="words, in the order of their codes"
    )
    fig.update_layout(margin_r=125)  # the leaves' labels, outside the plot
    return legend_above(fig, rows=3)  # three rows on a phone


def noise_figure(
    probabilities: Any,
    unigram: Any,
    title: str | None = None,
    power: float | None = None,
) -> go.Figure:
    """Each word's noise probability by frequency rank (log–log), beside the unigram
    distribution (power 1) and the uniform one (power 0) as references."""
    p = _shares(probabilities, "probabilities")
    u = _shares(unigram, "unigram")
    if len(u) != len(p):
        raise ValueError(
            f"unigram must have one entry per word of probabilities ({len(p)}), "
            f"got {len(u)}"
        )
    _text("title", title, none=True)
    if power is not None:
        check_real("power", power, -2, 2)
    rank = np.arange(1, len(p) + 1)
    fig = go.Figure()
    fig.add_scatter(
        x=rank,
        y=u,
        mode="lines",
        line=dict(color=GREY, dash="dot", width=2),
        name="unigram (power 1)",
    )
    fig.add_scatter(
        x=rank[[0, -1]],
        y=[1 / len(p)] * 2,
        mode="lines",
        line=dict(color=GREY, dash="dash", width=2),
        name="uniform (power 0)",
    )
    name = "noise" if power is None else f"noise, power {power:g}"
    fig.add_scatter(
        x=rank,
        y=p,
        mode="lines",
        line=dict(color=COLORS[0], width=3),
        name=name,
        hovertemplate="rank %{x}<br>P = %{y:.2e}<extra></extra>",
    )
    style(fig, title or "The noise distribution", height=420)
    fig.update_xaxes(
        type="log", title="word's frequency rank (1 = most frequent)", dtick=1
    )
    fig.update_yaxes(
        type="log",
        title="probability of being drawn as noise",
        exponentformat="power",
        dtick=1,
    )
    return legend_above(fig, rows=2)


def keep_figure(
    frequencies: Any,
    keep: Mapping[str, Any],
    title: str | None = None,
    labels: Sequence[str] | None = None,
) -> go.Figure:
    """Subsampling's keep probability against a word's share of the corpus, one line per
    ``sample`` setting (``keep`` maps a legend name to a keep probability per word)."""
    f = _shares(frequencies, "frequencies")
    if not isinstance(keep, Mapping) or not keep:
        raise TypeError(
            "keep must be a non-empty mapping of name -> keep probabilities"
        )
    _text("title", title, none=True)
    names = (
        None if labels is None else [str(s) for s in _labels(labels, "labels", len(f))]
    )
    order = np.argsort(f)
    fig = go.Figure()
    for i, (name, values) in enumerate(keep.items()):
        k = _shares(values, f"keep[{name!r}]")
        if len(k) != len(f):
            raise ValueError(
                f"keep[{name!r}] must have one entry per word ({len(f)}), got {len(k)}"
            )
        fig.add_scatter(
            x=f[order],
            y=k[order],
            mode="lines+markers",
            name=str(name),
            line=dict(color=COLORS[i % len(COLORS)], width=2),
            marker=dict(size=4),
            text=None if names is None else [names[j] for j in order],
            hovertemplate="%{text}<br>share %{x:.2e}<br>kept %{y:.3f}<extra></extra>",
        )
    style(
        fig, title or "Subsampling keeps rare words and drops frequent ones", height=420
    )
    fig.update_xaxes(
        type="log",
        title="word's share of the corpus c / T",
        exponentformat="power",
        dtick=1,
    )
    fig.update_yaxes(title="probability an occurrence is kept", range=[0, 1.05])
    return legend_above(fig, rows=1)
