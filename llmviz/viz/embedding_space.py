"""Word vectors in two dimensions: the PCA picture of chapter 2, with one word's cosine
neighbours highlighted, a slider over query words, and one-hot against learned vectors.

Drawing only: the points come from ``llmviz.embeddings.similarity.pca_2d`` and the
neighbours from ``nearest``; this module places and labels them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch

from llmviz._checks import check_int, check_real
from llmviz.viz.compact import compact
from llmviz.viz.grid import small_multiples
from llmviz.viz.slider import slider_figure
from llmviz.viz.theme import COLORS, legend_above, style

GREY = "rgba(128, 128, 128, 0.35)"


def _points(name: str, points: Any, words: Any) -> np.ndarray:
    """``points`` as a finite (N, 2) float array, one per word of ``words``."""
    if isinstance(points, torch.Tensor):
        points = points.detach().double().numpy()
    if not isinstance(points, (np.ndarray, list, tuple)):
        raise TypeError(f"{name} must be an (N, 2) array, got {type(points).__name__}")
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an (N, 2) array of numbers: {error}") from None
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0:
        raise ValueError(f"{name} must have shape (N, 2), N >= 1, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite: it holds NaN or inf")
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(f"words must be a sequence of str, got {type(words).__name__}")
    if len(words) != len(array) or not all(isinstance(w, str) for w in words):
        raise ValueError(f"words must be {len(array)} str, one per point of {name}")
    return array


def _ratio(name: str, ratio: Any) -> list[float]:
    if isinstance(ratio, torch.Tensor):
        ratio = ratio.tolist()
    if isinstance(ratio, (str, bytes)) or not isinstance(ratio, Sequence):
        raise TypeError(f"{name} must be two variance ratios, got {ratio!r:.60}")
    if len(ratio) != 2:
        raise ValueError(f"{name} must hold 2 ratios, got {len(ratio)}")
    return [check_real(name, r, 0, 1) for r in ratio]


def _neighbours(name: str, near: Any, words: Sequence[str]) -> list[tuple[str, float]]:
    if isinstance(near, (str, bytes)) or not isinstance(near, Sequence) or not near:
        raise TypeError(f"{name} must be a non-empty list of (word, cosine) pairs")
    for pair in near:
        if not (isinstance(pair, tuple) and len(pair) == 2 and pair[0] in words):
            raise ValueError(
                f"{name} must hold (word, cosine) of known words, got {pair!r:.60}"
            )
        check_real(name, pair[1], -1.0001, 1.0001)
    return list(near)


def axis_titles(ratio: Sequence[float]) -> tuple[str, str]:
    """'PC1 (12% of the variance)', the method and what each axis explains.

    >>> axis_titles([0.123, 0.05])[0]
    'PC1: 12.3% of the variance'
    """
    return tuple(f"PC{i + 1}: {100 * float(r):.1f}% of the variance" for i, r in
                 enumerate(ratio[:2]))  # fmt: skip


def _labels(q: np.ndarray, near: np.ndarray, words: list[str], query: str,
            box: tuple[np.ndarray, np.ndarray]) -> list[dict]:  # fmt: skip
    """Annotations: the query below its star, and the neighbours' words in a column on
    the far side of the plot, in the order of their heights, each with a leader to its
    point, so that labels of close points never overlap, at any width."""
    low, high = box
    right = q[0] < (low[0] + high[0]) / 2
    x = high[0] if right else low[0]
    step = (high[1] - low[1]) / len(words)
    notes = [
        dict(
            x=q[0],
            y=q[1],
            text=f"<b>{query}</b>",
            ax=0,
            ay=22,
            showarrow=True,
            arrowcolor="rgba(0,0,0,0)",
            font=dict(size=14),
        )
    ]
    for rank, i in enumerate(np.argsort(-near[:, 1])):
        notes.append(dict(x=near[i, 0], y=near[i, 1], text=words[i],
                          ax=float(x), ay=float(high[1] - (rank + 0.5) * step),
                          axref="x", ayref="y", xanchor="right" if right else "left",
                          showarrow=True, arrowhead=0, arrowwidth=1, arrowcolor=GREY,
                          font=dict(size=12)))  # fmt: skip
    return notes


def space_panel(
    points: Any,
    words: Sequence[str],
    ratio: Sequence[float],
    query: str,
    neighbours: Sequence[tuple[str, float]],
    title: str,
    anchors: Sequence[str] = (),
) -> go.Figure:
    """All ``points`` faint, ``query`` as a star and its ``neighbours`` (word, cosine)
    highlighted and labelled, with lines to it; ``anchors`` labelled in grey."""
    array = _points("points", points, words)
    _ratio("ratio", ratio)
    if query not in words:
        raise ValueError(f"query must be one of words, got {query!r:.60}")
    neighbours = _neighbours("neighbours", neighbours, words)
    if not isinstance(title, str) or not title.strip():
        raise TypeError(
            f"title must state the figure's point as a str, got {title!r:.60}"
        )
    if isinstance(anchors, str) or not all(a in words for a in anchors):
        raise ValueError(
            f"anchors must be a list of words of words, got {anchors!r:.60}"
        )
    row = {w: i for i, w in enumerate(words)}
    q = array[row[query]]
    near = np.array([array[row[w]] for w, _ in neighbours])  # (k, 2)
    marked = {query, *(w for w, _ in neighbours)}
    anchor = [a for a in anchors if a not in marked]
    at = np.array([array[row[a]] for a in anchor]).reshape(-1, 2)  # (A, 2)
    spokes_x = np.ravel([[q[0], x, None] for x in near[:, 0]]).tolist()
    spokes_y = np.ravel([[q[1], y, None] for y in near[:, 1]]).tolist()
    fig = go.Figure([
        go.Scatter(x=array[:, 0], y=array[:, 1], mode="markers", name="other words",
                   marker=dict(color=GREY, size=5), text=list(words),
                   hovertemplate="%{text}<extra></extra>"),
        go.Scatter(x=at[:, 0], y=at[:, 1], mode="text", text=anchor, showlegend=False,
                   textposition=["top left" if x > 0 else "top right" for x in at[:, 0]],  # noqa: E501
                   textfont=dict(color="rgb(128,128,128)"), hoverinfo="skip"),
        go.Scatter(x=spokes_x, y=spokes_y, mode="lines", showlegend=False,
                   line=dict(color=COLORS[1], width=1), hoverinfo="skip"),
        go.Scatter(x=near[:, 0], y=near[:, 1], mode="markers",
                   name=f"its {len(neighbours)} nearest by cosine",
                   marker=dict(color=COLORS[1], size=9),
                   text=[w for w, _ in neighbours],
                   customdata=[round(c, 3) for _, c in neighbours],
                   hovertemplate="%{text}: cosine %{customdata}<extra></extra>"),
        go.Scatter(x=[q[0]], y=[q[1]], mode="markers", name="query word",
                   marker=dict(color=COLORS[0], size=15, symbol="star"), text=[query],
                   hovertemplate="%{text}<extra></extra>"),
    ])  # fmt: skip
    low, high = array.min(axis=0), array.max(axis=0)
    span = np.maximum(high - low, 1e-9)
    low, high = low - 0.08 * span, high + 0.08 * span
    x_title, y_title = axis_titles(ratio)
    fig.update_xaxes(title=x_title, range=[low[0], high[0]])
    fig.update_yaxes(title=y_title, range=[low[1], high[1]])
    labels = _labels(q, near, [w for w, _ in neighbours], query, (low, high))
    fig.update_layout(annotations=labels)
    return legend_above(style(fig, title, height=500, top=70), rows=2)


def space_slider(
    points: Any,
    words: Sequence[str],
    ratio: Sequence[float],
    neighbours: Mapping[str, Sequence[tuple[str, float]]],
    active: int = 0,
    dim: int | None = None,
) -> go.Figure:
    """``space_panel`` for each query word of ``neighbours``, one per slider step,
    opening on the ``active``-th; the title names the query and its neighbours."""
    _points("points", points, words)
    _ratio("ratio", ratio)
    if not isinstance(neighbours, Mapping) or not neighbours:
        raise TypeError(
            "neighbours must map each query word to its (word, cosine) list"
        )
    for query, near in neighbours.items():
        if query not in words:
            raise ValueError(f"neighbours must map words of words, got {query!r:.60}")
        _neighbours("neighbours", near, words)
    check_int("active", active, minimum=0, maximum=len(neighbours) - 1)
    if dim is not None:
        check_int("dim", dim, minimum=1, maximum=1_000_000)
    where = f"in {dim}-D" if dim else "in the vectors"
    notes = {}

    def draw(query: str) -> go.Figure:
        near = neighbours[query]
        listed = ", ".join(w for w, _ in near)
        if len(listed) > 40:  # two lines, so that a phone shows them whole
            cut = listed.rfind(", ", 0, len(listed) // 2 + 6)
            listed = listed[: cut + 1] + "<br>" + listed[cut + 2 :]
        title = (f"“{query}”: its {len(near)} nearest words by cosine<br>"
                 f"<sup>{where.strip()}: {listed}</sup>")  # fmt: skip
        panel = space_panel(points, words, ratio, query, near, title)
        notes[query] = panel.layout.annotations
        return panel

    fig = slider_figure(lambda word: word, "word", list(neighbours), draw=draw,
                        active=active, label="query word")  # fmt: skip
    for frame, query in zip(fig.frames, neighbours, strict=True):
        frame.layout.annotations = notes[query]  # the labels move with the frame
    return compact(fig)


def onehot_vs_learned(
    onehot_points: Any,
    onehot_ratio: Sequence[float],
    learned_points: Any,
    learned_ratio: Sequence[float],
    words: Sequence[str],
    title: str = "One-hot: every axis alike. Learned: groups",
    groups: Sequence[str] | None = None,
) -> go.Figure:
    """Two PCA panels of the same ``words``: one-hot vectors (every pair orthogonal,
    equidistant, so no axis explains more than any other) beside learned ones.

    Without ``groups`` each point carries its word. With ``groups`` (a name per word)
    the points are coloured by group, one legend entry naming each group's words, and
    the words move to the hover: in a tight cluster their labels would overlap.
    """
    if not isinstance(title, str) or not title.strip():
        raise TypeError(
            f"title must state the figure's point as a str, got {title!r:.60}"
        )
    if groups is not None:
        if isinstance(groups, str) or not isinstance(groups, Sequence):
            raise TypeError(
                f"groups must be a sequence of str, got {type(groups).__name__}"
            )
        if len(groups) != len(words) or not all(isinstance(g, str) for g in groups):
            raise ValueError(f"groups must be {len(words)} str, one per word")
    panels = {}
    pairs = (("one-hot", onehot_points, onehot_ratio),
             ("learned", learned_points, learned_ratio))  # fmt: skip
    for name, points, ratio in pairs:
        array = _points(f"{name.replace('-', '')}_points", points, words)
        _ratio(f"{name.replace('-', '')}_ratio", ratio)
        if groups is None:
            order = np.argsort(np.argsort(array[:, 0]))  # labels alternate, by x
            where = [("top" if j % 2 else "bottom") + " center" for j in order]
            traces = [go.Scatter(
                x=array[:, 0], y=array[:, 1], mode="markers+text", text=list(words),
                textposition=where,
                marker=dict(color=COLORS[0], size=8),
                hovertemplate="%{text}<extra></extra>", showlegend=False)]  # fmt: skip
        else:
            traces = []
            for colour, group in enumerate(dict.fromkeys(groups)):
                rows = [i for i, g in enumerate(groups) if g == group]
                members = [words[i] for i in rows]
                traces.append(go.Scatter(
                    x=array[rows, 0], y=array[rows, 1], mode="markers", text=members,
                    name=group,
                    marker=dict(color=COLORS[colour % len(COLORS)], size=9),
                    hovertemplate="%{text}<extra></extra>"))  # fmt: skip
        panel = go.Figure(traces)
        x_title, y_title = axis_titles(ratio)
        low, high = array.min(axis=0), array.max(axis=0)
        pad = 0.2 * np.maximum(high - low, 1e-9)
        panel.update_xaxes(title=x_title, range=[low[0] - pad[0], high[0] + pad[0]])
        panel.update_yaxes(
            title=y_title.replace(" of the variance", ""),
            range=[low[1] - pad[1], high[1] + pad[1]],
        )
        panels[f"{name} (PCA by SVD)"] = panel
    if groups is None:
        return small_multiples(panels, title, cols=1, row_height=300)
    fig = small_multiples(panels, title, cols=1, row_height=260)
    legend_above(fig, rows=1)  # above the first panel's title
    plot = fig.layout.height - fig.layout.margin.t - (fig.layout.margin.b or 0)  # px
    gap = 84 / plot  # the upper panel's ticks and axis title, the lower one's title
    fig.update_layout(
        yaxis_domain=[(1 + gap) / 2, 1],
        yaxis2_domain=[0, (1 - gap) / 2],
    )
    fig.layout.annotations[1].y = (1 - gap) / 2  # the lower panel's title
    return fig
