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


def _names(rows: list[dict[str, Any]]) -> str:
    names = [f"{row['layer'].split(' ')[0]} {row['phase']}" for row in rows]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def roofline_title(
    rows: Sequence[dict[str, Any]], peak: float, bandwidth: float
) -> str:
    """A title that says which points lie left of the ridge (memory-bound) and which
    right of it (compute-bound), as measured.

    >>> rows = [{"layer": "MHA", "phase": "decode", "intensity": 1, "achieved": 1e9},
    ...         {"layer": "MHA", "phase": "prefill", "intensity": 64, "achieved": 9e9}]
    >>> roofline_title(rows, peak=1e11, bandwidth=2e10)
    'MHA decode sits on the memory slope;<br>MHA prefill under the compute roof'
    """
    rows = _rows(rows)
    ridge = check_positive_number("peak", peak) / check_positive_number(
        "bandwidth", bandwidth
    )
    memory = [row for row in rows if row["intensity"] < ridge]
    compute = [row for row in rows if row["intensity"] >= ridge]
    parts = []
    if memory:
        verb = "sits" if len(memory) == 1 else "sit"
        parts.append(f"{_names(memory)} {verb} on the memory slope")
    if compute:
        parts.append(f"{_names(compute)} under the compute roof")
    return ";<br>".join(parts)


def roofline_figure(
    rows: Sequence[dict[str, Any]], peak: float, bandwidth: float,
    title: str | None = None, device: str = "this CPU",
) -> go.Figure:  # fmt: skip
    """Log-log roofline: min(peak, bandwidth × I) in GFLOP/s, the ridge marked, and a
    point per row (``layer``, ``phase``, ``intensity``, ``achieved`` FLOP/s).

    >>> rows = [{"layer": "MHA", "phase": "decode", "intensity": 1, "achieved": 1e9}]
    >>> len(roofline_figure(rows, peak=1e11, bandwidth=2e10).data)
    2
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
        name=f"roof of {device}", hoverinfo="skip",
    ))  # fmt: skip
    layers = list(dict.fromkeys(row["layer"] for row in rows))
    for row in rows:
        fig.add_trace(go.Scatter(
            x=[row["intensity"]], y=[row["achieved"] / 1e9], mode="markers",
            name=f"{row['layer']}, {row['phase']}",
            marker=dict(size=11, symbol=SYMBOLS[row["phase"]],
                        color=COLORS[layers.index(row["layer"]) % len(COLORS)]),
            hovertemplate="%{x:.3g} FLOP/byte, %{y:.3g} GFLOP/s",
        ))  # fmt: skip
    fig.add_vline(x=ridge, line_dash="dot", line_color=GREY)
    fig.add_annotation(
        x=np.log10(ridge), y=np.log10(peak / 1e9), text=f"ridge {ridge:.3g} FLOP/byte",
        showarrow=False, xanchor="left", yanchor="top", yshift=-6, xshift=4,
    )  # fmt: skip
    fig.update_xaxes(type="log", title="arithmetic intensity (FLOP/byte)")
    fig.update_yaxes(type="log", title="GFLOP/s", exponentformat="power")
    return legend_above(style(fig, title, height=420), rows=5)
