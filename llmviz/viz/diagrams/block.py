"""One decoder block and where its norms sit: Post-, Pre-, Sandwich-Norm and DeepNorm,
as ``llmviz.layers.placement`` defines them [xiong2020layer, wang2022deepnet]."""

from __future__ import annotations

import plotly.graph_objects as go

from llmviz._tensor_checks import check_choice
from llmviz.viz.diagrams._canvas import GREY, Canvas, fill
from llmviz.viz.theme import COLORS

NORM, BRANCH, ADD, IDENTITY = COLORS[1], COLORS[0], COLORS[2], COLORS[4]
# name: (slider label, update, norm before F, norm after F, norm after ⊕, ×α)
PLACEMENTS = {
    "post": ("Post-Norm", "x ← Norm(x + F(x))", False, False, True, False),
    "pre": ("Pre-Norm", "x ← x + F(Norm(x))", True, False, False, False),
    "sandwich": ("Sandwich-Norm", "x ← x + Norm(F(Norm(x)))", True, True, False, False),
    "deepnorm": ("DeepNorm", "x ← Norm(α·x + F(x)), α > 1", False, False, True, True),
}
UNTOUCHED = "untouched from input to output"
TITLE = "Where the norm sits decides whether the identity path passes through it"
HEIGHT, STEP, SLIDER = 432, 200, 72  # the drawing, one residual step, the slider
MAIN, SIDE = 0.34, 0.7  # x of the identity path and of the branches
R = 11  # radius of a ⊕ node, pixels


def norm_placement_diagram(active: str = "pre") -> go.Figure:
    """One decoder block, input at the bottom, output at the top: an attention step,
    then an FFN step, each x + F(·) with its identity (skip) path as a thick line into
    a ⊕. A slider switches between the placements of the norm (``PLACEMENTS``),
    opening on ``active``: after the sum, on the identity path (Post-Norm, DeepNorm,
    whose identity path is also scaled by α), or on the branch only, so that the
    identity path runs untouched from input to output (Pre-Norm, Sandwich-Norm).

    >>> fig = norm_placement_diagram("sandwich")
    >>> len(fig.layout.sliders[0].steps), fig.layout.sliders[0].active
    (4, 2)
    """
    if not isinstance(active, str):
        raise TypeError(
            f"active must be a str, one of {list(PLACEMENTS)}, "
            f"got {type(active).__name__}"
        )
    check_choice("active", active, tuple(PLACEMENTS))
    steps, figures = [], {}
    for name, (label, update, _, _, outside, _) in PLACEMENTS.items():
        c = _block(name)
        verdict = "passes through every norm" if outside else UNTOUCHED
        lines = [f"<b>{label}</b>: {update}", f"identity path (thick): {verdict}"]
        # A line each: no-break spaces keep each line whole, and two do not fit one.
        figures[name] = c.figure(
            TITLE, " ".join(s.replace(" ", "\u00a0") for s in lines)
        )
        args = {"shapes": c.shapes, "annotations": c.annotations}
        steps.append(dict(label=label, method="relayout", args=[args]))
    fig = figures[active]
    fig.update_layout(
        height=fig.layout.height + SLIDER,
        margin_b=fig.layout.margin.b + SLIDER,
        sliders=[dict(
            active=list(PLACEMENTS).index(active), steps=steps, x=0.09, len=0.82,
            y=0, yanchor="top", pad=dict(t=14, b=0), font=dict(size=11),
            currentvalue=dict(prefix="norm placement: ", font=dict(size=12)),
        )],
    )  # fmt: skip
    return fig


