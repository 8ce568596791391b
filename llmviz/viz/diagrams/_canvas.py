"""A small canvas for concept diagrams: boxes, arrows between them, and a legend.

x runs from 0 to 1 across the figure's width; y is in pixels from the top of the
drawing, so rows keep their spacing at every width while boxes stretch. Text is drawn
in the layout's font colour, which the site's dark mode switches; boxes are filled with
translucent hues that read on white and on near-black, and arrows are a neutral grey.
Every element carries a ``name`` ("box:<key>", "label:<key>", "arrow:<a>-><b>") so
that tests can find it in the figure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import plotly.graph_objects as go

from llmviz.viz.theme import style

GREY = "#8a8f98"  # arrows and muted boxes: mid grey reads on white and on #121212
MUTED_FILL = "rgba(138, 143, 152, 0.12)"
TITLE_CHARS = 44  # a title line at 15 px (about 6.5 px a character) in a phone column
SUBTITLE_CHARS = 56  # a subtitle line at 12 px
PHONE_PX = 346  # the drawing's width in a 358 px phone column
TITLE_LINE, SUBTITLE_LINE, LEGEND_ROW = 19, 16, 22  # pixels each takes


def fill(color: str, alpha: float = 0.2) -> str:
    """The translucent fill of a ``#rrggbb`` hue.

    >>> fill("#3b82f6")
    'rgba(59, 130, 246, 0.2)'
    """
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def visible_length(text: str) -> int:
    """How many characters ``text`` shows: tags take none, an entity one.

    >>> visible_length("c<sub>KV</sub> &amp; k")
    7
    """
    return len(re.sub("&[#\\w]+;", "_", re.sub("<[^>]+>", "", text)))


def wrap(text: str, width: int = TITLE_CHARS) -> str:
    """Break ``text`` at its spaces (not its no-break spaces) into as few lines as
    show at most ``width`` characters each (tags do not count), as even as they can
    be, joined by ``<br>``.

    >>> wrap("one two three", 8)
    'one two<br>three'
    >>> wrap("W<sub>UK</sub> folds in", 12)
    'W<sub>UK</sub> folds in'
    """
    lines = _greedy(text.split(" "), width)
    while width > 1 and len(_greedy(text.split(" "), width - 1)) == len(lines):
        width -= 1  # as many lines, more even: no word left alone on the last
    return "<br>".join(_greedy(text.split(" "), width))


def _greedy(words: list[str], width: int) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and visible_length(lines[-1]) + 1 + visible_length(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class Box:
    """A labelled rectangle centred on (x, y), ``w`` wide (figure widths) and ``h``
    high (pixels)."""

    key: str
    x: float
    y: float
    w: float
    h: float
    text: str
    color: str
    muted: bool = False

    def edge(self, toward_x: float, toward_y: float) -> tuple[float, float]:
        """Where the segment from the centre toward a point leaves the box."""
        dx, dy = toward_x - self.x, toward_y - self.y
        scales = [abs(self.w / 2 / dx) if dx else float("inf")]
        scales.append(abs(self.h / 2 / dy) if dy else float("inf"))
        t = min(min(scales), 1.0)
        return self.x + t * dx, self.y + t * dy


class Canvas:
    """Collects boxes, arrows, notes and legend entries, then draws one figure."""

    def __init__(self, height: int) -> None:
        self.height = height
        self.boxes: dict[str, Box] = {}
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []
        self.legend: list[go.Scatter] = []

    def box(self, key: str, x: float, y: float, w: float, h: float, text: str,
            color: str, muted: bool = False, size: int = 12) -> Box:  # fmt: skip
        """Add a box with its label; a muted box is grey, dotted and faded."""
        box = Box(key, x, y, w, h, text, color, muted)
        self.boxes[key] = box
        self.shapes.append(dict(
            type="rect", name=f"box:{key}", xref="x", yref="y", layer="below",
            x0=x - w / 2, x1=x + w / 2, y0=y - h / 2, y1=y + h / 2,
            fillcolor=MUTED_FILL if muted else fill(color),
            line=dict(color=GREY if muted else color, width=1.5,
                      dash="dot" if muted else "solid"),
        ))  # fmt: skip
        self.note(x, y, text, name=f"label:{key}", size=size,
                  opacity=0.55 if muted else 1.0)  # fmt: skip
        return box

    def note(self, x: float, y: float, text: str, name: str = "note", size: int = 11,
             align: str = "center", opacity: float = 1.0) -> None:  # fmt: skip
        """Free text (no colour of its own: it follows the theme)."""
        self.annotations.append(dict(
            name=name, x=x, y=y, xref="x", yref="y", text=text, showarrow=False,
            font=dict(size=size), align=align, opacity=opacity,
            xanchor={"center": "center", "left": "left", "right": "right"}[align],
            captureevents="<a " in text,  # else the plot's drag layer takes the click
        ))  # fmt: skip

    def arrow(self, start: str, end: str, label: str | None = None,
              muted: bool = False, side: str = "right",
              vertical: bool = False, sideways: bool = False) -> None:  # fmt: skip
        """A grey arrow from box ``start`` to box ``end``; ``label`` sits beside its
        middle (``side``: "right", "left" or "above"). A ``vertical`` arrow drops
        straight down from ``start`` onto a wider box below it; a ``sideways`` one
        runs from the middle of ``start``'s right side to that of ``end``'s left."""
        a, b = self.boxes[start], self.boxes[end]
        if vertical:
            x0, y0, x1, y1 = a.x, a.y + a.h / 2, a.x, b.y - b.h / 2
        elif sideways:
            x0, y0, x1, y1 = a.x + a.w / 2, a.y, b.x - b.w / 2, b.y
        else:
            x0, y0 = a.edge(b.x, b.y)
            x1, y1 = b.edge(a.x, a.y)
        self.annotations.append(dict(
            name=f"arrow:{start}->{end}", x=x1, y=y1, ax=x0, ay=y0, xref="x",
            yref="y", axref="x", ayref="y", text="", showarrow=True, arrowhead=2,
            arrowsize=1, arrowwidth=1.5, arrowcolor=GREY, standoff=0, startstandoff=0,
            opacity=0.45 if muted else 1.0,
        ))  # fmt: skip
        if label:
            shift = {"right": (6, 0), "left": (-6, 0), "above": (0, 9)}[side]
            self.annotations.append(dict(
                name=f"shape:{start}->{end}", x=(x0 + x1) / 2, y=(y0 + y1) / 2,
                xref="x", yref="y", text=label, showarrow=False, font=dict(size=11),
                xshift=shift[0], yshift=shift[1], opacity=0.55 if muted else 1.0,
                xanchor={"right": "left", "left": "right", "above": "center"}[side],
            ))  # fmt: skip

    def key(self, name: str, color: str, muted: bool = False) -> None:
        """A legend entry explaining the colour of some boxes."""
        self.legend.append(go.Scatter(
            x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
            marker=dict(symbol="square", size=13,
                        color=MUTED_FILL if muted else fill(color, 0.35),
                        line=dict(color=GREY if muted else color, width=1.5)),
        ))  # fmt: skip

    def legend_rows(self, width: int = PHONE_PX) -> int:
        """Rows of legend on a phone. An entry takes about 6.2 px a character plus 40
        for its swatch and gap; plotly lays the entries out one after another when
        they fit in one row, and else in columns as wide as the widest entry."""
        entries = [6.2 * visible_length(trace.name) + 40 for trace in self.legend]
        if sum(entries) - 10 <= width:  # the last entry needs no gap
            return 1
        columns = max(1, int(width // max(entries)))
        return math.ceil(len(entries) / columns)

    def figure(self, title: str, subtitle: str | None = None) -> go.Figure:
        """The figure: no axes, transparent; under the title (the point, in at most
        two lines on a phone) a smaller ``subtitle`` with the detail, then the legend
        in rows, then the drawing, at one pixel per unit of y at every width."""
        fig = go.Figure(self.legend)
        head = wrap(title)
        top = 8 + TITLE_LINE * (head.count("<br>") + 1) + 4
        if subtitle:
            sub = wrap(subtitle, SUBTITLE_CHARS)
            self.annotations.append(dict(
                name="subtitle", x=0.5, y=1 + (self.legend_room() + 4) / self.height,
                xref="paper", yref="paper",  # above the drawing: "y" would hide it
                text=sub, showarrow=False, font=dict(size=12), opacity=0.8,
                xanchor="center", yanchor="bottom", align="center",
            ))  # fmt: skip
            top += SUBTITLE_LINE * (sub.count("<br>") + 1) + 4
        top += self.legend_room()
        style(fig, head, height=self.height + top + 10, top=top)
        fig.update_layout(
            title=dict(font=dict(size=15), y=1 - 8 / fig.layout.height, pad=dict(t=8)),
            shapes=self.shapes,
            annotations=self.annotations,
            margin=dict(l=6, r=6, b=10, t=top),  # style() adds room for its own title
            showlegend=bool(self.legend),
            legend=dict(orientation="h", x=0.5, xanchor="center", y=1,
                        yanchor="bottom", font=dict(size=12), itemclick=False,
                        itemdoubleclick=False),
            hovermode=False,
            dragmode=False,
        )  # fmt: skip
        fig.update_xaxes(visible=False, range=[0, 1], fixedrange=True)
        fig.update_yaxes(visible=False, range=[self.height, 0], fixedrange=True)
        return fig

    def legend_room(self) -> int:
        """Pixels the legend takes above the drawing on a phone (none without one)."""
        return 6 + LEGEND_ROW * self.legend_rows() if self.legend else 0
