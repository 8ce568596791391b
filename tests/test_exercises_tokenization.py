"""Chapter 1's checks, mutation-tested: each wrong solution in the table fails with the
sentence for its own mistake, and correct solutions written in other styles (other
return types, numpy, loops, recursion, in-place edits) all pass."""

from __future__ import annotations

import functools
import math
import time
from collections import Counter, defaultdict
from itertools import pairwise

import numpy as np
import pytest

from llmviz.exercises import (
    check_count_pairs,
    check_merge,
    check_viterbi,
    check_wordpiece,
)
from llmviz.exercises.tokenization_segment import _greedy
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    not_written,
)

ANSWERS = ["counts[pair] +=", "i += 2", "out.append", "best[start]", "range(len("]


# --- count_pairs --------------------------------------------------------------------


def pairs_counter(chunks):
    return Counter({p: 0 for p in [("z", "z")]}) + sum(
        (Counter({pair: n}) for chunk, n in chunks.items() for pair in pairwise(chunk)),
        Counter(),
    )


def pairs_numpy(chunks):
    counts = defaultdict(lambda: np.int64(0))
    for chunk, n in chunks.items():
        for i in range(len(chunk) - 1):
            counts[chunk[i], chunk[i + 1]] += np.int64(n)
    return counts


def pairs_float_with_zeros(chunks):
    counts = {("never", "seen"): 0.0}
    for chunk, n in chunks.items():
        for pair in zip(chunk, chunk[1:], strict=False):
            counts[pair] = counts.get(pair, 0.0) + float(n)
    return counts


def pairs_unweighted(chunks):
    return pairs_float_with_zeros(dict.fromkeys(chunks, 1))


def pairs_without_overlaps(chunks):
    return Counter({p: n for c, n in chunks.items() for p in set(pairwise(c))})


def pairs_emptying_input(chunks):
    counts = pairs_float_with_zeros(chunks)
    chunks.clear()
    return counts


def pairs_that_hang(chunks):
    time.sleep(60)


# --- merge --------------------------------------------------------------------------


def merge_written_out(symbols, pair):
    """Glue each symbol to the output's last one."""
    out, just_merged = [], False
    for symbol in symbols:
        if out and not just_merged and (out[-1], symbol) == tuple(pair):
            out[-1] += symbol
            just_merged = True
        else:
            out.append(symbol)
            just_merged = False
    return out


def merge_in_place(symbols, pair):
    """Edit the list it was given, and return it as a tuple."""
    i = 0
    while i < len(symbols) - 1:
        if symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
            symbols[i : i + 2] = [pair[0] + pair[1]]
        i += 1
    return tuple(symbols)


def merge_recursive(symbols, pair):
    if len(symbols) < 2:
        return list(symbols)
    if (symbols[0], symbols[1]) == tuple(pair):
        return [symbols[0] + symbols[1], *merge_recursive(symbols[2:], pair)]
    return [symbols[0], *merge_recursive(symbols[1:], pair)]


def merge_overlapping(symbols, pair):
    out = list(symbols)
    for i in range(len(symbols) - 1):
        if (symbols[i], symbols[i + 1]) == pair:
            out[i] = pair[0] + pair[1]
    return out


