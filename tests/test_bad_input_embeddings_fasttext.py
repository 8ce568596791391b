"""Bad input for fastText's public callables (llmviz.embeddings.fasttext,
.fasttext_train, .classifier): each bad value of each parameter is refused with a
ValueError or TypeError naming it, and valid calls leave their inputs alone
(tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.embeddings.fasttext import (
    MAX_BUCKET,
    MAX_N,
    char_ngrams,
    ft_hash,
    ngram_buckets,
    oov_vector,
    table_sizes,
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
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.embeddings.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
