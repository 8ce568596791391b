"""Bad input for chapter 2's figures of Huffman trees, noise and subsampling, word2vec's
windows, losses and agreement, and the frame's similarity and parameter-share panels
(llmviz.viz.huffman, .word2vec and .embedding_tables): each bad value of each parameter
is refused with a ValueError or TypeError naming it, and valid calls leave their inputs
alone (tests/bad_input.py)."""

from __future__ import annotations

import math

import numpy as np
import torch

from llmviz.embeddings.huffman import huffman_codes
from llmviz.embeddings.vocab import keep_probability, noise_distribution
from llmviz.viz.embedding_tables import parameter_share_figure, similarity_panels
from llmviz.viz.huffman import huffman_tree_figure, keep_figure, noise_figure
from llmviz.viz.word2vec import agreement_figure, loss_figure, windows_figure
from tests.bad_input import (
    BOTH,
    INT,
    REAL,
    TEXT,
    VALUES,
    Case,
    Kind,
    bad_input_test,
    keeps_inputs_test,
)

NAN, INF = math.nan, math.inf
COUNTS = np.array([50, 20, 5, 3, 1])  # a toy vocabulary's counts, most frequent first
WORDS = ["的", "是", "语言", "模型", "读"]
TOKENS = ["语言", "模型", "读", "不", "懂", "文字"]


def codes() -> list[np.ndarray]:
    return huffman_codes(COUNTS)[0]  # uint8 bit arrays, as the chapter passes them


CODES = ["1", "01", "001", "0001", "0000"]  # the same codes, as strings


def first(code: object) -> list:
    """The codes with the first replaced by ``code``."""
    return [code, *CODES[1:]]


def labels_kind(count: int, none: bool = False) -> Kind:
    """A list of ``count`` str labels; ``none``: None is allowed."""
    values = [("str", "的是"), ("int", 3), ("dict", {"a": 1}), ("a label short",
              WORDS[: count - 1]), ("a label more", [*WORDS[:count], "x"])]  # fmt: skip
    return VALUES(*values, *([] if none else [("None", None), ("empty", [])]))


def vector_kind(*extra: tuple[str, object]) -> Kind:
    """A 1-D array of finite numbers (list, NumPy or torch)."""
    return VALUES(
        ("None", None), ("str", "0.5 0.5"), ("dict", {"a": 0.5}), ("empty", []),
        ("2-D", [[0.2, 0.3], [0.1, 0.4]]), ("scalar", 0.5), ("nan", [NAN, 0.5]),
        ("inf", np.array([INF, 0.5])), ("text entries", ["a", "b"]),
        ("ragged", [[0.1], [0.2, 0.3]]), ("nan tensor", torch.tensor([NAN, 0.5])),
        *extra,
    )  # fmt: skip


def share(n: int = len(COUNTS)) -> np.ndarray:
    return COUNTS[:n] / COUNTS.sum()


PROBABILITIES = vector_kind(
    ("a word short", share(4)), ("negative", [-0.1, 0.5, 0.3, 0.2, 0.1]),
    ("above 1", [1.5, 0.1, 0.1, 0.1, 0.1]),
)  # fmt: skip
HUFFMAN = [
    Case(
        "huffman_tree_figure",
        huffman_tree_figure,
        lambda: {
            "labels": list(WORDS),
            "codes": codes(),
            "word": 4,
            "title": "t",
            "hover": [f"{w}, seen {c}×" for w, c in zip(WORDS, COUNTS, strict=True)],
        },
        {
            "labels": labels_kind(len(WORDS)),
            "codes": VALUES(
                ("None", None),
                ("str", "0101"),
                ("int", 3),
                ("empty", []),
                ("one code", ["0"]),
                ("not prefix-free", ["0", "01", "001", "0001", "00"]),
                ("not bits", first("2")),
                ("empty code", first("")),
                ("None code", first(None)),
                ("nan bit", first(np.array([NAN]))),
                ("fraction bit", first(np.array([0.5]))),
                ("negative bit", first(np.array([-1]))),
                ("dict code", first({"a": 1})),
                ("str bits", first(["1"])),
                ("ragged code", first([[1], [0, 1]])),
                ("2-D code", first(np.ones((1, 1)))),
            ),
            "word": INT(0, len(WORDS) - 1),
            "title": TEXT(none=True),
            "hover": labels_kind(len(WORDS), none=True),
        },
    ),  # fmt: skip
    Case(
        "noise_figure",
        noise_figure,
        lambda: {
            "probabilities": noise_distribution(COUNTS, 0.75),
            "unigram": noise_distribution(COUNTS, 1.0),
            "title": "t",
            "power": 0.75,
        },
        {
            "probabilities": PROBABILITIES,
            "unigram": PROBABILITIES,
            "title": TEXT(none=True),
            "power": REAL(-2, 2, none=True),
        },
    ),  # fmt: skip
    Case(
        "keep_figure",
        keep_figure,
        lambda: {
            "frequencies": share(),
            "title": "t",
            "labels": list(WORDS),
            "keep": {
                f"sample {s:g}": keep_probability(COUNTS, s) for s in (1e-1, 1e-2)
            },
        },
        {
            "frequencies": vector_kind(
                ("negative", [-0.1, 0.5, 0.3, 0.2, 0.1]), ("above 1", [1.5] * 5)
            ),
            "keep": VALUES(
                ("None", None),
                ("list", [[1.0] * 5]),
                ("empty", {}),
                ("None values", {"a": None}),
                ("str values", {"a": "0.5"}),
                ("empty values", {"a": []}),
                ("2-D values", {"a": [[1.0] * 5]}),
                ("nan", {"a": [NAN, 1, 1, 1, 1]}),
                ("inf", {"a": [INF, 1, 1, 1, 1]}),
                ("a word short", {"a": [1.0] * 4}),
                ("above 1", {"a": [1.5, 1, 1, 1, 1]}),
                ("negative", {"a": [-0.5, 1, 1, 1, 1]}),
            ),
            "title": TEXT(none=True),
            "labels": labels_kind(len(WORDS), none=True),
        },
    ),  # fmt: skip
]

