"""The fast byte-level encoder (llmviz.tokenization.fast_encode) against the readable
one it stands beside (BPE, apply_merges) and against tiktoken: the same ids."""

import random

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz import data
from llmviz.tokenization import fast_encode, rank_merge
from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_symbols import apply_merges
from llmviz.tokenization.bpe_train import train_bpe
from llmviz.tokenization.byte_level import load_cl100k, load_gpt2, tiktoken_reference
from llmviz.tokenization.fast_encode import FastBPE
from llmviz.tokenization.pretokenize import CL100K_PATTERN, GPT2_PATTERN
from llmviz.tokenization.rank_merge import merge_by_rank

LOADERS = {"gpt2": load_gpt2, "cl100k": load_cl100k}
TEXTS = [
    data.python_docs(60_000).text,
    data.stdlib_code(60_000).text,
    data.chinese().text,
    data.multilingual().text,
    "  \n\n\n    x\t\t y \r\n\r\n   \u3000 \u00a0end   \x1c\x1f \x85\u2028",
    "1234567 3.14159 1e-10 don't I'LL we've 'S 's 'ſ 'K 'İ 'Ll 'vE ſ",
    "🙂👍🏽 👨‍👩‍👧🇨🇳 ❤️ 🏳️‍🌈\nline\n😀x\n\n  🙂\ny 𝔘𝔫𝔦 𝟙𝟚 𐍈 end",
    "=" * 300 + " " * 200 + "9" * 120 + "\n" * 70 + "ab" * 90,
]


def readable(tokenizer: BPE, text: str) -> list[int]:
    """The chapter's encoder: every chunk through ``apply_merges``."""
    return BPE._encode_ordinary(tokenizer, text)


@pytest.mark.parametrize("name", LOADERS)
@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_fast_equals_readable_equals_tiktoken(name, text):
    fast = LOADERS[name]()
    assert isinstance(fast, FastBPE)
    expected = tiktoken_reference(name).encode(text, disallowed_special=())
    assert fast.encode(text, disallowed_special=()) == expected
    assert readable(fast, text) == expected
    fast.clear_cache()  # cold: every chunk that is no token merged afresh
    assert fast.encode(text, disallowed_special=()) == expected


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=60)
    | st.text(alphabet=" \t\n\r\u3000\x0b\x85abS1'ſK你🙂", max_size=40)
)
def test_fast_equals_readable_and_tiktoken_on_any_text(text):
    for name, load in LOADERS.items():
        fast = load()
        expected = tiktoken_reference(name).encode(text, disallowed_special=())
        assert fast.encode(text, disallowed_special=()) == expected
        assert readable(fast, text) == expected


@pytest.mark.parametrize("pattern", [GPT2_PATTERN, CL100K_PATTERN])
def test_re_chunks_equal_regex_chunks_on_every_bmp_character(pattern):
    """``re`` with the classes written out cuts as ``regex`` does: every character of
    the BMP alone, after a space, an apostrophe, a letter, a digit and a newline."""
    findall, expected = fast_encode._re_splitter(pattern), regex.compile(pattern)
    if findall is None:
        pytest.skip("this Python's re has no possessive quantifiers")
    every = [chr(c) for c in range(0x10000)]
    for before in ["", " ", "'", "a", "1", "\n", "\r\n", "\u3000"]:
        text = "".join(before + char for char in every)
        assert findall(text) == expected.findall(text)
    random.Random(0).shuffle(every)
    text = "".join(every)
    assert findall(text) == expected.findall(text)


@given(text=st.text(max_size=80), data=st.data())
@settings(max_examples=200, deadline=None)
def test_split_equals_regex_with_characters_beyond_the_bmp(text, data):
    """Parts holding a character beyond U+FFFF go to ``regex``, the rest to ``re``."""
    lines = data.draw(st.lists(st.sampled_from(["\n", "x\ny", "🙂", " 𝔘\n", "a"])))
    text = text + "".join(lines)
    for load in LOADERS.values():
        assert load()._split(text) == regex.compile(load().pattern).findall(text)


