"""fastText's skip-gram: word2vec's negative sampling with a word made of its n-grams.

A word's input vector is the mean of its own row and its n-gram bucket rows,
``h_w = (z_w + Σ_{g ∈ G_w} z_g) / (1 + |G_w|)``; the rest is skip-gram with negative
sampling {footcite}`bojanowski2017enriching`. The table has ``V + bucket`` rows: the
words first, then the buckets. Batches of (centre, context) pairs go through
``nn.EmbeddingBag(mode="mean")``, so one step is a few tensor operations.

>>> from llmviz.embeddings.vocab import Vocab
>>> vocab = Vocab(("ab", "abc"), np.array([3, 2]))
>>> ids, offsets = subword_rows(vocab, 3, 4, bucket=16)
>>> offsets.tolist(), int(ids[0]), int(ids[4])
([0, 4], 0, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_real
from llmviz._threads import one_thread
from llmviz.embeddings.fasttext import MAX_BUCKET, _check_n, ngram_buckets, oov_vector
from llmviz.embeddings.vocab import Vocab, keep_probability, noise_distribution

__all__ = ["FastTextResult", "subword_rows", "train_fasttext", "word_vector"]


@dataclass
class FastTextResult:
    """Trained tables: ``words`` (V, d) and ``ngrams`` (bucket, d) input rows,
    ``output`` (V, d) context vectors, the mean loss per pair of each logged step."""

    words: Tensor
    ngrams: Tensor
    output: Tensor
    losses: list[float]
    minn: int
    maxn: int

    def vectors(self, vocab: Vocab) -> Tensor:
        """Every vocabulary word's vector (V, d): its row and n-gram rows averaged."""
        ids, offsets = subword_rows(vocab, self.minn, self.maxn, self.ngrams.shape[0])
        table = torch.cat([self.words, self.ngrams])  # (V + B, d)
        return nn.functional.embedding_bag(ids, table, offsets, mode="mean")


def subword_rows(
    vocab: Vocab, minn: int = 3, maxn: int = 6, bucket: int = 2**16
) -> tuple[Tensor, Tensor]:
    """For each word ``w``: row ``w`` then rows ``V + ngram_buckets(w)``, flattened,
    with the offset where each word starts (``nn.EmbeddingBag``'s input)."""
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    minn, maxn = _check_n(minn, maxn)
    bucket = check_int("bucket", bucket, 1, MAX_BUCKET)
    rows = [np.concatenate([[i], len(vocab) + ngram_buckets(w, minn, maxn, bucket)])
            for i, w in enumerate(vocab.words)]  # fmt: skip
    offsets = np.cumsum([0] + [len(r) for r in rows[:-1]])
    return torch.from_numpy(np.concatenate(rows)), torch.from_numpy(offsets)


