"""SentencePiece's two modes against the library itself: our BPE merge loop with byte
fallback, and our Unigram Viterbi and sampling, on the pieces and scores it trains."""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import numpy as np
import pytest
import sentencepiece
from hypothesis import example, given, settings
from hypothesis import strategies as st

from llmviz.data import chinese, python_docs
from llmviz.tokenization.sentencepiece import (
    SentencePiece,
    escape,
    unigram_from_sentencepiece,
)
from llmviz.tokenization.sentencepiece_modes import (
    TINY,
    ByteFallbackBPE,
    byte_pieces,
    pieces_and_scores,
    sampling_probability,
    train_mode,
)
from llmviz.tokenization.unigram import Unigram


@cache
def corpus() -> str:
    return python_docs(60_000).text[:25_000] + "\n" + chinese().split(0.8)[0]


@cache
def trained(mode: str):
    return train_mode(corpus(), 1000, mode)


def held_out_lines() -> list[str]:
    text = python_docs(60_000).split(0.8)[1] + "\n" + chinese().split(0.8)[1]
    return [line for line in text.splitlines() if line][:200]


# characters the corpus has, and some it never saw (鲸 whale, 🙂, é)
ALPHABET = st.sampled_from(
    list("the oknizr 12 我们分词模型。") + ["鲸", "🙂", "é", "  "]
)
TEXTS = st.lists(ALPHABET, max_size=14).map("".join)


def test_training_is_deterministic_and_in_memory():
    again = train_mode(corpus(), 1000, "bpe")
    assert again.serialized_model_proto() == trained("bpe").serialized_model_proto()


def test_modes_have_the_options_they_claim():
    bpe, unigram = trained("bpe"), trained("unigram")
    kinds = Counter(kind for _, _, kind in pieces_and_scores(bpe))
    assert kinds["byte"] == 256 and kinds["unknown"] == 1
    assert not any(kind == "byte" for _, _, kind in pieces_and_scores(unigram))
    assert all(len(p) == 1 for p in bpe.encode("12345", out_type=str)[1:])


def test_byte_pieces_are_what_the_library_falls_back_to():
    bpe = trained("bpe")
    for char in ["鲸", "🙂", "é"]:
        assert bpe.encode(char, out_type=str) == ["▁", *byte_pieces(char)]


@pytest.mark.parametrize("line", held_out_lines())
def test_our_bpe_with_byte_fallback_equals_sentencepiece_bpe(line):
    ours = ByteFallbackBPE(pieces_and_scores(trained("bpe")))
    assert ours.encode(line) == trained("bpe").encode(line)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_byte_fallback_encode_and_decode_equal_the_library_on_any_text(text):
    sp = trained("bpe")
    ours = ByteFallbackBPE(pieces_and_scores(sp))
    assert ours.encode(text) == sp.encode(text)
    assert ours.decode(ours.encode(text)) == sp.decode(sp.encode(text))


@settings(max_examples=200, deadline=None)
@given(TEXTS)
@example("hteee")  # "ee"+"e" against "e"+"ee": equal in float64, not in float32
def test_our_unigram_viterbi_on_its_pieces_equals_sentencepiece_unigram(text):
    sp = trained("unigram")
    assert SentencePiece(unigram_from_sentencepiece(sp)).encode(text) == sp.encode(text)


def test_only_unigram_has_nbest():
    with pytest.raises(RuntimeError, match="NBestEncode is not available"):
        trained("bpe").nbest_encode_as_pieces("understanding", 2)
    assert len(trained("unigram").nbest_encode_as_pieces("understanding", 2)) == 2


@pytest.mark.parametrize("alpha", [0.3, 1.0])
def test_sentencepiece_samples_with_our_probabilities(alpha):
    """Each of the most frequent sampled segmentations is drawn about as often as
    P(x)^α / Z_α says: within 4 standard errors over 3000 draws."""
    sp, n = trained("unigram"), 3000
    model = unigram_from_sentencepiece(sp)
    sentencepiece.set_random_generator_seed(1)
    drawn = Counter(
        tuple(sp.encode("understanding", out_type=str, enable_sampling=True,
                        alpha=alpha, nbest_size=-1))
        for _ in range(n)
    )  # fmt: skip
    for pieces, count in drawn.most_common(3):
        p = sampling_probability(model, escape("understanding"), pieces, alpha)
        assert abs(count / n - p) < 4 * math.sqrt(p * (1 - p) / n), pieces


def test_sampling_probabilities_sum_to_one():
    model = unigram_from_sentencepiece(trained("unigram"))
    text = escape("模型")
    cuts = {tuple(model.sample(text, alpha=0.5, seed=s)) for s in range(200)}
    total = sum(sampling_probability(model, text, c, 0.5) for c in cuts)
    assert cuts and total <= 1 + 1e-9
    nbest = model.nbest(text, 50)  # every segmentation of a short text
    full = sum(sampling_probability(model, text, p, 0.5) for p, _ in nbest)
    assert math.isclose(full, 1.0, rel_tol=1e-9)


def test_tiny_vocabulary_merges_by_score():
    tiny = ByteFallbackBPE(TINY)
    assert tiny.pieces("ab a") == ["▁ab", "▁a"]
    assert tiny.decode(tiny.encode("ab中 a")) == "ab中 a"
    assert tiny.decode([tiny.byte_ids["<0xE4>"]]) == "\ufffd"


def test_a_model_read_from_sentencepiece_adds_in_float32():
    """Two orders of the same pieces tie in float64; in float32, numpy's sums (the
    oracle here) put "ee" then "e" ahead, and sentencepiece keeps that path."""
    scores = {
        "▁": -1.729669451713562,
        "h": -10.90992259979248,
        "t": -6.20440673828125,
        "e": -5.853151321411133,
        "ee": -7.176205635070801,
    }
    pieces = [("<unk>", 0.0), *scores.items()]
    f = np.float32
    prefix = f(0) + f(scores["▁"]) + f(scores["h"]) + f(scores["t"])
    e_ee = prefix + f(scores["e"]) + f(scores["ee"])
    ee_e = max(prefix + f(scores["ee"]), prefix + f(scores["e"]) + f(scores["e"]))
    assert ee_e + f(scores["e"]) > e_ee  # float32 breaks the tie
    model = Unigram(pieces)
    assert model.viterbi("▁hteee")[0] == ["▁", "h", "t", "e", "ee"]  # float64: a tie
    model._float32 = True
    assert model.viterbi("▁hteee")[0] == ["▁", "h", "t", "ee", "e"]
