"""The fast BPE trainer (``llmviz.tokenization.bpe_fast``) against the readable one the
chapter shows, the textbook recount and Hugging Face ``tokenizers``: identical merges."""

import itertools
import json

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

from llmviz import data
from llmviz.tokenization.bpe_fast import (
    ASCII_TWINS,
    _raw_chunk_counts,
    train_bpe_fast,
)
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


# Every character class of the pattern, and the ASCII characters regex's \s skips.
SAMPLE = "aZs'tlrevmd09 \t\n\r\x0b\x0c\x1c\x1f\x00\x7f!_-"


def test_the_ascii_twin_cuts_every_short_ascii_string_as_gpt2s_pattern():
    gpt2, twin = regex.compile(GPT2_PATTERN), ASCII_TWINS[GPT2_PATTERN]
    ascii_chars = [chr(i) for i in range(128)]
    texts = ["".join(p) for p in itertools.product(ascii_chars, repeat=2)]
    texts += ["".join(p) for p in itertools.product(SAMPLE, repeat=3)]
    for text in texts:
        assert twin.findall(text) == gpt2.findall(text), repr(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_twin_equals_gpt2s_pattern_on_any_ascii_text(text):
    twin = ASCII_TWINS[GPT2_PATTERN]
    assert twin.findall(text) == regex.compile(GPT2_PATTERN).findall(text)


@pytest.mark.parametrize("specials", [(), ("<s>", "Ġt")])
def test_raw_chunk_counts_equal_the_readable_chunk_counts(specials):
    text = data.multilingual().text + data.stdlib_code(50_000).text
    expected = chunk_counts(text, byte_level=False, special_tokens=specials)
    assert _raw_chunk_counts(text, GPT2_PATTERN, specials) == expected


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
