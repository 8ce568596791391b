"""Check for chapter 2's exercise on fastText's character n-grams.

The reader's function runs on fixed cases (English, Chinese, repeated letters, words
shorter than ``minn``); its list is compared with a reference written here from the
definition, as a multiset (order does not matter, repeats do). When they differ, the
usual mistakes are tried in turn and the first that matches is named; any return type,
exception or hang becomes one sentence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from llmviz.exercises._check import CheckResult, call, report

NGRAM_CASES = [  # (word, minn, maxn); minn >= 2, so a lone "<" or ">" never arises
    ("where", 3, 6),
    ("banana", 2, 3),
    ("中文", 2, 4),
    ("嵌入向量", 3, 5),
    ("naïve", 2, 4),
    ("a", 3, 6),
    ("aaaa", 2, 3),
    ("cats", 3, 6),
]
NGRAM_MISTAKES = {  # the sentence: the mistake's name in ngrams_reference
    "your n-grams have no < and > markers: fastText pads the word as <word> first, "
    "so prefixes and suffixes get their own n-grams": "no_markers",
    "the whole <word> is missing: when it has at most maxn characters it is one of "
    "the n-grams too": "no_whole_word",
    "no n-gram has exactly maxn characters: n runs from minn to maxn, both "
    "included": "short_maxn",
    "no n-gram has exactly minn characters: n runs from minn to maxn, both "
    "included": "long_minn",
    "every n-gram has minn characters: n runs over every length from minn to "
    "maxn": "only_minn",
    "an n-gram that occurs twice in the word appears once in your list: keep every "
    "occurrence": "distinct",
}
BYTES = (
    "your n-grams are bytes: fastText counts n in characters (中 is one character "
    "but three UTF-8 bytes), then hashes each n-gram's bytes"
)


def ngrams_reference(word: str, minn: int, maxn: int, mistake: str = "") -> list[str]:
    """The n-grams of ``<word>`` with minn <= n <= maxn, or with one of the mistakes."""
    text = word if mistake == "no_markers" else f"<{word}>"
    low = minn + 1 if mistake == "long_minn" else minn
    high = {"short_maxn": maxn - 1, "only_minn": minn}.get(mistake, maxn)
    grams = [
        text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)
    ]
    if mistake == "no_whole_word":
        grams = [g for g in grams if g != f"<{word}>"]
    if mistake == "distinct":
        grams = list(dict.fromkeys(grams))
    return grams


def _byte_ngrams(word: str, minn: int, maxn: int, errors: str) -> list[str]:
    """The mistake of cutting n-grams from the UTF-8 bytes, then decoding them."""
    data = f"<{word}>".encode()
    return [
        data[i : i + n].decode("utf-8", errors=errors)
        for n in range(minn, maxn + 1)
        for i in range(len(data) - n + 1)
    ]


def _as_strings(result: Any) -> tuple[list[str] | None, str | None]:
    if isinstance(result, (str, bytes)) or not isinstance(
        result, (list, tuple, set, frozenset)
    ):
        return (
            None,
            f"Your function returned {type(result).__name__}, not a list of str.",
        )
    items = list(result)
    if any(isinstance(g, (bytes, bytearray)) for g in items):
        return None, BYTES[0].upper() + BYTES[1:] + "."
    if not all(isinstance(g, str) for g in items):
        kinds = sorted({type(g).__name__ for g in items if not isinstance(g, str)})
        return None, f"Your list holds {', '.join(kinds)}, not only str n-grams."
    return items, None


def _diagnose(got: list[str], word: str, minn: int, maxn: int) -> str:
    where = f"For {word!r} with minn={minn}, maxn={maxn}"
    for sentence, mistake in NGRAM_MISTAKES.items():
        wrong = ngrams_reference(word, minn, maxn, mistake)
        if Counter(got) == Counter(wrong):
            return f"{where}: {sentence}."
    if any("\ufffd" in g for g in got) or any(
        Counter(got) == Counter(_byte_ngrams(word, minn, maxn, errors))
        for errors in ("ignore", "replace")
    ):
        return f"{where}: {BYTES}."
    want = ngrams_reference(word, minn, maxn)
    extra = sorted((Counter(got) - Counter(want)).elements())
    if extra:
        return (
            f"{where}: {extra[0]!r} is not one of its n-grams (or occurs fewer times)."
        )
    return f"{where}: you returned {len(got)} n-grams, but there are {len(want)}."


def check_char_ngrams(fn: Callable[[str, int, int], Any]) -> CheckResult:
    """Check ``fn(word, minn, maxn)``: fastText's character n-grams of a word.

    The word is written between the markers < and >, and every piece of n consecutive
    characters of the marked word, for every n from minn to maxn, is an n-gram. Return
    them as a list of str. Order does not matter, but an n-gram that occurs twice
    appears twice. Words may be Chinese; minn is at least 2.
    """
    for word, minn, maxn in NGRAM_CASES:
        result, failure = call(fn, word, minn, maxn)
        if failure:
            return report(False, failure)
        got, failure = _as_strings(result)
        if failure:
            return report(False, failure)
        if Counter(got) != Counter(ngrams_reference(word, minn, maxn)):
            return report(False, _diagnose(got, word, minn, maxn))
    return report(True, f"Right on all {len(NGRAM_CASES)} words, Chinese included.")
