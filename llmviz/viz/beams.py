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
import html
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_callable, check_int
from llmviz.viz.theme import COLORS, style
from llmviz.viz.tokens import _label

STATUSES = {  # status: (colour, marker symbol, edge dash)
    "running": (COLORS[0], "circle", "solid"),
    "finished": (COLORS[2], "square", "solid"),
    # mid grey, which reads on white and on the dark theme's #121212
    "pruned": ("#8a8f98", "circle-open", "dot"),
}
# pruned candidates outnumber the rest: their edges are drawn faint and thin, so that
# the kept lines lead the eye and the pruned ones do not fan across the labels
_PRUNED_EDGE = dict(color="rgba(138, 143, 152, 0.4)", width=1)
_KEYS = {"parent", "token", "score", "status"}

# Where a label may sit: above or below its node, centred or to one side. Each label
# takes the first of these whose box meets no edge, node, other label or border,
# measured as on a 358 px phone, the narrowest width the book is read at (wider, a
# label's box only shrinks towards its node, in the axes' units, so it stays clear).
POSITIONS = (
    "top center",
    "top right",
    "top left",
    "bottom center",
    "bottom right",
    "bottom left",
    "middle right",
    "middle left",
)
_FONT = 11  # px, the labels' text
_MARKER = 9  # px, the nodes' markers
_PHONE_PLOT = 358 - 60 - 10  # px, the plot's width on a phone (its margins)
# widths in em, a little over Verdana's (the widest of the figures' fonts)
_EM = dict.fromkeys("·.,:;'’\"!|iIjlrtf ", 0.36) | dict.fromkeys("mwMW↵", 0.9)
_GAP = _MARKER / 2 / 0.8 + 1  # px, plotly's offset of text from a marker's centre


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


def _meets(box: tuple, start: tuple, end: tuple) -> bool:
    """Whether the segment from ``start`` to ``end`` meets ``box`` (left, right, top,
    bottom): Liang and Barsky's clipping."""
    (x0, y0), (x1, y1) = start, end
    low, high = 0.0, 1.0
    for p, q in (
        (x0 - x1, x0 - box[0]),
        (x1 - x0, box[1] - x0),
        (y0 - y1, y0 - box[2]),
        (y1 - y0, box[3] - y0),
    ):
        if p == 0:
            if q < 0:
                return False
        elif p < 0:
            low = max(low, q / p)
        else:
            high = min(high, q / p)
    return low <= high


