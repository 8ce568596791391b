"""Checks for chapter 3's exercises on masks: a chunked causal mask_mod, and the
number of pairs a sliding window lets through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmviz.attention.masks import (
    and_masks,
    block_diagonal,
    causal,
    materialize,
    sliding_window,
)
from llmviz.exercises._check import (
    NOT_IMPLEMENTED,
    CheckResult,
    call,
    number_result,
    report,
)


def _materialize(mask_mod: Any, chunk_size: int, seq_len: int) -> tuple[Any, str]:
    """The reader's mask on a (seq_len, seq_len) grid, or (None, why not)."""
    if not callable(mask_mod):
        return None, (
            f"chunked_causal({chunk_size}) should return a mask_mod function, got "
            f"{type(mask_mod).__name__}."
        )
    dense, failure = call(materialize, mask_mod, seq_len, seq_len)
    if failure is None or failure == NOT_IMPLEMENTED or "longer than" in failure:
        return dense, failure or ""
    if "must return a bool tensor" in failure:
        return None, (
            f"The mask_mod of chunked_causal({chunk_size}) must return a bool tensor "
            "(True = may attend), not numbers."
        )
    if "must return a mask that broadcasts" in failure:
        return None, (
            f"The mask_mod of chunked_causal({chunk_size}) must return one bool per "
            "(query, key) pair: its result does not fit the grid of indices."
        )
    error = failure.removeprefix("Your function raised ").split(" (with")[0]
    return None, (
        f"materialize(chunked_causal({chunk_size}), ...) raised {error.rstrip('.')}. "
        "Write the mask_mod with tensor operations (&, |, //, <=), not `and`, `or` "
        "or `if`, so that it works on whole grids of indices."
    )


def check_chunked_causal(chunked_causal: Callable[[int], Any]) -> CheckResult:
    """Check your ``chunked_causal(chunk_size)``, which returns a mask_mod: each query
    sees the keys of its own chunk of ``chunk_size`` tokens, up to itself."""
    for chunk_size, seq_len in [(1, 5), (3, 10), (4, 8), (8, 6)]:
        mask_mod, failure = call(chunked_causal, chunk_size)
        if failure:
            return report(False, failure)
        dense, failure = _materialize(mask_mod, chunk_size, seq_len)
        if failure:
            return report(False, failure)
        expected = materialize(
            and_masks(causal, block_diagonal(chunk_size)), seq_len, seq_len
        )
        wrong = (dense != expected).nonzero()
        if len(wrong):
            i, j = wrong[0].tolist()
            should = "see" if expected[i, j] else "not see"
            return report(
                False,
                f"With chunk_size={chunk_size}, query {i} should {should} key {j}.",
            )
    return report(True, "Correct: every query sees exactly the keys it should.")


def check_sliding_window_pairs(
    sliding_window_pairs: Callable[[int, int], Any],
) -> CheckResult:
    """Check your ``sliding_window_pairs(seq_len, window)``: how many (query, key)
    pairs a causal sliding window of ``window`` keys lets through."""
    for seq_len, window in [
        (1, 1),
        (5, 1),
        (8, 3),
        (16, 4),
        (10, 10),
        (6, 9),
        (100, 7),
    ]:
        result, failure = call(sliding_window_pairs, seq_len, window)
        if failure:
            return report(False, failure)
        got, failure = number_result(result)
        if failure:
            return report(False, f"For seq_len={seq_len}, window={window}: {failure}")
        expected = int(materialize(sliding_window(window), seq_len, seq_len).sum())
        if got != expected:
            hint = (
                " Is the window longer than the sequence?" if window > seq_len else ""
            )
            shown = f"{int(got):,}" if got.is_integer() else f"{got:g}"
            return report(
                False,
                f"For seq_len={seq_len} and window={window} you gave {shown}, but "
                f"the mask has {expected} visible pairs.{hint}",
            )
    return report(
        True, "Correct: your formula matches the materialised mask every time."
    )
