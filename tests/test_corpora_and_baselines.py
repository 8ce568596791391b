"""The offline corpora, the word and character baselines, and the comparison's measures."""

import hashlib

import jieba
import pytest

from llmviz import data, table
from llmviz.tokenization import CharLevel, WordLevel
from llmviz.tokenization.compare import compare, measure
from llmviz.tokenization.pretokenize import bert_pretokenize, words


@pytest.mark.parametrize(
    "load", [data.python_docs, data.stdlib_code, data.chinese, data.multilingual]
)
def test_corpora_are_deterministic_and_hashed(load):
    first, second = load(), load()
    assert first.text == second.text and first.text
    assert first.sha256 == hashlib.sha256(first.text.encode("utf-8")).hexdigest()
    assert first.num_bytes == len(first.text.encode("utf-8"))
    assert first.sha256[:12] in repr(first) and first.source in repr(first)


def test_python_corpora_name_their_python_version():
    import platform

    for corpus in (data.python_docs(1000), data.stdlib_code(1000)):
        assert platform.python_version() in corpus.source


@pytest.mark.parametrize("max_bytes", [1, 999, 100_000])
def test_max_bytes_cuts_at_a_whole_character(max_bytes):
    for load in (data.python_docs, data.stdlib_code):
        text = load(max_bytes).text
        full = load(None).text
        assert len(text.encode()) <= max_bytes and full.startswith(text)
        assert len(text.encode()) > max_bytes - 4  # at most one character short


def test_stdlib_code_is_python_source():
    text = data.stdlib_code(200_000).text
    assert "def " in text and "import " in text


def test_multilingual_sample_has_every_script_it_promises():
    text = data.multilingual().text
    scripts = {
        "Chinese": any("\u4e00" <= c <= "\u9fff" for c in text),
        "Japanese kana": any("\u3040" <= c <= "\u30ff" for c in text),
        "Korean": any("\uac00" <= c <= "\ud7a3" for c in text),
        "Arabic": any("\u0600" <= c <= "\u06ff" for c in text),
        "emoji": any(ord(c) >= 0x1F300 for c in text),
        "tab": "\t" in text,
        "a run of spaces": "   " in text,
    }
    assert all(scripts.values()), scripts


def test_split_keeps_whole_lines_and_checks_fraction():
    corpus = data.chinese()
    train, held_out = corpus.split(0.8)
    assert train + held_out == corpus.text and train.endswith("\n")
    for fraction in (0, 1, 1.5):
        with pytest.raises(
            ValueError, match=f"fraction must be in \\(0, 1\\), got {fraction}"
        ):
            corpus.split(fraction)
    with pytest.raises(ValueError, match="max_bytes must be an integer >= 1, got 0"):
        data.python_docs(0)


def test_words_use_jieba_for_chinese_and_bert_rules_elsewhere():
    text = "我们在学习大语言模型的分词方法。Tokenizers split text, don't they?"
    chinese, english = text[:16], text[16:]
    assert words(text) == [
        w for w in jieba.lcut(chinese) if w.strip()
    ] + bert_pretokenize(english)


def test_word_level_counts_unknown_words_by_hand():
    # counts in the training text: the 3, cat 2, sat 1, on 1, mat 1, "." 2
    tok = WordLevel.train("the cat sat on the mat.\nthe cat.", vocab_size=4)
    assert tok.vocab == ["[UNK]", "the", ".", "cat"]  # by count, then alphabetically
    assert tok.pieces("the mat sat.") == ["the", "[UNK]", "[UNK]", "."]
    assert measure(tok, "the mat sat.")["unknown rate"] == 0.5
    assert tok.decode(tok.encode("the cat.")) == "the cat ."


def test_min_count_drops_rare_words():
    tok = WordLevel.train("a a b c c c", min_count=2)
    assert tok.vocab == ["[UNK]", "c", "a"]


def test_char_level_round_trips_what_it_saw():
    text = data.chinese().text
    tok = CharLevel.train(text)
    assert tok.decode(tok.encode(text)) == text
    assert tok.vocab_size == len(set(text)) + 1
    assert tok.pieces("我Z") == ["我", "[UNK]"]


def test_measure_by_hand():
    tok = CharLevel.train("ab")
    # two lines, newlines not counted: "ab" and "ba c" -> 2 + 4 tokens, 1 + 2 words
    result = measure(tok, "ab\nba c\n")
    assert result == {
        "tokens": 6,
        "characters": 6,
        "fertility": 2.0,
        "bytes per token": 1.0,
        "unknown rate": 2 / 6,
    }


def test_compare_trains_each_tokenizer_and_measures_pretrained_ones():
    pretrained = CharLevel.train("xyz")
    rows = compare(
        {"char": CharLevel.train},
        {"toy": ("abc", "abd")},
        pretrained={"xyz": pretrained},
    )
    assert [row["tokenizer"] for row in rows] == ["char", "xyz"]
    assert rows[0]["vocab size"] == 4 and rows[0]["training seconds"] >= 0
    assert rows[1]["training seconds"] is None and rows[1]["unknown rate"] == 1.0


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="empty corpus"):
        WordLevel.train("")
    with pytest.raises(
        TypeError, match="corpus must be a str or an iterable of str, got int"
    ):
        CharLevel.train(3)
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 2, got 1"):
        WordLevel.train("a b", vocab_size=1)
    with pytest.raises(ValueError, match="min_count must be an integer >= 1, got 0"):
        WordLevel.train("a b", min_count=0)
    tok = CharLevel.train("ab")
    with pytest.raises(TypeError, match="text must be a str, got list"):
        tok.encode(["a"])
    with pytest.raises(
        ValueError, match="id 3 is not in the vocabulary: ids run from 0 to 2"
    ):
        tok.decode([3])
    with pytest.raises(ValueError, match="text must give at least one token"):
        measure(tok, "\n\n")
    with pytest.raises(ValueError, match="rows must be a non-empty list of dicts"):
        table([])
