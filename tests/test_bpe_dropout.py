"""BPE-dropout: p = 0 is BPE (ours and Hugging Face's), p = 1 leaves the bytes, every
sample decodes to its text, and on a word small enough to enumerate the sampled
segmentations follow the probabilities of the paper's algorithm, as do HF's."""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers

from llmviz import data
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_dropout import bpe_dropout_encode, bpe_dropout_pieces
from llmviz.tokenization.bpe_train import train_bpe
from llmviz.tokenization.pretokenize import bytes_to_unicode


@cache
def english() -> tuple[BPE, str]:
    train, held_out = data.python_docs(max_bytes=20_000).split(0.8)
    return train_bpe(train, 600, special_tokens=["<s>"]), held_out


def hf_from(bpe: BPE, dropout: float | None = None) -> Tokenizer:
    """HF's BPE model holding our vocabulary and merges."""
    vocab = {token: i for i, token in enumerate(bpe.vocab) if token}
    hf = Tokenizer(models.BPE(vocab, list(bpe.merges), dropout=dropout))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    return hf


def test_p_zero_is_bpe_and_hf():
    bpe, text = english()
    ids = bpe_dropout_encode(bpe, text, 0.0, seed=0)
    assert ids == bpe.encode(text)
    assert ids == hf_from(bpe).encode(text).ids


def test_p_one_leaves_the_bytes():
    bpe, text = english()
    table = bytes_to_unicode()
    bytes_ids = [bpe.ids[table[b]] for b in text.encode("utf-8")]
    assert bpe_dropout_encode(bpe, text, 1.0, seed=3) == bytes_ids


def test_p_one_leaves_the_characters():
    bpe = train_bpe("我们在学习大语言模型 语言模型", 300, byte_level=False)
    assert bpe.pieces("语言模型") == ["语言模型"]
    assert bpe_dropout_pieces(bpe, "语言模型", 1.0, seed=0) == list("语言模型")


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40), p=st.floats(0, 1), seed=st.integers(0, 2**32))
def test_every_sample_decodes_to_the_text(text, p, seed):
    bpe, _ = english()
    ids = bpe_dropout_encode(bpe, text, p, seed=seed)
    assert bpe.decode(ids) == text
    assert ids == bpe_dropout_encode(bpe, text, p, seed=seed)  # same seed, same cut


def test_a_generator_draws_different_samples_and_replays():
    bpe, _ = english()
    draw = lambda rng: [  # noqa: E731
        tuple(bpe_dropout_encode(bpe, " understanding", 0.3, seed=rng))
        for _ in range(50)
    ]
    first = draw(np.random.default_rng(7))
    assert len(set(first)) > 3
    assert first == draw(np.random.default_rng(7))


def test_text_of_a_special_token_is_refused():
    bpe, _ = english()
    with pytest.raises(ValueError, match="special token '<s>'"):
        bpe_dropout_encode(bpe, "a<s>b", 0.1, seed=0)


# "abc" with merges a+b (rank 0), b+c (1), ab+c (2). By the paper's algorithm, with
# q = 1 - p: step one keeps a+b with q -> [ab, c], then ab+c with q; if a+b is
# dropped, b+c is kept with q -> [a, bc], the end; both dropped (p^2): [a, b, c].
TOY_VOCAB = ["a", "b", "c", "ab", "bc", "abc"]
TOY_MERGES = [("a", "b"), ("b", "c"), ("ab", "c")]


def toy_probabilities(p: float) -> dict[tuple[str, ...], float]:
    q = 1 - p
    return {
        ("abc",): q * q,
        ("ab", "c"): q * p,
        ("a", "bc"): p * q,
        ("a", "b", "c"): p * p,
    }


def close_to(counts: Counter, probabilities: dict, n: int) -> bool:
    """Each frequency within 5 standard errors of its probability."""
    return set(counts) <= set(probabilities) and all(
        abs(counts[cut] / n - prob) <= 5 * math.sqrt(prob * (1 - prob) / n) + 1e-12
        for cut, prob in probabilities.items()
    )


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_toy_word_follows_the_algorithms_probabilities(p):
    bpe = BPE(TOY_MERGES, TOY_VOCAB, byte_level=False)
    rng, n = np.random.default_rng(0), 4000
    counts = Counter(
        tuple(bpe_dropout_pieces(bpe, "abc", p, seed=rng)) for _ in range(n)
    )
    assert close_to(counts, toy_probabilities(p), n)


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_hf_dropout_samples_the_toy_word_alike(p):
    """HF's sampler draws from thread_rng, which cannot be seeded: 5 standard
    errors keep a false failure below one run in a million per cut."""
    vocab = {token: i for i, token in enumerate(TOY_VOCAB)}
    hf = Tokenizer(models.BPE(vocab, TOY_MERGES, dropout=p))
    n = 4000
    counts = Counter(tuple(hf.encode("abc").tokens) for _ in range(n))
    assert close_to(counts, toy_probabilities(p), n)


def test_inputs_are_left_alone():
    bpe, _ = english()
    merges, vocab = list(bpe.merges), list(bpe.vocab)
    bpe_dropout_encode(bpe, "the lowest cat", 0.5, seed=1)
    assert (bpe.merges, bpe.vocab) == (merges, vocab)
