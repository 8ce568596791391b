"""BPE training and encoding against Hugging Face ``tokenizers``, and the fast trainer
against the textbook recount."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

from llmviz import data
from llmviz.tokenization.base import corpus_lines
from llmviz.tokenization.bpe import BPE, readable
from llmviz.tokenization.bpe_train import chunk_counts, train_bpe, train_bpe_recount
from llmviz.tokenization.pretokenize import GPT2_PATTERN, bytes_to_unicode, split


def hf_bpe(lines, vocab_size, byte_level=True, min_frequency=0, special_tokens=()):
    """HF's trainer fed the same lines, with the same pre-tokenizer."""
    tok = Tokenizer(models.BPE(unk_token=None if byte_level else "[UNK]"))
    options = dict(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        show_progress=False,
        special_tokens=list(special_tokens),
    )
    if byte_level:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(
            add_prefix_space=False, use_regex=True
        )
        options["initial_alphabet"] = pre_tokenizers.ByteLevel.alphabet()
    else:
        tok.pre_tokenizer = pre_tokenizers.Split(
            Regex(GPT2_PATTERN), behavior="isolated"
        )
    tok.train_from_iterator(lines, trainers.BpeTrainer(**options))
    model = json.loads(tok.to_str())["model"]
    return tok, model["vocab"], [tuple(m) for m in model["merges"]]


CASES = [
    ("english", data.python_docs(60_000).text, 900, True),
    ("code", data.stdlib_code(150_000).text, 1200, True),
    ("chinese bytes", data.chinese().text, 600, True),
    ("chinese chars", data.chinese().text, 900, False),
    ("english chars", data.python_docs(40_000).text, 700, False),
]


@pytest.mark.parametrize(
    "name, text, vocab_size, byte_level", CASES, ids=[c[0] for c in CASES]
)
def test_merges_and_vocab_equal_hf(name, text, vocab_size, byte_level):
    specials = () if byte_level else ("[UNK]",)
    _, vocab, merges = hf_bpe(
        text.splitlines(keepends=True), vocab_size, byte_level, special_tokens=specials
    )
    ours = train_bpe(text, vocab_size, byte_level=byte_level, special_tokens=specials)
    assert ours.merges == merges
    assert {token: i for i, token in enumerate(ours.vocab)} == vocab


def test_min_frequency_and_special_tokens_equal_hf():
    text = data.python_docs(30_000).text
    specials = ("<|endoftext|>", "<pad>")
    _, vocab, merges = hf_bpe(
        text.splitlines(keepends=True), 5000, min_frequency=20, special_tokens=specials
    )
    ours = train_bpe(text, 5000, min_frequency=20, special_tokens=specials)
    assert len(merges) < 5000 - 258  # min_frequency stopped it early
    assert ours.merges == merges
    assert {token: i for i, token in enumerate(ours.vocab)} == vocab


# Few distinct letters make many ties, so the tie-break rule decides most merges.
tie_heavy = st.lists(
    st.text(alphabet="ab c\n", min_size=1, max_size=12), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(lines=tie_heavy, extra=st.integers(1, 20))
def test_fast_equals_recount_equals_hf_under_ties(lines, extra):
    if not "".join(lines):
        lines = ["a"]
    fast = train_bpe(lines, 256 + extra)
    assert fast.merges == train_bpe_recount(lines, 256 + extra).merges
    assert fast.merges == hf_bpe(lines, 256 + extra)[2]


def test_fast_equals_recount_on_prose():
    text = data.python_docs(20_000).text
    assert train_bpe(text, 420).merges == train_bpe_recount(text, 420).merges


def test_encoding_equals_hf_on_held_out_text():
    train, held_out = data.python_docs(80_000).split(0.7)
    hf, _, _ = hf_bpe(train.splitlines(keepends=True), 1000)
    ours = train_bpe(train, 1000)
    for text in [
        held_out,
        data.chinese().text,
        data.multilingual().text,
        data.stdlib_code(30_000).text,
    ]:
        assert ours.encode(text) == hf.encode(text).ids


def test_char_level_encoding_equals_hf_including_unknown_characters():
    train = data.chinese().text
    hf, _, _ = hf_bpe(
        train.splitlines(keepends=True),
        700,
        byte_level=False,
        special_tokens=("[UNK]",),
    )
    ours = train_bpe(train, 700, byte_level=False, unk_token="[UNK]")
    text = "我们学习分词。Tokenizers 用 UTF-8！" + data.chinese().text[:200]
    assert ours.encode(text) == hf.encode(text).ids
    assert ours.vocab[ours.encode("Z")[0]] == "[UNK]"


def test_chunk_counts_equal_hf_pre_tokenizer():
    text = data.multilingual().text + data.stdlib_code(20_000).text
    ours = chunk_counts(text)
    hf = pre_tokenizers.ByteLevel(add_prefix_space=False)
    theirs = {}
    for line in text.splitlines(keepends=True):
        for chunk, _ in hf.pre_tokenize_str(line):
            theirs[chunk] = theirs.get(chunk, 0) + 1
    assert dict(ours) == theirs


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=60))
def test_byte_level_round_trips_any_text(text):
    bpe = _small_bpe()
    assert bpe.decode(bpe.encode(text)) == text
    assert "".join(split(text)) == text


