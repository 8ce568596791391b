"""What the chapter's figures and live explorers compute, one pure function each.

The static page calls them once per slider value, the live explorer on every change,
and ``benchmarks/bench_tokenization.py`` times them as an explorer's redraw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from llmviz._checks import check_int
from llmviz.tokenization.base import Tokenizer, check_text
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.compare import measure
from llmviz.tokenization.sentencepiece import escape
from llmviz.tokenization.unigram import Unigram


def tokenize_all(
    text: str, tokenizers: Mapping[str, Tokenizer]
) -> dict[str, list[str]]:
    """Each tokenizer's pieces of ``text``, by name: the rows of ``token_boundaries``.

    >>> from llmviz.tokenization import CharLevel
    >>> tokenize_all("ab", {"char": CharLevel.train("a")})
    {'char': ['a', '[UNK]']}
    """
    check_text("text", text)
    if not isinstance(tokenizers, Mapping):
        raise TypeError(
            f"tokenizers must be a dict from name to tokenizer, got {tokenizers!r:.60}"
        )
    for name, tokenizer in tokenizers.items():
        if not isinstance(name, str) or not isinstance(tokenizer, Tokenizer):
            raise TypeError(
                f"tokenizers must map str names to tokenizers, got {name!r:.30}: "
                f"{tokenizer!r:.40}"
            )
    return {name: tokenizer.pieces(text) for name, tokenizer in tokenizers.items()}


def after_merges(bpe: BPE, text: str, num_merges: int) -> dict[str, list[str]]:
    """The pieces of ``text`` when ``bpe`` knows only its first ``num_merges`` merges.

    >>> from llmviz.tokenization import train_bpe
    >>> after_merges(train_bpe("aaab aab", 258), "aab", 1)
    {'after 1 merges': ['aa', 'b']}
    """
    _check_bpe(bpe)
    check_int("num_merges", num_merges, minimum=0)
    if num_merges > len(bpe.merges):
        raise ValueError(
            f"num_merges must be at most {len(bpe.merges)}, the merges learned, "
            f"got {num_merges}"
        )
    return {f"after {num_merges} merges": bpe.truncated(num_merges).pieces(text)}


def _check_bpe(bpe: BPE) -> None:
    if not isinstance(bpe, BPE):
        raise TypeError(f"bpe must be a BPE tokenizer, got {type(bpe).__name__}")


def word_lattice(
    model: Unigram, word: str
) -> tuple[str, list[tuple[int, int, str, float]], list[tuple[int, int]]]:
    """The lattice of ``▁word`` and its Viterbi path: what ``lattice_figure`` draws.

    Each unknown character is an edge of the lattice and of the path, as in
    sentencepiece; ``encode`` then fuses a run of them into one unknown token.

    >>> from llmviz.tokenization.unigram import TINY_VOCABULARY
    >>> text, edges, path = word_lattice(Unigram(TINY_VOCABULARY + [("▁", -1.0)]), "ab")
    >>> text, path
    ('▁ab', [(0, 1), (1, 3)])
    >>> word_lattice(Unigram(TINY_VOCABULARY + [("▁", -1.0)]), "日本")[2]
    [(0, 1), (1, 2), (2, 3)]
    """
    text = escape(_check_word(model, word))
    path = [(edge.start, edge.end) for edge in model.lattice_path(text)]
    edges = [(e.start, e.end, e.piece, e.score) for e in model.lattice(text)]
    return text, edges, path


def _check_word(model: Unigram, word: str) -> str:
    if not isinstance(model, Unigram):
        raise TypeError(f"model must be a Unigram, got {type(model).__name__}")
    if not check_text("word", word):
        raise ValueError("word must be a non-empty str: an empty one has no lattice")
    return word


def nbest_probabilities(
    model: Unigram, word: str, n: int = 6
) -> list[tuple[list[str], float]]:
    """The ``n`` best segmentations of ``▁word`` with P(x | text) = exp(s(x)) / Z.

    >>> from llmviz.tokenization.unigram import TINY_VOCABULARY
    >>> model = Unigram(TINY_VOCABULARY + [("▁", -1.0)])
    >>> [(p, round(q, 3)) for p, q in nbest_probabilities(model, "ab", 2)]
    [(['▁', 'ab'], 0.731), (['▁', 'a', 'b'], 0.269)]
    """
    text = escape(_check_word(model, word))
    log_z, _ = model.forward_backward(text)
    return [(pieces, math.exp(s - log_z)) for pieces, s in model.nbest(text, n)]


def compression_curve(bpe: BPE, text: str, sizes: Sequence[int]) -> list[float]:
    """Bytes per token of ``text`` for each vocabulary size, by truncating ``bpe``.

    >>> from llmviz.tokenization import train_bpe
    >>> compression_curve(train_bpe("aaaa aaaa", 258), "aaaa", [256, 257, 258])
    [1.0, 2.0, 4.0]
    """
    _check_bpe(bpe)
    if not check_text("text", text):
        raise ValueError("text must be a non-empty str: it has no bytes per token")
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a list of int, got {sizes!r:.60}")
    if not sizes:
        raise ValueError("sizes must hold at least one vocabulary size, got none")
    base = bpe.vocab_size - len(bpe.merges)
    curve = []
    for i, size in enumerate(sizes):
        if not base <= check_int(f"sizes[{i}]", size) <= bpe.vocab_size:
            raise ValueError(
                f"sizes must be from {base} to {bpe.vocab_size}, the vocabulary sizes "
                f"this tokenizer passes through, got {size}"
            )
        curve.append(measure(bpe.truncated(size - base), text)["bytes per token"])
    return curve
