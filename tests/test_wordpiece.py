"""WordPiece: encoding against Hugging Face ``tokenizers``' WordPiece model, training
against scores counted by hand and against the from-scratch definition, and the
invariants of the vocabulary that training builds."""

from __future__ import annotations

import string
from collections import Counter
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    trainers,
)

from llmviz.data import chinese, multilingual, python_docs
from llmviz.tokenization.pretokenize import bert_pretokenize
from llmviz.tokenization.wordpiece import (
    SPECIAL_TOKENS,
    WordPiece,
    merge_pair,
    pair_scores,
    train_wordpiece,
)

TRAIN_TEXT, HELD_OUT_TEXT = python_docs(max_bytes=100_000).split(0.8)


@pytest.fixture(scope="module")
def ours() -> WordPiece:
    return train_wordpiece(TRAIN_TEXT, vocab_size=1000)


@pytest.fixture(scope="module")
def hf_trained_vocab() -> dict[str, int]:
    """A vocab from HF's own trainer (frequency-based; ids vary between runs)."""
    hf = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=1000, special_tokens=list(SPECIAL_TOKENS), show_progress=False
    )
    hf.train_from_iterator(TRAIN_TEXT.splitlines(keepends=True), trainer)
    return hf.get_vocab()


def hf_wordpiece(vocab: dict[str, int]) -> Tokenizer:
    """The reference: HF's WordPiece model on the same vocab, BERT's pre-tokenizer,
    BERT's normalizer doing only its Chinese-character split (no lowercasing, accent
    stripping or clean-up), and the WordPiece decoder without its punctuation clean-up."""
    hf = Tokenizer(
        models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100)
    )
    hf.normalizer = normalizers.BertNormalizer(
        clean_text=False,
        handle_chinese_chars=True,
        strip_accents=False,
        lowercase=False,
    )
    hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    hf.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    return hf


def assert_same_as_hf(wordpiece: WordPiece, text: str) -> list[int]:
    hf = hf_wordpiece(wordpiece.vocab)
    expected = hf.encode(text, add_special_tokens=False).ids
    assert wordpiece.encode(text) == expected
    assert wordpiece.decode(expected) == hf.decode(expected, skip_special_tokens=False)
    return expected


# --- Encoding: the same ids as HF ------------------------------------------------------

TEXTS = {
    "held-out python_docs": HELD_OUT_TEXT,
    "chinese": chinese().text,
    "multilingual": multilingual().text,
    "120-character word": "see " + "abcdefghij" * 12 + " here",
    "100-character word": "x" * 100,
    "101-character word": "x" * 101,
    "empty": "",
}


@pytest.mark.parametrize("name", TEXTS)
def test_our_vocab_encodes_like_hf(ours, name):
    ids = assert_same_as_hf(ours, TEXTS[name])
    if name in ("chinese", "multilingual", "120-character word", "101-character word"):
        assert ours.vocab["[UNK]"] in ids  # the whole-word [UNK] rule is exercised


@pytest.mark.parametrize("name", TEXTS)
def test_hf_trained_vocab_encodes_like_hf(hf_trained_vocab, name):
    assert_same_as_hf(WordPiece(hf_trained_vocab), TEXTS[name])


MIXED_CHARACTERS = st.one_of(
    st.sampled_from(string.ascii_letters + string.punctuation + string.digits),
    st.sampled_from(" \t\n\u00a0\u3000"),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40),  # CJK
    st.characters(min_codepoint=0x1F600, max_codepoint=0x1F640),  # emoji
    st.sampled_from("éüßøñ"),
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(MIXED_CHARACTERS, max_size=60))
def test_random_text_encodes_like_hf(ours, text):
    assert_same_as_hf(ours, text)


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.integers(0, 999), max_size=30))
def test_decode_of_any_ids_matches_hf_decoder(ours, ids):
    hf = hf_wordpiece(ours.vocab)
    assert ours.decode(ids) == hf.decode(ids, skip_special_tokens=False)


