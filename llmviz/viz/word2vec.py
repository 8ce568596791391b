"""Chapter 2's figures of word2vec: the two tasks' windows on a sentence, and the loss
during training. They draw what ``llmviz.embeddings`` computes; no maths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_int
from llmviz.viz._args import _array, _text
from llmviz.viz.theme import COLORS, legend_above, style

GREY = "#8c8c8c"  # a mid-grey that reads on a light and on a dark page
MAX_TOKENS = 16


def _tokens(name: str, tokens: Any) -> list[str]:
    if not isinstance(tokens, (list, tuple)) or not all(
        isinstance(t, str) for t in tokens
    ):
        raise TypeError(f"{name} must be a list of str, got {tokens!r:.60}")
    if not 2 <= len(tokens) <= MAX_TOKENS:
        raise ValueError(
            f"{name} must hold 2 to {MAX_TOKENS} tokens, got {len(tokens)}"
        )
    return list(tokens)


def _arc(x0: float, x1: float, y: float, lift: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 1, 12)
    return x0 + (x1 - x0) * t, y + lift * np.sin(np.pi * t) * min(1, abs(x1 - x0) / 2)


def windows_figure(
    tokens: Sequence[str],
    centre: int,
    window: int,
    glosses: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """One sentence drawn twice: CBOW (the context words' mean predicts the centre
    word) above, skip-gram (the centre word predicts each context word) below; arcs
    end in an arrow at the predicted word.

    >>> fig = windows_figure(["a", "b", "c", "d"], centre=1, window=1)
    >>> len({t.name for t in fig.data if t.showlegend is not False})  # 2 tasks, 3 kinds
    5
    """
    tokens = _tokens("tokens", tokens)
    centre = check_int("centre", centre, 0, len(tokens) - 1)
    window = check_int("window", window, 1, MAX_TOKENS)
    if glosses is not None:
        glosses = _tokens("glosses", glosses)
        if len(glosses) != len(tokens):
            raise ValueError(
                f"glosses must hold {len(tokens)} glosses, got {len(glosses)}"
            )
    _text("title", title, none=True)
    context = [i for i in range(len(tokens)) if 0 < abs(i - centre) <= window]
    fig = go.Figure()
    rows = {"CBOW": 1.0, "skip-gram": 0.0}
    for row, y in rows.items():
        for j in context:
            start, end = (j, centre) if row == "CBOW" else (centre, j)
            # from just beside one word to just short of the other, above both, so
            # that neither the line nor the arrowhead covers a word
            step = 1 if end > start else -1
            xs, ys = _arc(start + 0.15 * step, end - 0.3 * step, y + 0.2, 0.3)
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines+markers", hoverinfo="skip",
                line=dict(color=COLORS[0] if row == "CBOW" else COLORS[1], width=1.5),
                marker=dict(symbol="arrow", size=[0] * 11 + [10], angleref="previous"),
                name="CBOW: context → centre" if row == "CBOW"
                else "skip-gram: centre → each context word",
                legendgroup=row, showlegend=j == context[0],
            ))  # fmt: skip
    _words(fig, tokens, glosses, centre, context, rows)

    # margins as wide as the end words' halves and the row names on two lines: on a
    # phone every word gets the widest slot the plot can give, so neighbours never
    # touch, and the end words are not cut (a 13 px character: ~0.18 slot at 358 px)
    def half(i: int) -> float:
        wide = len(tokens[i]) * (1 if tokens[i].isascii() else 2)
        return max(0.5, 0.09 * max(wide, 0.7 * len(glosses[i]) if glosses else 0))

    fig.update_xaxes(
        range=[-half(0), len(tokens) - 1 + half(-1)], showticklabels=False,
        showgrid=False,
        zeroline=False, title_text=f"the sentence, window {window} on each side",
    )  # fmt: skip
    names = [name.replace("-", "-<br>") for name in rows]
    fig.update_yaxes(
        tickvals=list(rows.values()), ticktext=names, range=[-0.45, 1.55],
        showgrid=False, zeroline=False, title_text="task",
    )  # fmt: skip
    style(fig, title, height=300)
    return legend_above(fig, rows=4)


def _words(fig, tokens, glosses, centre, context, rows) -> None:
    outside = [i for i in range(len(tokens)) if i != centre and i not in context]
    kinds = [("centre word", [centre], COLORS[3]), ("context", context, COLORS[2]),
             ("outside the window", outside, GREY)]  # fmt: skip
    for name, where, color in kinds:
        labels = [
            tokens[i]
            + (
                f'<br><span style="font-size:11px">{glosses[i]}</span>'
                if glosses
                else ""
            )
            for i in where
        ]
        for k, y in enumerate(rows.values()):
            fig.add_trace(go.Scatter(
                x=where, y=[y] * len(where), mode="text", text=labels,
                textfont=dict(color=color, size=13), name=name, legendgroup=name,
                showlegend=k == 0 and bool(where), hoverinfo="skip",
            ))  # fmt: skip


def loss_figure(
    losses: Mapping[str, Sequence[float]],
    epochs: int,
    smooth: int = 20,
    title: str | None = None,
) -> go.Figure:
    """The loss of every batch, as a running mean over ``smooth`` batches, against the
    epoch (each run's batches spread evenly over its ``epochs``).

    >>> fig = loss_figure({"skip-gram": [3.0, 2.0, 1.0]}, epochs=1, smooth=1)
    >>> fig.data[0].y.tolist()
    [3.0, 2.0, 1.0]
    """
    if not isinstance(losses, Mapping) or not losses:
        raise TypeError(
            f"losses must be a non-empty {{name: losses}} mapping, got {losses!r:.40}"
        )
    epochs = check_int("epochs", epochs, 1, 10_000)
    smooth = check_int("smooth", smooth, 1, 10_000)
    _text("title", title, none=True)
    fig = go.Figure()
    for i, (name, values) in enumerate(losses.items()):
        y = _array(values, f"losses[{name!r}]", 1)
        k = min(smooth, y.size)
        mean = np.convolve(y, np.ones(k) / k, mode="valid")
        x = (np.arange(mean.size) + k) * epochs / y.size
        line = dict(color=COLORS[i % len(COLORS)], width=2)
        fig.add_trace(go.Scatter(x=x, y=mean, name=name, mode="lines", line=line))
    fig.update_xaxes(title_text="epoch")
    mean = "" if smooth == 1 else f", mean of {smooth} points"
    fig.update_yaxes(title_text=f"loss per example{mean}")
    style(fig, title, height=360)
    return legend_above(fig, rows=max(1, (len(losses) + 1) // 2))


def agreement_figure(
    x: Sequence[float],
    y: Sequence[float],
    x_title: str,
    y_title: str,
    title: str | None = None,
) -> go.Figure:
    """Points (x, y) with the line y = x: how far a learned quantity is from the value
    theory predicts for it.

    >>> agreement_figure([0, 1], [0, 2], "theory", "learned").data[1].name
    'y = x'
    """
    xs = _array(x, "x", 1)
    ys = _array(y, "y", 1)
    if xs.shape != ys.shape:
        raise ValueError(
            f"x and y must be 1-D of the same length, got {xs.shape}, {ys.shape}"
        )
    for name, text in (("x_title", x_title), ("y_title", y_title)):
        _text(name, text)
    _text("title", title, none=True)
    fig = go.Figure(go.Scatter(
        x=xs.astype(np.float32), y=ys.astype(np.float32), mode="markers",
        name="word pairs",
        marker=dict(size=4, color=COLORS[0], opacity=0.45), hoverinfo="skip",
    ))  # fmt: skip
    low, high = float(min(xs.min(), ys.min())), float(max(xs.max(), ys.max()))
    fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="y = x",
                             line=dict(color=COLORS[3], dash="dash")))  # fmt: skip
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    style(fig, title, height=400)
    return legend_above(fig)
