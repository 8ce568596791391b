"""fastText's n-grams, hash, buckets and unknown-word vectors against gensim 4.4.0
(gensim ports fastText's dictionary.cc; ../shared/research/oracles.md §2)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.fasttext import (
    char_ngrams,
    ft_hash,
    ngram_buckets,
    oov_vector,
    table_sizes,
)

gensim_ft = pytest.importorskip("gensim.models.fasttext")

ASCII = st.text(
    st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12
)
LATIN1 = st.text(
    st.characters(min_codepoint=0xA1, max_codepoint=0xFF), min_size=1, max_size=8
)
CJK = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=6
)
EMOJI = st.text(
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1F6FF), min_size=1, max_size=4
)
MIXED = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10)
WORDS = st.one_of(ASCII, LATIN1, CJK, EMOJI, MIXED)
SIZES = st.tuples(st.integers(1, 7), st.integers(0, 4)).map(
    lambda t: (t[0], t[0] + t[1])
)
EXAMPLES = ["where", "a", "é", "café", "中文", "中", "嵌入向量", "🙂", "naïve🙂中"]


def gensim_ngrams(word: str, minn: int, maxn: int) -> list[str]:
    return [g.decode("utf-8") for g in gensim_ft.compute_ngrams_bytes(word, minn, maxn)]


@pytest.mark.parametrize("word", EXAMPLES)
def test_examples_match_gensim(word):
    for minn, maxn in [(1, 1), (1, 3), (2, 4), (3, 6), (5, 5)]:
        assert char_ngrams(word, minn, maxn) == gensim_ngrams(word, minn, maxn)
        expected = gensim_ft.ft_ngram_hashes(word, minn, maxn, 2_000_000)
        assert ngram_buckets(word, minn, maxn, 2_000_000).tolist() == list(expected)


@settings(max_examples=50, deadline=None)
@given(word=WORDS, sizes=SIZES, bucket=st.integers(1, 2**31 - 1))
def test_ngrams_and_buckets_equal_gensim(word, sizes, bucket):
    minn, maxn = sizes
    grams = char_ngrams(word, minn, maxn)
    assert grams == gensim_ngrams(word, minn, maxn)
    expected = gensim_ft.ft_ngram_hashes(word, minn, maxn, bucket)
    assert ngram_buckets(word, minn, maxn, bucket).tolist() == list(expected)
    if minn >= 2:  # gensim's character-level version: the same n-grams, sorted by n
        assert sorted(grams) == sorted(gensim_ft.compute_ngrams(word, minn, maxn))


@settings(max_examples=50, deadline=None)
@given(text=WORDS)
def test_hash_equals_gensim(text):
    assert ft_hash(text) == gensim_ft.ft_hash_bytes(text.encode("utf-8"))


def textbook_fnv1a(text: str) -> int:
    """FNV-1a without fastText's int8 quirk: each byte XORed as 0..255."""
    h = 2166136261
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


@pytest.mark.parametrize("text", ["<中文>", "é", "🙂", "naïve"])
def test_the_int8_quirk_is_needed_for_non_ascii(text):
    reference = gensim_ft.ft_hash_bytes(text.encode("utf-8"))
    assert textbook_fnv1a(text) != reference  # the quirk changes the hash...
    assert ft_hash(text) == reference  # ...and ours has it


def test_ascii_is_untouched_by_the_quirk():
    for text in ["<wh", "where", "<a>"]:
        assert textbook_fnv1a(text) == ft_hash(text)


def test_the_whole_word_is_an_ngram_when_it_fits():
    assert "<cat>" in char_ngrams("cat", 3, 5)
    assert "<cat>" not in char_ngrams("cat", 3, 4)
    assert char_ngrams("a", 3, 6) == ["<a>"]


def test_oov_vector_equals_gensim():
    sentences = [
        ["the", "cats", "sat", "on", "the", "mats"],
        ["dogs", "sat", "too"],
    ] * 20
    model = gensim_ft.FastText(
        sentences, vector_size=8, window=2, min_count=1, bucket=997, epochs=2,
        workers=1, seed=1, min_n=3, max_n=6,
    )  # fmt: skip
    table = torch.from_numpy(model.wv.vectors_ngrams.copy())
    for word in ["cat", "matting", "中文猫", "é🙂", "sitting"]:
        assert word not in model.wv.key_to_index
        expected = torch.from_numpy(model.wv[word].copy())
        torch.testing.assert_close(
            oov_vector(word, table, 3, 6), expected, atol=1e-6, rtol=0
        )


@settings(max_examples=25, deadline=None)
@given(word=WORDS, sizes=SIZES, rows=st.integers(1, 50), seed=st.integers(0, 99))
def test_oov_vector_is_the_mean_of_its_rows(word, sizes, rows, seed):
    table = torch.randn(rows, 3, generator=torch.Generator().manual_seed(seed))
    ids = [
        gensim_ft.ft_hash_bytes(g.encode()) % rows for g in gensim_ngrams(word, *sizes)
    ]
    expected = table[ids].mean(0) if ids else torch.zeros(3)
    torch.testing.assert_close(oov_vector(word, table, *sizes), expected)