def _meets_many(boxes: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``_meets`` for every box (P, 4) against every edge (N, 4: x0, y0, x1, y1) at
    once: (P, N) bools, the same float arithmetic, so the same answers.

    >>> box = np.array([[0.0, 2.0, 0.0, 2.0]])
    >>> _meets_many(box, np.array([[1.0, -1.0, 1.0, 3.0], [3.0, 0.0, 4.0, 5.0]]))
    array([[ True, False]])
    """
    x0, y0, x1, y1 = (column[None, :] for column in edges.T)  # each (1, N)
    left, right, top, bottom = (column[:, None] for column in boxes.T)  # each (P, 1)
    low = np.zeros((len(boxes), len(edges)))
    high = np.ones_like(low)
    clear = np.zeros(low.shape, bool)  # parallel to a side, and outside it
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in (  # p (1, N), q (P, N)
            (x0 - x1, x0 - left),
            (x1 - x0, right - x0),
            (y0 - y1, y0 - top),
            (y1 - y0, bottom - y0),
        ):
            clear |= (p == 0) & (q < 0)
            ratio = q / p
            low = np.where(p < 0, np.maximum(low, ratio), low)
            high = np.where(p > 0, np.minimum(high, ratio), high)
    return ~clear & (low <= high)


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _label_box(position: str, x: float, y: float, text: str) -> tuple:
    """The box (left, right, top, bottom, in px, y down) that plotly gives ``text`` at
    ``position`` beside a node at (x, y), two pixels wider at each side and one above
    and below: neighbouring labels keep a gap."""
    width = _FONT * sum(_EM.get(c, 0.65) for c in html.unescape(text))
    vertical, horizontal = position.split()
    baseline = {
        "top": y - _GAP - 0.25 * _FONT,
        "middle": y + 0.3 * _FONT,
        "bottom": y + _GAP + 0.8 * _FONT,
    }[vertical]
    left = {
        "center": x - width / 2,
        "right": x + _GAP,
        "left": x - _GAP - width,
    }[horizontal]
    return (
        left - 2,
        left + width + 2,
        baseline - 0.8 * _FONT - 1,
        baseline + 0.25 * _FONT + 1,
    )


def _scales(tree: list[list[dict]], title: str | None) -> tuple[float, float]:
    """Pixels per rank and per step on a phone."""
    widest = max((len(candidates) for candidates in tree), default=1)
    top = 100 + 22 * (title.count("<br>") if title else 0)  # style's margins
    return _PHONE_PLOT / (widest + 0.2), (_height(tree) - top - 50) / (len(tree) + 1.2)


def _positions(drawn: list[tuple], scales: tuple, border: tuple) -> dict:
    """{(rank, step): position} for every labelled node, a row at a time: positions
    whose boxes meet no edge, node, border or other label, the earliest of
    ``POSITIONS`` first (a search that backs up when a row's labels meet); where none
    is clear, the one that meets the fewest things."""
    sx, sy = scales
    left, right, top, bottom = (
        border[0] * sx,
        border[1] * sx,
        *(b * sy for b in border[2:]),
    )
    near = {}  # step: the edges and markers a label of that step can meet, in px
    half = _MARKER / 2 + 1
    for x, y, _, (x0, y0), _, _ in drawn:
        mark = (x * sx - half, x * sx + half, y * sy - half, y * sy + half)
        edge = (x0 * sx, y0 * sy, x * sx, (y - _stop(sy)) * sy)
        for step in (y - 1, y, y + 1):
            near.setdefault(step, ([], []))[1].append(mark)
        for step in (y - 1, y) if y else ():  # an edge runs from step y - 1 to y
            near[step][0].append(edge)
    near = {
        step: (np.array(edges, float).reshape(-1, 4), np.array(marks, float))
        for step, (edges, marks) in near.items()
    }

    def hits(boxes: list[tuple], y: int) -> list[int]:
        """How many things each box of step ``y`` meets (the border counts as one),
        ``_meets`` and ``_overlap`` over numpy arrays: a redraw's hot loop."""
        edges, marks = near[y]
        array = np.array(boxes, float)  # (P, 4)
        lo, hi, up, down = array.T  # each box: left, right, top, bottom
        inside = (left <= lo) & (hi <= right) & (top <= up) & (down <= bottom)
        m = marks.T[:, None, :]  # each (1, M): a mark's left, right, top, bottom
        overlaps = (lo[:, None] < m[1]) & (m[0] < hi[:, None])
        overlaps &= (up[:, None] < m[3]) & (m[2] < down[:, None])
        count = (~inside) + _meets_many(array, edges).sum(1) + overlaps.sum(1)
        return count.tolist()

    rows: dict[int, list] = {}  # step: its labelled nodes
    for x, y, status, _, text, _ in drawn:
        if status != "pruned":
            rows.setdefault(y, []).append((x, y, text))
    placed, found = [], {}
    for row in rows.values():
        boxes = [  # every position of every node of the row, node by node
            _label_box(position, x * sx, y * sy, text)
            for x, y, text in row
            for position in POSITIONS
        ]
        counts = hits(boxes, row[0][1])  # one numpy pass for the row
        options = []  # per node: (hits, position, box), the clear ones in order
        for start in range(0, len(boxes), len(POSITIONS)):
            end = start + len(POSITIONS)
            scored = list(
                zip(counts[start:end], POSITIONS, boxes[start:end], strict=True)
            )
            clear = [option for option in scored if not option[0]]
            options.append(clear or [min(scored, key=lambda option: option[0])])
        chosen = _search(options, placed, [10_000]) or [node[0] for node in options]
        for (x, y, _), (_, position, box) in zip(row, chosen, strict=True):
            found[(x, y)] = position
            placed.append(box)
    return found


def _search(options: list[list[tuple]], placed: list[tuple], budget: list[int]):
    """One option per node whose boxes meet neither each other nor ``placed``, the
    earliest options first; None if there is none, or none within ``budget`` tries.

    >>> box = lambda left: (0, "top center", (left, left + 2, 0, 1))
    >>> [option[2][0] for option in _search([[box(0)], [box(1), box(2)]], [], [9])]
    [0, 2]
    >>> _search([[box(0)], [box(1)]], [], [9]) is None
    True
    """
    if not options:
        return []
    for option in options[0]:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        if not any(_overlap(option[2], box) for box in placed):
            rest = _search(options[1:], [*placed, option[2]], budget)
            if rest is not None:
                return [option, *rest]
    return None


def _stop(sy: float) -> float:
    """How far above its node an edge stops, in steps: above the node's label (at
    most three quarters of the way, so that the edge shows, on a very tall tree)."""
    return min(0.75, (_GAP + 1.05 * _FONT + 2) / sy)


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