def merge_skipping_one(symbols, pair):
    """Merges, but moves on by one symbol: ['a', 'a', 'a'] gives ['aa', 'aa']."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == tuple(pair):
            out.append(symbols[i] + symbols[i + 1])
            i += 1
            if i + 1 >= len(symbols):
                break
        else:
            out.append(symbols[i])
            i += 1
    return out


def merge_by_string_replace(symbols, pair):
    return " ".join(symbols).replace(" ".join(pair), "".join(pair)).split(" ")


def merge_without_return(symbols, pair):
    merge_in_place(symbols, pair)


# --- viterbi ------------------------------------------------------------------------


def viterbi_forward(text, scores):
    best = [(0.0, [])] + [(float("-inf"), None)] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(end):
            piece = text[start:end]
            if piece in scores and best[start][1] is not None:
                score = best[start][0] + scores[piece]
                if score > best[end][0]:
                    best[end] = (score, best[start][1] + [piece])
    return best[-1][1]


def viterbi_memoised(text, scores):
    """Recursion on the suffix, float32 scores, the answer as a numpy array."""

    @functools.cache
    def best(start):
        if start == len(text):
            return np.float32(0), ()
        options = [
            (np.float32(scores[text[start:end]]) + best(end)[0], (text[start:end],))
            for end in range(start + 1, len(text) + 1)
            if text[start:end] in scores
        ]
        score, first = max(options, key=lambda option: option[0])
        return score, first + best(start + len(first[0]))[1]

    return np.array(best(0)[1])


def viterbi_greedy(text, scores):
    pieces, start = [], 0
    while start < len(text):
        end = max(e for e in range(start + 1, len(text) + 1) if text[start:e] in scores)
        pieces.append(text[start:end])
        start = end
    return pieces


# --- wordpiece ----------------------------------------------------------------------


def wordpiece_recursive(word, vocab, first=True):
    """The longest known head, then the rest."""
    if not word:
        return []
    for end in range(len(word), 0, -1):
        head = word[:end] if first else "##" + word[:end]
        if head in vocab:
            rest = wordpiece_recursive(word[end:], vocab, first=False)
            return ["[UNK]"] if rest == ["[UNK]"] else [head, *rest]
    return ["[UNK]"]


def wordpiece_tuple(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        candidates = [
            (word[start:end] if start == 0 else "##" + word[start:end], end)
            for end in range(start + 1, len(word) + 1)
        ]
        known = [(p, end) for p, end in candidates if p in vocab]
        if not known:
            return ("[UNK]",)
        piece, start = known[-1]
        pieces.append(piece)
    return tuple(pieces)


CORRECT = [
    (check_count_pairs, pairs_counter),
    (check_count_pairs, pairs_numpy),
    (check_count_pairs, pairs_float_with_zeros),
    (check_merge, merge_written_out),
    (check_merge, merge_in_place),
    (check_merge, merge_recursive),
    (check_viterbi, viterbi_forward),
    (check_viterbi, viterbi_memoised),
    (check_wordpiece, wordpiece_recursive),
    (check_wordpiece, wordpiece_tuple),
]


@pytest.mark.parametrize(
    ("check", "solution"), CORRECT, ids=[s.__name__ for _, s in CORRECT]
)
def test_correct_solutions_in_any_style_pass(check, solution, capsys):
    assert_accepts(check, solution, capsys)


NAN = float("nan")
WRONG = [
    (check_count_pairs, pairs_unweighted, "Multiply by how often"),
    (check_count_pairs, pairs_without_overlaps, "overlaps too"),
    (check_count_pairs, lambda c: 7, "a dict from pair to count, got int"),
    (
        check_count_pairs,
        lambda c: [(*p, n) for p, n in pairs_counter(c).items()],
        "a dict from pair to count, got list",
    ),
    (check_count_pairs, lambda c: {("l", "o"): NAN}, "('l', 'o') should be a number"),
    (check_count_pairs, lambda c: {"lo": 7}, "pairs of symbols (2-tuples) as keys"),
    (check_count_pairs, pairs_emptying_input, "changed chunks"),
    (check_count_pairs, not_written, "Your turn"),
    (check_merge, merge_overlapping, "skip both symbols of the pair"),
    (check_merge, merge_skipping_one, "skip both symbols of the pair"),
    (check_merge, lambda s, p: s, "should give ['lo', 'w', 'e', 'r']"),
    (check_merge, merge_by_string_replace, "Compare whole symbols, not characters"),
    (check_merge, lambda s, p: NAN, "should return a list of str, got float"),
    (check_merge, lambda s, p: "".join(s), "should return a list of str, got str"),
    (check_merge, lambda s, p: [1, 2], "but it holds 1"),
    (check_merge, merge_without_return, "got NoneType"),
    (check_viterbi, lambda t, s: list(t), "Keep the best score of every prefix"),
    (check_viterbi, viterbi_greedy, "Keep the best score of every prefix"),
    (check_viterbi, lambda t, s: [t], "must be in the vocabulary"),
    (check_viterbi, lambda t, s: s["zzz"], "Your function raised KeyError"),
    (check_viterbi, lambda t, s: NAN, "should return a list of str, got float"),
    (check_viterbi, lambda t, s: [list(t)], "but it holds ["),
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
    (check_wordpiece, lambda w, v: _greedy(w, v, prefix=""), "with the ## prefix"),
    (check_wordpiece, lambda w, v: [w], "Cut a short word by hand"),
    (check_wordpiece, lambda w, v: NAN, "should return a list of str, got float"),
    (check_wordpiece, lambda w, v: w, "should return a list of str, got str"),
]


@pytest.mark.parametrize(("check", "wrong", "expected"), WRONG)
def test_each_mistake_fails_with_its_own_sentence(check, wrong, expected, capsys):
    assert_names_mistake(check, wrong, expected, capsys, ANSWERS)


def test_a_hang_becomes_feedback(capsys):
    assert_names_mistake(
        check_count_pairs, pairs_that_hang, "took longer than", capsys, ANSWERS
    )


def test_checks_refuse_what_is_not_a_function():
    for check in (check_count_pairs, check_merge, check_viterbi, check_wordpiece):
        with pytest.raises(TypeError, match="must be callable"):
            check("not a function")


def test_nan_and_infinite_counts_are_never_equal_to_the_reference(capsys):
    for bad in (math.inf, -math.inf, NAN, "5", None):
        result = check_count_pairs(lambda c, bad=bad: {("l", "o"): bad})
        assert not result
    assert capsys.readouterr().out.count("❌") == 5
