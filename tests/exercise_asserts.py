"""What every exercise check must do, asserted once for all the chapters' checks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from llmviz.exercises import CheckResult


def assert_accepts(check: Callable, solution: Callable, capsys) -> None:
    """A correct solution passes, and the reader sees ✅."""
    result = check(solution)
    assert result and isinstance(result, CheckResult)
    assert capsys.readouterr().out.startswith("✅")


def assert_names_mistake(
    check: Callable, wrong: Callable, expected: str, capsys, answers: Iterable[str]
) -> None:
    """A wrong solution fails with ``expected`` in the ❌ message, which shows the
    symptom and never a piece of the answer's code (``answers``)."""
    result = check(wrong)
    assert not result and isinstance(result, CheckResult)
    printed = capsys.readouterr().out
    mark = (
        "✏️" if expected == "Your turn" else "❌"
    )  # an unwritten stub is not a mistake
    assert printed.startswith(mark) and expected in printed
    for answer in answers:
        assert answer not in printed  # a symptom, never the code


def not_written(*args):
    """A solution cell before the reader writes it."""
    raise NotImplementedError


def hangs(*args):
    """A solution whose loop never ends: the check must stop it and say so."""
    while True:
        time.sleep(0.01)