_TRAINED = {}


def _small_bpe():
    if "bpe" not in _TRAINED:
        _TRAINED["bpe"] = train_bpe(
            data.python_docs(20_000).text + data.chinese().text, 700
        )
    return _TRAINED["bpe"]


def test_truncated_equals_training_fewer_merges():
    text = data.python_docs(20_000).text
    full = train_bpe(text, 400)
    small = train_bpe(text, 300)
    cut = full.truncated(300 - 256)
    assert cut.merges == small.merges and cut.vocab == small.vocab
    assert cut.encode(text[:2000]) == small.encode(text[:2000])


def test_bytes_to_unicode_is_gpt2s_table():
    table = bytes_to_unicode()
    assert sorted(table) == list(range(256)) and len(set(table.values())) == 256
    # GPT-2 keeps the 188 printable bytes as themselves and shifts the other 68 past 255
    kept = [b for b, c in table.items() if ord(c) == b]
    assert len(kept) == 188 and all(
        chr(b).isprintable() and not chr(b).isspace() for b in kept
    )
    assert sorted(ord(c) for b, c in table.items() if ord(c) != b) == list(
        range(256, 256 + 68)
    )
    assert set(table.values()) == set(pre_tokenizers.ByteLevel.alphabet())


def test_readable_marks_partial_characters():
    table = bytes_to_unicode()
    as_tokens = ["".join(table[b] for b in "你".encode()[:k]) for k in (2, 3)]
    assert readable(as_tokens[0]) == "⟨e4 bd⟩" and readable(as_tokens[1]) == "你"


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match=r"vocab_size must be at least 256 .*got 100"):
        train_bpe("hello", 100)
    with pytest.raises(
        ValueError,
        match=r"vocab_size must be at least 5 \(the special tokens and the character alphabet\), got 3",
    ):
        train_bpe("hello", 3, byte_level=False, special_tokens=("[UNK]",))
    for trainer in (train_bpe, train_bpe_recount):
        with pytest.raises(ValueError, match="empty corpus"):
            trainer("", 300)
        with pytest.raises(ValueError, match="empty corpus"):
            trainer([], 300)
    with pytest.raises(
        TypeError, match="corpus must be a str or an iterable of str, got bytes"
    ):
        train_bpe(b"hello", 300)
    with pytest.raises(TypeError, match="vocab_size must be an integer"):
        train_bpe("hello", 300.0)
    bpe = _small_bpe()
    with pytest.raises(
        TypeError, match=r"text must be a str, got bytes \(decode bytes"
    ):
        bpe.encode(b"hello")
    with pytest.raises(
        ValueError, match="id 700 is not in the vocabulary: ids run from 0 to 699"
    ):
        bpe.decode([1, 700])
    with pytest.raises(ValueError, match="id -1 is not in the vocabulary"):
        bpe.decode([-1])
    with pytest.raises(
        ValueError, match=r"merges\[0\] = \('a', 'b'\) needs 'a', 'b' and 'ab' in vocab"
    ):
        BPE([("a", "b")], ["a", "b"], byte_level=False)
    chars = train_bpe("hello", 10, byte_level=False)
    with pytest.raises(
        ValueError,
        match="'z', which is not in the vocabulary, and this tokenizer has no unk_token",
    ):
        chars.encode("zoo")


