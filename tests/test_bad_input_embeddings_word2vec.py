"""Bad input for word2vec's public callables (llmviz.embeddings.word2vec,
.word2vec_pairs, .word2vec_train, .pretrained): each bad value of each parameter is
refused with a ValueError or TypeError naming it, and valid calls leave their inputs
alone (tests/bad_input.py)."""

from __future__ import annotations

import numpy as np
import torch

from llmviz.embeddings.pretrained import (
    english_vocab,
    load_output,
    load_vectors,
    training_log,
)
from llmviz.embeddings.vocab import Vocab
from llmviz.embeddings.word2vec import (
    cbow_context_grads,
    cbow_hidden,
    hs_grads,
    hs_loss,
    sgns_grads,
    sgns_loss,
)
from llmviz.embeddings.word2vec_pairs import (
    MAX_WINDOW,
    cbow_windows,
    context_positions,
    skipgram_pairs,
    subsample,
)
from llmviz.embeddings.word2vec_train import Word2VecResult, train_word2vec
from llmviz.viz.word2vec import agreement_figure, loss_figure, windows_figure
from tests.bad_input import (
    BOTH,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

B, D, K, L, C = 3, 4, 2, 5, 4
VOCAB = Vocab(("a", "b", "c", "d"), np.array([4, 3, 2, 1]))


def randn(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def ns() -> dict:
    return {"v_c": randn(B, D), "u_o": randn(B, D), "u_neg": randn(B, K, D)}


def hs() -> dict:
    mask = torch.ones(B, L, dtype=torch.bool)
    mask[0, 3:] = False
    codes = torch.tensor([[0, 1, 1, 0, 1]] * B)
    return {"h": randn(B, D), "nodes": randn(B, L, D), "codes": codes, "mask": mask}


def cbow() -> dict:
    mask = torch.ones(B, C, dtype=torch.bool)
    mask[1, 2:] = False
    return {"context": randn(B, C, D), "mask": mask}


def ids() -> list[np.ndarray]:
    return [np.array([0, 1, 2, 3, 0]), np.array([1, 0])]


BAD_MASK = VALUES(
    ("None", None), ("float", torch.ones(B, C)), ("wrong shape", torch.ones(B, C + 1, dtype=torch.bool)),
    ("a row with no context", torch.zeros(B, C, dtype=torch.bool)),
)  # fmt: skip
BAD_PATH_MASK = VALUES(
    ("float", torch.ones(B, L)), ("wrong shape", torch.ones(B, L + 1, dtype=torch.bool)),
)  # fmt: skip
BAD_CODES = BOTH(
    TENSOR((2,), floating=False, mismatch=True),
    VALUES(("a 2", torch.full((B, L), 2)), ("a -1", torch.full((B, L), -1))),
)
ANY_IDS = VALUES(  # ids of a corpus whose vocabulary size is not given
    ("None", None), ("str", "abc"), ("floats", [np.array([0.5, 1.5])]),
    ("2-D", [np.zeros((2, 2), np.int64)]), ("negative id", [np.array([-1, 0])]),
    ("a str inside", ["ab"]), ("bools", [np.array([True, False])]),
)  # fmt: skip
BAD_IDS = BOTH(ANY_IDS, VALUES(("id beyond the vocabulary", [np.array([0, 99])])))
BAD_WORDS = BOTH(BAD_IDS, VALUES(("one token in all", [np.array([0])])))
SEED = INT(0, none=True)

CASES = [
    Case("sgns_loss", sgns_loss, ns, {
        "v_c": TENSOR((2,), mismatch=True), "u_o": TENSOR((2,), mismatch=True),
        "u_neg": TENSOR((3,), mismatch=True, empty=False)}),
    Case("sgns_grads", sgns_grads, ns, {
        "v_c": TENSOR((2,), mismatch=True), "u_o": TENSOR((2,), mismatch=True),
        "u_neg": TENSOR((3,), mismatch=True, empty=False)}),
    Case("hs_loss", hs_loss, hs, {
        "h": TENSOR((2,), mismatch=True), "nodes": TENSOR((3,), mismatch=True),
        "codes": BAD_CODES, "mask": BAD_PATH_MASK}),
    Case("hs_grads", hs_grads, hs, {
        "h": TENSOR((2,), mismatch=True), "nodes": TENSOR((3,), mismatch=True),
        "codes": BAD_CODES, "mask": BAD_PATH_MASK}),
    Case("cbow_hidden", cbow_hidden, cbow, {"context": TENSOR((3,)), "mask": BAD_MASK}),
    Case("cbow_context_grads", cbow_context_grads,
         lambda: {"grad_h": randn(B, D), "mask": cbow()["mask"]},
         {"grad_h": TENSOR((2,)), "mask": VALUES(
             ("None", None), ("float", torch.ones(B, C)),
             ("wrong batch", torch.ones(B + 1, C, dtype=torch.bool)),
             ("a row with no context", torch.zeros(B, C, dtype=torch.bool)))}),
    Case("subsample", subsample,
         lambda: {"sentences_ids": ids(), "counts": [4, 3, 2, 1], "sample": 1e-3,
                  "rng": np.random.default_rng(0)},
         {"sentences_ids": BAD_IDS, "sample": REAL(0, 1, open_max=True),
          "counts": VALUES(("None", None), ("negative", [-1, 2, 3, 4]), ("empty", [])),
          "rng": VALUES(("None", None), ("int", 3))}),
    Case("context_positions", context_positions,
         lambda: {"sentences_ids": ids(), "window": 2, "seed": 0},
         {"sentences_ids": ANY_IDS, "window": INT(1, MAX_WINDOW), "seed": SEED}),
    Case("skipgram_pairs", skipgram_pairs,
         lambda: {"sentences_ids": ids(), "window": 2, "seed": 0},
         {"sentences_ids": ANY_IDS, "window": INT(1, MAX_WINDOW), "seed": SEED}),
    Case("cbow_windows", cbow_windows,
         lambda: {"sentences_ids": ids(), "window": 2, "seed": 0},
         {"sentences_ids": ANY_IDS, "window": INT(1, MAX_WINDOW), "seed": SEED}),
    Case("train_word2vec", train_word2vec,
         lambda: {"sentences_ids": ids(), "vocab": VOCAB, "sg": 1, "hs": 0, "negative": 2,
                  "vector_size": 4, "window": 2, "sample": 1e-3, "epochs": 1,
                  "alpha": 0.025, "min_alpha": 1e-4, "batch_size": 4, "seed": 0,
                  "progress": False},
         {"sentences_ids": BAD_WORDS,
          "vocab": VALUES(("None", None), ("list", ["a", "b"]),
                          ("one word", Vocab(("a",), np.array([3])))),
          "sg": INT(0, 1), "hs": BOTH(INT(0, 1), VALUES(("with negatives", 1))),
          "negative": INT(1, 100), "vector_size": INT(1, 4096), "window": INT(1, MAX_WINDOW),
          "sample": REAL(0, 1, open_max=True), "epochs": INT(1, 10_000),
          "alpha": REAL(0, 10, open_min=True), "min_alpha": REAL(0, 0.025),
          "batch_size": INT(1, 1 << 20), "seed": INT(0),
          "progress": VALUES(("None", None), ("int", 1))}),
    Case("load_vectors", load_vectors, lambda: {"name": "word2vec-en"}, {"name": CHOICE()}),
    Case("load_output", load_output, lambda: {"name": "word2vec-en"}, {"name": CHOICE()}),
    Case("training_log", training_log, lambda: {"name": "word2vec-en"}, {"name": CHOICE()}),
    Case("english_vocab", english_vocab, dict, {}),
]  # fmt: skip
CASES.append(Case("Word2VecResult", Word2VecResult,
    lambda: {"vectors": randn(4, D), "output": randn(3, D), "losses": [1.0, 0.5]},
    {"vectors": TENSOR((2,)), "output": TENSOR((2,), mismatch=True),
     "losses": VALUES(("None", None), ("nan", [float("nan")]), ("strs", ["a"]))}))  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.embeddings.{case.name}"
LIST = VALUES(("None", None), ("int", 3), ("one token", ["a"]), ("ints", [1, 2]))
VIZ = [
    Case("windows_figure", windows_figure,
         lambda: {"tokens": ["a", "b", "c", "d"], "centre": 1, "window": 1,
                  "glosses": ["w", "x", "y", "z"], "title": "t"},
         {"tokens": LIST, "centre": INT(0, 3), "window": INT(1, 16),
          "glosses": BOTH(VALUES(("too few", ["w"]), ("int", 3))), "title": TEXT(none=True)}),
    Case("loss_figure", loss_figure,
         lambda: {"losses": {"a": [3.0, 2.0, 1.0]}, "epochs": 1, "smooth": 2, "title": "t"},
         {"losses": VALUES(("None", None), ("empty", {}), ("nan", {"a": [float("nan")]}),
                           ("no losses", {"a": []})),
          "epochs": INT(1, 10_000), "smooth": INT(1, 10_000), "title": TEXT(none=True)}),
    Case("agreement_figure", agreement_figure,
         lambda: {"x": [0.0, 1.0], "y": [0.5, 1.5], "x_title": "x", "y_title": "y", "title": "t"},
         {"x": VALUES(("None", None), ("short", [0.0]), ("nan", [0.0, float("nan")])),
          "y": VALUES(("short", [0.0]), ("inf", [0.0, float("inf")])),
          "x_title": TEXT(), "y_title": TEXT(), "title": TEXT(none=True)}),
]  # fmt: skip
for case in VIZ:
    case.name = f"llmviz.viz.{case.name}"

test_bad_input = bad_input_test(CASES + VIZ)
test_keeps_inputs = keeps_inputs_test(CASES + VIZ)
