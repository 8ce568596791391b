"""Chapter 2's corpus and vocabulary against gensim 4.4.0: the vocabulary (words, counts,
order, ties), subsampling's keep probability (gensim's ``sample_int``), the noise
distribution and gensim's ``cum_table``, on our English and Chinese sentences and on
hypothesis corpora; and the noise distribution's flattening as the power falls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.corpus import chinese_sentences, english_sentences
from llmviz.embeddings.vocab import (
    Vocab,
    build_vocab,
    encode,
    keep_probability,
    noise_distribution,
    noise_table,
)

gensim_word2vec = pytest.importorskip("gensim.models.word2vec")

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)
WORDS = st.sampled_from(list("abcdefghij") + ["大", "语言", "模型"])
CORPORA = st.lists(st.lists(WORDS, min_size=1, max_size=12), min_size=1, max_size=10)


def gensim_model(sentences, min_count=5, sample=1e-3, power=0.75):
    """A gensim Word2Vec with its vocabulary, tree, tables and subsampling built (no training)."""
    model = gensim_word2vec.Word2Vec(
        vector_size=4,
        min_count=min_count,
        sample=sample,
        hs=1,
        negative=5,
        ns_exponent=power,
        workers=1,
    )
    model.build_vocab(sentences)
    return model


def gensim_counts(model) -> np.ndarray:
    return np.array([model.wv.get_vecattr(i, "count") for i in range(len(model.wv))])


def assert_same_as_gensim(sentences, min_count, sample=1e-3, power=0.75):
    model = gensim_model(sentences, min_count, sample, power)
    vocab = build_vocab(sentences, min_count=min_count)
    assert vocab.words == tuple(model.wv.index_to_key)
    np.testing.assert_array_equal(vocab.counts, gensim_counts(model))
    sample_int = np.array(
        [model.wv.get_vecattr(i, "sample_int") for i in range(len(vocab))],
        dtype=np.uint32,
    )
    ours = (keep_probability(vocab.counts, sample) * (2**32 - 1)).astype(np.uint32)
    np.testing.assert_array_equal(ours, sample_int)
    np.testing.assert_array_equal(noise_table(vocab.counts, power), model.cum_table)
    share = np.diff(model.cum_table, prepend=0) / model.cum_table[-1]
    np.testing.assert_allclose(
        noise_distribution(vocab.counts, power), share, rtol=0, atol=1e-8
    )


@pytest.mark.parametrize("min_count", [1, 5, 20])
def test_english_vocabulary_tables_and_subsampling_equal_gensims(min_count):
    assert_same_as_gensim(english_sentences(), min_count)


@pytest.mark.parametrize("min_count", [1, 2, 5])
def test_chinese_vocabulary_tables_and_subsampling_equal_gensims(min_count):
    assert_same_as_gensim(chinese_sentences(), min_count)


@SETTINGS
@given(
    CORPORA,
    st.integers(1, 4),
    st.sampled_from([1e-1, 1e-2, 1e-3, 0.0]),
    st.sampled_from([0.0, 0.5, 0.75, 1.0]),
)
def test_small_corpora_equal_gensims(sentences, min_count, sample, power):
    if (
        max(
            sum(s.count(w) for s in sentences)
            for w in {w for s in sentences for w in s}
        )
        < min_count
    ):
        with pytest.raises(ValueError, match="min_count"):
            build_vocab(sentences, min_count=min_count)
        return
    assert_same_as_gensim(sentences, min_count, sample, power)


def test_ties_put_the_word_seen_first_last():
    sentences = [
        ["c", "b", "a", "a"],
        ["d", "b", "c", "e"],
    ]  # b, c twice (c seen first); d, e once
    vocab = build_vocab(sentences, min_count=1)
    assert vocab.words == ("a", "b", "c", "e", "d")
    assert vocab.words == tuple(gensim_model(sentences, 1).wv.index_to_key)


def test_the_corpora_are_sentences_of_lowercase_words():
    english, chinese = english_sentences(), chinese_sentences()
    assert len(english) > 5000 and len(chinese) > 40
    assert all(
        s and all(w.isalpha() and w.islower() and w.isascii() for w in s)
        for s in english
    )
    assert all(s and all(any(ch.isalnum() for ch in w) for w in s) for s in chinese)
    assert english_sentences(max_sentences=3) == english[:3]
    english[0].append("mutated")
    assert (
        english_sentences(max_sentences=1)[0][-1] != "mutated"
    )  # fresh lists each call


def test_encode_drops_unknown_words_and_keeps_one_array_per_sentence():
    sentences = chinese_sentences()
    vocab = build_vocab(sentences, min_count=3)
    ids = encode(vocab, sentences)
    assert len(ids) == len(sentences)
    for sentence, row in zip(sentences, ids, strict=True):
        assert [vocab.words[i] for i in row] == [
            w for w in sentence if w in vocab.index
        ]


def test_vocab_is_frozen_and_compares_by_value():
    counts = np.array([3, 1])
    vocab = Vocab(("a", "b"), counts)
    counts[0] = 9
    assert (
        vocab.counts[0] == 3
        and vocab == Vocab(("a", "b"), np.array([3, 1]))
        and len(vocab) == 2
    )
    with pytest.raises(ValueError):
        vocab.counts[0] = 5


COUNTS = st.lists(st.integers(1, 10**6), min_size=2, max_size=60)


def entropy(p: np.ndarray) -> float:
    return float(-(p * np.log(p)).sum())


@SETTINGS
@given(COUNTS, st.floats(0, 1), st.floats(0, 1))
def test_a_lower_power_flattens_the_noise_toward_rare_words(counts, low, high):
    low, high = sorted((low, high))
    counts = np.array(counts)
    flat, sharp = noise_distribution(counts, low), noise_distribution(counts, high)
    assert entropy(flat) >= entropy(sharp) - 1e-12  # entropy grows as 1 − power grows
    rarest, commonest = counts.argmin(), counts.argmax()
    assert (
        flat[rarest] >= sharp[rarest] - 1e-15
        and flat[commonest] <= sharp[commonest] + 1e-15
    )


@SETTINGS
@given(COUNTS)
def test_power_zero_is_uniform_and_one_is_the_unigram(counts):
    counts = np.array(counts)
    np.testing.assert_allclose(
        noise_distribution(counts, 0.0), 1 / len(counts), rtol=1e-12
    )
    np.testing.assert_allclose(
        noise_distribution(counts, 1.0), counts / counts.sum(), rtol=1e-12
    )
    assert noise_table(counts)[-1] == 2**31 - 1 and np.all(
        np.diff(noise_table(counts).astype(np.int64)) >= 0
    )


@SETTINGS
@given(COUNTS, st.floats(1e-6, 0.5))
def test_keep_probability_is_one_for_rare_words_and_falls_with_frequency(
    counts, sample
):
    counts = np.array(counts)
    keep = keep_probability(counts, sample)
    assert np.all((keep > 0) & (keep <= 1))
    order = np.argsort(counts, kind="stable")
    assert np.all(np.diff(keep[order]) <= 1e-12)  # more frequent, kept less often
    threshold = sample * counts.sum()
    assert np.all(
        keep[counts <= threshold * 2.618] == 1.0
    )  # c ≤ t·(3+√5)/2 ⇔ (√(c/t)+1)t/c ≥ 1