def hf_bpe_from_file(text, vocab_size, tmp_path, special_tokens=()):
    """HF's trainer reading ``text`` from a file, as its own file reader cuts lines."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    path = tmp_path / "corpus.txt"
    path.write_bytes(text.encode("utf-8"))
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        show_progress=False,
        special_tokens=list(special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train([str(path)], trainer)
    return [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]


ODD_BREAKS = "\r \x0b \x0c \x1c \x1d \x1e \x85 \u2028 \u2029 \r\n".split(" ")


def test_a_str_corpus_is_cut_at_newlines_only_as_hf_reads_a_file(tmp_path):
    """str.splitlines would also cut at form feeds and the like, so the pair
    ('\\x0c', '\\n') could never be merged: the first merge would differ from HF's."""
    text = "x:\x0c\n" * 50 + "ab ab\n"
    merges = hf_bpe_from_file(text, 259, tmp_path)
    assert merges[0] == ("Č", "Ċ")  # form feed + newline, in GPT-2's byte alphabet
    assert train_bpe(text, 259).merges == merges


def test_a_mixed_corpus_with_every_line_break_gives_hfs_merges(tmp_path):
    rng = random.Random(0)
    words = (data.python_docs(30_000).text + data.chinese().text).split(" ")
    text = "".join(w + rng.choice([" ", " ", " ", *ODD_BREAKS]) for w in words)
    assert train_bpe(text, 900).merges == hf_bpe_from_file(text, 900, tmp_path)


def test_the_tinygpt_tokenizer_is_unchanged_by_the_line_and_special_fixes():
    """TinyGPT's shipped tokenizer was trained on ``text.splitlines(keepends=True)``
    with ``<|endoftext|>`` special. Its corpus has no other line break and no special
    text, so the fixed trainer reads exactly the same lines and chunks."""
    from llmviz.models import train

    text, _ = train.corpus_texts()
    assert corpus_lines(text) == text.splitlines(keepends=True)
    assert "<|endoftext|>" not in text


def test_train_bpe_learns_nothing_across_or_from_special_token_text(tmp_path):
    """HF's trainer reads a special token's text as ordinary text, and learns merges
    from it; ours cuts it out as encode does, so it equals HF fed the text between."""
    eot = "<|endoftext|>"
    text = eot.join(data.python_docs(20_000).text.split("\n\n"))
    segments = [part for line in corpus_lines(text) for part in line.split(eot)]
    assert ("<", "|") in hf_bpe_from_file(text, 500, tmp_path, [eot])
    ours = train_bpe(text, 500, special_tokens=[eot])
    assert ours.merges == train_bpe(segments, 500, special_tokens=[eot]).merges
    assert ours.merges == hf_bpe(segments, 500, special_tokens=[eot])[2]
    assert ("<", "|") not in ours.merges


def test_allowed_special_tokens_split_longest_first_as_hf_added_tokens():
    """HF's added tokens match leftmost, then longest: '<s><s>' before '<s>'."""
    specials = ("<s>", "<s><s>", "<unk>")
    lines = data.python_docs(10_000).text.splitlines(keepends=True)
    hf, _, _ = hf_bpe(lines, 400, special_tokens=specials)
    ours = train_bpe(lines, 400, special_tokens=specials)
    for text in ["x<s><s><s>y <s> z", "<s<s>>", "<unk><s><unk>\n<s><s>", "plain"]:
        assert ours.encode(text, allowed_special="all") == hf.encode(text).ids
        ids = ours.encode(text, allowed_special="all")
        assert ours.decode(ids) == text


def test_special_tokens_decode_to_their_text_whatever_their_characters():
    bpe = train_bpe("aaab aab", 260, special_tokens=["▁<pad>", "[UNK]"])
    ids = bpe.encode("ab▁<pad>", allowed_special="all")
    assert [bpe.vocab[i] for i in ids] == ["ab", "▁<pad>"]
    assert bpe.decode(ids) == "ab▁<pad>" and bpe.pieces("ab") == ["ab"]
    as_text = bpe.encode("▁<pad>", disallowed_special=())
    assert len(as_text) > 1 and bpe.decode(as_text) == "▁<pad>"


def test_the_issues_bad_inputs_fail_at_construction_naming_the_parameter():
    bpe = _small_bpe()
    with pytest.raises(ValueError, match=r"pattern '\(' is not a valid regular exp"):
        BPE(bpe.merges, bpe.vocab, pattern="(")
    ranks = {bytes([b]): b for b in range(256)}
    with pytest.raises(ValueError, match=r"ranks\[b'a'\] must be an id from 0"):
        BPE.from_ranks(ranks | {b"a": -1}, pattern=GPT2_PATTERN)
    with pytest.raises(ValueError, match=r"special_tokens\['<s>'\] = 5 is already"):
        BPE.from_ranks(ranks, pattern=GPT2_PATTERN, special_tokens={"<s>": 5})
    with pytest.raises(ValueError, match="num_merges must be an integer >= 0, got -1"):
        bpe.truncated(-1)