def test_a_word_with_one_unknown_character_is_unknown_as_a_whole():
    # Worked by hand: "unaffable" → un ##aff ##able; "ab" has no "##b" → [UNK].
    wordpiece = WordPiece({"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "a": 4})
    assert wordpiece.pieces("unaffable ab a") == ["un", "##aff", "##able", "[UNK]", "a"]
    assert wordpiece.encode("unaffable ab a") == [1, 2, 3, 0, 4]
    assert_same_as_hf(wordpiece, "unaffable ab a, unaff")


def test_longest_match_first_is_greedy_not_optimal():
    # "abcd" with {a, ab, ##bcd, ##c, ##d}: greedy takes "ab" then "##c ##d" (3 pieces)
    # though "a ##bcd" would take 2.
    vocab = {"[UNK]": 0, "a": 1, "ab": 2, "##bcd": 3, "##c": 4, "##d": 5}
    assert WordPiece(vocab).tokenize_word("abcd") == ["ab", "##c", "##d"]
    assert_same_as_hf(WordPiece(vocab), "abcd")


# --- Training: scores counted by hand ------------------------------------------------

# Corpus "ab ab abc bc": words ab ×2, abc ×1, bc ×1; splits a ##b | a ##b ##c | b ##c.
# Symbol counts: a = 2 + 1 = 3, ##b = 2 + 1 = 3, ##c = 1 + 1 = 2, b = 1.
# Pair counts: (a, ##b) = 3, (##b, ##c) = 1, (b, ##c) = 1.
TOY = "ab ab abc bc"
TOY_SPLITS = {"ab": ["a", "##b"], "abc": ["a", "##b", "##c"], "bc": ["b", "##c"]}
TOY_COUNTS = {"ab": 2, "abc": 1, "bc": 1}


def test_pair_scores_on_the_toy_corpus():
    expected = {
        ("a", "##b"): Fraction(3, 3 * 3),
        ("##b", "##c"): Fraction(1, 3 * 2),
        ("b", "##c"): Fraction(1, 1 * 2),
    }
    # A float division of exact integers rounds correctly, so equal floats are exact.
    assert pair_scores(TOY_SPLITS, TOY_COUNTS) == {
        p: float(f) for p, f in expected.items()
    }


def test_training_on_the_toy_corpus_follows_the_hand_computed_merges():
    # Step 1: (b, ##c) = 1/2 wins, though (a, ##b) is 3× more frequent.
    # Step 2: counts a = 3, ##b = 3, ##c = 1, bc = 1; (a, ##b) = 3/9 and
    #   (##b, ##c) = 1/3 tie, so the higher pair count 3 wins → "ab".
    # Step 3: ab = 3, ##c = 1; (ab, ##c) = 1/(3·1) → "abc". Then no pair is left.
    wordpiece = train_wordpiece(TOY, vocab_size=100)
    assert wordpiece.merges == [
        ("b", "##c", float(Fraction(1, 2))),
        ("a", "##b", float(Fraction(3, 3 * 3))),
        ("ab", "##c", float(Fraction(1, 3 * 1))),
    ]
    alphabet = ["##b", "##c", "a", "b"]  # sorted by code point: "#" < "a"
    expected = [*SPECIAL_TOKENS, *alphabet, "bc", "ab", "abc"]
    assert wordpiece.vocab == {token: i for i, token in enumerate(expected)}
    assert wordpiece.vocab_size == 12 < 100  # stopped: every word is one token


def test_ties_on_score_and_count_go_to_the_smallest_pair_and_keep_the_prefix():
    # "xbc xbc": x = ##b = ##c = 2; (x, ##b) = (##b, ##c) = 2/(2·2) = 1/2, both
    # counted twice; "##b" < "x", so ##b + ##c merge first into "##bc".
    wordpiece = train_wordpiece("xbc xbc", vocab_size=100, special_tokens=["[UNK]"])
    assert wordpiece.merges == [("##b", "##c", 0.5), ("x", "##bc", 0.5)]
    assert list(wordpiece.vocab)[-2:] == ["##bc", "xbc"]


def test_training_stops_exactly_at_vocab_size():
    wordpiece = train_wordpiece(TOY, vocab_size=10)  # 5 special + 4 alphabet + 1
    assert list(wordpiece.vocab)[-1] == "bc" and wordpiece.vocab_size == 10


def test_merge_pair_glues_left_to_right():
    assert merge_pair(["##a", "##a", "##a"], "##a", "##a") == ["##aa", "##a"]
    assert merge_pair(["h", "##u", "##g"], "h", "##u") == ["hu", "##g"]


def naive_merges(corpus: str, num_merges: int) -> list[tuple[str, str, float]]:
    """The definition, step by step: recount every score, take the best pair."""
    counts = Counter(w for line in corpus.splitlines() for w in bert_pretokenize(line))
    splits = {w: [w[0]] + ["##" + c for c in w[1:]] for w in counts}
    merges = []
    for _ in range(num_merges):
        scores = pair_scores(splits, counts)
        pair_counts = Counter()
        for word, symbols in splits.items():
            for pair in pairwise(symbols):
                pair_counts[pair] += counts[word]
        a, b = min(scores, key=lambda p: (-scores[p], -pair_counts[p], p))
        merges.append((a, b, scores[(a, b)]))
        splits = {w: merge_pair(s, a, b) for w, s in splits.items()}
    return merges


def test_incremental_counts_equal_the_from_scratch_definition():
    corpus = python_docs(max_bytes=20_000).text
    wordpiece = train_wordpiece(corpus, vocab_size=600)
    assert len(wordpiece.merges) > 400
    assert wordpiece.merges == naive_merges(corpus, len(wordpiece.merges))


# --- Properties ----------------------------------------------------------------------


def assert_every_token_decomposes_into_earlier_ones(wordpiece: WordPiece) -> None:
    made_by = {}
    for a, b, _ in wordpiece.merges:
        made_by.setdefault(a + b.removeprefix("##"), (a, b))
    first_merged_id = len(wordpiece.vocab) - len(made_by)
    for token, i in wordpiece.vocab.items():
        if i >= first_merged_id:
            a, b = made_by[token]
            assert wordpiece.vocab[a] < i and wordpiece.vocab[b] < i
            assert b.startswith("##")


def test_the_trained_vocab_is_built_from_merges_and_has_its_size(ours):
    assert ours.vocab_size == 1000
    assert_every_token_decomposes_into_earlier_ones(ours)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.sampled_from("abcab .,"), min_size=1, max_size=80),
    vocab_size=st.integers(5, 40),
)
def test_small_random_corpora_give_consistent_vocabularies(text, vocab_size):
    try:
        wordpiece = train_wordpiece(
            text, vocab_size=vocab_size, special_tokens=["[UNK]"]
        )
    except ValueError as error:  # vocab_size below the alphabet, or no words
        assert "at least" in str(error)
        return
    assert wordpiece.vocab_size <= vocab_size
    assert_every_token_decomposes_into_earlier_ones(wordpiece)
    if wordpiece.vocab_size < vocab_size:  # stopped early: every word is one token
        assert all(len(wordpiece.tokenize_word(w)) == 1 for w in bert_pretokenize(text))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_decode_of_encode_is_the_text_with_normalised_spaces(ours, data):
    both_forms = [c for c in ours.vocab if len(c) == 1 and "##" + c in ours.vocab]
    characters = st.sampled_from([*both_forms, " ", "\n", ".", "("])
    text = data.draw(st.text(characters, max_size=80))
    assert ours.vocab["[UNK]"] not in ours.encode(text)
    assert ours.decode(ours.encode(text)) == " ".join(bert_pretokenize(text))


