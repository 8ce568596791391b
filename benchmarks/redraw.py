"""The redraw timing that every chapter's benchmark prints for its live explorers.

A redraw is what an explorer does when a control moves: compute, draw, and serialise the
figure to the JSON that the kernel sends. The goal is under 50 ms, judged on the
fastest of the repeats (as every benchmark's ratios are), the median printed beside it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import plotly.graph_objects as go
from goals import verdict  # benchmarks/goals.py, beside this script


def print_redraw_times(
    explorers: dict[str, Callable[[], go.Figure]], quick: bool
) -> None:
    """Min and median milliseconds of each redraw, against the 50 ms goal."""
    print(
        "\n== live explorer redraw: compute + draw + the figure's JSON (what a kernel sends)"
    )
    width = max(map(len, explorers))
    for name, redraw in explorers.items():
        samples = []
        for _ in range(5 if quick else 30):
            start = time.perf_counter()
            redraw().to_json()
            samples.append(1e3 * (time.perf_counter() - start))
        judged = verdict(f"redraw: {name}", min(samples), 50, False, " ms")
        print(
            f"{name:<{width}} min {min(samples):6.1f} ms  "
            f"median {statistics.median(samples):6.1f} ms  {judged}"
        )
