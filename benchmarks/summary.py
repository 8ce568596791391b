"""``make bench``'s last line: how many of the benchmarks' goals were met.

Reads the file that ``goals.verdict`` appended to (one JSON line per judged goal), lists
the goals not met, and prints "goals met: X / Y".
Usage: python benchmarks/summary.py SUMMARY_FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summarise(lines: list[str]) -> str:
    """The unmet goals, one a line, then "goals met: X / Y" (and those left unmeasured).

    >>> met = '{"script": "a.py", "name": "n", "value": 0.5, "unit": "x", '
    >>> met += '"goal": "goal >= 1x", "met": true}'
    >>> print(summarise([met, met.replace("true", "false"), ""]))
    NOT met: a.py: n = 0.50x (goal >= 1x)
    goals met: 1 / 2
    >>> gone = '{"script": "s.py", "name": "m", "value": NaN, "unit": "x", '
    >>> gone += '"goal": "goal >= 1x", "met": null, "why": "no site"}'
    >>> print(summarise([met, gone]))
    unmeasured: s.py: m (goal >= 1x): no site
    goals met: 1 / 1 (1 more unmeasured)
    """
    goals = [json.loads(line) for line in lines if line.strip()]
    judged = [g for g in goals if g["met"] is not None]
    out = [
        f"NOT met: {g['script']}: {g['name']} = {g['value']:.2f}{g.get('unit', '')} "
        f"({g['goal']})"
        for g in judged
        if not g["met"]
    ]
    out += [
        f"unmeasured: {g['script']}: {g['name']} ({g['goal']}): {g['why']}"
        for g in goals
        if g["met"] is None
    ]
    line = f"goals met: {sum(g['met'] for g in judged)} / {len(judged)}"
    if len(judged) < len(goals):
        line += f" ({len(goals) - len(judged)} more unmeasured)"
    out.append(line)
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.splitlines()[-1], file=sys.stderr)
        return 2
    path = Path(argv[0])
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    print("\n== summary")
    print(summarise(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
