"""Bad input for chapter 2's neighbours, analogies and PCA (llmviz.embeddings.similarity
and .analogies): each bad value of each parameter is refused with a ValueError or
TypeError naming it, and valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.embeddings.analogies import analogy_accuracy, analogy_questions
from llmviz.embeddings.similarity import (
    analogy,
    nearest,
    neighbour_overlap,
    pca_2d,
)
from tests.bad_input import (
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
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.embeddings.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
