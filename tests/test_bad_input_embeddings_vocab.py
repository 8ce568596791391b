"""Bad input for chapter 2's corpus, vocabulary and Huffman callables
(llmviz.embeddings.corpus, .vocab, .huffman): each bad value of each parameter is refused
with a ValueError or TypeError naming it, and valid calls leave their inputs alone
(tests/bad_input.py)."""

from __future__ import annotations

import math

import numpy as np

from llmviz.embeddings.corpus import MAX_SENTENCES, chinese_sentences, english_sentences
from llmviz.embeddings.huffman import MAX_WORDS, expected_code_length, huffman_codes
from llmviz.embeddings.vocab import (
    MAX_VOCAB,
    Vocab,
    build_vocab,
    encode,
    keep_probability,
    noise_distribution,
    noise_table,
)
from tests.bad_input import INT, REAL, VALUES, Case, bad_input_test, keeps_inputs_test

SENTENCES = [["大", "语言", "模型"], ["语言", "模型"], ["模型"]]


def counts_kind(maximum: int = MAX_VOCAB):
    """Counts: a non-empty 1-D array (or list) of integers >= 1, at most ``maximum``."""
    return VALUES(
        ("None", None), ("str", "321"), ("int", 3), ("dict", {"a": 1}),
        ("floats", np.array([3.0, 2.0])), ("nan", np.array([np.nan, 1.0])),
        ("bools", np.array([True, False])), ("2-D", np.ones((2, 2), dtype=np.int64)),
        ("empty", np.zeros(0, dtype=np.int64)), ("zero", [3, 0]), ("negative", [3, -1]),
        ("ragged", [[1, 2], [3]]), ("words", ["a", "b"]), ("huge int", [2**70]),
        ("absurd size", np.broadcast_to(np.int64(1), (maximum + 1,))),
    )  # fmt: skip


SENTENCES_KIND = VALUES(
    ("None", None), ("str", "大 语言 模型"), ("flat list", ["大", "语言"]),
    ("int word", [["大", 3]]), ("bytes word", [[b"a"]]), ("dict", {"a": ["b"]}),
    ("sentence as str", ["大语言"]),
)  # fmt: skip
NO_WORDS = VALUES(("no sentences", []), ("empty sentences", [[], []]))
VOCAB = Vocab(("模型", "语言", "大"), np.array([3, 2, 1]))


def both(*kinds):
    return lambda valid: [bad for kind in kinds for bad in kind(valid)]


CASES = [
    Case("english_sentences", english_sentences, lambda: {"max_sentences": 3},
         {"max_sentences": INT(1, MAX_SENTENCES, none=True)}),
    Case("chinese_sentences", chinese_sentences, dict, {}),
    Case("Vocab", Vocab, lambda: {"words": ("a", "b"), "counts": np.array([2, 1])},
         {"words": VALUES(("None", None), ("list", ["a", "b"]), ("int", (1, 2)),
                          ("repeated", ("a", "a")), ("too few", ("a",))),
          "counts": counts_kind()}),
    Case("build_vocab", build_vocab, lambda: {"sentences": SENTENCES, "min_count": 2},
         {"sentences": both(SENTENCES_KIND, NO_WORDS),
          "min_count": both(INT(1, 10**8), VALUES(("above every count", 4)))}),
    Case("encode", encode, lambda: {"vocab": VOCAB, "sentences": SENTENCES},
         {"vocab": VALUES(("None", None), ("dict", {"大": 0}), ("tuple", ("大",))),
          "sentences": SENTENCES_KIND}),
    Case("keep_probability", keep_probability, lambda: {"counts": [9, 3, 1], "sample": 0.1},
         {"counts": counts_kind(), "sample": REAL(0, 1, open_max=True)}),
    Case("noise_distribution", noise_distribution, lambda: {"counts": [9, 3, 1], "power": 0.75},
         {"counts": counts_kind(), "power": REAL(-2, 2)}),
    Case("noise_table", noise_table, lambda: {"counts": [9, 3, 1], "power": 0.75},
         {"counts": counts_kind(), "power": REAL(-2, 2)}),
    Case("huffman_codes", huffman_codes, lambda: {"counts": np.array([9, 3, 1])},
         {"counts": counts_kind(MAX_WORDS)}),
    Case("expected_code_length", expected_code_length,
         lambda: {"counts": [2, 1, 1], "codes": [[0], [1, 0], "11"]},
         {"counts": both(counts_kind(), VALUES(("one too many", [2, 1, 1, 1]))),
          "codes": VALUES(("None", None), ("str", "0 10 11"), ("too few", [[0], [1]]),
                          ("int code", [[0], 3, [1, 1]]), ("None code", [[0], None, [1]]),
                          ("2-D code", [[0], np.zeros((2, 2)), [1]]), ("nan", math.nan))}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.embeddings.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
