"""The feedback harness that every chapter's ``check_*`` helpers share.

A check runs the reader's function on random cases and prints one line that says what
is wrong without giving the answer away. It returns a ``CheckResult`` that is truthy
when everything passed, so a solution cell can ``assert check_...(solution)`` and CI
notices when a solution goes stale.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch

NOT_IMPLEMENTED = (
    "Not implemented yet: replace `raise NotImplementedError` with your code."
)


class CheckResult:
    """Truthy when the check passed. It displays nothing: the feedback is printed."""

    def __init__(self, passed: bool, message: str) -> None:
        self.passed, self.message = passed, message

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"CheckResult(passed={self.passed}, message={self.message!r})"

    def _ipython_display_(self) -> None:  # the printed line is the feedback
        pass


def report(passed: bool, message: str) -> CheckResult:
    """Print the feedback after a ✅ or a ❌, and return the result."""
    print(("✅ " if passed else "❌ ") + message)
    return CheckResult(passed, message)


def call_keeping_input(
    fn: Callable[..., Any], name: str, *args: Any
) -> tuple[Any, str | None]:
    """``call``, failing too if the function changed its first argument, ``name``: a
    tensor, or a list of plain values."""
    first = args[0]
    before = first.clone() if isinstance(first, torch.Tensor) else copy.deepcopy(first)
    result, failure = call(fn, *args)
    if isinstance(first, torch.Tensor):
        changed = first.shape != before.shape or not torch.equal(first, before)
    else:
        changed = first != before
    if failure is None and changed:
        failure = f"Your function changed {name}: leave it as it is."
    return result, failure


def call(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """Call the reader's function: (result, None), or (None, feedback) if it raised."""
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, NOT_IMPLEMENTED
    except Exception as error:  # the reader's code may raise anything: say what
        shown = ", ".join(
            str(tuple(a.shape)) if hasattr(a, "shape") else repr(a) for a in args
        )
        return (
            None,
            f"Your function raised {type(error).__name__}: {error} (with {shown}).",
        )
