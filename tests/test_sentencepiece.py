"""SentencePiece: our escaping and decoding against the real library, exact round trips,
and our trainer's vocabulary against the one sentencepiece learns from the same text."""

from __future__ import annotations

import sys
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.data import chinese, python_docs
from llmviz.tokenization.sentencepiece import (
    SPACE_SYMBOL,
    SentencePiece,
    escape,
    normal_pieces,
    reference_sentencepiece,
    tokens_per_character,
    train_sentencepiece,
    unigram_from_sentencepiece,
    vocabulary_overlap,
    words,
)
from llmviz.tokenization.unigram import TINY_VOCABULARY, Unigram

CORPORA = {"english": (python_docs(60_000), 1000), "chinese": (chinese(), 450)}


@cache
def trained(name: str) -> tuple[SentencePiece, object, str, str]:
    """(ours, sentencepiece's, training text, held-out text) for one corpus."""
    corpus, vocab_size = CORPORA[name]
    train, held_out = corpus.split(0.8)
    ours = train_sentencepiece(train, vocab_size)
    return ours, reference_sentencepiece(train, vocab_size), train, held_out


def known_lines(tokenizer: SentencePiece, text: str) -> list[str]:
    alphabet = set(normal_pieces(tokenizer))
    return [
        line for line in text.splitlines() if line and set(line) - {" "} <= alphabet
    ]


@pytest.mark.parametrize("name", ["english", "chinese"])
def test_sentencepiece_vocabulary_through_our_model_encodes_and_decodes_like_it(name):
    _, sp, _, held_out = trained(name)
    ours = SentencePiece(unigram_from_sentencepiece(sp))
    lines = [line for line in held_out.splitlines() if line]
    lines += ["  two  spaces ", " ", "a\tb", "中文 and ☃"]
    for line in lines:
        assert ours.encode(line) == sp.encode(line), line
        assert ours.decode(ours.encode(line)) == sp.decode(sp.encode(line)), line


@pytest.mark.parametrize("name", ["english", "chinese"])
def test_round_trip_is_exact_when_every_character_is_known(name):
    ours, _, train, held_out = trained(name)
    assert known_lines(ours, train) == [line for line in train.splitlines() if line]
    lines = known_lines(ours, train + held_out)
    for line in lines:
        assert ours.decode(ours.encode(line)) == line


def test_round_trip_keeps_runs_of_spaces():
    ours = trained("english")[0]
    for text in [
        "  def  f(x):   return   x  ",
        " ",
        "    ",
        "a  b",
        " leading",
        "end ",
    ]:
        assert ours.decode(ours.encode(text)) == text


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_round_trip_on_any_text_of_the_trained_alphabet(data):
    ours = trained("english")[0]
    alphabet = sorted(normal_pieces(ours) - {SPACE_SYMBOL})
    alphabet = [piece for piece in alphabet if len(piece) == 1] + [" "]
    text = data.draw(st.text(alphabet=alphabet, max_size=40))
    assert ours.decode(ours.encode(text)) == text
    assert "".join(ours.pieces(text)) == escape(text)


def test_trained_pieces_hold_the_space_symbol_only_at_their_start():
    for name in CORPORA:
        ours, sp, *_ = trained(name)
        for piece in normal_pieces(ours) | normal_pieces(sp):
            assert SPACE_SYMBOL not in piece[1:], piece


@pytest.mark.parametrize("name", ["english", "chinese"])
def test_our_vocabulary_overlaps_sentencepiece_and_compresses_as_well(name):
    ours, sp, train, held_out = trained(name)
    assert ours.vocab_size == CORPORA[name][1]
    assert set(train) - {"\n"} <= {c for c in normal_pieces(ours) if len(c) == 1} | {
        " "
    }
    assert vocabulary_overlap(ours, sp) > 0.3  # measured 0.41 (English), 0.93 (Chinese)
    # Tokens per character on held-out text: ours within 15% of sentencepiece's.
    assert tokens_per_character(ours, held_out) == pytest.approx(
        tokens_per_character(sp, held_out), rel=0.15
    )


def test_reference_training_is_deterministic():
    train = python_docs(8_000).text
    first, second = (reference_sentencepiece(train, 300) for _ in range(2))
    pieces = [
        [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
        for sp in (first, second)
    ]
    assert pieces[0] == pieces[1]
    assert reference_sentencepiece(train, 300, model_type="bpe").get_piece_size() == 300


def test_escape_and_words_follow_sentencepiece():
    sp = trained("english")[1]
    for text in ["Hello  world", " x", "a\tb c"]:
        assert "".join(sp.encode(text, out_type=str)) == escape(text)
    assert escape("") == "" and sp.encode("") == []
    assert words(escape(" a  bc")) == ["▁", "▁a", "▁", "▁bc"]


def test_bad_input_is_refused_with_a_clear_message(monkeypatch):
    tokenizer = SentencePiece(Unigram(TINY_VOCABULARY))
    with pytest.raises(TypeError, match="text must be a str, got int"):
        tokenizer.encode(3)
    with pytest.raises(ValueError, match="id 4 is not in the vocabulary"):
        tokenizer.decode([4])
    with pytest.raises(TypeError, match="model must be a Unigram, got str"):
        SentencePiece("model")
    with pytest.raises(ValueError, match="corpus must contain some text, got only"):
        train_sentencepiece("\n\n", 10)
    with pytest.raises(ValueError, match="vocab_size must be from 4 .* got 2"):
        train_sentencepiece("ab ab", 2)
    with pytest.raises(
        ValueError, match="model_type must be one of .* got 'wordpiece'"
    ):
        reference_sentencepiece("ab ab", 10, model_type="wordpiece")
    with pytest.raises(ValueError, match="text must contain some characters"):
        tokens_per_character(tokenizer, "\n")
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    with pytest.raises(ImportError, match="pip install sentencepiece"):
        reference_sentencepiece("ab ab", 10)


def test_bpe_with_byte_fallback_knows_every_character():
    """Llama's mode: BPE whose missing characters are spelled as byte pieces, so a
    held-out line with characters never seen comes back exactly, with no unknown."""
    from llmviz.data import chinese

    train, held_out = chinese().split(0.8)
    sp = reference_sentencepiece(train, 700, model_type="bpe", byte_fallback=True)
    assert {sp.id_to_piece(i) for i in range(sp.get_piece_size())} >= {
        f"<0x{b:02X}>" for b in range(256)
    }
    unseen = sorted(set(held_out) - set(train) - {"\n"})
    assert unseen  # the chapter's point needs characters training never saw
    for line in held_out.splitlines():
        ids = sp.encode(line)
        assert sp.decode(ids) == line and not any(sp.is_unknown(i) for i in ids)
    assert sp.encode(unseen[0], out_type=str)[-3:] == [
        f"<0x{b:02X}>" for b in unseen[0].encode()
    ]
    with pytest.raises(TypeError, match="byte_fallback must be a bool"):
        reference_sentencepiece(train, 700, byte_fallback="yes")


def test_which_model_t5_and_llama_tokenizers_build():
    """The chapter's claim, checked on HF's own classes (no download): T5's tokenizer
    is a Unigram model, Llama's a BPE model with byte fallback."""
    import json

    from transformers import LlamaTokenizer, T5Tokenizer

    t5, llama = T5Tokenizer().backend_tokenizer, LlamaTokenizer().backend_tokenizer
    assert type(t5.model).__name__ == "Unigram"
    assert type(llama.model).__name__ == "BPE"
    assert json.loads(llama.to_str())["model"]["byte_fallback"] is True
