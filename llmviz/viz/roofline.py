"""Chapter 3's roofline: the measured roofs of a machine, and attention's prefill and
decode placed on them by their intensity and the FLOP/s they achieved. It draws what
``llmviz.attention.roofline`` measures; no maths beyond the roof's two lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from llmviz._checks import check_positive_number
from llmviz.viz.theme import COLORS, legend_above, style

GREY = "#8c8c8c"  # reads on a light and on a dark page
SYMBOLS = {"decode": "circle", "prefill": "diamond"}
KEYS = ("layer", "phase", "intensity", "achieved")
MAX_LINE = 36  # characters of title that fit a phone's width


def _rows(rows: Any) -> list[dict[str, Any]]:
    if not isinstance(rows, Sequence) or not rows or isinstance(rows, str):
        raise TypeError(f"rows must be a non-empty list of dicts, got {rows!r:.60}")
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not set(KEYS) <= set(row):
            raise TypeError(
                f"rows[{i}] must be a dict with keys {KEYS}, got {row!r:.60}"
            )
        if row["phase"] not in SYMBOLS:
            raise ValueError(
                f"rows[{i}]['phase'] must be one of {list(SYMBOLS)}, "
                f"got {row['phase']!r}"
            )
        for key in ("intensity", "achieved"):
            check_positive_number(f"rows[{i}][{key!r}]", row[key])
    return list(rows)


def _short(row: dict[str, Any]) -> str:
    return str(row["layer"]).split(" ")[0]  # "MHA (Llama-2-7B)" → "MHA"


def _side(label: str, side: list[dict], rows: list[dict]) -> str:
    """ "Memory-bound: MHA/GQA decode", each phase's layers named (or "all")."""
    parts = []
    for phase in SYMBOLS:
        names = [_short(row) for row in side if row["phase"] == phase]
        every = sum(row["phase"] == phase for row in rows)
        if names:
            shown = "all" if len(names) == every > 1 else "/".join(names)
            parts.append(f"{shown} {phase}")
    line = f"{label}: " + " and ".join(parts)
    return line.replace(" and ", "<br>and ", 1) if len(line) > MAX_LINE else line


def roofline_title(
    rows: Sequence[dict[str, Any]], peak: float, bandwidth: float
) -> str:
    """A title that says which points lie left of the ridge (memory-bound) and which
    right of it (compute-bound), as measured, in lines that fit a phone.

    >>> rows = [{"layer": "MHA", "phase": "decode", "intensity": 1, "achieved": 1e9},
    ...         {"layer": "MHA", "phase": "prefill", "intensity": 64, "achieved": 9e9}]
    >>> roofline_title(rows, peak=1e11, bandwidth=2e10)
    'Memory-bound: MHA decode<br>Compute-bound: MHA prefill'
    """
    rows = _rows(rows)
    peak = check_positive_number("peak", peak)
    ridge = peak / check_positive_number("bandwidth", bandwidth)
    memory = [row for row in rows if row["intensity"] < ridge]
    compute = [row for row in rows if row["intensity"] >= ridge]
    lines = [_side(label, side, rows)
             for label, side in [("Memory-bound", memory), ("Compute-bound", compute)]
             if side]  # fmt: skip
    return "<br>".join(lines)


def roofline_figure(
    rows: Sequence[dict[str, Any]], peak: float, bandwidth: float,
    title: str | None = None, device: str = "this CPU",
) -> go.Figure:  # fmt: skip
    """Log-log roofline: min(peak, bandwidth × I) in GFLOP/s, the ridge marked, and a
    point per row (``layer``, ``phase``, ``intensity``, ``achieved`` FLOP/s).

    >>> rows = [{"layer": "MHA", "phase": "decode", "intensity": 1, "achieved": 1e9}]
    >>> fig = roofline_figure(rows, peak=1e11, bandwidth=2e10)
    >>> [trace.name for trace in fig.data if trace.showlegend is not False]
    ['roof', 'MHA', 'decode', 'prefill']
    """
    rows = _rows(rows)
    peak = check_positive_number("peak", peak)
    bandwidth = check_positive_number("bandwidth", bandwidth)
    if title is None:
        title = roofline_title(rows, peak, bandwidth)
    if not isinstance(title, str) or not isinstance(device, str):
        raise TypeError(
            f"title and device must be str, got {title!r:.40}, {device!r:.40}"
        )
    ridge = peak / bandwidth
    found = [row["intensity"] for row in rows] + [ridge]
    x = np.array([min(found) / 4, ridge, max(found) * 4])
    fig = go.Figure(go.Scatter(
        x=x, y=np.minimum(peak, bandwidth * x) / 1e9, mode="lines", line_color=GREY,
        name="roof", hoverinfo="skip",
    ))  # fmt: skip
    layers = list(dict.fromkeys(_short(row) for row in rows))
    for row in rows:  # each point named in its hover; the legend keys them below
        fig.add_trace(go.Scatter(
            x=[row["intensity"]], y=[row["achieved"] / 1e9], mode="markers",
            name=f"{_short(row)} {row['phase']}", showlegend=False,
            marker=dict(size=11, symbol=SYMBOLS[row["phase"]],
                        color=COLORS[layers.index(_short(row)) % len(COLORS)]),
            hovertemplate="%{x:.3g} FLOP/byte, %{y:.3g} GFLOP/s",
        ))  # fmt: skip
    keys = [(name, "square", COLORS[i % len(COLORS)]) for i, name in enumerate(layers)]
    keys += [(phase, SYMBOLS[phase], GREY) for phase in SYMBOLS]
    for name, symbol, color in keys:  # colour: the layer; shape: the phase
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name=name,
            marker=dict(size=11, symbol=symbol, color=color),
        ))  # fmt: skip
    fig.add_vline(x=ridge, line_dash="dot", line_color=GREY)
    left = np.log10(ridge / x[0]) > 0.4 * np.log10(x[-1] / x[0])  # room on the left
    fig.add_annotation(
        x=np.log10(ridge),
        y=np.log10(peak / 1e9),
        showarrow=False,
        yanchor="bottom",
        text=f"{device}'s ridge:<br>{ridge:.3g} FLOP/byte",
        yshift=4,
        xanchor="right" if left else "left",
        xshift=-4 if left else 4,
    )  # fmt: skip  (above the roof, beside the ridge)
    speeds = [row["achieved"] / 1e9 for row in rows] + [
        bandwidth * x[0] / 1e9,
        peak / 1e9,
    ]
    fig.update_xaxes(
        type="log",
        dtick=1,
        title="arithmetic intensity (FLOP/byte)",
        range=np.log10([x[0], x[-1]]),
    )  # the legend's keys have no x
    fig.update_yaxes(type="log", dtick=1, title="GFLOP/s",
                     range=np.log10([min(speeds) / 2, max(speeds) * 2]))  # fmt: skip
    fig = legend_above(style(fig, title, height=400), rows=3)
    return fig
