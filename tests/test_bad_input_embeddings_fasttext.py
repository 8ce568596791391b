"""Bad input for fastText's public callables (llmviz.embeddings.fasttext,
.fasttext_train, .classifier): each bad value of each parameter is refused with a
ValueError or TypeError naming it, and valid calls leave their inputs alone
(tests/bad_input.py)."""

from __future__ import annotations

import numpy as np
import torch

from llmviz.embeddings.classifier import (
    FastTextClassifier,
    classifier_accuracy,
    classify,
    labelled_examples,
    split_examples,
    text_features,
    text_words,
    train_classifier,
)
from llmviz.embeddings.fasttext import (
    MAX_BUCKET,
    MAX_N,
    char_ngrams,
    ft_hash,
    ngram_buckets,
    oov_vector,
    table_sizes,
)
from llmviz.embeddings.fasttext_train import subword_rows, train_fasttext, word_vector
from llmviz.embeddings.vocab import Vocab
from llmviz.viz.ngrams import ngram_buckets_figure
from tests.bad_input import (
    BOTH,
    INT,
    REAL,
    TENSOR,
    TEXT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

WORD = BOTH(TEXT(empty=True), VALUES(("too long", "a" * 2000)))
MINN = INT(1, MAX_N)
MAXN = BOTH(INT(1, MAX_N), VALUES(("below minn", 2)))


def table() -> torch.Tensor:
    return torch.randn(7, 3, generator=torch.Generator().manual_seed(0))


CASES = [
    Case("char_ngrams", char_ngrams, lambda: {"word": "where", "minn": 3, "maxn": 6},
         {"word": WORD, "minn": MINN, "maxn": MAXN}),
    Case("ft_hash", ft_hash, lambda: {"text": "<wh"},
         {"text": BOTH(TEXT(), VALUES(("too long", "a" * 2000)))}),
    Case("ngram_buckets", ngram_buckets,
         lambda: {"word": "中文", "minn": 3, "maxn": 6, "bucket": 100},
         {"word": WORD, "minn": MINN, "maxn": MAXN, "bucket": INT(1, MAX_BUCKET)}),
    Case("oov_vector", oov_vector,
         lambda: {"word": "cats", "ngram_vectors": table(), "minn": 3, "maxn": 6},
         {"word": WORD, "ngram_vectors": TENSOR((2,)), "minn": MINN, "maxn": MAXN}),
    Case("table_sizes", table_sizes,
         lambda: {"vocab_size": 10, "vector_size": 4, "bucket": 100},
         {"vocab_size": INT(1, 10**9), "vector_size": INT(1, 1 << 16),
          "bucket": INT(0, MAX_BUCKET)}),
]  # fmt: skip
VOCAB = Vocab(("cat", "sat", "mat"), np.array([3, 2, 2]))
IDS = [np.array([0, 1, 2, 0]), np.array([2, 1, 0])]
VOCAB_KIND = VALUES(("None", None), ("tuple", ("cat",)), ("dict", {"cat": 3}))
RUN = {"bucket": 11, "vector_size": 4, "window": 2, "epochs": 1, "sample": 0.0}
RESULT = train_fasttext(IDS, VOCAB, **RUN)
SIZES = dict(minn=INT(1, MAX_N), maxn=MAXN)

CASES += [
    Case(
        "train_fasttext",
        train_fasttext,
        lambda: {
            "sentences_ids": [a.copy() for a in IDS],
            "vocab": VOCAB,
            **RUN,
            "negative": 2,
            "alpha": 0.025,
            "batch_size": 8,
            "seed": 0,
            "minn": 3,
            "maxn": 6,
        },
        {
            "sentences_ids": VALUES(
                ("None", None),
                ("empty", []),
                ("lists", [[0, 1]]),
                ("float ids", [np.array([0.5, 1.0])]),
                ("beyond the vocabulary", [np.array([0, 7])]),
                ("negative id", [np.array([0, -1])]),
                ("one token", [np.array([0])]),
            ),
            "vocab": VOCAB_KIND,
            "bucket": INT(1, MAX_BUCKET),
            "vector_size": INT(1, 1024),
            "window": INT(1, 100),
            "epochs": INT(0, 1000),
            "sample": REAL(0, 1),
            "negative": INT(1, 100),
            "alpha": REAL(0, 10, open_min=True),
            "batch_size": INT(1, 1 << 20),
            "seed": INT(0, 2**32 - 1),
            **SIZES,
        },
    ),
    Case(
        "subword_rows",
        subword_rows,
        lambda: {"vocab": VOCAB, "minn": 3, "maxn": 6, "bucket": 11},
        {"vocab": VOCAB_KIND, "bucket": INT(1, MAX_BUCKET), **SIZES},
    ),
    Case(
        "word_vector",
        word_vector,
        lambda: {"result": RESULT, "vocab": VOCAB, "word": "cats"},
        {
            "result": VALUES(("None", None), ("tensor", torch.zeros(3, 4))),
            "vocab": VOCAB_KIND,
            "word": WORD,
        },
    ),
    Case(
        "FastTextResult.vectors",
        lambda vocab: RESULT.vectors(vocab),
        lambda: {"vocab": VOCAB},
        {"vocab": VOCAB_KIND},
    ),
]
TRAINED = train_classifier(
    [("a", "sunny warm day"), ("b", "goal scored 进球")], epochs=1
)
PAIRS = VALUES(("None", None), ("empty", []), ("str", "a b"), ("triples", [("a", "b", "c")]),
               ("non-str label", [(1, "text")]))  # fmt: skip


def pairs() -> list[tuple[str, str]]:
    return [("a", "sunny warm day"), ("b", "goal scored"), ("a", "rain"), ("b", "进球")]


TEXT_LIST = VALUES(("None", None), ("empty", []), ("str", "rain"), ("ints", [1, 2]))
CLS_SIZES = {"minn": INT(1, 64), "maxn": BOTH(INT(0, 64), VALUES(("below minn", 1))),
             "word_ngrams": INT(1, 2), "bucket": INT(1, MAX_BUCKET)}  # fmt: skip

CASES += [
    Case("labelled_examples", labelled_examples, dict, {}),
    Case(
        "text_words",
        text_words,
        lambda: {"text": "明天有雨 rain"},
        {"text": BOTH(TEXT(), VALUES(("too long", "a" * 20_000)))},
    ),
    Case(
        "split_examples",
        split_examples,
        lambda: {"examples": pairs(), "test_fraction": 0.5, "seed": 0},
        {
            "examples": PAIRS,
            "test_fraction": REAL(0, 1, open_min=True, open_max=True),
            "seed": INT(0, 2**32 - 1),
        },
    ),
    Case(
        "text_features",
        text_features,
        lambda: {
            "tokens": ["rain", "雨"],
            "index": {"rain": 0},
            "minn": 2,
            "maxn": 4,
            "word_ngrams": 1,
            "bucket": 10,
        },
        {
            "tokens": VALUES(
                ("None", None), ("str", "rain"), ("empty word", [""]), ("ints", [1])
            ),
            **CLS_SIZES,
        },
    ),
    Case(
        "FastTextClassifier",
        FastTextClassifier,
        lambda: {"num_features": 10, "num_labels": 3, "hidden_size": 4},
        {
            "num_features": INT(1, MAX_BUCKET),
            "num_labels": INT(2, 10_000),
            "hidden_size": INT(1, 4096),
        },
    ),
    Case(
        "train_classifier",
        train_classifier,
        lambda: {
            "examples": pairs(),
            "minn": 2,
            "maxn": 4,
            "word_ngrams": 1,
            "bucket": 16,
            "hidden_size": 4,
            "epochs": 1,
            "lr": 1.0,
            "batch_size": 2,
            "seed": 0,
        },
        {
            "examples": BOTH(PAIRS, VALUES(("one label", [("a", "x"), ("a", "y")]))),
            "hidden_size": INT(1, 4096),
            "epochs": INT(1, 10_000),
            "lr": REAL(0, 100, open_min=True),
            "batch_size": INT(1, 1 << 16),
            "seed": INT(0, 2**32 - 1),
            **CLS_SIZES,
        },
    ),
    Case(
        "classify",
        classify,
        lambda: {"trained": TRAINED, "texts": ["rain today"]},
        {
            "trained": VALUES(("None", None), ("model", TRAINED.model)),
            "texts": TEXT_LIST,
        },
    ),
    Case(
        "classifier_accuracy",
        classifier_accuracy,
        lambda: {"trained": TRAINED, "examples": pairs()},
        {
            "trained": VALUES(("None", None), ("model", TRAINED.model)),
            "examples": PAIRS,
        },
    ),
    Case("TrainedClassifier", lambda: TRAINED, dict, {}),
]
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.embeddings.{case.name}"

CASES.append(Case(
    "llmviz.viz.ngram_buckets_figure", ngram_buckets_figure,
    lambda: {"words": {"ab": [("<ab", 1), ("ab>", 2)]}, "bucket": 4, "title": "t"},
    {"words": VALUES(("None", None), ("empty", {}), ("no pairs", {"a": []}),
                     ("bucket out of range", {"a": [("<a>", 9)]}),
                     ("too many", {"a": [("<a>", 0)] * 300})),
     "bucket": INT(1, 2**31 - 1), "title": BOTH(TEXT(), VALUES(("blank", " ")))},
))  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
