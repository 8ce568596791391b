"""Checks for the exercises of chapter 1, tokenization.

Each helper runs the reader's function on small cases, compares it with a reference
written the plainest way, and names the likely mistake when they differ.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call, report
from llmviz.tokenization.bpe_train import merge_symbols
from llmviz.tokenization.wordpiece import WordPiece


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


def check_count_pairs(count_pairs: Callable[[dict], Any]) -> CheckResult:
    """Check ``count_pairs(chunks)``: chunk → count in, pair → weighted count out."""
    check_callable("count_pairs", count_pairs)
    for chunks in _chunk_cases():
        got, failure = call(count_pairs, dict(chunks))
        if failure:
            return report(False, failure)
        expected = _count_pairs(chunks)
        got = {pair: n for pair, n in dict(got or {}).items() if n}
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
                f" you gave {got.get(wrong, 0)}.{hint}",
            )
    return report(True, "Correct: your pair counts equal the reference on every case.")


def check_merge(
    merge: Callable[[list[str], tuple[str, str]], list[str]],
) -> CheckResult:
    """Check ``merge(symbols, pair)``: every occurrence, left to right, no overlaps."""
    check_callable("merge", merge)
    cases = [
        (list("lower"), ("l", "o")),
        (list("banana"), ("a", "n")),
        (list("aaaa"), ("a", "a")),
        (list("aaa"), ("a", "a")),
        (["lo", "w", "e", "r"], ("lo", "w")),
        (list("abc"), ("x", "y")),
        (list("a"), ("a", "a")),
    ]
    for symbols, pair in cases:
        got, failure = call(merge, list(symbols), pair)
        if failure:
            return report(False, failure)
        expected = merge_symbols(symbols, pair, pair[0] + pair[1])
        if list(got or []) != expected:
            hint = (
                " Merged pieces must not overlap: after a merge, skip both."
                if (pair[0] == pair[1])
                else ""
            )
            return report(
                False,
                f"merge({symbols}, {pair}) should give {expected}, you gave {got}."
                + hint,
            )
    return report(True, "Correct: your merge agrees with the reference on every case.")


def _segmentations(text: str, scores: dict[str, float]):
    if not text:
        yield []
        return
    for end in range(1, len(text) + 1):
        if text[:end] in scores:
            for rest in _segmentations(text[end:], scores):
                yield [text[:end], *rest]


def _viterbi_cases() -> list[tuple[str, dict[str, float]]]:
    rng = random.Random(1)
    pieces = {"a", "b", "c", "ab", "bc", "abc", "ca", "cab", "bca"}
    cases = [("abc", {"a": -2.0, "b": -2.0, "c": -2.0, "ab": -3.0, "abc": -5.0})]
    for _ in range(6):
        scores = {p: round(math.log(rng.uniform(0.01, 1)), 3) for p in pieces}
        cases.append(("".join(rng.choices("abc", k=rng.randint(1, 8))), scores))
    return cases


def check_viterbi(viterbi: Callable[[str, dict[str, float]], list[str]]) -> CheckResult:
    """Check ``viterbi(text, scores)``: the segmentation of highest total log-prob."""
    check_callable("viterbi", viterbi)
    for text, scores in _viterbi_cases():
        got, failure = call(viterbi, text, dict(scores))
        if failure:
            return report(False, failure)
        if not isinstance(got, (list, tuple)):
            return report(
                False,
                f"viterbi should return a list of pieces, got {type(got).__name__}.",
            )
        best = max(
            _segmentations(text, scores), key=lambda s: sum(scores[p] for p in s)
        )
        best_score = sum(scores[p] for p in best)
        if "".join(map(str, got)) != text or any(p not in scores for p in got):
            return report(
                False,
                f"For {text!r} you gave {got}: the pieces must be in the vocabulary "
                "and join back into the text.",
            )
        score = sum(scores[p] for p in got)
        if score < best_score - 1e-9:
            return report(
                False,
                f"For {text!r} your {got} scores {score:.3f}, but a segmentation "
                f"scores {best_score:.3f}. Keep the best score of every prefix, and "
                "extend it by every piece that ends at the next position.",
            )
    return report(True, "Correct: your segmentation is the best one on every case.")


def _wordpiece_cases() -> list[tuple[str, set[str]]]:
    vocab = {
        "un",
        "##aff",
        "##able",
        "a",
        "##a",
        "##b",
        "##ab",
        "##le",
        "token",
        "##izer",
        "##s",
    }
    words = ["unaffable", "tokenizers", "a", "ab", "aab", "unable", "tokenx", "xyz"]
    return [(word, vocab) for word in words]


def _wordpiece_reference(word: str, vocab: set[str]) -> list[str]:
    ids = {piece: i for i, piece in enumerate(["[UNK]", *sorted(vocab)])}
    return WordPiece(ids).tokenize_word(word)


def _greedy(
    word: str,
    vocab: set[str],
    longest: bool = True,
    prefix: str = "##",
    whole_word: bool = True,
) -> list[str]:
    """WordPiece with switches that reproduce the usual mistakes, to name them."""
    pieces, start = [], 0
    while start < len(word):
        ends = (
            range(len(word), start, -1) if longest else range(start + 1, len(word) + 1)
        )
        for end in ends:
            piece = word[start:end] if start == 0 else prefix + word[start:end]
            if piece in vocab:
                pieces.append(piece)
                break
        else:
            if whole_word:
                return ["[UNK]"]
            pieces.append("[UNK]")
            end = start + 1
        start = end
    return pieces


WORDPIECE_MISTAKES = {
    "When any position has no match, the whole word is one [UNK].": {
        "whole_word": False
    },
    "Pieces after the first are looked up with the ## prefix.": {"prefix": ""},
    "At each position, try the longest piece first.": {"longest": False},
}


def _wordpiece_hint(tokenize_word: Callable[[str, set[str]], list[str]]) -> str:
    """The mistake whose output matches the reader's on every case, if one does."""
    for hint, switches in WORDPIECE_MISTAKES.items():
        if all(
            call(tokenize_word, word, set(vocab))[0] == _greedy(word, vocab, **switches)
            for word, vocab in _wordpiece_cases()
        ):
            return " " + hint
    return " Cut a short word by hand, longest match first, and compare."


def check_wordpiece(tokenize_word: Callable[[str, set[str]], list[str]]) -> CheckResult:
    """Check ``tokenize_word(word, vocab)``: greedy longest match with ``##``, and the
    whole word as ``[UNK]`` when some position has no match."""
    check_callable("tokenize_word", tokenize_word)
    for word, vocab in _wordpiece_cases():
        got, failure = call(tokenize_word, word, set(vocab))
        if failure:
            return report(False, failure)
        expected = _wordpiece_reference(word, vocab)
        if list(got or []) == expected:
            continue
        hint = _wordpiece_hint(tokenize_word)
        return report(
            False,
            f"For {word!r} the pieces should be {expected}, you gave {got}.{hint}",
        )
    return report(True, "Correct: your pieces equal WordPiece's on every word.")
