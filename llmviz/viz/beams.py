"""The tree that beam search grows: every candidate of every step, and which survived.

``beam_search`` records, for each step, its candidates best first, each with the beam it
extends (``parent``), its ``token``, its summed log-probability ``score`` and a
``status``: "running" (kept as a beam), "finished" (ended, stored as a hypothesis) or
"pruned". Here the tree grows downwards, so that a phone's narrow column holds it: the
candidate of rank ``i`` at step ``s`` sits at x = i, y = s, joined to the node of the
beam it extends.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go

from llmviz._checks import check_callable, check_int
from llmviz.viz.theme import COLORS, style
from llmviz.viz.tokens import _label

STATUSES = {  # status: (colour, marker symbol, edge dash)
    "running": (COLORS[0], "circle", "solid"),
    "finished": (COLORS[2], "square", "solid"),
    "pruned": ("#aaaaaa", "circle-open", "dot"),
}
_KEYS = {"parent", "token", "score", "status"}


def _check_candidate(candidate: Any, where: str) -> None:
    """Raise unless ``candidate`` is a dict of an int parent and token, a real score
    (not NaN) and a known status; ``where`` locates it in the tree."""
    if not isinstance(candidate, dict) or not _KEYS <= candidate.keys():
        raise ValueError(
            f"tree: each candidate needs the keys {sorted(_KEYS)}, got "
            f"{_short(candidate)} {where}"
        )
    for key in ("parent", "token"):
        value = candidate[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"tree: {key} must be an int, got {value!r} {where}")
    score = candidate["score"]
    if isinstance(score, bool) or not isinstance(score, numbers.Real) or score != score:
        raise ValueError(f"tree: score must be a real number, got {score!r} {where}")
    if candidate["status"] not in STATUSES:
        raise ValueError(
            f"tree: status must be one of {list(STATUSES)}, got "
            f"{candidate['status']!r} {where}"
        )


def _check_tree(tree: Any) -> list[list[dict]]:
    if not isinstance(tree, Sequence) or isinstance(tree, str):
        raise TypeError(
            f"tree must be beam_search's list of steps, got {type(tree).__name__}"
        )
    for step, candidates in enumerate(tree, start=1):
        if not isinstance(candidates, Sequence) or isinstance(candidates, str):
            raise TypeError(
                f"tree: each step must be a list of candidates, got "
                f"{_short(candidates)} at step {step}"
            )
        for rank, candidate in enumerate(candidates):
            _check_candidate(candidate, f"at step {step}, candidate {rank}")
    return [list(candidates) for candidates in tree]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(label: Callable[[int], str], token: int) -> str:
    text = label(token)
    if not isinstance(text, str):
        raise TypeError(
            f"label must return a str, got {type(text).__name__} for token {token}"
        )
    return _label(text)


def _walk(tree: list[list[dict]], label: Callable[[int], str]) -> list[tuple]:
    """Every node of the tree, the prompt first, as (rank, step, status, the
    position of its parent, its text, its hover text)."""
    beams = [(0, 0)]  # node positions of the running beams of the previous step
    found = [(0, 0, "running", (0, 0), "prompt", "the prompt")]
    for step, candidates in enumerate(tree, start=1):
        running = []
        for rank, candidate in enumerate(candidates):
            status, parent = candidate["status"], candidate["parent"]
            if parent not in range(len(beams)):
                raise ValueError(
                    f"tree: parent must index one of the {len(beams)} beams of step "
                    f"{step - 1}, got {parent} at step {step}"
                )
            text = _text(label, candidate["token"])
            hover = f"{text}: {candidate['score']:.3f}, {status}"
            found.append((rank, step, status, beams[parent], text, hover))
            if status == "running":
                running.append((rank, step))
        beams = running
    return found


def beam_tree_figure(
    tree: Sequence[Sequence[dict]],
    label: Callable[[int], str] = str,
    title: str | None = None,
    steps: int | None = None,
) -> go.Figure:
    """Draw ``beam_search(...)["tree"]``: a node per candidate, an edge to its beam.

    The tree grows downwards, a row per step, its candidates best first from left to
    right. ``label(token)`` gives each node's text (default: the token id), drawn with
    visible whitespace beside the kept beams and the finished hypotheses; a pruned
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
    if steps is not None:
        check_int("steps", steps, minimum=0, maximum=len(tree))
        drawn = [node for node in drawn if node[1] <= steps]
    edges = {status: ([], []) for status in STATUSES}
    nodes = {status: ([], [], [], []) for status in STATUSES}  # x, y, text, hover
    for x, y, status, (x0, y0), text, hover in drawn:
        if y:  # the prompt has no edge
            edges[status][0].extend([x0, x, None])
            edges[status][1].extend([y0, y, None])
        for values, value in zip(nodes[status], (x, y, text, hover), strict=True):
            values.append(value)
    traces = []  # plain dicts: plotly checks them once, in go.Figure
    for status, (x, y) in edges.items():
        color, _, dash = STATUSES[status]
        line = dict(color=color, dash=dash, width=1.5)
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
                # labels above the nodes of even ranks and below those of odd ones,
                # so that neighbouring columns' labels never meet on a narrow screen
                textposition=[
                    "top center" if rank % 2 == 0 else "bottom center" for rank in x
                ],
                textfont=dict(size=11),
                marker=marker,
                name=status,
            )
        )
    return _tree_layout(go.Figure(data=traces), tree, title)


def _tree_layout(
    fig: go.Figure, tree: list[list[dict]], title: str | None
) -> go.Figure:
    """Axes for the whole tree (rank across, step down) and room for every row."""
    widest = max((len(candidates) for candidates in tree), default=1)
    fig.update_layout(
        xaxis=dict(
            title="candidates of the step, best first",
            range=[-0.6, widest - 0.4],
            tickvals=list(range(widest)),
            ticktext=[str(rank) for rank in range(1, widest + 1)],
            zeroline=False,
        ),
        yaxis=dict(
            title="step",
            dtick=1,
            range=[len(tree) + 0.6, -0.6],  # step 0, the prompt, on top
            zeroline=False,
        ),
    )
    style(fig, title, height=min(700, 200 + 40 * len(tree)), top=100)
    legend = dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom")
    return fig.update_layout(legend=legend)  # above the plot: all its width for nodes
