"""Chapter 1's check helpers accept right answers (our own trainer's pieces and a
written-out Viterbi) and name the usual mistakes."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from llmviz.exercises import (
    check_count_pairs,
    check_merge,
    check_viterbi,
    check_wordpiece,
)
from llmviz.exercises.tokenization import _greedy


def not_written(*args):
    raise NotImplementedError


def _weighted(chunks):
    counts = Counter()
    for chunk, n in chunks.items():
        for pair in pairwise(chunk):
            counts[pair] += n
    return counts


def merge_written_out(symbols, pair):
    """A different way to merge: glue each symbol to the output's last one."""
    out, just_merged = [], False
    for symbol in symbols:
        if out and not just_merged and (out[-1], symbol) == tuple(pair):
            out[-1] += symbol
            just_merged = True
        else:
            out.append(symbol)
            just_merged = False
    return out


def viterbi(text, scores):
    best = [(0.0, [])] + [(float("-inf"), None)] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(end):
            piece = text[start:end]
            if piece in scores and best[start][1] is not None:
                score = best[start][0] + scores[piece]
                if score > best[end][0]:
                    best[end] = (score, best[start][1] + [piece])
    return best[-1][1]


def wordpiece_recursive(word, vocab, first=True):
    """WordPiece written another way: the longest known head, then the rest."""
    if not word:
        return []
    for end in range(len(word), 0, -1):
        head = word[:end] if first else "##" + word[:end]
        if head in vocab:
            rest = wordpiece_recursive(word[end:], vocab, first=False)
            return ["[UNK]"] if rest == ["[UNK]"] else [head, *rest]
    return ["[UNK]"]


@pytest.mark.parametrize(
    ("check", "solution"),
    [
        (check_count_pairs, _weighted),
        (check_merge, merge_written_out),
        (check_viterbi, viterbi),
        (check_wordpiece, wordpiece_recursive),
    ],
)
def test_checks_accept_correct_solutions(check, solution, capsys):
    assert check(solution)
    assert capsys.readouterr().out.startswith("✅")


def _overlapping_merge(symbols, pair):
    out = list(symbols)
    for i in range(len(symbols) - 1):
        if (symbols[i], symbols[i + 1]) == pair:
            out[i] = pair[0] + pair[1]
    return out


@pytest.mark.parametrize(
    ("check", "wrong", "expected"),
    [
        (
            check_count_pairs,
            lambda chunks: _weighted(dict.fromkeys(chunks, 1)),
            "Multiply by how often",
        ),
        (
            check_count_pairs,
            lambda chunks: Counter(
                {p: n for c, n in chunks.items() for p in set(pairwise(c))}
            ),
            "overlaps too",
        ),
        (check_merge, _overlapping_merge, "should give"),
        (check_merge, lambda s, p: s, "should give ['lo', 'w', 'e', 'r']"),
        (
            check_viterbi,
            lambda text, scores: list(text),
            "Keep the best score of every prefix",
        ),
        (check_viterbi, lambda text, scores: [text], "must be in the vocabulary"),
        (
            check_wordpiece,
            lambda w, v: _greedy(w, v, whole_word=False),
            "the whole word is one [UNK]",
        ),
        (
            check_wordpiece,
            lambda w, v: _greedy(w, v, longest=False),
            "try the longest piece first",
        ),
        (
            check_wordpiece,
            lambda w, v: _greedy(w, v, prefix=""),
            "with the ## prefix",
        ),
        (check_wordpiece, lambda w, v: [w], "Cut a short word by hand"),
        (check_count_pairs, not_written, "Not implemented yet"),
        (
            check_viterbi,
            lambda text, scores: scores["zzz"],
            "Your function raised KeyError",
        ),
        (
            check_viterbi,
            lambda text, scores: scores.get(text, 0.0),
            "should return a list of pieces, got float",
        ),
    ],
)
def test_checks_name_the_mistake(check, wrong, expected, capsys):
    assert not check(wrong)
    printed = capsys.readouterr().out
    assert printed.startswith("❌") and expected in printed


def test_checks_refuse_what_is_not_a_function():
    for check in (check_count_pairs, check_merge, check_viterbi, check_wordpiece):
        with pytest.raises(TypeError, match="must be callable"):
            check("not a function")
