"""Where the beam tree's labels go: each beside its node, where, measured as on a
phone, it meets no edge, node, other label or the plot's border.

A label may sit above or below its node, centred or to one side (``POSITIONS``).
Each label's box is estimated from its text (``_label_box``); a row's candidate boxes
are tested against the edges (Liang and Barsky's clipping, ``_meets_many``) and the
markers in one numpy pass, and a short search picks, row by row, the earliest clear
position of each label that meets no label placed before it.
"""

from __future__ import annotations

import html

import numpy as np

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
