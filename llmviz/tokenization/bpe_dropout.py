"""BPE-dropout: sampled segmentations from a BPE tokenizer [provilkov2020bpedropout].

BPE's encoder is deterministic: the merges are applied by rank, so a word has one
segmentation. BPE-dropout keeps the merges and the vocabulary and changes only the
encoder. At every step, each applicable merge (each adjacent pair that is a merge) is
dropped independently with probability ``p``; the kept merge of lowest rank is
applied, at its leftmost place; the word is done when no merge is kept:

    keep_i ~ Bernoulli(1 - p) for each applicable pair i,
    apply argmin over kept i of (rank_i, position_i); stop if nothing is kept.

``p = 0`` is BPE exactly; ``p = 1`` leaves the starting symbols (bytes or characters).
Training with ``p = 0.1`` showed a model many segmentations of the same word.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from llmviz._checks import check_int, check_real
from llmviz.tokenization.base import check_text
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_symbols import Ranks, readable, to_symbols
from llmviz.tokenization.pretokenize import _compiled


def _merge_with_dropout(
    symbols: list[int], ranks: Ranks, p: float, rng: np.random.Generator
) -> list[int]:
    """One chunk: drop each applicable merge with probability ``p``, apply the kept
    one of lowest rank (leftmost on a tie), and stop when none is kept."""
    symbols = list(symbols)
    while len(symbols) > 1:
        found = [(ranks.get(pair), i) for i, pair in enumerate(pairwise(symbols))]
        applicable = [(rank, i) for rank, i in found if rank is not None]
        if not applicable:
            break
        survives = rng.random(len(applicable)) >= p  # each with probability 1 - p
        candidates = [m for m, s in zip(applicable, survives, strict=True) if s]
        if not candidates:
            break
        (_, merged), i = min(candidates)
        symbols[i : i + 2] = [merged]
    return symbols


def _check_args(bpe: BPE, text: str, p: float, seed) -> tuple:
    if not isinstance(bpe, BPE):
        raise TypeError(f"bpe must be a BPE tokenizer, got {type(bpe).__name__}")
    text = check_text("text", text)
    p = check_real("p", p, 0.0, 1.0)
    if not isinstance(seed, np.random.Generator):
        check_int("seed", seed, minimum=0)
    return text, p, np.random.default_rng(seed)


def bpe_dropout_encode(
    bpe: BPE, text: str, p: float = 0.1, *, seed: int | np.random.Generator
) -> list[int]:
    """Token ids of ``text`` from ``bpe``'s merges, each applicable merge dropped with
    probability ``p`` at every step (module docstring). ``seed`` is an integer >= 0 or
    a ``numpy.random.Generator`` (draw many samples from one). The text is chunked
    as ``bpe.encode`` does; the text of a special token raises.

    >>> from llmviz.tokenization.bpe_train import train_bpe
    >>> bpe = train_bpe("aaab aab", 260)
    >>> bpe_dropout_encode(bpe, "aaab", 0.0, seed=0) == bpe.encode("aaab")
    True
    >>> [bpe.vocab[i] for i in bpe_dropout_encode(bpe, "aaab", 1.0, seed=0)]
    ['a', 'a', 'a', 'b']
    """
    text, p, rng = _check_args(bpe, text, p, seed)
    special = next((token for token in bpe.special_tokens if token in text), None)
    if special is not None:
        raise ValueError(
            f"text contains the special token {special!r}; bpe_dropout_encode samples "
            "ordinary text only: cut the text at special tokens and give their ids"
        )
    ids: list[int] = []
    for chunk in _compiled(bpe.pattern).findall(text):
        symbols = to_symbols(chunk, bpe.ids, bpe.byte_level, bpe.unk_token)
        ids.extend(_merge_with_dropout(symbols, bpe._ranks, p, rng))
    return ids


def bpe_dropout_pieces(
    bpe: BPE, text: str, p: float = 0.1, *, seed: int | np.random.Generator
) -> list[str]:
    """The tokens of ``bpe_dropout_encode`` as readable strings, as ``BPE.pieces``.

    >>> from llmviz.tokenization.bpe_train import train_bpe
    >>> bpe_dropout_pieces(train_bpe("aaab aab", 260), "aaab", 1.0, seed=0)
    ['a', 'a', 'a', 'b']
    """
    ids = bpe_dropout_encode(bpe, text, p, seed=seed)
    if not bpe.byte_level:
        return [bpe.vocab[i] for i in ids]
    return [readable(bpe.vocab[i]) for i in ids]
