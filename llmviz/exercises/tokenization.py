"""Checks for the exercises of chapter 1, tokenization: BPE's pair counts and merge
here, the Viterbi and WordPiece segmentations in ``tokenization_segment``.

Each helper runs the reader's function on small cases, compares it with a reference
written the plainest way, and names the likely mistake when they differ. Whatever the
reader's function does (another return type, NaN, an exception, a hang) becomes a ❌
and one sentence.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from itertools import pairwise
from typing import Any

from llmviz._checks import check_callable
from llmviz.exercises._check import (
    CheckResult,
    call,
    call_keeping_input,
    number_result,
    report,
)
from llmviz.exercises.tokenization_segment import (
    _symbol_list,
    check_viterbi,
    check_wordpiece,
)
from llmviz.tokenization.bpe_train import merge_symbols

__all__ = ["check_count_pairs", "check_merge", "check_viterbi", "check_wordpiece"]


def _chunk_cases() -> list[dict[tuple[str, ...], int]]:
    rng = random.Random(0)
    cases = [
        {("l", "o", "w"): 5, ("l", "o", "w", "e", "r"): 2, ("n", "e", "w"): 6},
        {("a", "a", "a"): 1},  # overlapping pairs count twice
        {("x",): 4, ("a", "b"): 1},  # a one-symbol chunk has no pairs
    ]
    for _ in range(5):
        chunks = {
            tuple(rng.choices("abc", k=rng.randint(1, 6))): rng.randint(1, 9)
            for _ in range(rng.randint(1, 6))
        }
        cases.append(chunks)
    return cases


def _count_pairs(chunks: dict[tuple[str, ...], int]) -> Counter:
    counts: Counter = Counter()
    for chunk, n in chunks.items():
        for pair in pairwise(chunk):
            counts[pair] += n
    return counts


def _as_pair_counts(result: Any) -> tuple[dict | None, str | None]:
    """The reader's pair counts as {pair: float}, or the sentence that says why not."""
    if not isinstance(result, Mapping):
        kind = type(result).__name__
        return None, f"count_pairs should return a dict from pair to count, got {kind}."
    counts = {}
    for pair, n in result.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            return None, (
                f"count_pairs should use pairs of symbols (2-tuples) as keys, got "
                f"{pair!r}."
            )
        value, failure = number_result(n)
        if failure:
            return None, f"The count of {pair} should be a number, got {n!r}."
        if value:
            counts[pair] = value
    return counts, None


def check_count_pairs(count_pairs: Callable[[dict], Any]) -> CheckResult:
    """Check ``count_pairs(chunks)``: chunk → count in, pair → weighted count out."""
    check_callable("count_pairs", count_pairs)
    for chunks in _chunk_cases():
        result, failure = call_keeping_input(count_pairs, "chunks", dict(chunks))
        got, failure = (None, failure) if failure else _as_pair_counts(result)
        if failure:
            return report(False, failure)
        expected = _count_pairs(chunks)
        if got != dict(expected):
            unweighted = _count_pairs(dict.fromkeys(chunks, 1))
            hint = (
                " Multiply by how often each chunk occurs."
                if got == dict(unweighted)
                else " Count every adjacent pair, overlaps too: ('a','a','a') has two."
            )
            wrong = next(
                p for p in expected.keys() | got.keys() if got.get(p) != expected.get(p)
            )
            return report(
                False,
                f"For {chunks} the pair {wrong} should count {expected.get(wrong, 0)},"
                f" you gave {got.get(wrong, 0):g}.{hint}",
            )
    return report(True, "Correct: your pair counts equal the reference on every case.")


def _no_skip(symbols: list[str], pair: tuple[str, str]) -> list[str]:
    """The usual slip: after a merge, move on by one symbol instead of two."""
    out, i = [], 0
    while i < len(symbols):
        if symbols[i : i + 2] == list(pair):
            out.append(pair[0] + pair[1])
        else:
            out.append(symbols[i])
        i += 1
    return out


def _string_replace(symbols: list[str], pair: tuple[str, str]) -> list[str]:
    """The usual shortcut: join with spaces, replace "a b" by "ab", split again."""
    joined = " ".join(symbols).replace(" ".join(pair), "".join(pair))
    return joined.split(" ")


MERGE_CASES = [
    (list("lower"), ("l", "o")),
    (list("banana"), ("a", "n")),
    (list("aaaa"), ("a", "a")),
    (list("aaa"), ("a", "a")),
    (["lo", "w", "e", "r"], ("lo", "w")),
    (list("abc"), ("x", "y")),
    (list("a"), ("a", "a")),
    (["xa", "b"], ("a", "b")),  # 'xa' ends in 'a' but is not the symbol 'a'
    (["a", "bc", "a", "b"], ("a", "b")),
]


def check_merge(
    merge: Callable[[list[str], tuple[str, str]], list[str]],
) -> CheckResult:
    """Check ``merge(symbols, pair)``: every occurrence, left to right, no overlaps."""
    check_callable("merge", merge)
    for symbols, pair in MERGE_CASES:
        result, failure = call(merge, list(symbols), pair)
        got, failure = (None, failure) if failure else _symbol_list(result, "merge")
        if failure:
            return report(False, failure)
        expected = merge_symbols(symbols, pair, pair[0] + pair[1])
        if got != expected:
            hint = ""
            if got == _no_skip(symbols, pair):
                hint = " After a merge, skip both symbols of the pair: no overlaps."
            elif got == _string_replace(symbols, pair):
                hint = (
                    " Compare whole symbols, not characters: a symbol that only ends "
                    "with the pair's first string is not part of the pair."
                )
            return report(
                False,
                f"merge({symbols}, {pair}) should give {expected}, you gave {got}."
                + hint,
            )
    return report(True, "Correct: your merge agrees with the reference on every case.")
