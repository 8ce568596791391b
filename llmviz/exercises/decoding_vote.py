"""The check of chapter 8's self-consistency exercise: the majority vote."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.decoding.voting import majority_vote, vote_counts
from llmviz.exercises._check import CheckResult, call_keeping_input, report

VOTE_CASES = [
    [13, 15, 13, 17, 15, 13],
    ["12", "13", "13", "12", "13"],
    [42],
    [9, 2, 2, 9],  # a tie: 9 occurs first, though 2 is smaller
    [4, 6, 6, 4, 1, 1],  # three-way tie
    [8, 1, 1, 8, 8, 1, 5],  # 1 reaches 3 votes last: the first-occurring 8 wins
]
CONTAINERS = (tuple, list, dict, set, frozenset)
KINDS = {int: "integers", str: "strings"}


def _plain(got: Any) -> tuple[Any, str | None]:
    """The reader's answer as a plain Python value (a NumPy scalar or a one-element
    tensor or array gives its item), or (None, the hint for a container)."""
    if isinstance(got, (Tensor, np.ndarray)):
        size = got.numel() if isinstance(got, Tensor) else got.size
        if size != 1:
            kind = type(got).__name__
            return None, f"return the answer alone, not a {kind} of {size} values"
        got = got.item()
    elif isinstance(got, np.generic):
        got = got.item()
    if isinstance(got, CONTAINERS):
        return None, f"return the answer alone, not a {type(got).__name__}"
    return got, None


def _vote_hint(got: Any, answers: list, expected: Any) -> str:
    """What is wrong with ``got``, a plain value that is not ``expected``."""
    counts = vote_counts(answers)
    same = [a for a in counts if type(a) is type(got) and a == got]
    if not same and any(a == got or str(a) == str(got) for a in counts):
        kinds = KINDS.get(type(expected), type(expected).__name__)
        return (
            f"you return {got!r}, a {type(got).__name__}, but the answers are "
            f"{kinds}: return the answer as it appears in answers"
        )
    if not same and type(got) is int and got == counts[expected]:
        return f"you return {got}, how often the answer occurs: return the answer"
    if not same:
        missing = " (is a return statement missing?)" if got is None else ""
        return f"you return {got!r}, which is not one of the answers{missing}"
    if counts[same[0]] == counts[expected]:
        return (
            f"{got!r} and {expected!r} tie with {counts[expected]} votes each: of "
            "tied answers, return the one that occurs first in answers (a set, "
            "or sorting, loses that order)"
        )
    return (
        f"you return {got!r}, which has {counts[same[0]]} votes, but "
        f"{expected!r} has {counts[expected]}"
    )


def check_majority_vote(vote: Callable[[list], Any]) -> CheckResult:
    """Check ``majority_vote(answers)``: the most frequent answer in a non-empty list,
    and of tied answers the one that occurs first in the list, the vote of
    self-consistency [wang2023selfconsistency]. Answers are anything hashable, such as
    ints or strings, and the list must not change. The answer may come back as a
    Python value, a NumPy scalar or a one-element tensor.
    """
    check_callable("majority_vote", vote)
    for answers in VOTE_CASES:
        got, failure = call_keeping_input(vote, "answers", list(answers))
        if failure:
            return report(False, failure)
        expected = majority_vote(answers)
        value, hint = _plain(got)
        if hint is None and type(value) is type(expected) and value == expected:
            continue
        hint = hint or _vote_hint(value, answers, expected)
        return report(False, f"For answers={answers}: {hint}.")
    return report(True, "Correct: your vote picks the answer self-consistency does.")
