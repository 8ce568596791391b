"""Bad input for issue 19's fast BPE trainer (``llmviz.tokenization.train_bpe_fast``):
the readable trainer's parameters, refused the same way (tests/bad_input.py)."""

from __future__ import annotations

from llmviz.tokenization import train_bpe_fast
from tests.bad_input import Case, bad_input_test, keeps_inputs_test
from tests.test_bad_input_tokenization import _trainer_args, _trainer_params

CASES = [
    Case(
        "llmviz.tokenization.train_bpe_fast",
        train_bpe_fast,
        _trainer_args,
        _trainer_params(),
    )
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