def _skipgram_pairs(
    ids: list[np.ndarray], window: int, keep: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """(centre, context) pairs of one epoch, (N, 2): subsampled tokens, each
    centre with its window shrunk to ``window - b``, ``b`` uniform in [0, window),
    as word2vec does."""
    tokens = np.concatenate(ids)
    sentence = np.repeat(np.arange(len(ids)), [len(s) for s in ids])
    kept = rng.random(tokens.size) < keep[tokens]
    tokens, sentence = tokens[kept], sentence[kept]
    reach = window - rng.integers(0, window, tokens.size)
    pairs = []
    for k in range(1, window + 1):
        for a, b in (
            (slice(None, -k), slice(k, None)),
            (slice(k, None), slice(None, -k)),
        ):
            ok = (sentence[a] == sentence[b]) & (reach[a] >= k)
            pairs.append(np.stack([tokens[a][ok], tokens[b][ok]], axis=1))
    pairs = np.concatenate(pairs)
    return pairs[rng.permutation(len(pairs))]


def _check_ids(ids: object, vocab_size: int) -> list[np.ndarray]:
    if not isinstance(ids, (list, tuple)) or not ids:
        raise TypeError("sentences_ids must be a non-empty list of int arrays")
    for s in ids:
        if not isinstance(s, np.ndarray) or s.dtype.kind not in "iu" or s.ndim != 1:
            raise TypeError("sentences_ids must hold 1-D integer numpy arrays")
        if s.size and (s.min() < 0 or s.max() >= vocab_size):
            raise ValueError(f"sentences_ids must hold ids in [0, {vocab_size})")
    if sum(s.size for s in ids) < 2:
        raise ValueError("sentences_ids must hold at least 2 tokens")
    return list(ids)


def train_fasttext(
    sentences_ids: list[np.ndarray],
    vocab: Vocab,
    *,
    minn: int = 3,
    maxn: int = 6,
    bucket: int = 2**16,
    negative: int = 5,
    vector_size: int = 32,
    window: int = 4,
    sample: float = 1e-3,
    epochs: int = 3,
    alpha: float = 0.025,
    batch_size: int = 256,
    seed: int = 0,
) -> FastTextResult:
    """Skip-gram with negative sampling over subword vectors, seeded: minimises
    ``-log σ(h_c·u_o) - Σ_k log σ(-h_c·u_k)``, noise ``u_k ~ count^0.75``, by SGD on
    the summed loss of each batch, the rate falling linearly from ``alpha`` to 0."""
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    ids = _check_ids(sentences_ids, len(vocab))
    negative = check_int("negative", negative, 1, 100)
    d = check_int("vector_size", vector_size, 1, 1024)
    window, epochs = (
        check_int("window", window, 1, 100),
        check_int("epochs", epochs, 0, 1000),
    )
    alpha, sample = (
        check_real("alpha", alpha, 0, 10, open_min=True),
        check_real("sample", sample, 0, 1),
    )
    batch_size, seed = (
        check_int("batch_size", batch_size, 1, 1 << 20),
        check_int("seed", seed, 0, 2**32 - 1),
    )
    rows, offsets = subword_rows(vocab, minn, maxn, bucket)
    gen, rng = torch.Generator().manual_seed(seed), np.random.default_rng(seed)
    table = nn.EmbeddingBag(len(vocab) + bucket, d, mode="mean", sparse=True)
    nn.init.uniform_(table.weight, -1 / d, 1 / d, generator=gen)  # fastText's init
    output = nn.Embedding(len(vocab), d, sparse=True)
    nn.init.zeros_(output.weight)
    keep = keep_probability(vocab.counts, sample) if sample > 0 else np.ones(len(vocab))
    noise = torch.from_numpy(noise_distribution(vocab.counts, 0.75))
    epoch_pairs = [_skipgram_pairs(ids, window, keep, rng) for _ in range(epochs)]
    with one_thread():
        losses = _sgd(table, output, rows, offsets, epoch_pairs, noise, negative,
                      alpha, batch_size, gen)  # fmt: skip
    weights = table.weight.detach()
    words, ngrams = weights[: len(vocab)].clone(), weights[len(vocab) :].clone()
    return FastTextResult(
        words, ngrams, output.weight.detach().clone(), losses, minn, maxn
    )


def _sgd(
    table, output, rows, offsets, epoch_pairs, noise, negative, alpha, batch_size, gen
):
    """The training loop of ``train_fasttext``; returns the mean loss of each step."""
    params = (table.weight, output.weight)
    total, done, losses = sum(len(p) for p in epoch_pairs), 0, []
    for pairs in epoch_pairs:
        for start in range(0, len(pairs), batch_size):
            batch = torch.from_numpy(pairs[start : start + batch_size])  # (b, 2)
            negs = torch.multinomial(noise, len(batch) * negative, True, generator=gen)
            targets = torch.cat([batch[:, 1:], negs.view(len(batch), negative)], 1)
            h = _bags(table, rows, offsets, batch[:, 0])  # (b, d)
            scores = torch.einsum("bd,bkd->bk", h, output(targets))  # (b, 1 + k)
            sign = torch.ones_like(scores)
            sign[:, 1:] = -1
            loss = -nn.functional.logsigmoid(sign * scores).sum()
            loss.backward()
            lr = alpha * max(1e-4, 1 - done / max(total, 1))
            with torch.no_grad():  # plain SGD on the rows this batch touched (sparse)
                for p in params:
                    p.add_(p.grad, alpha=-lr)
                    p.grad = None
            done += len(batch)
            losses.append(loss.item() / len(batch))
    return losses


def _bags(
    table: nn.EmbeddingBag, rows: Tensor, offsets: Tensor, words: Tensor
) -> Tensor:
    """The mean subword vectors of ``words`` (b,) -> (b, d), one bag per word."""
    ends = torch.cat([offsets[1:], rows.new_tensor([len(rows)])])
    starts, lengths = offsets[words], ends[words] - offsets[words]
    flat = torch.repeat_interleave(starts - torch.cumsum(lengths, 0) + lengths, lengths)
    flat = flat + torch.arange(int(lengths.sum()))
    bag_offsets = torch.cumsum(lengths, 0) - lengths
    return table(rows[flat], bag_offsets)


def word_vector(result: FastTextResult, vocab: Vocab, word: str) -> Tensor:
    """``word``'s vector: its row and n-gram rows averaged when it is in ``vocab``,
    else the mean of its n-gram rows alone (``oov_vector``)."""
    if not isinstance(result, FastTextResult):
        raise TypeError(f"result must be a FastTextResult, got {type(result).__name__}")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    if isinstance(word, str) and word in vocab.index:
        i = vocab.index[word]
        rows = result.ngrams[
            torch.from_numpy(
                ngram_buckets(word, result.minn, result.maxn, result.ngrams.shape[0])
            )
        ]
        return torch.cat([result.words[i : i + 1], rows]).mean(0)
    return oov_vector(word, result.ngrams, result.minn, result.maxn)
