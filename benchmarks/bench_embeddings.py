"""Chapter 2's embeddings against gensim, measured side by side in one run: ratios
printed, never asserted.

1. Skip-gram with negative sampling (llmviz.embeddings.word2vec_train, vectorised torch
   batches of 1,024 pairs) against gensim's ``Word2Vec(workers=1)`` (C, one thread), in
   words per second, on the English corpus with the same settings (d = 32, window 4,
   k = 5, sample 1e-3, min_count 5). Words = the in-vocabulary tokens × epochs, for
   both. Goal: ours within 10× of gensim.
2. The Huffman tree (llmviz.embeddings.huffman.huffman_codes) against gensim's
   ``_assign_binary_codes`` on the same counts. Goal: within 3×.
3. fastText's n-gram buckets (llmviz.embeddings.fasttext.ngram_buckets) against
   gensim's ``ft_ngram_hashes`` for every word of the English and Chinese vocabularies
   (minn 3, maxn 6, 2M buckets). Goal: within 3×.

Times are the minimum over interleaved repeats, on one thread (the box is shared).
--quick (the test suite) uses a quarter of the corpus, one epoch and fewer repeats.
Usage: python benchmarks/bench_embeddings.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from gensim.models import Word2Vec
from gensim.models.fasttext import ft_ngram_hashes
from gensim.models.word2vec import _assign_binary_codes
from goals import verdict  # benchmarks/goals.py, beside this script

from llmviz.embeddings.corpus import chinese_sentences, english_sentences
from llmviz.embeddings.fasttext import ngram_buckets
from llmviz.embeddings.huffman import huffman_codes
from llmviz.embeddings.vocab import build_vocab, encode
from llmviz.embeddings.word2vec_train import train_word2vec
from llmviz.measure import interleaved_best

SETTINGS = dict(vector_size=32, window=4, negative=5, sample=1e-3)


def ratio_line(name: str, ours: float, theirs: float, goal: float) -> None:
    ratio = ours / theirs
    judged = verdict(f"{name}, ours / gensim", ratio, goal, faster=False)
    print(f"{name}: ours {ours * 1e3:.1f} ms, gensim {theirs * 1e3:.1f} ms, "
          f"ratio {ratio:.2f}x {judged}")  # fmt: skip


def bench_sgns(quick: bool) -> None:
    sentences = english_sentences()
    if quick:
        sentences = sentences[: len(sentences) // 4]
    epochs = 1 if quick else 5
    vocab = build_vocab(sentences, min_count=5)
    ids = encode(vocab, sentences)
    words = int(sum(len(s) for s in ids)) * epochs
    model = Word2Vec(
        sg=1, hs=0, min_count=5, workers=1, seed=0, epochs=epochs, **SETTINGS
    )
    model.build_vocab(sentences)
    assert tuple(model.wv.index_to_key) == vocab.words

    def ours():
        train_word2vec(
            ids, vocab, sg=1, epochs=epochs, batch_size=1024, seed=0, **SETTINGS
        )

    def gensim():
        model.train(sentences, total_examples=len(sentences), epochs=epochs)

    times, _ = interleaved_best(
        {"ours": ours, "gensim": gensim}, repeats=1 if quick else 3
    )
    ratio = times["ours"] / times["gensim"]
    judged = verdict("skip-gram NS, ours / gensim", ratio, 10, faster=False)
    print(f"skip-gram NS, {words:,} words ({epochs} epochs): ours {words / times['ours']:,.0f} "
          f"words/s, gensim {words / times['gensim']:,.0f} words/s, gensim is "
          f"{ratio:.1f}x faster {judged}")  # fmt: skip


class _Vocab:
    """What gensim's ``_assign_binary_codes`` reads: counts by index, codes written."""

    def __init__(self, counts: np.ndarray):
        self.counts, self.index_to_key = counts, list(range(len(counts)))
        self.attrs: dict[str, list] = {}

    def __len__(self) -> int:
        return len(self.counts)

    def get_vecattr(self, i: int, name: str):
        return int(self.counts[i]) if name == "count" else self.attrs[name][i]

    def set_vecattr(self, i: int, name: str, value) -> None:
        self.attrs.setdefault(name, [None] * len(self.counts))[i] = value


def bench_huffman(quick: bool) -> None:
    counts = build_vocab(english_sentences(), min_count=1).counts
    times, results = interleaved_best(
        {
            "ours": lambda: huffman_codes(counts),
            "gensim": lambda: _gensim_codes(counts),
        },
        repeats=3 if quick else 10,
    )
    same = all(
        np.array_equal(a, b)
        for a, b in zip(results["ours"][0], results["gensim"], strict=True)
    )
    print(f"Huffman codes for {len(counts):,} words, equal to gensim's: {same}")
    ratio_line("Huffman build", times["ours"], times["gensim"], 3)


def _gensim_codes(counts: np.ndarray) -> list:
    wv = _Vocab(counts)
    _assign_binary_codes(wv)
    return wv.attrs["code"]


def bench_ngrams(quick: bool) -> None:
    words = list(build_vocab(english_sentences(), min_count=1).words)
    words += list(build_vocab(chinese_sentences(), min_count=1).words)
    if quick:
        words = words[:500]
    bucket = 2_000_000
    times, results = interleaved_best({
        "ours": lambda: [ngram_buckets(w, 3, 6, bucket) for w in words],
        "gensim": lambda: [ft_ngram_hashes(w, 3, 6, bucket) for w in words],
    }, repeats=3 if quick else 10)  # fmt: skip
    same = all(
        list(a) == list(b)
        for a, b in zip(results["ours"], results["gensim"], strict=True)
    )
    print(f"n-gram buckets of {len(words):,} words, equal to gensim's: {same}")
    ratio_line("n-gram hashing", times["ours"], times["gensim"], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, for the tests"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    bench_sgns(args.quick)
    bench_huffman(args.quick)
    bench_ngrams(args.quick)
    print(f"({time.perf_counter() - start:.1f} s in all)")


if __name__ == "__main__":
    main()
