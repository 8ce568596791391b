"""The fast BPE trainer (``llmviz.tokenization.bpe_fast``) against the readable one the
chapter shows, the textbook recount and Hugging Face ``tokenizers``: identical merges."""

import itertools
import json
import os

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

from llmviz import data
from llmviz.tokenization import bpe_fast_chunks
from llmviz.tokenization.base import corpus_lines
from llmviz.tokenization.bpe_fast import train_bpe_fast
from llmviz.tokenization.bpe_fast_chunks import LINE_TWINS, raw_chunk_counts
from llmviz.tokenization.bpe_train import chunk_counts, train_bpe, train_bpe_recount
from llmviz.tokenization.pretokenize import GPT2_PATTERN


def hf_merges(lines, vocab_size, byte_level=True, min_frequency=0, specials=()):
    """HF's BpeTrainer on the same lines, with the same pre-tokenizer."""
    tok = Tokenizer(models.BPE(unk_token=None if byte_level else "[UNK]"))
    options = dict(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        show_progress=False,
        special_tokens=list(specials),
    )
    if byte_level:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        options["initial_alphabet"] = pre_tokenizers.ByteLevel.alphabet()
    else:
        tok.pre_tokenizer = pre_tokenizers.Split(
            Regex(GPT2_PATTERN), behavior="isolated"
        )
    tok.train_from_iterator(lines, trainers.BpeTrainer(**options))
    return [tuple(m) for m in json.loads(tok.to_str())["model"]["merges"]]


def per_line(text):
    """GPT-2's pattern on each line alone, as HF reads a corpus."""
    gpt2 = regex.compile(GPT2_PATTERN)
    lines = regex.split("(?<=\n)", text)  # cut after each "\n", as HF reads a file
    return [chunk for line in lines for chunk in gpt2.findall(line)]


def twins_agree(text):
    ascii_twin, unicode_twin = LINE_TWINS[GPT2_PATTERN]
    expected = per_line(text)
    assert unicode_twin.findall(text) == expected, repr(text)
    if text.isascii():
        assert ascii_twin.findall(text) == expected, repr(text)


# Every character class of the pattern, and the ASCII characters regex's \s skips.
SAMPLE = "aZs'tlrevmd09 \t\n\r\x0b\x0c\x1c\x1f\x00\x7f!_-"


def test_the_line_twins_cut_joined_lines_as_gpt2s_pattern_cuts_each_line():
    ascii_chars = [chr(i) for i in range(128)]
    for length, alphabet in ((1, ascii_chars), (2, ascii_chars), (3, SAMPLE)):
        for chars in itertools.product(alphabet, repeat=length):
            twins_agree("".join(chars))
    for chars in itertools.product(" \n\ta'!", repeat=5):
        twins_agree("".join(chars))


UNICODE = st.sampled_from(list("aZé中1²½'s!_ \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000🙂"))