def test_table_sizes_count_rows_times_width():
    sizes = table_sizes(vocab_size=3, vector_size=2, bucket=5)
    assert sizes == {"word2vec": 3 * 2, "fasttext": (3 + 5) * 2}


def test_minn_above_maxn_is_refused():
    with pytest.raises(ValueError, match="maxn"):
        char_ngrams("word", 4, 3)


# --- training -----------------------------------------------------------------------
from llmviz.embeddings.fasttext_train import (  # noqa: E402
    _skipgram_pairs,
    train_fasttext,
    word_vector,
)
from llmviz.embeddings.vocab import build_vocab, encode  # noqa: E402

SENTENCES = [["cats", "sit", "on", "mats"], ["a", "cat", "sat", "on", "a", "mat"],
             ["dogs", "sit", "on", "logs"]] * 10  # fmt: skip


def small_run(seed: int = 0, epochs: int = 2):
    vocab = build_vocab(SENTENCES, min_count=5)
    ids = encode(vocab, SENTENCES)
    kwargs = dict(
        bucket=101, vector_size=8, window=2, epochs=epochs, seed=seed, sample=0.0
    )
    return vocab, train_fasttext(ids, vocab, **kwargs)


def test_training_is_seeded_and_shaped():
    vocab, a = small_run(seed=3)
    _, b = small_run(seed=3)
    _, c = small_run(seed=4)
    assert a.words.shape == (len(vocab), 8) and a.ngrams.shape == (101, 8)
    assert a.output.shape == (len(vocab), 8)
    assert torch.equal(a.ngrams, b.ngrams) and torch.equal(a.output, b.output)
    assert not torch.equal(a.ngrams, c.ngrams)
    assert all(np.isfinite(a.losses))


def test_training_lowers_the_loss():
    _, result = small_run(epochs=20)
    first, last = np.mean(result.losses[:5]), np.mean(result.losses[-5:])
    assert last < 0.8 * first


def test_word_vectors_follow_gensims_rule():
    """Our tables put into gensim's FastText: its wv[w] (in and out of the vocabulary)
    equals ours."""
    vocab, result = small_run()
    model = gensim_ft.FastText(vector_size=8, min_count=5, bucket=101, min_n=3, max_n=6)
    model.build_vocab(SENTENCES)
    assert tuple(model.wv.index_to_key) == vocab.words
    model.wv.vectors_vocab = result.words.numpy().copy()
    model.wv.vectors_ngrams = result.ngrams.numpy().copy()
    model.wv.adjust_vectors()
    ours = result.vectors(vocab)
    for word in [*vocab.words, "mattress", "猫"]:
        expected = torch.from_numpy(model.wv[word].copy())
        torch.testing.assert_close(
            word_vector(result, vocab, word), expected, atol=1e-6, rtol=0
        )
        if word in vocab.index:
            torch.testing.assert_close(
                ours[vocab.index[word]], expected, atol=1e-6, rtol=0
            )


@settings(max_examples=25, deadline=None)
@given(lengths=st.lists(st.integers(0, 9), min_size=1, max_size=6), window=st.integers(1, 4),
       seed=st.integers(0, 99))  # fmt: skip
def test_pairs_stay_in_their_sentence_and_window(lengths, window, seed):
    """Tokens numbered 0..N-1 across sentences: every pair lies within one sentence and
    within ``window``; with every token kept, each pair appears with its mirror."""
    starts = np.cumsum([0] + lengths)
    ids = [np.arange(a, b) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    keep = np.ones(max(starts[-1], 1))
    pairs = _skipgram_pairs(ids, window, keep, np.random.default_rng(seed))
    sentence = np.searchsorted(starts, np.arange(starts[-1]), side="right")
    for a, b in pairs:
        assert a != b and abs(a - b) <= window and sentence[a] == sentence[b]
    if window == 1 and starts[-1]:
        expected = sum(2 * max(n - 1, 0) for n in lengths)
        assert len(pairs) == expected


@settings(max_examples=50, deadline=None)
@given(word=WORDS, sizes=SIZES, bucket=st.integers(1, 2**31 - 1))
def test_buckets_equal_the_readable_hash_of_each_ngram(word, sizes, bucket):
    """ngram_buckets carries one hash along each start position; ft_hash hashes each
    n-gram from scratch. They must agree n-gram for n-gram."""
    minn, maxn = sizes
    readable = [ft_hash(g) % bucket for g in char_ngrams(word, minn, maxn)]
    assert ngram_buckets(word, minn, maxn, bucket).tolist() == readable
