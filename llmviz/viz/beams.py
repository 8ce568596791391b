"""The tree that beam search grows: every candidate of every step, and which survived.

``beam_search`` records, for each step, its candidates best first, each with the beam it
extends (``parent``), its ``token``, its summed log-probability ``score`` and a
``status``: "running" (kept as a beam), "finished" (ended, stored as a hypothesis) or
"pruned". Here the tree grows downwards, so that a phone's narrow column holds it: the
candidate of rank ``i`` at step ``s`` sits at x = i, y = s, joined to the node of the
beam it extends by an edge that stops just above it: each label sits in that gap, above
its node or, where that is taken, beside or below it, where no edge, node or other
label is, so that on a phone no line strikes a label through.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence

import plotly.graph_objects as go

from llmviz._checks import check_callable, check_int
from llmviz.viz.beam_labels import _FONT, _PHONE_PLOT, POSITIONS, _positions, _stop
from llmviz.viz.beam_nodes import STATUSES, _check_tree, _walk
from llmviz.viz.theme import style

# pruned candidates outnumber the rest: their edges are drawn faint and thin, so that
# the kept lines lead the eye and the pruned ones do not fan across the labels
_PRUNED_EDGE = dict(color="rgba(138, 143, 152, 0.4)", width=1)


def _scales(tree: list[list[dict]], title: str | None) -> tuple[float, float]:
    """Pixels per rank and per step on a phone."""
    widest = max((len(candidates) for candidates in tree), default=1)
    top = 100 + 22 * (title.count("<br>") if title else 0)  # style's margins
    return _PHONE_PLOT / (widest + 0.2), (_height(tree) - top - 50) / (len(tree) + 1.2)


def beam_tree_figure(
    tree: Sequence[Sequence[dict]],
    label: Callable[[int], str] = str,
    title: str | None = None,
    steps: int | None = None,
) -> go.Figure:
    """Draw ``beam_search(...)["tree"]``: a node per candidate, an edge to its beam.

    The tree grows downwards, a row per step, its candidates best first from left to
    right; each edge runs from the beam's node to just above the candidate's label.
    ``label(token)`` gives each node's text (default: the token id), drawn with
    visible whitespace beside the kept beams and the finished hypotheses, each where,
    measured as on a 358 px phone, it meets no edge, node or other label; a pruned
    candidate shows its text on hover only, as every node shows its token, score and
    status. The prompt is the node at step 0. ``steps`` draws only the first ``steps``
    steps, on the axes of the whole tree, so that frames of a growing tree line up.
    Every figure has the same six traces (edges, then nodes, per status), so it can be
    a frame of ``slider_figure``.

    >>> tree = [[{"parent": 0, "token": 5, "score": -0.1, "status": "running"}]]
    >>> len(beam_tree_figure(tree).data)
    6
    >>> len(beam_tree_figure(tree, steps=0).data[3].x)  # the prompt alone
    1
    """
    tree = _check_tree(tree)
    check_callable("label", label)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {type(title).__name__}")
    drawn = _walk(tree, label)  # checks every parent, drawn or not
    scales = _scales(tree, title)
    place = _positions(drawn, scales, _border(tree))
    if steps is not None:
        check_int("steps", steps, minimum=0, maximum=len(tree))
        drawn = [node for node in drawn if node[1] <= steps]
    edges = {status: ([], []) for status in STATUSES}
    nodes = {status: ([], [], [], []) for status in STATUSES}  # x, y, text, hover
    for x, y, status, (x0, y0), text, hover in drawn:
        if y:  # the prompt has no edge; the others stop above their node's label
            edges[status][0].extend([x0, x, None])
            edges[status][1].extend([y0, y - _stop(scales[1]), None])
        for values, value in zip(nodes[status], (x, y, text, hover), strict=True):
            values.append(value)
    traces = []  # plain dicts: plotly checks them once, in go.Figure
    for status, (x, y) in edges.items():
        color, _, dash = STATUSES[status]
        line = dict(color=color, dash=dash, width=1.5)
        if status == "pruned":
            line |= _PRUNED_EDGE
        traces.append(
            dict(
                type="scatter",
                x=x,
                y=y,
                mode="lines",
                line=line,
                hoverinfo="skip",
                showlegend=False,
            )
        )
    for status, (x, y, text, hover) in nodes.items():
        color, symbol, _ = STATUSES[status]
        marker = dict(color=color, symbol=symbol, size=9)
        traces.append(
            dict(
                type="scatter",
                x=x,
                y=y,
                text=text,
                hovertext=hover,
                hoverinfo="text",
                # pruned candidates outnumber the rest: their labels would crowd it
                mode="markers" if status == "pruned" else "markers+text",
                # each label where it meets no edge, node or label, on every frame:
                # placed once for the whole tree
                textposition=[
                    place.get(xy, POSITIONS[0]) for xy in zip(x, y, strict=True)
                ],
                textfont=dict(size=_FONT),
                marker=marker,
                name=status,
            )
        )
    return go.Figure(data=traces, layout=_tree_layout(tree, title))


def _height(tree: list[list[dict]]) -> int:
    return min(700, 200 + 48 * len(tree))  # room for labels above and below


def _border(tree: list[list[dict]]) -> tuple[float, float, float, float]:
    """The axes' ranges: (left, right, top, bottom), in ranks and steps."""
    widest = max((len(candidates) for candidates in tree), default=1)
    return (-0.6, widest - 0.4, -0.6, len(tree) + 0.6)


def _tree_layout(tree: list[list[dict]], title: str | None) -> dict:
    """The layout, as a dict for ``go.Figure``: axes for the whole tree (rank across,
    step down), room for every row, and the book's style over them.

    Plotly validates a layout given to ``go.Figure`` once, but each ``update_layout``
    anew, at about a millisecond a call: built as a dict, a redraw saves most of that.
    """
    left, right, top, bottom = _border(tree)
    widest = max((len(candidates) for candidates in tree), default=1)
    layout = dict(
        xaxis=dict(
            title=dict(text="candidates of the step, best first"),
            range=[left, right],
            tickvals=list(range(widest)),
            ticktext=[str(rank) for rank in range(1, widest + 1)],
            zeroline=False,
        ),
        yaxis=dict(
            title=dict(text="step"),
            dtick=1,
            range=[bottom, top],  # step 0, the prompt, on top
            zeroline=False,
        ),
    )
    _merge(layout, copy.deepcopy(_styled(title, _height(tree))))
    return _merge(
        layout,
        dict(
            xaxis=dict(showgrid=False),  # a column's grid line would cross its labels
            margin=dict(r=10),  # the labels' room on a phone: nothing is at the right
            # above the plot: all its width for nodes
            legend=dict(
                orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"
            ),
        ),
    )


@functools.lru_cache(maxsize=64)
def _styled(title: str | None, height: int) -> dict:
    """``style``'s layout for a tree's figure, as a dict (made once per title and
    height: a redraw of the same tree size reuses it; copy it before changing it),
    less the default template, which ``go.Figure`` adds itself when it writes JSON."""
    layout = style(go.Figure(), title, height=height, top=100).layout.to_plotly_json()
    layout.pop("template", None)
    return layout


def _merge(base: dict, update: dict) -> dict:
    """``update`` merged into ``base`` in place, dict into dict, as ``update_layout``
    merges: a value that is not a dict replaces the one before.

    >>> _merge({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"c": 3}, "d": [2]})
    {'a': {'b': 1, 'c': 3}, 'd': [2]}
    """
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base
