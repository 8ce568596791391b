"""Timing on the reader's own machine, for the cells where cost is the point.

The book prints these numbers rather than asserting them: they depend on the machine.
Comparisons that the project makes claims about live in benchmarks/.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from llmviz._checks import check_callable, check_int

MAX_REPEATS = 1_000_000  # more would time for hours


def _wait_for_gpu() -> None:
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()  # GPU calls return before the work is done


def seconds_per_call(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1) -> float:
    """The fastest of ``repeats`` timed calls of ``fn()``, in seconds, after ``warmup``.

    The minimum is the least noisy estimate on a shared machine.

    >>> seconds_per_call(lambda: sum(range(1000))) < 1.0
    True
    """
    check_callable("fn", fn)
    repeats = check_int("repeats", repeats, minimum=1, maximum=MAX_REPEATS)
    for _ in range(check_int("warmup", warmup, minimum=0, maximum=MAX_REPEATS)):
        fn()
    best = float("inf")
    for _ in range(repeats):
        _wait_for_gpu()
        start = time.perf_counter()
        fn()
        _wait_for_gpu()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved_best(
    fns: dict[str, Callable[[], Any]], repeats: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """The fastest of ``repeats`` calls of each function, taken in turn so that a busy
    spell of the machine slows them all alike; and each one's last result.

    >>> times, results = interleaved_best({"sum": lambda: sum(range(10))}, repeats=2)
    >>> results
    {'sum': 45}
    """
    if not isinstance(fns, dict) or not fns:
        raise TypeError(f"fns must be a non-empty dict of functions, got {fns!r:.60}")
    for name, fn in fns.items():
        check_callable(f"fns[{name!r}]", fn)
    check_int("repeats", repeats, minimum=1, maximum=MAX_REPEATS)
    best, results = {name: float("inf") for name in fns}, {}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best, results
