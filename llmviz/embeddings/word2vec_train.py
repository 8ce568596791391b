"""word2vec's trainer: seeded SGD in vectorised batches
{footcite}`mikolov2013efficient`.

Each epoch subsamples the corpus and draws its reduced windows afresh
(``word2vec_pairs``); the learning rate falls linearly from ``alpha`` to ``min_alpha``
over training; gradients are the closed forms of ``word2vec``, added to the rows they
touch with ``index_add_``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from llmviz._checks import check_bool, check_int, check_real, checked_by_caller
from llmviz._tensor_checks import check_dim, check_tensor
from llmviz._threads import one_thread
from llmviz.embeddings.huffman import huffman_codes
from llmviz.embeddings.vocab import Vocab, noise_distribution
from llmviz.embeddings.word2vec import _logistic, cbow_hidden
from llmviz.embeddings.word2vec_pairs import (
    MAX_WINDOW,
    _check_ids,
    cbow_windows,
    skipgram_pairs,
    subsample,
)


@dataclass(frozen=True)
class Word2VecResult:
    """``vectors`` (V, d) the input vectors (the embeddings), ``output`` the output
    layer ((V, d) for negative sampling, (V − 1, d) for hierarchical softmax),
    ``losses`` the mean loss per example of every batch."""

    vectors: torch.Tensor
    output: torch.Tensor
    losses: list[float]

    def __post_init__(self) -> None:
        check_tensor("vectors", self.vectors, (2,))
        check_tensor("output", self.output, (2,))
        check_dim("output", self.output, 1, self.vectors.shape[1], "the vector size")
        if self.output.shape[0] not in (
            self.vectors.shape[0],
            self.vectors.shape[0] - 1,
        ):
            raise ValueError(
                f"output must have V or V − 1 rows (V = {self.vectors.shape[0]}), "
                f"got shape {tuple(self.output.shape)}"
            )
        if not isinstance(self.losses, list) or not all(
            isinstance(x, float) and math.isfinite(x) for x in self.losses
        ):
            raise TypeError("losses must be a list of finite floats")


def _paths(counts: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    codes, points = huffman_codes(counts)
    length = max(len(c) for c in codes)
    out = np.zeros((3, len(codes), length), np.int64)  # points, codes, mask (V, L)
    for w, (c, p) in enumerate(zip(codes, points, strict=True)):
        out[0, w, : len(c)], out[1, w, : len(c)], out[2, w, : len(c)] = p, c, 1
    return (
        torch.from_numpy(out[0]),
        torch.from_numpy(out[1]),
        torch.from_numpy(out[2]).bool(),
    )


def _examples(ids, vocab, sg, window, sample, rng) -> tuple[torch.Tensor, ...]:
    kept = subsample(ids, vocab.counts, sample, rng)
    seed = int(rng.integers(0, 2**31))
    if sg:
        pairs = torch.from_numpy(skipgram_pairs(kept, window, seed))
        return pairs[:, 1], pairs[:, :1], torch.ones(len(pairs), 1, dtype=torch.bool)
    centre, context, mask = cbow_windows(kept, window, seed)
    return torch.from_numpy(centre), torch.from_numpy(context), torch.from_numpy(mask)


def _step(syn0, syn1, batch, out, noise, negative, gen, lr) -> float:
    """One SGD step on a batch: (target (B,), inputs (B, C), mask (B, C))."""
    target, inputs, mask = batch
    h = cbow_hidden(syn0[inputs], mask)  # (B, d); skip-gram: C = 1, h = v_c
    if noise is not None:  # negative sampling: the target, then k noise words
        drawn = torch.multinomial(noise, len(target) * negative, True, generator=gen)
        rows = torch.cat([target[:, None], drawn.view(-1, negative)], 1)  # (B, 1 + k)
        labels = (torch.arange(1 + negative) == 0).float().expand_as(rows)
        weight = (rows != target[:, None]) | (labels > 0)  # gensim skips the target
    else:  # hierarchical softmax: the target's path
        rows, codes, weight = out[0][target], out[1][target], out[2][target]
        labels = (1 - codes).float()
    loss, g_h, g_w = _logistic(h, syn1[rows], labels, weight)
    # word2vec.c and gensim add the whole ∂L/∂h to every context word
    g_in = g_h[:, None].expand(-1, inputs.shape[1], -1)[mask]
    syn0.index_add_(0, inputs[mask], g_in, alpha=-lr)
    syn1.index_add_(0, rows[weight], g_w[weight], alpha=-lr)
    return float(loss.mean())


def train_word2vec(
    sentences_ids: list[np.ndarray],
    vocab: Vocab,
    *,
    sg: int = 1,
    hs: int = 0,
    negative: int = 5,
    vector_size: int = 32,
    window: int = 4,
    sample: float = 1e-3,
    epochs: int = 3,
    alpha: float = 0.025,
    min_alpha: float = 1e-4,
    batch_size: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> Word2VecResult:
    """Train word2vec, skip-gram (``sg=1``) or CBOW (``sg=0``), with hierarchical
    softmax (``hs=1``) or ``negative`` noise words from the unigram^0.75 distribution,
    by SGD on batches of ``batch_size`` examples; seeded: a re-run gives the same
    vectors.

    >>> v = Vocab(("a", "b"), np.array([2, 2]))
    >>> r = train_word2vec([np.array([0, 1, 0, 1])], v, vector_size=4, window=1)
    >>> tuple(r.vectors.shape), tuple(r.output.shape)
    ((2, 4), (2, 4))
    """
    ids = _check_train(
        sentences_ids, vocab, sg, hs, negative, vector_size, window, sample
    )
    _check_schedule(epochs, alpha, min_alpha, batch_size, seed, progress)
    V = len(vocab)
    gen, rng = torch.Generator().manual_seed(seed), np.random.default_rng(seed)
    syn0 = (
        torch.rand(V, vector_size, generator=gen) - 0.5
    ) / vector_size  # gensim's init
    syn1 = torch.zeros(V - 1 if hs else V, vector_size)
    out = _paths(vocab.counts) if hs else None
    noise = None if hs else torch.from_numpy(noise_distribution(vocab.counts)).float()
    losses: list[float] = []
    with one_thread():  # small batches: threads cost more than they give
        _epochs(ids, vocab, syn0, syn1, out, noise, gen, rng, losses, locals())
    return Word2VecResult(syn0, syn1, losses)


def _epochs(ids, vocab, syn0, syn1, out, noise, gen, rng, losses, kw) -> None:
    epochs, batch_size, alpha, min_alpha = (
        kw[k] for k in ("epochs", "batch_size", "alpha", "min_alpha")
    )
    sg, window, sample, negative = (
        kw[k] for k in ("sg", "window", "sample", "negative")
    )
    for epoch in tqdm(range(epochs), disable=not kw["progress"], desc="word2vec"):
        batch = _examples(ids, vocab, sg, window, sample, rng)
        n = len(batch[0])
        for start in range(0, n, batch_size):
            done = (epoch * n + start) / max(epochs * n, 1)
            lr = alpha - (alpha - min_alpha) * done
            part = tuple(t[start : start + batch_size] for t in batch)
            with checked_by_caller():
                losses.append(_step(syn0, syn1, part, out, noise, negative, gen, lr))


def _check_train(ids, vocab, sg, hs, negative, vector_size, window, sample) -> list:
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    if len(vocab) < 2:
        raise ValueError(f"vocab must hold at least 2 words, got {len(vocab)}")
    ids = _check_ids("sentences_ids", ids, len(vocab))
    if sum(s.size for s in ids) < 2:
        raise ValueError("sentences_ids must hold at least 2 ids in all")
    check_int("sg", sg, 0, 1)
    check_int("hs", hs, 0, 1)
    check_int("negative", negative, 0 if hs else 1, 100)
    if hs and negative:
        raise ValueError(
            f"negative must be 0 with hs=1 (one output layer), got {negative}"
        )
    check_int("vector_size", vector_size, 1, 4096)
    check_int("window", window, 1, MAX_WINDOW)
    check_real("sample", sample, 0, 1, open_max=True)
    return ids


def _check_schedule(epochs, alpha, min_alpha, batch_size, seed, progress) -> None:
    check_int("epochs", epochs, 1, 10_000)
    check_real("alpha", alpha, 0, 10, open_min=True)
    check_real("min_alpha", min_alpha, 0, alpha)
    check_int("batch_size", batch_size, 1, 1 << 20)
    check_int("seed", seed, 0)
    check_bool("progress", progress)
