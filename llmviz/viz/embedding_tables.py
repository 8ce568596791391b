"""Figures of chapter 2's frame: cosine similarity of one-hot and learned vectors side
by side, and the share of a model's parameters that its embedding tables take.

They draw what they are given (``llmviz.embeddings.onehot`` computes the cosines,
``llmviz.moe.params`` the parameter counts); no maths here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from llmviz.viz._args import _array, _labels, _text
from llmviz.viz.figures import heatmap
from llmviz.viz.grid import small_multiples
from llmviz.viz.theme import COLORS, legend_above, style

DIVERGING = "RdBu_r"  # cosine −1 blue, 0 white, +1 red: 0 (unrelated) reads as blank


def similarity_panels(
    words: Sequence[str], matrices: Mapping[str, Any], title: str
) -> go.Figure:
    """One heatmap of pairwise cosine similarity per set of vectors, on one scale
    from −1 to 1, ``words`` labelling rows and columns in the same order.

    >>> fig = similarity_panels(["a", "b"], {"one-hot": [[1, 0], [0, 1]]}, "t")
    >>> fig.data[0].zmin, fig.data[0].zmax
    (-1.0, 1.0)
    """
    if not isinstance(matrices, Mapping) or not matrices:
        raise TypeError(
            f"matrices must be a non-empty dict of name -> (N, N) cosines, got "
            f"{type(matrices).__name__}"
        )
    _text("title", title)
    if words is None:
        raise TypeError("words must be a sequence of labels, one per row, got None")
    panels = {}
    for name, matrix in matrices.items():
        _text("matrices' keys", name)
        z = _array(matrix, f"matrices[{name!r}]", 2)
        if z.shape[0] != z.shape[1] or (abs(z) > 1 + 1e-6).any():
            raise ValueError(
                f"matrices[{name!r}] must be a square matrix of cosines in [−1, 1], "
                f"got shape {z.shape}, largest |value| {abs(z).max():.3g}"
            )
        labels = _labels(words, "words", z.shape[0])
        panels[name] = heatmap(
            z.round(2), labels, labels, x_title="word", y_title="word",
            zmin=-1.0, zmax=1.0, colorscale=DIVERGING, scale_title="cosine",
        )  # fmt: skip
    fig = small_multiples(panels, title, cols=len(panels), row_height=330)
    # every word, also on a phone (plotly would drop every other one)
    fig.update_xaxes(
        tickangle=-90, tickfont_size=9, title_standoff=4, dtick=1, title_text="word"
    )
    fig.update_yaxes(tickfont_size=10, title_standoff=4)
    for i in range(2, len(panels) + 1):  # rows labelled once, at the left
        fig.layout[f"yaxis{i}"].update(showticklabels=False, title_text=None)
    fig.update_annotations(font_size=13)
    # the colour bar lies under the panels, so that a phone keeps their width
    bar = dict(orientation="h", thickness=10, len=0.6, x=0.5, xanchor="center",
               y=-0.5, yanchor="top", title_side="top")  # fmt: skip
    fig.update_traces(colorbar=bar)
    return fig.update_layout(height=fig.layout.height + 100, margin_b=160)


def parameter_share_figure(
    models: Sequence[str], parts: Mapping[str, Any], title: str
) -> go.Figure:
    """Stacked horizontal bars: each model's parameters split into ``parts``
    ({part name: share of the total, one per model, in %}), the first model at the top.

    >>> fig = parameter_share_figure(["m"], {"embedding": [20], "rest": [80]}, "t")
    >>> [trace.name for trace in fig.data]
    ['embedding', 'rest']
    """
    if not isinstance(parts, Mapping) or not parts:
        raise TypeError(
            f"parts must be a non-empty dict of name -> shares, got "
            f"{type(parts).__name__}"
        )
    _text("title", title)
    if models is None:
        raise TypeError("models must be a sequence of labels, one per bar, got None")
    fig = go.Figure()
    labels = None
    for i, (name, shares) in enumerate(parts.items()):
        _text("parts' keys", name)
        values = _array(shares, f"parts[{name!r}]", 1)
        labels = _labels(models, "models", len(values))
        if (values < 0).any() or (values > 100).any():
            raise ValueError(f"parts[{name!r}] must hold shares in [0, 100] (%)")
        fig.add_trace(
            go.Bar(
                x=values, y=labels, orientation="h", name=name,
                marker_color=COLORS[i % len(COLORS)],
                text=[f"{v:.0f}%" if v >= 4 else "" for v in values], textangle=0,
                textposition="inside", insidetextanchor="middle",
                hovertemplate="%{y}: %{x:.1f}%<extra>" + name + "</extra>",
            )
        )  # fmt: skip
    # a label that does not fit its bar at 10 px is hidden, not shrunk or turned
    fig.update_layout(barmode="stack", uniformtext=dict(minsize=10, mode="hide"))
    fig.update_xaxes(title="share of the parameters (%)", range=[0, 100])
    fig.update_yaxes(title="model", type="category", autorange="reversed")
    style(fig, title, height=120 + 46 * len(labels))
    legend_above(fig, rows=2)
    return fig.update_layout(legend_traceorder="normal")
