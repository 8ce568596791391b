"""The classifier's data and features: the book's labelled sentences, their words, a
seeded held-out split, and a text's feature rows (words, character n-gram buckets,
hashed word bigrams) {footcite}`joulin2017bag`.

>>> text_words("The home team 赢得了比赛!")
['the', 'home', 'team', '赢得', '了', '比赛']
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import regex

from llmviz._checks import check_int, check_real
from llmviz.embeddings.fasttext import MAX_BUCKET, _check_n, ft_hash, ngram_buckets

__all__ = ["labelled_examples", "split_examples", "text_features", "text_words"]

LABELS_FILE = Path(__file__).parent.parent / "data" / "labelled.txt"
PREFIX = "__label__"  # fastText's label marker
_WORD = regex.compile(r"[\p{L}\p{N}]")
MAX_TEXT = 10_000  # characters


def labelled_examples() -> list[tuple[str, str]]:
    """The book's labelled sentences, ``(label, text)``: sports, tech, food and weather,
    in English and Chinese, from ``llmviz/data/labelled.txt`` (fastText's format).

    >>> labelled_examples()[0][0]
    'sports'
    """
    lines = LABELS_FILE.read_text(encoding="utf-8").splitlines()
    return [
        (ln.split(" ", 1)[0][len(PREFIX) :], ln.split(" ", 1)[1]) for ln in lines if ln
    ]


def text_words(text: str) -> list[str]:
    """Lower-cased words, Chinese cut by jieba {footcite}`sun2012jieba`, punctuation
    and spaces dropped."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(
            f"text must have at most {MAX_TEXT} characters, got {len(text)}"
        )
    return list(_tokens(text))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    from llmviz.tokenization.pretokenize import words

    return tuple(w.lower() for w in words(text) if _WORD.search(w))


def split_examples(
    examples: list[tuple[str, str]], test_fraction: float = 0.3, seed: int = 0
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A seeded held-out split, the same fraction of each label held out."""
    _check_examples(examples)
    test_fraction = check_real(
        "test_fraction", test_fraction, 0, 1, open_min=True, open_max=True
    )
    rng = np.random.default_rng(check_int("seed", seed, 0, 2**32 - 1))
    train, test = [], []
    for label in sorted({lab for lab, _ in examples}):
        group = [e for e in examples if e[0] == label]
        order = rng.permutation(len(group))
        cut = round(len(group) * test_fraction)
        test += [group[i] for i in order[:cut]]
        train += [group[i] for i in order[cut:]]
    return train, test


def text_features(
    tokens: list[str], index: dict[str, int], *, minn: int = 2, maxn: int = 4,
    word_ngrams: int = 1, bucket: int = 2**14,
) -> np.ndarray:  # fmt: skip
    """A text's feature rows: ``index[w]`` for each known word, ``V + b`` for each
    character n-gram bucket ``b`` of each word (none when ``maxn = 0``) and for each
    word bigram (``word_ngrams = 2``, hashed as ``ft_hash(w1 + " " + w2)``).

    >>> text_features(["a", "b"], {"a": 0}, maxn=0, bucket=10).tolist()
    [0]
    """
    if not isinstance(tokens, list) or not all(
        isinstance(t, str) and t for t in tokens
    ):
        raise TypeError("tokens must be a list of non-empty str")
    word_ngrams = check_int("word_ngrams", word_ngrams, 1, 2)
    bucket = check_int("bucket", bucket, 1, MAX_BUCKET)
    if check_int("maxn", maxn, 0, 64) > 0:
        _check_n(minn, maxn)
    rows = [index[t] for t in tokens if t in index]
    if maxn > 0:
        rows += [
            len(index) + int(b)
            for t in tokens
            for b in ngram_buckets(t, minn, maxn, bucket)
        ]
    if word_ngrams == 2:
        rows += [
            len(index) + ft_hash(f"{a} {b}") % bucket
            for a, b in zip(tokens, tokens[1:], strict=False)
        ]
    return np.array(rows, dtype=np.int64)


def _check_examples(examples: object) -> list[tuple[str, str]]:
    if not isinstance(examples, list) or not examples:
        raise TypeError("examples must be a non-empty list of (label, text) pairs")
    for e in examples:
        if not (
            isinstance(e, tuple) and len(e) == 2 and all(isinstance(x, str) for x in e)
        ):
            raise TypeError(
                f"examples must hold (label, text) pairs of str, got {e!r:.60}"
            )
    return examples
