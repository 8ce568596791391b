"""The vocabulary word2vec trains on, and the two distributions drawn from its counts.

* ``build_vocab``: the words seen at least ``min_count`` times, most frequent first, in
  gensim's order {footcite}`rehurek2010gensim`;
* ``keep_probability``: subsampling of frequent words
  {footcite}`mikolov2013distributed`, the rule word2vec.c and gensim use;
* ``noise_distribution`` and ``noise_table``: negative sampling's
  :math:`P_n(w) = c_w^{0.75} / \\sum_v c_v^{0.75}` and gensim's integer ``cum_table``.

>>> vocab = build_vocab([["a", "b", "a"], ["c", "a", "b"]], min_count=2)
>>> vocab.words, vocab.counts.tolist(), vocab.index["b"]
(('a', 'b'), [3, 2], 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from llmviz._checks import check_int, check_real

MAX_VOCAB = 10**7  # words in a vocabulary, an upper bound against absurd sizes
MAX_WORDS = 10**8  # words in a corpus
CUM_DOMAIN = 2**31 - 1  # gensim's cum_table ends at this integer


def _check_counts(name: str, counts: Any, maximum: int = MAX_VOCAB) -> np.ndarray:
    """``counts`` as a fresh 1-D int64 array of positive integers (a list works too)."""
    if isinstance(counts, (str, bytes)) or not isinstance(
        counts, (Sequence, np.ndarray)
    ):
        raise TypeError(
            f"{name} must be a 1-D array of integer counts, got {type(counts).__name__}"
        )
    try:
        array = np.asarray(counts)
    except (ValueError, TypeError, OverflowError) as error:
        message = f"{name} must be a 1-D array of integer counts: {error}"
        raise ValueError(message) from None
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or array.size == 0
    ):
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array, got shape {array.shape}"
        )
    if array.size > maximum:
        raise ValueError(f"{name} must hold at most {maximum} counts, got {array.size}")
    if array.min() < 1:
        raise ValueError(f"{name} must be >= 1 everywhere, got {array.min()}")
    return array.astype(np.int64, copy=True)


@dataclass(frozen=True, eq=False)
class Vocab:
    """Words and their counts, most frequent first; ``index`` maps a word to its id."""

    words: tuple[str, ...]
    counts: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.words, tuple) or not all(
            isinstance(w, str) for w in self.words
        ):
            raise TypeError("words must be a tuple of str")
        counts = _check_counts("counts", self.counts)
        if len(counts) != len(self.words) or len(set(self.words)) != len(self.words):
            raise ValueError(
                f"words must be distinct, one per count: got {len(self.words)} words "
                f"({len(set(self.words))} distinct) and {len(counts)} counts"
            )
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)

    @cached_property
    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return self.words == other.words and np.array_equal(self.counts, other.counts)

    def __repr__(self) -> str:
        head = ", ".join(
            f"{w}:{c}" for w, c in zip(self.words[:5], self.counts[:5], strict=True)
        )
        return f"Vocab({len(self)} words: {head}{', …' if len(self) > 5 else ''})"


def _check_sentences(name: str, sentences: Any) -> list:
    """``sentences`` if it is a list or tuple of lists or tuples of str."""
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of sentences (lists of str), "
            f"got {type(sentences).__name__}"
        )
    total = 0
    for i, sentence in enumerate(sentences):
        if not isinstance(sentence, (list, tuple)):
            raise TypeError(
                f"{name}[{i}] must be a list of str, got {type(sentence).__name__}"
            )
        if not all(isinstance(w, str) for w in sentence):
            raise TypeError(f"{name}[{i}] must hold only str words")
        total += len(sentence)
        if total > MAX_WORDS:
            raise ValueError(f"{name} must hold at most {MAX_WORDS} words")
    return list(sentences)


def build_vocab(sentences: Sequence[Sequence[str]], min_count: int = 5) -> Vocab:
    """The words seen at least ``min_count`` times, by count descending; among equal
    counts the word seen first comes LAST, as gensim's ``sort_by_descending_frequency``
    (a lexsort on (−count, −first position)) leaves them.

    >>> build_vocab([["x", "y", "z", "z"]], min_count=1).words
    ('z', 'y', 'x')
    """
    _check_sentences("sentences", sentences)
    min_count = check_int("min_count", min_count, minimum=1, maximum=MAX_WORDS)
    counts: dict[str, int] = {}
    for sentence in sentences:
        for word in sentence:
            counts[word] = counts.get(word, 0) + 1
    if not counts:
        raise ValueError("sentences must hold at least one word, got none")
    kept = [(w, c) for w, c in counts.items() if c >= min_count]
    if not kept:
        raise ValueError(
            f"min_count={min_count} is above every count "
            f"(the largest is {max(counts.values())})"
        )
    order = sorted(range(len(kept)), key=lambda i: (-kept[i][1], -i))
    return Vocab(
        tuple(kept[i][0] for i in order),
        np.array([kept[i][1] for i in order], dtype=np.int64),
    )


def keep_probability(counts: Any, sample: float = 1e-3) -> np.ndarray:
    """The probability that subsampling keeps one occurrence of each word, gensim's rule
    with :math:`t = s \\cdot T` (``T`` the total count):
    :math:`\\min\\left(1, \\left(\\sqrt{c/t} + 1\\right) t / c\\right)`;
    ``sample=0`` keeps every word.

    >>> keep_probability([1000, 1], sample=1e-3).round(3).tolist()
    [0.033, 1.0]
    """
    counts = _check_counts("counts", counts)
    sample = check_real("sample", sample, 0, 1, open_max=True)
    threshold = float(counts.sum()) * sample if sample > 0 else float(counts.sum())
    probability = (np.sqrt(counts / threshold) + 1) * (threshold / counts)
    return np.minimum(probability, 1.0)


def noise_distribution(counts: Any, power: float = 0.75) -> np.ndarray:
    """Negative sampling's noise distribution :math:`c_w^{p} / \\sum_v c_v^{p}`;
    ``power=1`` is the unigram distribution, ``power=0`` the uniform one.

    >>> noise_distribution([16, 1], power=0.5).tolist()
    [0.8, 0.2]
    """
    counts = _check_counts("counts", counts)
    power = check_real("power", power, -2, 2)
    weights = counts.astype(np.float64) ** power
    return weights / weights.sum()


def noise_table(counts: Any, power: float = 0.75) -> np.ndarray:
    """gensim's ``cum_table``: the running sum of :math:`c^{p}`, scaled to end at
    :math:`2^{31}-1` and rounded half to even; word ``i`` is drawn when a uniform
    integer below the last entry lands in ``[table[i-1], table[i])``.

    >>> noise_table([3, 1], power=1.0).tolist()
    [1610612735, 2147483647]
    """
    counts = _check_counts("counts", counts)
    power = check_real("power", power, -2, 2)
    cumulative = np.cumsum(
        counts.astype(np.float64) ** power
    )  # sequential, as gensim's loop
    return np.round(cumulative / cumulative[-1] * CUM_DOMAIN).astype(np.uint32)


def encode(vocab: Vocab, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Each sentence as an int64 array of word ids, words outside ``vocab`` dropped (one
    array per sentence, possibly empty).

    >>> encode(Vocab(("a", "b"), np.array([2, 1])), [["b", "q", "a"]])[0].tolist()
    [1, 0]
    """
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    _check_sentences("sentences", sentences)
    index = vocab.index
    return [
        np.array([index[w] for w in s if w in index], dtype=np.int64) for s in sentences
    ]
