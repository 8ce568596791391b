"""Bad input for chapter 1's issue-18 modules (SentencePiece's two modes, WordPiece's
limits, the streaming UTF-8 decoder, the word-vocabulary costs): each bad value of each
parameter is refused with a ValueError or TypeError naming it, and valid calls leave
their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

from functools import cache

from llmviz.tokenization import WordLevel, WordPiece, train_bpe
from llmviz.tokenization.sentencepiece_modes import (
    TINY,
    ByteFallbackBPE,
    byte_pieces,
    pieces_and_scores,
    sampling_probability,
    train_mode,
)
from llmviz.tokenization.unigram import TINY_VOCABULARY, Unigram
from llmviz.tokenization.utf8_stream import (
    Utf8Stream,
    decode_stream,
    held_back,
    token_bytes,
)
from llmviz.tokenization.word_vocab import (
    distinct_ids,
    shares_stem,
    types_for_coverage,
    word_families,
)
from llmviz.tokenization.wordpiece_limits import both_forms, fewest_pieces, unknown_cost
from tests.bad_input import (
    BOTH,
    INT,
    REAL,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

M = "llmviz.tokenization."
NOT_BYTES = VALUES(("None", None), ("str", "abc"), ("int", 3), ("list", [1, 2]))
NOT_A_LIST = VALUES(("None", None), ("str", "walk"), ("int", 3))


@cache
def _bpe():
    return train_bpe("中文 low lower\n", 260)


def _wordpiece() -> WordPiece:
    return WordPiece({"[UNK]": 0, "a": 1, "##b": 2})


CASES = [
    Case(
        M + "sentencepiece_modes.train_mode",
        train_mode,
        lambda: {
            "corpus": "low lower lowest\n中文\n" * 3,
            "vocab_size": 280,
            "mode": "bpe",
        },
        {
            "corpus": VALUES(
                ("None", None), ("int", 3), ("bytes", b"ab"), ("empty", "")
            ),
            "vocab_size": BOTH(INT(minimum=4), VALUES(("too large", 10**5))),
            "mode": VALUES(("unknown", "word"), ("None", None), ("int", 1)),
        },
    ),  # fmt: skip
    Case(
        M + "sentencepiece_modes.pieces_and_scores",
        pieces_and_scores,
        lambda: {"processor": train_mode("low lower\n" * 3, 270, "bpe")},
        {
            "processor": VALUES(
                ("None", None), ("str", "model"), ("Unigram", Unigram(TINY_VOCABULARY))
            )
        },
    ),  # fmt: skip
    Case(
        M + "sentencepiece_modes.byte_pieces",
        byte_pieces,
        lambda: {"text": "中"},
        {"text": TEXT()},
    ),  # fmt: skip
    Case(
        M + "sentencepiece_modes.sampling_probability",
        sampling_probability,
        lambda: {
            "model": Unigram(TINY_VOCABULARY),
            "text": "ab",
            "pieces": ["a", "b"],
            "alpha": 0.5,
        },
        {
            "model": VALUES(("None", None), ("str", "m")),
            "text": BOTH(TEXT(empty=True), VALUES(("other text", "ba"))),
            "pieces": VALUES(
                ("None", None),
                ("str", "ab"),
                ("wrong", ["a"]),
                ("unknown piece", ["c"]),
                ("list of int", [1, 2]),
            ),
            "alpha": REAL(0, open_min=True),
        },
    ),  # fmt: skip
    Case(
        M + "sentencepiece_modes.ByteFallbackBPE",
        ByteFallbackBPE,
        lambda: {"pieces": list(TINY)},
        {
            "pieces": VALUES(
                ("None", None),
                ("str", "ab"),
                ("no bytes", TINY[:1] + TINY[-3:]),
                ("bad kind", [("a", 0.0, "weird")]),
                ("pairs", [("a", 0.0)]),
            )
        },
    ),  # fmt: skip
    Case(
        M + "sentencepiece_modes.ByteFallbackBPE.encode",
        lambda text: ByteFallbackBPE(TINY).encode(text),
        lambda: {"text": "ab"},
        {"text": TEXT()},
    ),  # fmt: skip
    Case(
        M + "sentencepiece_modes.ByteFallbackBPE.decode",
        lambda ids: ByteFallbackBPE(TINY).decode(ids),
        lambda: {"ids": [258]},
        {
            "ids": VALUES(
                ("None", None),
                ("str", "ab"),
                ("out of range", [10**6]),
                ("negative", [-1]),
                ("float", [1.5]),
            )
        },
    ),  # fmt: skip
    Case(
        M + "wordpiece_limits.fewest_pieces",
        fewest_pieces,
        lambda: {"word": "tokenizer", "vocab": {"token", "##izer"}, "prefix": "##"},
        {"word": TEXT(empty=True), "vocab": NOT_A_LIST, "prefix": TEXT(empty=True)},
    ),
    Case(
        M + "wordpiece_limits.both_forms",
        both_forms,
        lambda: {"vocab": {"a", "##a"}, "prefix": "##"},
        {
            "vocab": BOTH(NOT_A_LIST, VALUES(("ints", {1, 2}))),
            "prefix": TEXT(empty=True),
        },
    ),  # fmt: skip
    Case(
        M + "wordpiece_limits.unknown_cost",
        unknown_cost,
        lambda: {"wordpiece": _wordpiece(), "text": "ab abc"},
        {"wordpiece": VALUES(("None", None), ("dict", {"a": 0})), "text": TEXT()},
    ),
    Case(
        M + "utf8_stream.held_back",
        held_back,
        lambda: {"data": b"\xe4"},
        {"data": NOT_BYTES},
    ),  # fmt: skip
    Case(
        M + "utf8_stream.Utf8Stream.feed",
        lambda data: Utf8Stream().feed(data),
        lambda: {"data": b"\xe4"},
        {"data": NOT_BYTES},
    ),  # fmt: skip
    Case(
        M + "utf8_stream.decode_stream",
        lambda chunks: list(decode_stream(chunks)),
        lambda: {"chunks": [b"\xe4", b"\xb8\xad"]},
        {
            "chunks": VALUES(
                ("None", None),
                ("bytes", b"ab"),
                ("str", "ab"),
                ("list of str", ["ab"]),
                ("int", 3),
            )
        },
    ),  # fmt: skip
    Case(
        M + "utf8_stream.token_bytes",
        token_bytes,
        lambda: {"bpe": _bpe(), "ids": [1, 2]},
        {
            "bpe": VALUES(
                ("None", None), ("char-level", train_bpe("ab", 3, byte_level=False))
            ),
            "ids": VALUES(("None", None), ("str", "12"), ("out of range", [10**6])),
        },
    ),  # fmt: skip
    Case(
        M + "word_vocab.types_for_coverage",
        types_for_coverage,
        lambda: {"counts": {"the": 6, "a": 3}, "target": 0.9},
        {
            "counts": VALUES(
                ("None", None),
                ("empty", {}),
                ("list", [1, 2]),
                ("zero", {"a": 0}),
                ("float", {"a": 1.5}),
            ),
            "target": REAL(0, 1),
        },
    ),  # fmt: skip
    Case(
        M + "word_vocab.word_families",
        word_families,
        lambda: {"vocabulary": {"walk", "walks"}, "suffixes": ["", "s"], "minimum": 2},
        {
            "vocabulary": NOT_A_LIST,
            "suffixes": VALUES(("str", "s"), ("ints", [1])),
            "minimum": INT(minimum=0),
        },
    ),  # fmt: skip
    *(
        Case(
            M + f"word_vocab.{fn.__name__}",
            fn,
            lambda: {"tokenizer": WordLevel.train("walk walks"), "words": ["walk"]},
            {
                "tokenizer": VALUES(("None", None), ("str", "t")),
                "words": BOTH(NOT_A_LIST, VALUES(("empty", []), ("ints", [1]))),
            },
        )  # fmt: skip
        for fn in (distinct_ids, shares_stem)
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
