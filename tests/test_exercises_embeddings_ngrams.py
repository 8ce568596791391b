"""Chapter 2's check on fastText's character n-grams accepts right answers written in
other ways and turns each usual mistake (no markers, the whole word missing, off by one
on maxn or minn, repeats dropped, bytes instead of characters, a wrong type, an
exception, a hang) into ❌ and its own sentence, never the answer. The check's
reference is held against llmviz's char_ngrams (itself equal to gensim's)."""

from __future__ import annotations

import pytest

from llmviz.embeddings.fasttext import char_ngrams
from llmviz.exercises.embeddings_ngrams import (
    NGRAM_CASES,
    NGRAM_MISTAKES,
    check_char_ngrams,
    ngrams_reference,
)
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast
ANSWERS = ("range(", 'f"<', "for n in", "[i:")


@pytest.mark.parametrize("word, minn, maxn", NGRAM_CASES)
def test_the_reference_equals_llmviz(word, minn, maxn):
    assert sorted(ngrams_reference(word, minn, maxn)) == sorted(
        char_ngrams(word, minn, maxn)
    )


def by_start(word, minn, maxn):  # fastText's order, a while loop
    text, out, i = "<" + word + ">", [], 0
    while i < len(text):
        n = minn
        while n <= maxn and i + n <= len(text):
            out.append(text[i : i + n])
            n += 1
        i += 1
    return out


def as_tuple(word, minn, maxn):
    text = "".join(["<", word, ">"])
    return tuple(
        text[i:j]
        for i in range(len(text))
        for j in range(i + minn, min(i + maxn, len(text)) + 1)
    )


@pytest.mark.parametrize(
    "solution", [by_start, as_tuple, lambda w, a, b: ngrams_reference(w, a, b)[::-1]]
)
def test_right_answers_pass(solution, capsys):
    assert_accepts(check_char_ngrams, solution, capsys)


def mistake(name):
    return lambda w, a, b: ngrams_reference(w, a, b, name)


def as_bytes(word, minn, maxn):
    data = f"<{word}>".encode()
    return [
        data[i : i + n] for n in range(minn, maxn + 1) for i in range(len(data) - n + 1)
    ]


def bytes_decoded(word, minn, maxn):
    return [g.decode(errors="replace") for g in as_bytes(word, minn, maxn)]


def bytes_ignored(word, minn, maxn):
    return [g.decode(errors="ignore") for g in as_bytes(word, minn, maxn)]


WRONG = [(mistake(name), sentence) for sentence, name in NGRAM_MISTAKES.items()] + [
    (as_bytes, "are bytes"),
    (bytes_decoded, "are bytes"),
    (bytes_ignored, "are bytes"),
    (lambda w, a, b: " ".join(by_start(w, a, b)), "returned str, not a list"),
    (lambda w, a, b: None, "returned NoneType"),
    (lambda w, a, b: [float("nan")], "holds float"),
    (lambda w, a, b: by_start(w, a, b) + ["zzz"], "'zzz' is not one of its n-grams"),
    (lambda w, a, b: by_start(w, a, b)[1:], "n-grams, but there are"),
    (lambda w, a, b: 1 / 0, "raised ZeroDivisionError"),
    (not_written, "Your turn"),
    (hangs, "longer than"),
]


@pytest.mark.parametrize("wrong, expected", WRONG, ids=[e for _, e in WRONG])
def test_each_mistake_gets_its_sentence(wrong, expected, capsys):
    assert_names_mistake(check_char_ngrams, wrong, expected, capsys, ANSWERS)


def test_every_mistake_is_caught_by_some_case():
    for name in NGRAM_MISTAKES.values():
        assert any(
            sorted(ngrams_reference(*case, name)) != sorted(ngrams_reference(*case))
            for case in NGRAM_CASES
        ), name