TOKEN_LIST = VALUES(
    ("str", "语言 模型"), ("int tokens", [1, 2, 3]), ("one token", ["a"]),
    ("too many", ["a"] * 17), ("dict", {"a": 1}), ("bytes tokens", [b"a", b"b"]),
)  # fmt: skip
SERIES = VALUES(
    ("None", None), ("str", "losses"), ("list", [3.0, 2.0]), ("empty", {}),
    ("None series", {"a": None}), ("str series", {"a": "abc"}),
    ("empty series", {"a": []}), ("2-D series", {"a": [[3.0, 2.0]]}),
    ("nan", {"a": [3.0, NAN]}), ("inf", {"a": [INF, 2.0]}),
    ("scalar series", {"a": 3.0}), ("ragged series", {"a": [[3.0], [2.0, 1.0]]}),
)  # fmt: skip
XS = [0.5, 1.0, -2.0, 0.0]
POINTS = VALUES(
    ("None", None), ("str", "0.5 1.0"), ("dict", {"a": 1.0}), ("empty", []),
    ("2-D", [XS]), ("scalar", 0.5), ("nan", [NAN, 1.0, -2.0, 0.0]),
    ("inf", [0.5, INF, -2.0, 0.0]), ("a point short", XS[:-1]),
    ("text entries", ["a", "b", "c", "d"]),
)  # fmt: skip
WORD2VEC = [
    Case(
        "windows_figure",
        windows_figure,
        lambda: {
            "tokens": list(TOKENS),
            "centre": 2,
            "window": 2,
            "title": "t",
            "glosses": ["language", "model", "read", "not", "understand", "text"],
        },
        {
            "tokens": BOTH(TOKEN_LIST, VALUES(("None", None), ("empty", []))),
            "centre": INT(0, len(TOKENS) - 1),
            "window": INT(1, 16),
            "glosses": BOTH(TOKEN_LIST, VALUES(("a gloss short", ["a"] * 5))),
            "title": TEXT(none=True),
        },
    ),  # fmt: skip
    Case(
        "loss_figure",
        loss_figure,
        lambda: {
            "losses": {
                "skip-gram": [3.0, 2.5, 2.0, 1.8],
                "CBOW": np.array([3.2, 2.0, 1.9, 1.5]),
            },
            "epochs": 2,
            "smooth": 2,
            "title": "t",
        },
        {
            "losses": SERIES,
            "epochs": INT(1, 10_000),
            "smooth": INT(1, 10_000),
            "title": TEXT(none=True),
        },
    ),  # fmt: skip
    Case(
        "agreement_figure",
        agreement_figure,
        lambda: {
            "x": list(XS),
            "y": np.array([0.4, 1.1, -1.5, 0.2]),
            "x_title": "shifted PMI",
            "y_title": "learned score",
            "title": "t",
        },
        {
            "x": POINTS,
            "y": POINTS,
            "x_title": TEXT(),
            "y_title": TEXT(),
            "title": TEXT(none=True),
        },
    ),  # fmt: skip
]


def cosines(n: int = len(WORDS)) -> np.ndarray:
    vectors = np.random.default_rng(0).normal(size=(n, 3))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors @ vectors.T


MATRICES = VALUES(
    ("None", None), ("list", [np.eye(5)]), ("empty", {}), ("None matrix", {"a": None}),
    ("str matrix", {"a": "eye"}), ("1-D matrix", {"a": [1.0] * 5}),
    ("empty matrix", {"a": np.zeros((0, 0))}), ("not square", {"a": np.eye(5)[:4]}),
    ("nan", {"a": np.full((5, 5), NAN)}), ("inf", {"a": np.full((5, 5), INF)}),
    ("above 1", {"a": 2 * np.eye(5)}), ("int key", {3: np.eye(5)}),
    ("3-D matrix", {"a": np.eye(5)[None]}),
)  # fmt: skip
PARTS = VALUES(
    ("None", None), ("list", [[20.0, 5.0]]), ("empty", {}), ("None shares", {"e": None}),
    ("str shares", {"e": "20"}), ("empty shares", {"e": []}),
    ("2-D shares", {"e": [[20.0, 5.0]]}), ("nan", {"e": [NAN, 5.0]}),
    ("inf", {"e": [INF, 5.0]}), ("negative", {"e": [-1.0, 5.0]}),
    ("above 100", {"e": [120.0, 5.0]}), ("int key", {3: [20.0, 5.0]}),
)  # fmt: skip
TABLES = [
    Case(
        "similarity_panels",
        similarity_panels,
        lambda: {
            "words": list(WORDS),
            "title": "t",
            "matrices": {"one-hot": np.eye(5), "learned": cosines()},
        },
        {"words": labels_kind(len(WORDS)), "matrices": MATRICES, "title": TEXT()},
    ),  # fmt: skip
    Case(
        "parameter_share_figure",
        parameter_share_figure,
        lambda: {
            "models": ["TinyGPT", "Llama-2-7B"],
            "title": "t",
            "parts": {"embedding": [25.0, 3.9], "rest": [75.0, 96.1]},
        },
        {"models": BOTH(labels_kind(2)), "parts": PARTS, "title": TEXT()},
    ),  # fmt: skip
]

CASES = HUFFMAN + WORD2VEC + TABLES
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.viz.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
