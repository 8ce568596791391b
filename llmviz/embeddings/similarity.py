"""What word vectors hold: cosine neighbours, 3CosAdd analogies, and a 2-D PCA.

Cosine similarity compares directions, not lengths:
``cos(u, v) = u·v / (‖u‖ ‖v‖)``. The neighbours of a word are the words whose vectors
point most nearly its way {footcite}`mikolov2013efficient`; an analogy a : b :: c : ?
is answered by the word nearest to ``b̂ − â + ĉ`` (3CosAdd, with unit vectors, the rule
of gensim's ``most_similar(positive=[b, c], negative=[a])``)
{footcite}`mikolov2013linguistic`.

>>> import torch
>>> words = ("king", "queen", "man", "woman")
>>> vectors = torch.tensor([[1.0, 1.0], [1.0, -1.0], [2.0, 1.1], [2.0, -0.9]])
>>> nearest(vectors, words, "king", k=1)[0][0]
'man'
>>> analogy(vectors, words, "man", "woman", "king")[0][0]
'queen'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor

MAX_K = 10_000  # more neighbours than any figure or table shows
MAX_VOCAB = 20_000  # a (V, V) count matrix of at most 3.2 GB


def vocabulary_words(vocab: Any) -> tuple[str, ...]:
    """The words of ``vocab``: a ``Vocab`` (its ``.words``) or a sequence of str."""
    words = getattr(vocab, "words", vocab)
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(
            f"vocab must be a Vocab or a sequence of words, got {type(vocab).__name__}"
        )
    if not words:
        raise ValueError("vocab must hold at least one word, got an empty vocabulary")
    if not all(isinstance(w, str) for w in words):
        raise TypeError("vocab must hold str words only")
    return tuple(words)


def check_vectors(name: str, vectors: Any, vocab: Any) -> tuple[Tensor, dict]:
    """``vectors`` checked as a finite (V, d) float tensor, one row per word of
    ``vocab``; returns it and the word → row index."""
    check_tensor(name, vectors, ranks=(2,))
    words = vocabulary_words(vocab)
    if vectors.shape[0] != len(words):
        raise ValueError(
            f"{name} must have one row per word of vocab ({len(words)}), got shape "
            f"{tuple(vectors.shape)}"
        )
    index = getattr(vocab, "index", None)
    if not isinstance(index, dict):
        index = {w: i for i, w in enumerate(words)}
    return vectors, index


def _row(name: str, word: Any, index: dict) -> int:
    if not isinstance(word, str):
        raise TypeError(f"{name} must be a str word, got {type(word).__name__}")
    if word not in index:
        raise ValueError(f"{name} must be a word of vocab, got {word!r:.60}")
    return index[word]


def unit_rows(vectors: Tensor) -> Tensor:
    """Each row divided by its length (a zero row stays zero): ``v / ‖v‖``."""
    norms = vectors.norm(dim=1, keepdim=True)
    return vectors / norms.clamp_min(torch.finfo(vectors.dtype).tiny)


def _top(scores: Tensor, words: tuple[str, ...], exclude: list[int], k: int) -> list:
    scores = scores.clone()
    scores[exclude] = -torch.inf
    k = min(k, len(words) - len(set(exclude)))
    values, rows = torch.topk(scores, k)
    return [
        (words[r], float(v))
        for r, v in zip(rows.tolist(), values.tolist(), strict=True)
    ]


def nearest(
    vectors: Tensor, vocab: Any, word: str, k: int = 5
) -> list[tuple[str, float]]:
    """The ``k`` words of highest cosine similarity to ``word``, itself excluded:
    ``argmax_w cos(v_word, v_w)``, as gensim's ``most_similar(word)``
    {footcite}`mikolov2013efficient`. Returns (word, cosine) pairs, best first.

    >>> import torch
    >>> nearest(torch.eye(3), ("a", "b", "c"), "a", k=1)
    [('b', 0.0)]
    """
    vectors, index = check_vectors("vectors", vectors, vocab)
    row = _row("word", word, index)
    k = check_int("k", k, minimum=1, maximum=MAX_K)
    unit = unit_rows(vectors)
    return _top(unit @ unit[row], vocabulary_words(vocab), [row], k)


def analogy(
    vectors: Tensor, vocab: Any, a: str, b: str, c: str, k: int = 1
) -> list[tuple[str, float]]:
    """a is to b as c is to ?: the ``k`` words nearest in cosine to
    ``b̂ − â + ĉ`` (unit vectors, 3CosAdd), a, b and c excluded, as gensim's
    ``most_similar(positive=[b, c], negative=[a])`` {footcite}`mikolov2013linguistic`.

    >>> import torch
    >>> vectors = torch.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0], [-1.0, 1.0]])
    >>> analogy(vectors, ("x", "y", "u", "w"), "x", "y", "u")[0][0]
    'w'
    """
    vectors, index = check_vectors("vectors", vectors, vocab)
    rows = [_row(name, w, index) for name, w in (("a", a), ("b", b), ("c", c))]
    k = check_int("k", k, minimum=1, maximum=MAX_K)
    unit = unit_rows(vectors)
    target = unit[rows[1]] - unit[rows[0]] + unit[rows[2]]
    target = target / target.norm().clamp_min(torch.finfo(target.dtype).tiny)
    return _top(unit @ target, vocabulary_words(vocab), rows, k)


def neighbour_overlap(
    vectors_a: Tensor, vectors_b: Tensor, vocab: Any, words: Sequence[str], k: int = 10
) -> float:
    """How far two sets of vectors for one vocabulary agree on neighbours: the mean
    over ``words`` of ``|top_k^A(w) ∩ top_k^B(w)| / k`` (cosine neighbours, the word
    itself excluded). 1 when every word keeps its neighbours, about ``k / (V − 1)``
    for unrelated vectors.

    >>> import torch
    >>> neighbour_overlap(torch.eye(3), 2 * torch.eye(3), ("a", "b", "c"), ["a"], k=2)
    1.0
    """
    vectors_a, index = check_vectors("vectors_a", vectors_a, vocab)
    vectors_b, _ = check_vectors("vectors_b", vectors_b, vocab)
    if isinstance(words, str) or not isinstance(words, Sequence) or not words:
        raise TypeError(f"words must be a non-empty sequence of str, got {words!r:.60}")
    rows = [_row("words", w, index) for w in words]
    k = check_int("k", k, minimum=1, maximum=len(index) - 1)
    shared = 0
    for unit in (unit_rows(vectors_a), unit_rows(vectors_b)):
        scores = unit[rows] @ unit.T  # (W, V)
        scores[torch.arange(len(rows)), rows] = -torch.inf
        top = torch.topk(scores, k, dim=1).indices  # (W, k)
        hits = torch.zeros_like(scores, dtype=torch.int64).scatter_(1, top, 1)
        shared = hits if isinstance(shared, int) else shared * hits
    return float(shared.sum()) / (k * len(rows))


def pca_2d(vectors: Tensor) -> tuple[Tensor, Tensor]:
    """The rows of ``vectors`` projected on their first two principal axes, by the
    SVD of the centred matrix: ``X − x̄ = U S Vᵀ``, points ``(X − x̄) V[:, :2]``, and
    the share of the variance each axis explains, ``s_i² / Σ s_j²``. Each axis is
    signed so that its farthest point lies on the positive side.

    >>> import torch
    >>> points, ratio = pca_2d(torch.tensor([[0.0, 0.0], [2.0, 0.0], [4.0, 1.0]]))
    >>> tuple(points.shape), round(float(ratio.sum()), 6)  # 2-D data: all explained
    ((3, 2), 1.0)
    """
    check_tensor("vectors", vectors, ranks=(2,))
    if vectors.shape[0] < 2 or vectors.shape[1] < 2:
        raise ValueError(
            "vectors must have at least 2 rows and 2 columns, got shape "
            f"{tuple(vectors.shape)}"
        )
    x = vectors.double()
    centred = x - x.mean(dim=0)  # (N, d)
    _, s, vt = torch.linalg.svd(centred, full_matrices=False)
    total = float((s**2).sum())
    if total <= 1e-24 * max(1.0, float((x**2).sum())):
        raise ValueError("vectors must not all be equal: there is no variance to show")
    points = centred @ vt[:2].T  # (N, 2)
    far = points.abs().argmax(dim=0)  # (2,)
    points = points * torch.sign(points[far, torch.arange(2)])
    ratio = s[:2] ** 2 / total
    return points.to(vectors.dtype), ratio.to(vectors.dtype)


def context_counts(
    sentences_ids: Sequence[np.ndarray], vocab_size: int, window: int = 4
) -> np.ndarray:
    """How often each word appears within ``window`` words of each other word, in the
    same sentence: ``C[w, u] = #{(i, j): |i − j| ≤ window, i ≠ j, s_i = w, s_j = u}``,
    symmetric. Row ``w`` is the context of ``w`` that word2vec learns from
    {footcite}`harris1954distributional`.

    >>> context_counts([np.array([0, 1, 2])], 3, window=1).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    vocab_size = check_int("vocab_size", vocab_size, minimum=1, maximum=MAX_VOCAB)
    window = check_int("window", window, minimum=1, maximum=1000)
    if isinstance(sentences_ids, (str, bytes)) or not isinstance(
        sentences_ids, Sequence
    ):
        raise TypeError("sentences_ids must be a list of 1-D integer arrays")
    gap = np.full(window, -1, np.int64)
    parts = [gap]
    for ids in sentences_ids:
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise TypeError("sentences_ids must be a list of 1-D integer arrays")
        if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
            raise ValueError(f"sentences_ids must hold ids in [0, {vocab_size})")
        parts += [ids.astype(np.int64), gap]
    flat = np.concatenate(parts)
    counts = np.zeros(vocab_size * vocab_size, np.int64)
    for offset in range(1, window + 1):
        left, right = flat[:-offset], flat[offset:]
        keep = (left >= 0) & (right >= 0)
        pairs = left[keep] * vocab_size + right[keep]
        counts += np.bincount(pairs, minlength=vocab_size * vocab_size)
    counts = counts.reshape(vocab_size, vocab_size)
    return counts + counts.T
