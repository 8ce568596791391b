"""Bad input for the fast byte-level encoder (llmviz.tokenization.fast_encode): each
bad value of each parameter is refused with a ValueError or TypeError naming it, and
valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

from llmviz.tokenization.bpe_train import train_bpe
from llmviz.tokenization.fast_encode import FastBPE
from llmviz.tokenization.rank_merge import merge_by_rank
from llmviz.tokenization.unigram import TINY_VOCABULARY, Unigram
from tests.bad_input import VALUES, Case, bad_input_test, keeps_inputs_test
from tests.test_bad_input_tokenization import (
    BPE_CASE,
    RANKS_CASE,
    _bpe,
    _bpe_args,
    _ranks,
)

NOT_A_LIST = (("None", None), ("str", "ab"), ("tuple", (1, 2)), ("int", 3))
MODULE = "llmviz.tokenization.fast_encode"

CASES = [
    Case(
        "llmviz.tokenization.rank_merge.merge_by_rank",
        merge_by_rank,
        lambda: {"symbols": [1, 1, 1], "ranks": {(1, 1): (0, 2), (2, 1): (1, 3)}},
        {
            "symbols": VALUES(
                *NOT_A_LIST,
                ("float id", [1.0, 1]),
                ("bool id", [True, 1]),
                ("nested", [[1], 1]),
            ),
            "ranks": VALUES(
                *NOT_A_LIST,
                ("list of pairs", [((1, 1), (0, 2))]),
                ("int value", {(1, 1): 2}),
                ("negative rank", {(1, 1): (-1, 2)}),
                ("float rank", {(1, 1): (0.5, 2)}),
                ("triple key", {(1, 1, 1): (0, 2)}),
                ("str key", {"ab": (0, 2)}),
                ("absurd rank", {(1, 1): (2**62, 2)}),
            ),
        },
    ),
    Case(f"{MODULE}.FastBPE", FastBPE, _bpe_args, BPE_CASE),
    Case(
        f"{MODULE}.FastBPE.from_bpe",
        lambda **kw: FastBPE.from_bpe(**kw),
        lambda: {"bpe": _bpe()},
        {
            "bpe": VALUES(
                ("None", None),
                ("str", "gpt2"),
                ("Unigram", Unigram(TINY_VOCABULARY)),
                ("characters", train_bpe("aaab aab", 260, byte_level=False)),
            )
        },
    ),
    Case(
        f"{MODULE}.FastBPE.from_ranks",
        lambda **kw: FastBPE.from_ranks(**kw),
        _ranks,
        RANKS_CASE,
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
