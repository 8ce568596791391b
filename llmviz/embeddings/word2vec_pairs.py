"""word2vec's training examples: subsampling, (reduced) windows, skip-gram pairs and
CBOW windows {footcite}`mikolov2013efficient`.

Like word2vec.c and gensim, each epoch first drops frequent words (subsampling), then
draws for every centre word a ``b`` in ``[0, window)`` and uses the window
``window − b`` ("reduced window": nearer words are used more often).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from llmviz._checks import check_int, check_real
from llmviz.embeddings.vocab import keep_probability

MAX_WINDOW = 1000
MAX_TOKENS = 10**8  # tokens in one corpus


def _check_ids(
    name: str, sentences_ids: Any, vocab_size: int | None = None
) -> list[np.ndarray]:
    """Return the sentences as int64 arrays if they are a list of 1-D integer arrays
    with ids in ``[0, vocab_size)``."""
    if not isinstance(sentences_ids, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of 1-D integer arrays, "
            f"got {type(sentences_ids).__name__}"
        )
    out, total = [], 0
    for s in sentences_ids:
        array = np.asarray(s) if isinstance(s, (np.ndarray, list, tuple)) else None
        if (
            array is None
            or array.ndim != 1
            or (array.size and array.dtype.kind not in "iu")
        ):
            raise TypeError(
                f"{name} must hold 1-D integer arrays, got {type(s).__name__} {s!r:.40}"
            )
        total += array.size
        if total > MAX_TOKENS:
            raise ValueError(f"{name} must hold at most {MAX_TOKENS} ids in all")
        if array.size and (
            array.min() < 0 or (vocab_size is not None and array.max() >= vocab_size)
        ):
            raise ValueError(
                f"{name} must hold ids in [0, {vocab_size}), "
                f"got {array.min()}..{array.max()}"
            )
        out.append(array.astype(np.int64))
    return out


def subsample(
    sentences_ids: Sequence[np.ndarray],
    counts: Any,
    sample: float,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Keep each occurrence of word ``w`` with gensim's ``keep_probability``.

    >>> rng = np.random.default_rng(0)
    >>> subsample([np.array([0, 1, 1])], [1, 1], 0.0, rng)[0].tolist()
    [0, 1, 1]
    """
    sentences_ids = _check_ids("sentences_ids", sentences_ids)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, got {type(rng).__name__}"
        )
    check_real("sample", sample, 0, 1, open_max=True)
    keep = keep_probability(counts, sample) if sample > 0 else None
    if keep is not None and any(s.size and s.max() >= keep.size for s in sentences_ids):
        raise ValueError(f"sentences_ids must hold ids below len(counts) = {keep.size}")
    if keep is None:
        return [s.copy() for s in sentences_ids]
    return [s[rng.random(s.size) < keep[s]] for s in sentences_ids]


def _flat(sentences_ids: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.concatenate(
        [np.asarray(s, np.int64) for s in sentences_ids] + [np.zeros(0, np.int64)]
    )
    sentence = np.repeat(np.arange(len(sentences_ids)), [len(s) for s in sentences_ids])
    return ids, sentence


def _spans(n: int, window: int, seed: int | None) -> np.ndarray:
    if seed is None:
        return np.full(n, window)
    return window - np.random.default_rng(seed).integers(0, window, n)  # window − b


def context_positions(
    sentences_ids: Sequence[np.ndarray], window: int, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every token position ``i`` (over the concatenated sentences), its context
    positions ``i ± 1 … i ± (window − b_i)`` within the same sentence: returns ``ids``
    (N,), ``context`` (N, 2·window) positions and ``mask`` (N, 2·window). ``seed=None``
    uses the full window; otherwise ``b_i`` is drawn uniformly from ``[0, window)``.

    >>> ids, ctx, mask = context_positions([np.array([7, 8, 9])], 1, seed=None)
    >>> ctx[mask].tolist()
    [1, 0, 2, 1]
    """
    sentences_ids = _check_ids("sentences_ids", sentences_ids)
    window = check_int("window", window, 1, MAX_WINDOW)
    if seed is not None:
        check_int("seed", seed, 0)
    ids, sentence = _flat(sentences_ids)
    n = ids.size
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])  # (2w,)
    positions = np.arange(n)[:, None] + offsets  # (N, 2w)
    inside = (positions >= 0) & (positions < n)
    clipped = np.clip(positions, 0, max(n - 1, 0))
    same = inside & (sentence[clipped] == sentence[:, None]) if n else inside
    mask = same & (np.abs(offsets) <= _spans(n, window, seed)[:, None])
    return ids, clipped, mask


def skipgram_pairs(
    sentences_ids: Sequence[np.ndarray], window: int, seed: int | None = 0
) -> np.ndarray:
    """Skip-gram's training pairs (centre id, context id), in corpus order: (P, 2).

    >>> skipgram_pairs([np.array([7, 8, 9])], 1, seed=None).tolist()
    [[7, 8], [8, 7], [8, 9], [9, 8]]
    """
    ids, context, mask = context_positions(sentences_ids, window, seed)
    rows, cols = np.nonzero(mask)  # row-major: corpus order
    return np.stack([ids[rows], ids[context[rows, cols]]], axis=1)


def cbow_windows(
    sentences_ids: Sequence[np.ndarray], window: int, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CBOW's training examples: the centre ids (N,), their context ids (N, 2·window)
    and mask (N, 2·window); positions with no context word are dropped.

    >>> centre, ctx, mask = cbow_windows([np.array([7, 8, 9])], 1, seed=None)
    >>> centre.tolist(), ctx[1][mask[1]].tolist()
    ([7, 8, 9], [7, 9])
    """
    ids, context, mask = context_positions(sentences_ids, window, seed)
    keep = mask.any(1)
    return ids[keep], ids[context[keep]] * mask[keep], mask[keep]
