"""word2vec's training examples and trainer (llmviz.embeddings.word2vec_pairs and
.word2vec_train): windows against a direct loop over positions, reduced windows drawn
as gensim draws them, seeded runs identical, and trained vectors that recover topics
planted in a corpus, for every mix of CBOW / skip-gram and the two output layers."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.pretrained import (
    MIN_COUNT,
    SETTINGS,
    WEIGHTS_DIR,
    english_vocab,
    load_output,
    load_vectors,
    training_log,
)
from llmviz.embeddings.vocab import Vocab, keep_probability
from llmviz.embeddings.word2vec_pairs import (
    cbow_windows,
    context_positions,
    skipgram_pairs,
    subsample,
)
from llmviz.embeddings.word2vec_train import train_word2vec

sentences = st.lists(
    st.lists(st.integers(0, 9), min_size=0, max_size=12).map(np.array),
    min_size=1,
    max_size=5,
)


def loop_pairs(sentences_ids, spans):
    """The pairs word2vec.c's loop makes: for each centre, each word within its span."""
    pairs, position = [], 0
    for s in sentences_ids:
        for i in range(len(s)):
            span = spans[position + i]
            for j in range(max(0, i - span), min(len(s), i + span + 1)):
                if j != i:
                    pairs.append((s[i], s[j]))
        position += len(s)
    return pairs


@settings(max_examples=40, deadline=None)
@given(sents=sentences, window=st.integers(1, 5), seed=st.integers(0, 1000))
def test_skipgram_pairs_equal_a_loop_over_positions(sents, window, seed):
    n = sum(len(s) for s in sents)
    full = [window] * n
    assert skipgram_pairs(sents, window, seed=None).tolist() == [
        list(p) for p in loop_pairs(sents, full)
    ]
    spans = window - np.random.default_rng(seed).integers(0, window, n)  # gensim's b
    got = skipgram_pairs(sents, window, seed=seed).tolist()
    assert got == [list(p) for p in loop_pairs(sents, spans)]


@settings(max_examples=30, deadline=None)
@given(sents=sentences, window=st.integers(1, 4))
def test_cbow_windows_hold_the_same_pairs_as_skipgram(sents, window):
    centre, context, mask = cbow_windows(sents, window, seed=3)
    from_cbow = sorted(
        (int(c), int(o))
        for c, row, m in zip(centre, context, mask, strict=True)
        for o in row[m]
    )
    assert from_cbow == sorted(
        map(tuple, skipgram_pairs(sents, window, seed=3).tolist())
    )
    assert mask.any(1).all()


def test_reduced_windows_use_near_words_more():
    ids, context, mask = context_positions([np.arange(10_000) % 7], 5, seed=0)
    share = mask.mean(0)  # per offset −5..−1, 1..5: P(|offset| <= window − b)
    expected = np.array([1, 2, 3, 4, 5, 5, 4, 3, 2, 1]) / 5
    assert np.abs(share - expected).max() < 0.02


def test_subsampling_keeps_words_at_gensim_rate():
    counts = np.array([9000, 1000, 10])
    sents = [np.repeat(np.arange(3), counts)]
    kept = subsample(sents, counts, 1e-3, np.random.default_rng(0))[0]
    rate = np.bincount(kept, minlength=3) / counts
    assert np.abs(rate - keep_probability(counts, 1e-3)).max() < 0.03


def topic_corpus(seed=0, n=400):
    """Two topics with disjoint words: a sentence draws all its words from one topic."""
    rng = np.random.default_rng(seed)
    topics = [np.arange(0, 6), np.arange(6, 12)]
    sents = [rng.choice(topics[i % 2], 8) for i in range(n)]
    counts = np.bincount(np.concatenate(sents), minlength=12)
    order = np.argsort(-counts, kind="stable")
    relabel = np.empty(12, np.int64)
    relabel[order] = np.arange(12)
    vocab = Vocab(tuple(f"w{i}" for i in order), counts[order])
    topic = np.array([0] * 6 + [1] * 6)[order]  # topic of each new id
    return [relabel[s] for s in sents], vocab, topic


@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("hs", [0, 1])
def test_trained_vectors_find_the_topics(sg, hs):
    ids, vocab, topic = topic_corpus()
    result = train_word2vec(
        ids, vocab, sg=sg, hs=hs, negative=0 if hs else 5, vector_size=8, window=3,
        sample=0, epochs=5, alpha=0.05, batch_size=64, seed=1,
    )  # fmt: skip
    x = torch.nn.functional.normalize(result.vectors, dim=1)
    cos = (x @ x.T).numpy()
    same = topic[:, None] == topic[None]
    off = ~np.eye(12, dtype=bool)
    assert cos[same & off].mean() > cos[~same].mean() + 0.5
    nearest = np.where(off, cos, -2).argmax(1)
    assert (topic[nearest] == topic).all()
    assert np.mean(result.losses[-10:]) < np.mean(result.losses[:10])


def test_a_seeded_run_repeats_exactly_and_another_seed_differs():
    ids, vocab, _ = topic_corpus()
    runs = [
        train_word2vec(ids, vocab, vector_size=4, epochs=1, seed=s) for s in (5, 5, 6)
    ]
    assert torch.equal(runs[0].vectors, runs[1].vectors)
    assert torch.equal(runs[0].output, runs[1].output)
    assert runs[0].losses == runs[1].losses
    assert not torch.equal(runs[0].vectors, runs[2].vectors)


def test_the_output_layer_has_one_row_per_inner_node_under_hs():
    ids, vocab, _ = topic_corpus()
    result = train_word2vec(ids, vocab, hs=1, negative=0, vector_size=4, epochs=1)
    assert tuple(result.output.shape) == (len(vocab) - 1, 4)
    assert tuple(result.vectors.shape) == (len(vocab), 4)


def test_training_leaves_its_inputs_alone():
    ids, vocab, _ = topic_corpus()
    before = [s.copy() for s in ids]
    train_word2vec(ids, vocab, vector_size=4, epochs=1, sample=1e-2)
    assert all(np.array_equal(a, b) for a, b in zip(ids, before, strict=True))


def test_shipped_vectors_came_from_the_scripts_settings():
    vocab, ids = english_vocab()
    for name, recipe in SETTINGS.items():
        log = training_log(name)
        assert log["settings"] == recipe and log["min_count"] == MIN_COUNT
        data = (WEIGHTS_DIR / f"{name}.pt").read_bytes()
        assert hashlib.sha256(data).hexdigest() == log["sha256"]
        assert log["words"] == len(vocab) and log["tokens"] == int(vocab.counts.sum())
    name = "word2vec-en-cbow"  # the quickest to re-train
    retrained = train_word2vec(ids, vocab, **SETTINGS[name])
    _, shipped = load_vectors(name)
    torch.testing.assert_close(
        retrained.vectors.half().float(), shipped, atol=2e-3, rtol=0
    )
    _, output = load_output(name)
    torch.testing.assert_close(
        retrained.output.half().float(), output, atol=2e-3, rtol=0
    )
    assert retrained.losses[:: training_log(name)["log_every"]] == pytest.approx(
        training_log(name)["losses"], abs=1e-3
    )
