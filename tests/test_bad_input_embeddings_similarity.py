"""Bad input for chapter 2's neighbours, analogies and PCA (llmviz.embeddings.similarity
and .analogies): each bad value of each parameter is refused with a ValueError or
TypeError naming it, and valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import numpy as np
import torch

from llmviz.embeddings.analogies import analogy_accuracy, analogy_questions
from llmviz.embeddings.similarity import (
    analogy,
    context_counts,
    nearest,
    neighbour_overlap,
    pca_2d,
)
from llmviz.embeddings.toy import analogy_set, toy_sentences
from llmviz.viz.embedding_space import (
    axis_titles,
    onehot_vs_learned,
    space_panel,
    space_slider,
)
from llmviz.widgets.embeddings import draw_word_view, embedding_explorer, word_view
from tests.bad_input import (
    BOOL,
    BOTH,
    INT,
    TENSOR,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

WORDS = ("list", "lists", "int", "integer", "str", "string")


def vectors(seed: int = 0, rows: int = len(WORDS)) -> torch.Tensor:
    return torch.randn(rows, 4, generator=torch.Generator().manual_seed(seed))


VECTORS = BOTH(
    TENSOR((2,)),
    VALUES(("a row short", vectors()[:-1]), ("one word", vectors()[:1])),
)
VOCAB = VALUES(
    ("None", None), ("str", "list"), ("empty", ()), ("int words", (1, 2, 3, 4, 5, 6)),
    ("a word short", WORDS[:-1]),
)  # fmt: skip
WORD = BOTH(TEXT(), VALUES(("unknown word", "bogus")))
K = INT(1, 10_000)

CASES = [
    Case("nearest", nearest,
         lambda: {"vectors": vectors(), "vocab": WORDS, "word": "int", "k": 2},
         {"vectors": VECTORS, "vocab": VOCAB, "word": WORD, "k": K}),
    Case("analogy", analogy,
         lambda: {"vectors": vectors(), "vocab": WORDS, "a": "int", "b": "integer",
                  "c": "str", "k": 1},
         {"vectors": VECTORS, "vocab": VOCAB, "a": WORD, "b": WORD, "c": WORD, "k": K}),
    Case("analogy_accuracy", analogy_accuracy,
         lambda: {"vectors": vectors(), "vocab": WORDS,
                  "questions": [("int", "integer", "str", "string"),
                                ("list", "lists", "x", "xs")]},
         {"vectors": VECTORS, "vocab": VOCAB,
          "questions": VALUES(("None", None), ("str", "int integer str string"),
                              ("empty", []), ("three words", [("int", "integer", "str")]),
                              ("int word", [("int", "integer", "str", 5)]),
                              ("absurd", [("a", "b", "c", "d")] * 100_001))}),
    Case("neighbour_overlap", neighbour_overlap,
         lambda: {"vectors_a": vectors(), "vectors_b": vectors(1), "vocab": WORDS,
                  "words": ["int", "str"], "k": 2},
         {"vectors_a": VECTORS, "vectors_b": VECTORS, "vocab": VOCAB,
          "words": VALUES(("None", None), ("str", "int"), ("empty", []),
                          ("unknown word", ["int", "bogus"]), ("int word", [3])),
          "k": BOTH(INT(1, len(WORDS) - 1), VALUES(("every word", len(WORDS))))}),
    Case("pca_2d", pca_2d, lambda: {"vectors": vectors()},
         {"vectors": BOTH(TENSOR((2,)),
                          VALUES(("one row", vectors()[:1]), ("one column", vectors()[:, :1]),
                                 ("all equal", torch.ones(5, 3))))}),
    Case("analogy_questions", lambda: analogy_questions(), lambda: {}, {}),
]  # fmt: skip
CASES += [
    Case(
        "context_counts",
        context_counts,
        lambda: {
            "sentences_ids": [np.array([0, 1, 2]), np.array([3])],
            "vocab_size": 4,
            "window": 2,
        },
        {
            "sentences_ids": VALUES(
                ("None", None),
                ("str", "0 1 2"),
                ("float ids", [np.array([0.5, 1.0])]),
                ("2-D ids", [np.zeros((2, 2), np.int64)]),
                ("id beyond", [np.array([0, 9])]),
                ("negative id", [np.array([-1, 0])]),
            ),
            "vocab_size": INT(1, 20_000),
            "window": INT(1, 1000),
        },
    ),
    Case(
        "toy_sentences",
        toy_sentences,
        lambda: {"num_sentences": 5, "seed": 0, "consistent": True},
        {
            "num_sentences": INT(1, 200_000),
            "seed": INT(0, 2**32 - 1),
            "consistent": BOOL(),
        },
    ),
    Case("analogy_set", lambda: analogy_set(), lambda: {}, {}),
]
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.embeddings.{case.name}"

POINTS = torch.randn(len(WORDS), 2, generator=torch.Generator().manual_seed(2))
NEAR = [("str", 0.5), ("list", 0.25)]
XY = VALUES(
    ("None", None), ("str", "points"), ("3 columns", torch.zeros(len(WORDS), 3)),
    ("a row short", POINTS[:-1]), ("nan", torch.full((len(WORDS), 2), float("nan"))),
    ("empty", torch.zeros(0, 2)), ("ragged list", [[0.0, 1.0], [2.0]]),
)  # fmt: skip
RATIO = VALUES(("None", None), ("str", "0.2"), ("one", [0.2]), ("nan", [float("nan"), 0.1]),
               ("above 1", [1.5, 0.1]))  # fmt: skip
NEIGHBOURS = VALUES(("None", None), ("empty", []), ("str", "str"),
                    ("unknown word", [("bogus", 0.5)]), ("nan cosine", [("str", float("nan"))]))  # fmt: skip
VIEW_WORD = BOTH(TEXT(), VALUES(("empty", "  ")))
VIZ = [
    Case("axis_titles", axis_titles, lambda: {"ratio": [0.2, 0.1]}, {}),
    Case(
        "space_panel",
        space_panel,
        lambda: {
            "points": POINTS.clone(),
            "words": WORDS,
            "ratio": [0.3, 0.2],
            "query": "int",
            "neighbours": list(NEAR),
            "title": "t",
        },
        {
            "points": XY,
            "words": VOCAB,
            "ratio": RATIO,
            "query": BOTH(TEXT(), VALUES(("unknown", "bogus"))),
            "neighbours": NEIGHBOURS,
            "title": BOTH(TEXT(empty=True)),
        },
    ),
    Case(
        "space_slider",
        space_slider,
        lambda: {
            "points": POINTS.clone(),
            "words": WORDS,
            "ratio": [0.3, 0.2],
            "neighbours": {"int": list(NEAR), "list": [("str", 0.1)]},
            "active": 1,
            "dim": 4,
        },
        {
            "points": XY,
            "words": VOCAB,
            "ratio": RATIO,
            "neighbours": VALUES(
                ("None", None),
                ("empty", {}),
                ("unknown query", {"x": NEAR}),
                ("bad list", {"int": [("bogus", 0.1)]}),
            ),
            "active": INT(0, 1),
            "dim": INT(1, 1_000_000, none=True),
        },
    ),
    Case(
        "onehot_vs_learned",
        onehot_vs_learned,
        lambda: {
            "onehot_points": POINTS.clone(),
            "onehot_ratio": [0.2, 0.2],
            "learned_points": POINTS.clone(),
            "learned_ratio": [0.4, 0.3],
            "words": WORDS,
            "title": "t",
        },
        {
            "onehot_points": XY,
            "onehot_ratio": RATIO,
            "learned_points": XY,
            "learned_ratio": RATIO,
            "words": VOCAB,
            "title": TEXT(empty=True),
        },
    ),
]
for case in VIZ:
    case.name = f"llmviz.viz.{case.name}"
WIDGETS = [
    Case(
        "word_view",
        word_view,
        lambda: {
            "vectors": vectors(),
            "vocab": WORDS,
            "word": "int",
            "k": 2,
            "minn": 3,
            "maxn": 4,
        },
        {
            "vectors": VECTORS,
            "vocab": VOCAB,
            "word": VIEW_WORD,
            "k": INT(1, len(WORDS) - 1),
            "minn": INT(1, 64),
            "maxn": BOTH(INT(1, 64), VALUES(("below minn", 2))),
        },
    ),
    Case(
        "draw_word_view",
        draw_word_view,
        lambda: {"view": word_view(vectors(), WORDS, "int", 2)},
        {
            "view": VALUES(
                ("None", None),
                ("str", "int"),
                ("empty", {}),
                ("no ngrams", {"word": "a", "known": False, "neighbours": []}),
            )
        },
    ),
    Case(
        "embedding_explorer",
        embedding_explorer,
        lambda: {"vectors": vectors(), "vocab": WORDS, "word": "int", "k": 2},
        {
            "vectors": VECTORS,
            "vocab": VOCAB,
            "word": VIEW_WORD,
            "k": INT(1, len(WORDS) - 1),
        },
    ),
]
for case in WIDGETS:
    case.name = f"llmviz.widgets.{case.name}"
CASES += VIZ + WIDGETS

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
