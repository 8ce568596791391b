"""Each benchmark's goals, judged the same way: "met" or "NOT met" beside the goal.

``verdict`` returns the text to print beside a measured value, "(goal >= 10x: met)",
and, when the environment variable ``LLMVIZ_BENCH_SUMMARY`` names a file (``make bench``
sets it), appends the judgement to that file as a line of JSON, for ``summary.py`` to
count: goals met / goals in all. ``report`` prints a whole line. A goal that only the
full run judges (``judged=False``, as in ``--quick``) says so and is not counted.

    >>> verdict("grouped vs loop", 12.3, 10)
    '(goal >= 10x: met)'
    >>> verdict("min_p / HF", 1.3, 1.2, faster=False)
    '(goal <= 1.2x: NOT met)'
    >>> verdict("redraw", 41.0, 50, faster=False, unit=" ms")
    '(goal <= 50 ms: met)'
    >>> verdict("grouped vs loop", 4.0, 10, judged=False)
    '(goal >= 10x is for the full run)'

A goal that could not be measured at all (no built site, say) goes through ``unmeasured``:
the summary names it and counts it apart, neither met nor missed.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

SUMMARY = "LLMVIZ_BENCH_SUMMARY"  # the environment variable naming the summary file


def verdict(
    name: str,
    value: float,
    goal: float,
    faster: bool = True,
    unit: str = "x",
    judged: bool = True,
) -> str:
    """The goal and whether ``value`` meets it, recorded for the summary when judged.

    ``faster``: the goal is a least value (a speed-up); else a most value (a ratio, a
    time). ``unit`` follows the numbers: "x" for ratios, " ms", " s", "%"."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty str, got {name!r}")
    _check_real("value", value)
    goal_text = _goal_text(goal, faster, unit)
    if not judged:
        return f"({goal_text} is for the full run)"
    if math.isnan(value):
        met = False
    else:
        met = value >= goal if faster else value <= goal
    _record(name, value, unit, goal_text, met)
    return f"({goal_text}: {'met' if met else 'NOT met'})"


def report(
    name: str,
    value: float,
    goal: float,
    faster: bool = True,
    unit: str = "x",
    judged: bool = True,
) -> None:
    """Print "name: value (goal ...: met)" and record it (see ``verdict``)."""
    text = verdict(name, value, goal, faster, unit, judged)
    print(f"{name}: {value:.2f}{unit} {text}")


def unmeasured(
    name: str, goal: float, why: str, faster: bool = True, unit: str = "x"
) -> str:
    """Record that the goal ``name`` was not measured, and why; return the text to print.

    >>> unmeasured("largest page", 4, "no built site", faster=False, unit=" MB")
    '(goal <= 4 MB: unmeasured, no built site)'
    """
    if not isinstance(why, str) or not why:
        raise ValueError(f"why must be a non-empty str, got {why!r}")
    goal_text = _goal_text(goal, faster, unit)
    _record(name, math.nan, unit, goal_text, None, why)
    return f"({goal_text}: unmeasured, {why})"


def _check_real(label: str, number: float) -> None:
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise TypeError(f"{label} must be a real number, got {number!r}")


def _goal_text(goal: float, faster: bool, unit: str) -> str:
    """ "goal >= 10x": a least value when ``faster``, else a most value."""
    _check_real("goal", goal)
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a str, got {type(unit).__name__}")
    return f"goal {'>=' if faster else '<='} {goal:g}{unit}"


def _record(
    name: str,
    value: float,
    unit: str,
    goal_text: str,
    met: bool | None,
    why: str = "",
) -> None:
    path = os.environ.get(SUMMARY)
    if not path:
        return
    script = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "?"
    line = dict(
        script=script, name=name, value=value, unit=unit, goal=goal_text, met=met
    )
    if met is None:
        line["why"] = why
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(line) + "\n")
