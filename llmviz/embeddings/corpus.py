"""The sentences chapter 2 trains on: English from Python's help topics, Chinese written
for this book.

A sentence is a list of words. English keeps the lower-cased runs of letters ``[a-z]+``;
Chinese is cut into words by jieba's dictionary {footcite}`sun2012jieba`, as chapter 1
does, with punctuation and spaces dropped. A sentence ends at a line break or a full
stop (``.`` in English; ``。！？`` in Chinese); empty sentences are dropped.

>>> sentences = english_sentences(max_sentences=2)
>>> len(sentences), all(w.isalpha() and w.islower() for s in sentences for w in s)
(2, True)
"""

from __future__ import annotations

import re
from functools import cache

import regex

from llmviz import data
from llmviz._checks import check_int

MAX_SENTENCES = 10**7  # more than either corpus holds: a bound, not a sample size

_ENGLISH_STOP = re.compile(r"[\n.]")
_ENGLISH_WORD = re.compile(r"[a-z]+")
_CHINESE_STOP = re.compile(r"[\n。！？!?]")
_HAS_WORD = regex.compile(
    r"[\p{L}\p{N}]"
)  # a word holds a letter, a Han character or a digit


@cache
def _english() -> tuple[tuple[str, ...], ...]:
    text = data.python_docs().text.lower()
    parts = (_ENGLISH_WORD.findall(part) for part in _ENGLISH_STOP.split(text))
    return tuple(tuple(words) for words in parts if words)


def english_sentences(max_sentences: int | None = None) -> list[list[str]]:
    """Python's pydoc topics as sentences of lower-cased words ``[a-z]+``, the first
    ``max_sentences`` of them (all when None). Each call returns fresh lists.

    >>> english_sentences(max_sentences=1)[0][:3]
    ['the', 'assert', 'statement']
    """
    if max_sentences is not None:
        check_int("max_sentences", max_sentences, minimum=1, maximum=MAX_SENTENCES)
    sentences = _english()[:max_sentences]
    return [list(words) for words in sentences]


@cache
def _chinese() -> tuple[tuple[str, ...], ...]:
    from llmviz.tokenization.pretokenize import words

    out = []
    for part in _CHINESE_STOP.split(data.chinese().text):
        kept = tuple(w.lower() for w in words(part) if _HAS_WORD.search(w))
        if kept:
            out.append(kept)
    return tuple(out)


def chinese_sentences() -> list[list[str]]:
    """The book's Chinese text cut into words by jieba, punctuation and spaces dropped,
    one sentence per line or ``。！？``. Each call returns fresh lists.

    >>> chinese_sentences()[0]
    ['语言', '模型', '读', '不', '懂', '文字', '它', '只', '认识', '数字']
    """
    return [list(words) for words in _chinese()]
