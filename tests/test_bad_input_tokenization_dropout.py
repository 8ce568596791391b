"""Bad input for BPE-dropout (llmviz.tokenization.bpe_dropout): each bad value of each
parameter is refused with a ValueError or TypeError naming it, and valid calls leave
their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

from functools import cache

import numpy as np

from llmviz.tokenization.bpe import BPE
from llmviz.tokenization.bpe_dropout import bpe_dropout_encode, bpe_dropout_pieces
from llmviz.tokenization.bpe_train import train_bpe
from llmviz.tokenization.unigram import TINY_VOCABULARY, Unigram
from tests.bad_input import (
    REAL,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)


@cache
def _bpe() -> BPE:
    return train_bpe("low lower lowest newer wider\n", 270, special_tokens=["<s>"])


def _args() -> dict:
    return {"bpe": _bpe(), "text": "the lowest", "p": 0.1, "seed": 0}


PARAMS = {
    "bpe": VALUES(
        ("None", None),
        ("str", "bpe"),
        ("Unigram", Unigram(TINY_VOCABULARY)),
    ),
    "text": VALUES(
        ("special token", "low<s>"),
        ("int", 3),
        ("None", None),
        ("bytes", b"low"),
        ("list", ["low"]),
    ),  # fmt: skip
    "p": REAL(0, 1),
    "seed": VALUES(
        ("None", None),
        ("str", "0"),
        ("float", 0.5),
        ("nan", float("nan")),
        ("negative", -1),
        ("bool", True),
        ("legacy RandomState", np.random.RandomState(0)),
    ),
}

CASES = [
    Case(f"llmviz.tokenization.{fn.__name__}", fn, _args, PARAMS)
    for fn in (bpe_dropout_encode, bpe_dropout_pieces)
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
