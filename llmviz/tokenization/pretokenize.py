"""Pre-tokenizers: how text is cut into words before a subword model sees it.

* ``GPT2_PATTERN`` and ``CL100K_PATTERN`` are the regular expressions of GPT-2 and
  GPT-4 [radford2019language]; they need the ``regex`` package for ``\\p{L}``.
* ``bytes_to_unicode`` is GPT-2's map from the 256 bytes to printable characters.
* ``bert_pretokenize`` splits on whitespace and punctuation, as BERT does
  [devlin2019bert].
* ``words`` is the word-level baseline, with jieba for Chinese [sun2012jieba].
"""

from __future__ import annotations

import logging
import unicodedata
from functools import cache

import regex

from llmviz.tokenization.base import check_text

GPT2_PATTERN = (
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+"""
    r"""| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@cache
def _compiled(pattern: str) -> regex.Pattern:
    return regex.compile(pattern)


def split(text: str, pattern: str = GPT2_PATTERN) -> list[str]:
    """Cut ``text`` into the chunks that ``pattern`` matches; BPE never merges across.

    >>> split("Hello world!!  42")
    ['Hello', ' world', '!!', ' ', ' 42']
    """
    return _compiled(pattern).findall(check_text("text", text))


@cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte → character map: printable bytes map to themselves, the other 68
    (controls, space, and a few Latin-1 ones) to characters from U+0100 on.

    >>> table = bytes_to_unicode()
    >>> table[ord("A")], table[ord(" ")], table[ord("\\n")], len(set(table.values()))
    ('A', 'Ġ', 'Ċ', 256)
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    table = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return dict(sorted(table.items()))


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    ascii_punctuation = 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96
    return (
        ascii_punctuation
        or 123 <= code <= 126
        or unicodedata.category(char).startswith("P")
    )


# The CJK ideograph blocks that BERT puts spaces around, one character per word
_CHINESE_BLOCKS = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def _is_chinese(char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in _CHINESE_BLOCKS)


def bert_pretokenize(text: str, split_chinese: bool = True) -> list[str]:
    """BERT's pre-tokenizer: split on whitespace, and make each punctuation mark a
    word of its own (HF ``BertPreTokenizer``). With ``split_chinese``, each Chinese
    character is a word too, as BERT's normalizer arranges (``handle_chinese_chars``).

    >>> bert_pretokenize("Don't stop, 2 tokens!")
    ['Don', "'", 't', 'stop', ',', '2', 'tokens', '!']
    >>> bert_pretokenize("分词很难"), bert_pretokenize("分词很难", split_chinese=False)
    (['分', '词', '很', '难'], ['分词很难'])
    """
    words: list[str] = []
    current: list[str] = []
    for char in check_text("text", text):
        alone = _is_punctuation(char) or (split_chinese and _is_chinese(char))
        if char.isspace() or alone:
            if current:
                words.append("".join(current))
                current = []
            if alone:
                words.append(char)
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


_HAN = regex.compile(r"\p{Han}")


def words(text: str) -> list[str]:
    """Word-level tokens: ``bert_pretokenize`` without splitting Chinese, then runs of
    Chinese characters cut into words by jieba's dictionary.

    >>> words("我们学习分词, fast!")
    ['我们', '学习', '分词', ',', 'fast', '!']
    """
    out: list[str] = []
    for word in bert_pretokenize(text, split_chinese=False):
        if _HAN.search(word):
            out.extend(w for w in _jieba().lcut(word) if not w.isspace())
        else:
            out.append(word)
    return out


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter
    jieba.initialize()
    return jieba