# Random merge tables: ranks repeat and need not grow with length, as in cl100k
# where every split of a token is a merge with the token's rank.
tables = st.dictionaries(
    st.tuples(st.integers(0, 5), st.integers(0, 5)),
    st.tuples(st.integers(0, 6), st.integers(0, 5)),
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(ranks=tables, symbols=st.lists(st.integers(0, 5), max_size=120))
def test_merge_by_rank_equals_apply_merges(ranks, symbols):
    """Short lists (the list loop) and long ones (the heap) merge as the chapter's
    loop does, whatever the table."""
    before = list(symbols)
    assert merge_by_rank(symbols, ranks) == apply_merges(list(symbols), ranks)
    assert symbols == before


def test_trained_tokenizer_gives_the_same_ids():
    text = data.python_docs(30_000).text
    bpe = train_bpe(text, 600, special_tokens=["<s>"])
    fast = FastBPE.from_bpe(bpe)
    for sample in [text[:5000], data.chinese().text, "<s>a<s>"]:
        options = dict(allowed_special="all")
        assert fast.encode(sample, **options) == bpe.encode(sample, **options)
    assert bpe.vocab == fast.vocab and not isinstance(bpe, FastBPE)


def test_cache_is_bounded_and_starts_afresh(monkeypatch):
    monkeypatch.setattr(fast_encode, "_CACHE_SIZE", 50)
    fast = FastBPE.from_bpe(train_bpe(data.python_docs(20_000).text, 400))
    text = data.stdlib_code(20_000).text
    seed = len(fast._chunks.seed)
    assert fast.encode(text) == BPE._encode_ordinary(fast, text)
    assert len(fast._chunks) <= seed + 50


def test_refuses_what_it_cannot_encode():
    chars = train_bpe("aaab aab", 260, byte_level=False)
    with pytest.raises(ValueError, match="bpe must be byte-level"):
        FastBPE.from_bpe(chars)
    with pytest.raises(TypeError, match="bpe must be a BPE tokenizer, got str"):
        FastBPE.from_bpe("gpt2")
    with pytest.raises(TypeError, match="ranks must be a dict pair -> "):
        merge_by_rank([1, 2], {(1, 2): 3})
    with pytest.raises(TypeError, match="symbols must be a list of int ids"):
        merge_by_rank((1, 2), {})


def test_contractions_in_every_case_variant():
    """cl100k's case-insensitive contractions: each letter's variants, as ``regex``
    folds them (``ſ`` is an ``s``), in every combination of two letters."""
    findall, expected = (
        fast_encode._re_splitter(CL100K_PATTERN),
        regex.compile(CL100K_PATTERN),
    )
    if findall is None:
        pytest.skip("this Python's re has no possessive quantifiers")
    variants = [
        c for c in map(chr, range(0x10000)) if regex.match("(?i:[sdmtlver])", c)
    ]
    assert "ſ" in variants
    text = " ".join(f"'{a}{b}x" for a in variants for b in variants)
    assert findall(text) == expected.findall(text)


@st.composite
def ordered_tables(draw):
    """Merge tables as training makes them: each merge joins two symbols that exist
    already into a new one, with a later rank; some merges make the same symbol
    from another split, with its rank, as cl100k's ranks do."""
    ranks, made = {}, {}
    symbols = 4
    for rank in range(draw(st.integers(0, 12))):
        left, right = (
            draw(st.integers(0, symbols - 1)),
            draw(st.integers(0, symbols - 1)),
        )
        if (left, right) in ranks or max(
            made.get(left, -1), made.get(right, -1)
        ) >= rank:
            continue
        ranks[(left, right)], made[symbols] = (rank, symbols), rank
        symbols += 1
    return ranks


@settings(max_examples=300, deadline=None)
@given(ranks=ordered_tables(), data=st.data())
def test_merge_by_rank_on_ordered_tables_equals_apply_merges(ranks, data):
    """An ordered table takes the path that merges the leftmost lowest pair; it must
    give apply_merges's rounds (runs of one pair, as in "aaaa", included)."""
    keys, size = rank_merge._pair_keys(ranks)
    assert rank_merge._is_ordered(keys, size)
    symbols = data.draw(st.lists(st.integers(0, 3), max_size=60))
    assert merge_by_rank(list(symbols), ranks) == apply_merges(list(symbols), ranks)


def test_is_ordered_tells_the_tables_apart():
    """GPT-2's table and a trained one are ordered. cl100k's is not: its ranks make
    every split of a token a merge, so "    " (rank 257) is also " " + "   ", a
    symbol made later (rank 262). Nor is a table whose merge uses a later symbol."""
    trained = train_bpe(data.python_docs(20_000).text, 400)
    for ranks in (load_gpt2()._ranks, trained._ranks):
        assert rank_merge._is_ordered(*rank_merge._pair_keys(ranks))
    assert load_gpt2()._ordered and not load_cl100k()._ordered
    later = {(1, 1): (1, 2), (2, 1): (0, 3)}  # (2, 1) needs 2, made at rank 1
    assert not rank_merge._is_ordered(*rank_merge._pair_keys(later))
    # a round of (1, 1) first: merging the leftmost lowest pair instead gives [3, 1]
    assert merge_by_rank([1, 1, 1, 1], later) == apply_merges([1] * 4, later) == [2, 2]
