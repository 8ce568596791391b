"""What a word vocabulary costs besides its unknown words.

* Size: word frequencies have a long tail (Zipf), so covering a share of a text's
  words takes many types. ``types_for_coverage`` gives the smallest k with
  Σ_{i≤k} c_(i) ≥ target · Σ_i c_i, the counts c_(1) ≥ c_(2) ≥ … sorted.
* Morphology: *walk*, *walks*, *walked*, *walking* are four unrelated ids, and a model
  must learn each alone. ``word_families`` finds such families in a word list;
  ``distinct_ids`` counts the ids a tokenizer spends on one, and ``shares_stem`` says
  whether all its forms begin with the same token.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from llmviz._checks import check_int, check_real
from llmviz.tokenization.base import Tokenizer, check_text

SUFFIXES = ("", "s", "ed", "ing")


def types_for_coverage(counts: Mapping[str, int], target: float) -> int:
    """How many of the most frequent types cover ``target`` of the tokens.

    >>> types_for_coverage({"the": 6, "a": 3, "cat": 1}, 0.9)
    2
    """
    if not isinstance(counts, Mapping) or not counts:
        raise TypeError(
            f"counts must be a non-empty mapping of counts, got {counts!r:.60}"
        )
    values = sorted(counts.values(), reverse=True)
    if not all(
        isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in values
    ):
        raise ValueError("counts must all be positive integers")
    goal = check_real("target", target, minimum=0.0, maximum=1.0) * sum(values)
    covered = 0
    for k, count in enumerate(values, start=1):
        covered += count
        if covered >= goal:
            return k
    return len(values)


def word_families(
    vocabulary: Collection[str], suffixes: Sequence[str] = SUFFIXES, minimum: int = 0
) -> list[list[str]]:
    """The stems (three letters or more, in ``vocabulary``) with at least ``minimum``
    of their forms ``stem + suffix`` in ``vocabulary`` (all of them when ``minimum``
    is 0): each family as the list of its forms that are there.

    >>> words = {"walk", "walks", "walked", "walking", "talk", "talks"}
    >>> word_families(words)
    [['walk', 'walks', 'walked', 'walking']]
    >>> word_families(words, minimum=2)[0]
    ['talk', 'talks']
    """
    if isinstance(vocabulary, str) or not isinstance(vocabulary, Collection):
        raise TypeError(
            f"vocabulary must be a collection of words, got {vocabulary!r:.60}"
        )
    if isinstance(suffixes, str) or not all(isinstance(s, str) for s in suffixes):
        raise TypeError(f"suffixes must be a list of str, got {suffixes!r:.60}")
    need = check_int("minimum", minimum, minimum=0) or len(suffixes)
    families = []
    for stem in sorted(w for w in vocabulary if isinstance(w, str)):
        forms = [stem + s for s in suffixes if stem + s in vocabulary]
        if len(stem) >= 3 and stem.isalpha() and len(forms) >= need:
            families.append(forms)
    return families


def _encodings(tokenizer: Tokenizer, words: Sequence[str]) -> list[list[int]]:
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError(
            f"tokenizer must be a Tokenizer, got {type(tokenizer).__name__}"
        )
    if isinstance(words, str) or not isinstance(words, Sequence) or not words:
        raise TypeError(f"words must be a non-empty list of str, got {words!r:.60}")
    return [
        tokenizer.encode(" " + check_text(f"words[{i}]", w))
        for i, w in enumerate(words)
    ]


def distinct_ids(tokenizer: Tokenizer, words: Sequence[str]) -> int:
    """How many different ids the words take, each read after a space as in prose.

    >>> from llmviz.tokenization import CharLevel
    >>> distinct_ids(CharLevel.train("walk walked"), ["walk", "walked"])
    7
    """
    return len({i for ids in _encodings(tokenizer, words) for i in ids})


def shares_stem(tokenizer: Tokenizer, words: Sequence[str]) -> bool:
    """Whether every word begins with the same token.

    >>> from llmviz.tokenization import WordLevel
    >>> shares_stem(WordLevel.train("walk walked"), ["walk", "walked"])
    False
    """
    return len({ids[0] for ids in _encodings(tokenizer, words)}) == 1
