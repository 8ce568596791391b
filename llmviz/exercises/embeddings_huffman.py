"""The check for chapter 2's Huffman exercise: a binary code for a small vocabulary.

Ties make several Huffman codes correct, so the check accepts any code that a Huffman
tree can give: one code per word, bits only, prefix-free, and of the least expected
length :math:`\\sum_w c_w \\lvert\\text{code}(w)\\rvert`, which equals the sum of the
weights Huffman's merges create {footcite}`huffman1952method`.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call_keeping_input, report


def _cases() -> list[list[int]]:
    rng = random.Random(2)
    cases = [
        [5, 3, 2, 1],
        [1, 1],
        [4, 4, 4, 4],
        [40, 9, 9, 9, 2, 2, 1],
        [1, 2, 3, 4, 5],
    ]
    for size in (3, 6, 9, 12):
        cases.append([rng.choice([1, 2, 3, 5, 8, 30, 200]) for _ in range(size)])
    return cases


def huffman_optimum(counts: Sequence[int]) -> int:
    """The least :math:`\\sum_w c_w \\lvert\\text{code}(w)\\rvert`: the sum of the
    merged weights."""
    heap, total = list(counts), 0
    heapq.heapify(heap)
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += merged
        heapq.heappush(heap, merged)
    return total


def _bits(code: Any) -> str | None:
    """A code as a string of '0' and '1', or None if it is not one."""
    if isinstance(code, np.ndarray):
        code = code.tolist()
    if isinstance(code, str):
        return code if set(code) <= {"0", "1"} else None
    if isinstance(code, (list, tuple)) and all(
        type(b) in (int, bool, np.int64, np.uint8) or isinstance(b, np.integer)
        for b in code
    ):
        return (
            "".join(str(int(b)) for b in code)
            if all(int(b) in (0, 1) for b in code)
            else None
        )
    return None


def _codes(result: Any, size: int) -> tuple[list[str] | None, str | None]:
    if not isinstance(result, (list, tuple)):
        return (
            None,
            f"Return a list of codes, one per word; got {type(result).__name__}.",
        )
    if len(result) != size:
        return (
            None,
            f"You returned {len(result)} codes for {size} words: give one per word.",
        )
    codes = [_bits(code) for code in result]
    for i, code in enumerate(codes):
        if code is None:
            return (
                None,
                f"The code of word {i} is {result[i]!r:.40}, "
                "not a sequence of 0s and 1s.",
            )
        if not code:
            return (
                None,
                f"Word {i} got an empty code: with two or more words, "
                "each needs a bit.",
            )
    return codes, None


def _problem(counts: list[int], codes: list[str]) -> str | None:
    """The first way these codes fail to be a Huffman code, as a sentence."""
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            if i != j and b.startswith(a):
                return (
                    f"For counts {counts}, word {i}'s code {a} is a prefix of "
                    f"word {j}'s code {b}: reading {b}, a decoder stops at word {i}."
                )
    for i, j in ((i, j) for i in range(len(counts)) for j in range(len(counts))):
        if counts[i] > counts[j] and len(codes[i]) > len(codes[j]):
            return (
                f"For counts {counts}, word {i} (count {counts[i]}) has a longer "
                f"code than word {j} (count {counts[j]}): "
                "a more frequent word never sits deeper."
            )
    cost, best = (
        sum(c * len(code) for c, code in zip(counts, codes, strict=True)),
        huffman_optimum(counts),
    )
    if cost != best:
        return (
            f"For counts {counts}, your prefix-free code spends "
            f"Σ count·length = {cost} bits, but the best one spends {best}: "
            "merge the two smallest weights each time."
        )
    return None


def check_huffman_code(huffman: Callable[[list[int]], list]) -> CheckResult:
    """Check ``huffman(counts)``: a Huffman code for a vocabulary of two or more words.

    ``counts`` is a list of positive word counts. Return one code per word, in the same
    order: a string of ``"0"``/``"1"`` or a list of 0s and 1s. Any Huffman code passes,
    whichever way ties are broken and whichever child is 0; the check asks that the
    codes are prefix-free and that the total Σ count·length is the least any binary
    prefix code can reach.
    """
    check_callable("huffman", huffman)
    for counts in _cases():
        result, failure = call_keeping_input(huffman, "counts", list(counts))
        codes, failure = (None, failure) if failure else _codes(result, len(counts))
        if failure is None:
            failure = _problem(counts, codes)
        if failure:
            return report(False, failure)
    return report(True, f"Correct: a Huffman code on all {len(_cases())} vocabularies.")
