"""Huffman codes against gensim 4.4.0's (codes and points, ties included) on our corpora
and hypothesis count vectors, and against what holds of every Huffman code: prefix-free,
V − 1 inner nodes each used once as a parent, and the expected length equal to the sum
of the merged weights (the optimum)."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.corpus import chinese_sentences, english_sentences
from llmviz.embeddings.huffman import expected_code_length, huffman_codes
from llmviz.embeddings.vocab import build_vocab

gensim_word2vec = pytest.importorskip("gensim.models.word2vec")
KeyedVectors = pytest.importorskip("gensim.models.keyedvectors").KeyedVectors

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)
TIED = st.lists(st.integers(1, 6), min_size=1, max_size=40)  # many ties
DISTINCT = st.lists(st.integers(1, 10**6), min_size=1, max_size=60, unique=True)


def gensim_codes(counts):
    """gensim's codes and points for these counts, in this order."""
    kv = KeyedVectors(vector_size=2, count=len(counts))
    for i, count in enumerate(counts):
        kv.add_vector(str(i), np.zeros(2, dtype=np.float32))
        kv.set_vecattr(str(i), "count", int(count))
    gensim_word2vec._assign_binary_codes(kv)
    if len(counts) == 1:
        return [[]], [[]]
    codes = [kv.get_vecattr(str(i), "code").tolist() for i in range(len(counts))]
    points = [kv.get_vecattr(str(i), "point").tolist() for i in range(len(counts))]
    return codes, points


def optimal_length(counts) -> float:
    """Σ of the weights Huffman merges, over Σ counts: the optimal expected length."""
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    total = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += merged
        heapq.heappush(heap, merged)
    return total / sum(counts)


def assert_a_huffman_code(counts, codes, points):
    words = ["".join(map(str, c)) for c in codes]
    size = len(counts)
    for i, a in enumerate(words):
        for j, b in enumerate(words):
            assert i == j or not b.startswith(a)  # prefix-free
    assert all(len(c) == len(p) for c, p in zip(codes, points, strict=True))
    if size > 1:
        assert {int(p) for ps in points for p in ps} == set(
            range(size - 1)
        )  # V − 1 inner nodes
        assert all(p[0] == size - 2 for p in points)  # the root is the last merge
        assert (
            sum(2.0 ** -len(w) for w in words) == 1.0
        )  # a full tree: Kraft with equality
    assert math.isclose(
        expected_code_length(counts, codes), optimal_length(counts), rel_tol=1e-12
    )


def assert_same_as_gensim(counts):
    codes, points = huffman_codes(counts)
    expected_codes, expected_points = gensim_codes(list(counts))
    assert [c.tolist() for c in codes] == expected_codes
    assert [p.tolist() for p in points] == expected_points
    assert all(c.dtype == np.uint8 for c in codes) and all(
        p.dtype == np.uint32 for p in points
    )
    assert_a_huffman_code(counts, codes, points)


@pytest.mark.parametrize("which", ["english", "chinese"])
def test_codes_and_points_equal_gensims_on_our_corpora(which):
    sentences = english_sentences() if which == "english" else chinese_sentences()
    vocab = build_vocab(sentences, min_count=1)
    model = gensim_word2vec.Word2Vec(
        vector_size=4, min_count=1, hs=1, negative=0, workers=1
    )
    model.build_vocab(sentences)
    codes, points = huffman_codes(vocab.counts)
    for i in range(len(vocab)):
        np.testing.assert_array_equal(codes[i], model.wv.get_vecattr(i, "code"))
        np.testing.assert_array_equal(points[i], model.wv.get_vecattr(i, "point"))
    gensim_lengths = [len(model.wv.get_vecattr(i, "code")) for i in range(len(vocab))]
    assert math.isclose(
        expected_code_length(vocab.counts, codes),
        float((vocab.counts * np.array(gensim_lengths)).sum() / vocab.counts.sum()),
        rel_tol=1e-15,
    )


@SETTINGS
@given(TIED)
def test_tied_counts_equal_gensims(counts):
    assert_same_as_gensim(counts)


@SETTINGS
@given(DISTINCT)
def test_distinct_counts_in_any_order_equal_gensims(counts):
    assert_same_as_gensim(counts)


@SETTINGS
@given(st.lists(st.integers(1, 10**9), min_size=2, max_size=200))
def test_frequent_words_never_sit_deeper_than_rarer_ones(counts):
    codes, _ = huffman_codes(counts)
    lengths = np.array([len(c) for c in codes])
    counts = np.array(counts)
    for i in range(len(counts)):  # every rarer word sits at least as deep
        assert np.all(lengths[counts < counts[i]] >= lengths[i])


def test_uniform_counts_give_log2_v_bits_and_one_word_gives_none():
    codes, _ = huffman_codes([7] * 16)
    assert {len(c) for c in codes} == {4}
    codes, points = huffman_codes([3])
    assert codes[0].size == 0 and points[0].size == 0


def test_mean_code_length_is_near_the_entropy_and_below_log2_v():
    vocab = build_vocab(english_sentences(), min_count=5)
    codes, _ = huffman_codes(vocab.counts)
    p = vocab.counts / vocab.counts.sum()
    entropy = float(-(p * np.log2(p)).sum())
    mean = expected_code_length(vocab.counts, codes)
    assert entropy <= mean < entropy + 1 and mean < math.log2(
        len(vocab)
    )  # Shannon's bound
