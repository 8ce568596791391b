"""Checks for chapter 1's segmentation exercises: Viterbi over a Unigram lattice, and
WordPiece's greedy longest match. ``tokenization`` re-exports them."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call, report
from llmviz.tokenization.wordpiece import WordPiece


def _symbol_list(result: Any, name: str) -> tuple[list[str] | None, str | None]:
    """The reader's result as a list of str, or the sentence that says why not."""
    if isinstance(result, np.ndarray):
        result = result.tolist()
    if not isinstance(result, (list, tuple)):
        kind = type(result).__name__
        return None, f"{name} should return a list of str, got {kind}."
    for item in result:
        if not isinstance(item, str):
            return None, f"{name} should return a list of str, but it holds {item!r}."
    return list(result), None


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
    cases = [
        ("abc", {"a": -2.0, "b": -2.0, "c": -2.0, "ab": -3.0, "abc": -5.0}),
        ("abc", {"a": -1.0, "b": -1.0, "c": -1.0, "ab": -1.0, "bc": -0.1}),
    ]
    for _ in range(6):
        scores = {p: round(math.log(rng.uniform(0.01, 1)), 3) for p in pieces}
        cases.append(("".join(rng.choices("abc", k=rng.randint(1, 8))), scores))
    return cases


def check_viterbi(viterbi: Callable[[str, dict[str, float]], list[str]]) -> CheckResult:
    """Check ``viterbi(text, scores)``: the segmentation of highest total log-prob."""
    check_callable("viterbi", viterbi)
    for text, scores in _viterbi_cases():
        result, failure = call(viterbi, text, dict(scores))
        got, failure = (None, failure) if failure else _symbol_list(result, "viterbi")
        if failure:
            return report(False, failure)
        best = max(
            _segmentations(text, scores), key=lambda s: sum(scores[p] for p in s)
        )
        best_score = sum(scores[p] for p in best)
        if "".join(got) != text or any(p not in scores for p in got):
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
            _symbol_list(call(tokenize_word, word, set(vocab))[0], "")[0]
            == _greedy(word, vocab, **switches)
            for word, vocab in _wordpiece_cases()
        ):
            return " " + hint
    return " Cut a short word by hand, longest match first, and compare."


def check_wordpiece(tokenize_word: Callable[[str, set[str]], list[str]]) -> CheckResult:
    """Check ``tokenize_word(word, vocab)``: greedy longest match with ``##``, and the
    whole word as ``[UNK]`` when some position has no match."""
    check_callable("tokenize_word", tokenize_word)
    for word, vocab in _wordpiece_cases():
        result, failure = call(tokenize_word, word, set(vocab))
        got, failure = (
            (None, failure) if failure else _symbol_list(result, "tokenize_word")
        )
        if failure:
            return report(False, failure)
        expected = _wordpiece_reference(word, vocab)
        if got == expected:
            continue
        hint = _wordpiece_hint(tokenize_word)
        return report(
            False,
            f"For {word!r} the pieces should be {expected}, you gave {got}.{hint}",
        )
    return report(True, "Correct: your pieces equal WordPiece's on every word.")