# --- Bad input -----------------------------------------------------------------------


def test_vocab_size_below_special_tokens_plus_alphabet():
    with pytest.raises(ValueError, match=r"at least 9 \(5 special tokens \+ 4 alph"):
        train_wordpiece(TOY, vocab_size=8)
    with pytest.raises(TypeError, match="vocab_size must be an integer"):
        train_wordpiece(TOY, vocab_size=10.0)


def test_empty_corpus():
    with pytest.raises(ValueError, match="corpus must contain some text"):
        train_wordpiece("", vocab_size=100)
    with pytest.raises(ValueError, match="at least one word, got only whitespace"):
        train_wordpiece(" \n\t", vocab_size=100)
    with pytest.raises(TypeError, match="corpus must be a str or an iterable"):
        train_wordpiece(b"ab", vocab_size=100)


def test_text_must_be_a_str(ours):
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        ours.encode(b"abc")
    with pytest.raises(TypeError, match="text must be a str, got NoneType"):
        ours.pieces(None)
    with pytest.raises(TypeError, match="word must be a str, got int"):
        ours.tokenize_word(3)


def test_unknown_id_in_decode(ours):
    with pytest.raises(ValueError, match="id 1000 is not in the vocabulary"):
        ours.decode([3, 1000])
    with pytest.raises(TypeError, match="ids must hold integers"):
        ours.decode(["a"])


def test_unk_token_must_be_in_the_vocab():
    with pytest.raises(ValueError, match="unk_token '<unk>' must be in the vocab"):
        WordPiece({"[UNK]": 0, "a": 1}, unk_token="<unk>")
    with pytest.raises(ValueError, match="unk_token '<unk>' must be one of special"):
        train_wordpiece(TOY, vocab_size=100, unk_token="<unk>")


def test_max_input_chars_per_word_must_be_positive():
    message = "max_input_chars_per_word must be an integer >= 1, got 0"
    with pytest.raises(ValueError, match=message):
        WordPiece({"[UNK]": 0}, max_input_chars_per_word=0)
    with pytest.raises(ValueError, match=message):
        train_wordpiece(TOY, vocab_size=100, max_input_chars_per_word=0)


def test_vocab_must_map_str_to_ids_0_to_n_minus_1():
    with pytest.raises(ValueError, match=r"vocab ids must be 0 \.\. 1, each used once"):
        WordPiece({"[UNK]": 0, "a": 2})
    with pytest.raises(TypeError, match="vocab must be a dict from str to int"):
        WordPiece([("[UNK]", 0)])
