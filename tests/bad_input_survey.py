"""Every bad value of every public callable, run once and tallied.

    .venv/bin/python -m tests.bad_input_survey [--show KIND ...]

It imports the ``CASES`` of every ``tests/test_bad_input_*.py`` and prints, for all
calls together, the share handled each way: a clear ``ValueError``/``TypeError`` naming
the parameter, one that does not name it, a raw error from inside, silent acceptance,
or a hang. ``--show`` lists the calls of the kinds named (for example ``raw accepted``).
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
from collections import Counter

from tests.bad_input import outcome

KINDS = ["clear", "unnamed", "raw", "accepted", "hang"]


def all_cases() -> list:
    cases = []
    for path in sorted(pathlib.Path(__file__).parent.glob("test_bad_input_*.py")):
        cases += importlib.import_module(f"tests.{path.stem}").CASES
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", nargs="*", default=[], choices=KINDS)
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    shown = []
    cases = all_cases()
    for case in cases:
        for param in case.params:
            for label, bad in case.bad_values(param):
                kind, detail = outcome(case, param, bad)
                counts[kind] += 1
                if kind in args.show:
                    shown.append(
                        f"{kind:8} {case.name}({param}={label}): {detail[:160]}"
                    )
    total = sum(counts.values())
    functions = len({case.name for case in cases})
    params = sum(len(case.params) for case in cases)
    print(f"{total} bad calls over {functions} callables and {params} parameters")
    for kind in KINDS:
        print(
            f"  {kind:9} {counts[kind]:5}  {100 * counts[kind] / max(total, 1):5.1f}%"
        )
    print("\n".join(shown))


if __name__ == "__main__":
    main()