def _block(placement: str) -> Canvas:
    """Both residual steps of the block with the norms where ``placement`` puts them."""
    _, _, before, after, outside, alpha = PLACEMENTS[placement]
    c = Canvas(HEIGHT)
    stops = [("input", HEIGHT - 2, 0)]  # (key, y, half-height) up the identity path
    for i, text in enumerate(["<b>Attention</b>", "<b>FFN</b> (SwiGLU)"]):
        fork, add = HEIGHT - 20 - i * STEP, HEIGHT - 162 - i * STEP
        # The branch, on the right: up through its boxes, then left into the ⊕.
        column = [("norm-in", 32, before), ("F", 72, True), ("norm-out", 112, after)]
        previous = (f"fork{i}", fork, 0)
        c.shapes.append(_line(f"path:fork{i}", [(MAIN, fork), (SIDE, fork)], GREY))
        for key, rise, shown in column:
            if not shown:
                continue
            key, y = f"{key}{i}", fork - rise
            if key.startswith("F"):
                c.box(key, SIDE, y, 0.36, 26, text, BRANCH)
            else:
                c.box(key, SIDE, y, 0.22, 20, "Norm", NORM)
            _arrow(c, previous, (key, y, c.boxes[key].h / 2), SIDE)
            previous = (key, y, c.boxes[key].h / 2)
        top = previous[1] - previous[2]
        path = [(SIDE, top), (SIDE, add), (MAIN, add)]
        c.shapes.append(_line(f"path:{previous[0]}->add{i}", path[:2], GREY))
        c.annotations.append(_head(f"arrow:{previous[0]}->add{i}", *path[1:], GREY, R))
        # The identity path, on the left: (×α), ⊕, (Norm).
        if alpha:
            stops.append((f"alpha{i}", fork - 72, 11))
            c.box(f"alpha{i}", MAIN, fork - 72, 0.13, 22, "× α", IDENTITY)
        stops.append((f"add{i}", add, R))
        c.shapes.append(dict(
            type="circle", name=f"add:add{i}", xref="x", yref="y", xanchor=MAIN,
            yanchor=add, xsizemode="pixel", ysizemode="pixel", x0=-R, x1=R, y0=-R,
            y1=R, fillcolor=fill(ADD, 0.35), line=dict(color=ADD, width=1.5),
        ))  # fmt: skip
        c.note(MAIN, add, "<b>+</b>", name=f"note:add{i}", size=15)
        if outside:
            stops.append((f"norm-sum{i}", add - 36, 10))
            c.box(f"norm-sum{i}", MAIN, add - 36, 0.22, 20, "Norm", NORM)
    stops.append(("output", 4, 0))
    for low, high in zip(stops[:-1], stops[1:], strict=True):
        _arrow(c, low, high, MAIN, IDENTITY, 3.5, "identity")
    c.note(MAIN - 0.04, HEIGHT - 12, "input x", name="note:input", align="right")
    c.note(MAIN - 0.04, 12, "output", name="note:output", align="right")
    c.note(MAIN - 0.05, HEIGHT - 58, "identity<br>path", name="note:identity",
           align="right")  # fmt: skip
    return c


def _arrow(c: Canvas, low: tuple, high: tuple, x: float, color: str = GREY,
           width: float = 1.5, kind: str = "arrow") -> None:  # fmt: skip
    """An upward arrow at ``x`` from the top of stop ``low`` to the bottom of
    ``high``, each a (key, y, half-height) triple."""
    start, end = (x, low[1] - low[2]), (x, high[1] + high[2])
    c.annotations.append(
        _head(f"{kind}:{low[0]}->{high[0]}", start, end, color, 0, width)
    )


def _head(name: str, start: tuple, end: tuple, color: str, standoff: float = 0,
          width: float = 1.5) -> dict:  # fmt: skip
    """A straight arrow from ``start`` to ``end``, ``standoff`` pixels short of it."""
    return dict(
        name=name, x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y",
        axref="x", ayref="y", text="", showarrow=True, arrowhead=2, arrowwidth=width,
        arrowsize=1 if width < 2 else 0.7, arrowcolor=color, startstandoff=0,
        standoff=standoff,
    )  # fmt: skip


def _line(name: str, points: list[tuple[float, float]], color: str) -> dict:
    """A polyline through ``points`` with no head."""
    path = "M " + " L ".join(f"{x},{y}" for x, y in points)
    return dict(type="path", name=name, xref="x", yref="y", path=path,
                line=dict(color=color, width=1.5))  # fmt: skip