@settings(max_examples=400, deadline=None)
@given(st.lists(UNICODE, max_size=30).map("".join))
def test_the_line_twins_equal_gpt2s_pattern_on_any_text(text):
    twins_agree(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_line_twin_equals_gpt2s_pattern_on_any_ascii_text(text):
    twins_agree(text)


@pytest.mark.parametrize("specials", [(), ("<s>", "Ġt")])
def test_raw_chunk_counts_equal_the_readable_chunk_counts(specials):
    text = data.multilingual().text + data.stdlib_code(50_000).text + "\n\n  end  "
    for corpus in (text, corpus_lines(text), ["a \n b\n", "x  \n  \n"]):
        expected = chunk_counts(corpus, byte_level=False, special_tokens=specials)
        assert raw_chunk_counts(corpus, GPT2_PATTERN, specials) == expected
    other = r"\w+|\s+|[^\w\s]+"
    assert raw_chunk_counts(text, other) == chunk_counts(text, other, False)


@pytest.mark.skipif(not bpe_fast_chunks._can_fork(), reason="one core, or not Linux")
@pytest.mark.parametrize("child", ["counts", "dies"])
def test_counting_on_two_cores_gives_the_same_counts(monkeypatch, child):
    text = data.multilingual().text + data.stdlib_code(80_000).text
    monkeypatch.setattr(bpe_fast_chunks, "PARALLEL_FROM", 0)
    if child == "dies":  # the parent then counts the child's half itself
        monkeypatch.setattr(bpe_fast_chunks, "_send", lambda send, jobs: os._exit(1))
    expected = chunk_counts(text, byte_level=False)
    assert raw_chunk_counts(text, GPT2_PATTERN) == expected


CASES = [
    ("english", data.python_docs(60_000).text, 900, True),
    ("code", data.stdlib_code(150_000).text, 1200, True),
    ("code, large vocabulary", data.stdlib_code(300_000).text, 4096, True),
    ("chinese bytes", data.chinese().text, 600, True),
    ("chinese chars", data.chinese().text, 900, False),
    ("multilingual bytes", data.multilingual().text, 700, True),
    ("english chars", data.python_docs(40_000).text, 700, False),
]


@pytest.mark.parametrize(
    "name, text, vocab_size, byte_level", CASES, ids=[c[0] for c in CASES]
)
def test_merges_equal_the_readable_trainer_and_hf(name, text, vocab_size, byte_level):
    specials = () if byte_level else ("[UNK]",)
    fast = train_bpe_fast(
        text, vocab_size, byte_level=byte_level, special_tokens=specials
    )
    readable = train_bpe(
        text, vocab_size, byte_level=byte_level, special_tokens=specials
    )
    assert fast.merges == readable.merges
    assert fast.vocab == readable.vocab
    lines = text.splitlines(keepends=True)
    assert fast.merges == hf_merges(lines, vocab_size, byte_level, specials=specials)


def test_min_frequency_special_and_unknown_tokens_as_the_readable_trainer():
    text = data.python_docs(40_000).text
    for options in (
        dict(min_frequency=20, special_tokens=["<|endoftext|>", "<pad>"]),
        dict(byte_level=False, unk_token="[UNK]", min_frequency=3),
    ):
        fast, readable = (
            train_bpe_fast(text, 5000, **options),
            train_bpe(text, 5000, **options),
        )
        assert fast.merges == readable.merges
        assert fast.vocab == readable.vocab
        assert fast.special_tokens == readable.special_tokens


def test_a_merge_whose_string_is_already_a_token_reuses_its_id():
    text = "x ta te ti to tu ty\n" * 3
    fast = train_bpe_fast(text, 280, special_tokens=["Ġt"])
    assert fast.merges[0] == ("Ġ", "t")
    assert len(fast.vocab) < 257 + len(fast.merges)  # the merge took the special's id
    assert fast.merges == train_bpe_recount(text, 280, special_tokens=["Ġt"]).merges
    assert fast.vocab == train_bpe(text, 280, special_tokens=["Ġt"]).vocab


def test_ids_in_the_surrogate_range_are_symbols_like_any_other():
    """Ids 0xD800-0xDFFF are lone surrogates as characters: fine inside a str."""
    specials = [f"<{i}>" for i in range(0xD800)]
    text = "low lower lowest newest\n" * 3
    fast = train_bpe_fast(text, 0xD800 + 300, special_tokens=specials)
    assert fast.merges == train_bpe(text, 0xD800 + 300, special_tokens=specials).merges


def test_a_vocabulary_past_the_last_code_point_falls_back_to_the_readable_trainer():
    fast = train_bpe_fast("low lower lowest", 0x110000 + 5)
    assert fast.merges == train_bpe("low lower lowest", 300).merges


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="ab c\n'é1", min_size=1, max_size=14), min_size=1),
    st.integers(1, 40),
)
def test_fast_equals_recount_equals_hf_on_small_random_corpora(lines, extra):
    """Few symbols, so many ties and back-to-back pairs (``a a a``)."""
    fast = train_bpe_fast(lines, 256 + extra)
    assert fast.merges == train_bpe_recount(lines, 256 + extra).merges
    assert fast.merges == hf_merges(lines, 256 + extra)
    chars = train_bpe_fast(lines, 12 + extra, byte_level=False, unk_token="[UNK]")
    expected = train_bpe(lines, 12 + extra, byte_level=False, unk_token="[UNK]")
    assert chars.merges == expected.merges
