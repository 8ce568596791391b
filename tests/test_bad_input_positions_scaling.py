"""Bad input to the public callables of chapter 6's sections on why RoPE's scalings work
(``llmviz.positions.ntk``) and on the value-side and disentangled relative terms
(``llmviz.positions.disentangled``), and PI's fine-tune (``llmviz.positions.pi_finetune``):
each bad value of each parameter raises a clear
``ValueError`` or ``TypeError`` naming it, and a valid call changes none of its
arguments. The harness and the kinds are in tests/bad_input.py.
"""

from __future__ import annotations

import math

import torch

from llmviz.models import pretrained
from llmviz.positions.disentangled import deberta_buckets, deberta_terms, shaw_values
from llmviz.positions.ntk import (
    by_parts_ramp,
    counter_digits,
    extrapolated_pairs,
    frequency_ratios,
    ntk_aware_theta,
    ntk_factor_needed,
)
from llmviz.positions.pi_finetune import scaled_twin, validation_rows
from llmviz.positions.rope import default_inv_freq
from tests.bad_input import (
    BOOL,
    BOTH,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

POSITIVE = REAL(0, math.inf, open_min=True)
FACTOR = REAL(1.0, 1e6)
HEAD_DIM = BOTH(INT(4, 2**16), VALUES(("odd", 7)))
LENGTH = INT(1, 2**20)
FREQUENCIES = BOTH(
    TENSOR((1,), mismatch=True),
    VALUES(("zero", torch.zeros(4)), ("negative", -torch.ones(4))),
)
# a head scaled by a factor: what frequency_ratios and ntk_factor_needed both take
SCALED_HEAD = {
    "head_dim": 64,
    "factor": 4.0,
    "original_max_position_embeddings": 128,
    "rope_theta": 10000.0,
}
SCALED_HEAD_KINDS = {
    "head_dim": HEAD_DIM,
    "factor": FACTOR,
    "original_max_position_embeddings": LENGTH,
    "rope_theta": POSITIVE,
}

CASES = [
    Case(
        "llmviz.positions.counter_digits",
        counter_digits,
        lambda: {
            "positions": torch.tensor([0.0, 12.5, 999.0]),
            "base": 10,
            "digits": 3,
        },
        {"positions": TENSOR((1,)), "base": INT(2, 2**16), "digits": INT(1, 32)},
    ),
    Case(
        "llmviz.positions.ntk_aware_theta",
        ntk_aware_theta,
        lambda: {"rope_theta": 10000.0, "factor": 4.0, "head_dim": 64},
        {"rope_theta": POSITIVE, "factor": FACTOR, "head_dim": HEAD_DIM},
    ),
    Case(
        "llmviz.positions.frequency_ratios",
        frequency_ratios,
        lambda: dict(SCALED_HEAD),
        SCALED_HEAD_KINDS,
    ),
    Case(
        "llmviz.positions.extrapolated_pairs",
        extrapolated_pairs,
        lambda: {
            "inv_freq": default_inv_freq(8),
            "scaled_inv_freq": default_inv_freq(8) / 2,
            "original_max_position_embeddings": 128,
            "factor": 2.0,
        },
        {
            "inv_freq": FREQUENCIES,
            "scaled_inv_freq": FREQUENCIES,
            "original_max_position_embeddings": LENGTH,
            "factor": FACTOR,
        },
    ),
    Case(
        "llmviz.positions.ntk_factor_needed",
        ntk_factor_needed,
        lambda: dict(SCALED_HEAD),
        SCALED_HEAD_KINDS,
    ),
    Case(
        "llmviz.positions.by_parts_ramp",
        by_parts_ramp,
        lambda: {
            "inv_freq": default_inv_freq(8),
            "original_max_position_embeddings": 128,
            "beta_fast": 32.0,
            "beta_slow": 1.0,
        },
        {
            "inv_freq": BOTH(TENSOR((1,)), VALUES(("zero", torch.zeros(4)))),
            "original_max_position_embeddings": LENGTH,
            "beta_fast": BOTH(POSITIVE, VALUES(("below beta_slow", 0.5))),
            "beta_slow": POSITIVE,
        },
    ),
]


def _shaw() -> dict:
    weights = torch.softmax(torch.randn(2, 4, 4), -1)
    return {
        "weights": weights,
        "v": torch.randn(2, 4, 3),
        "relative_values": torch.randn(5, 3),
        "max_relative_position": 2,
    }


def _deberta() -> dict:
    return {
        "q": torch.randn(2, 4, 3),
        "k": torch.randn(2, 4, 3),
        "relative_queries": torch.randn(4, 3),
        "relative_keys": torch.randn(4, 3),
        "max_relative_position": 2,
        "p2c_as_code": False,
    }


CASES += [
    Case(
        "llmviz.positions.shaw_values",
        shaw_values,
        _shaw,
        {
            "weights": TENSOR((2, 3, 4), mismatch=True),
            "v": TENSOR((3,), mismatch=True),
            "relative_values": TENSOR((2,), mismatch=True),
            "max_relative_position": BOTH(INT(0, 2**20), VALUES(("other table", 3))),
        },
    ),
    Case(
        "llmviz.positions.deberta_buckets",
        deberta_buckets,
        lambda: {"length": 6, "max_relative_position": 2},
        {"length": INT(1, 4096), "max_relative_position": INT(1, 2**20)},
    ),
    Case(
        "llmviz.positions.deberta_terms",
        deberta_terms,
        _deberta,
        {
            "q": TENSOR((2, 3, 4), mismatch=True),
            "k": TENSOR((3,), mismatch=True),
            "relative_queries": TENSOR((2,), mismatch=True),
            "relative_keys": TENSOR((2,), mismatch=True),
            "max_relative_position": BOTH(INT(1, 2**20), VALUES(("other table", 3))),
            "p2c_as_code": BOOL(),
        },
    ),
]

CASES += [
    Case(
        "llmviz.positions.pi_finetune.validation_rows",
        validation_rows,
        lambda: {"stream": torch.arange(20_000), "length": 256, "bos_id": 0},
        {
            "stream": TENSOR((1,), floating=False),
            "length": INT(2, 16_384),
            "bos_id": INT(0),
        },
    ),
    Case(
        "llmviz.positions.pi_finetune.scaled_twin",
        scaled_twin,
        lambda: {
            "model": pretrained.load_tinygpt("tinygpt")[0],
            "factor": 2.0,
            "length": 256,
        },
        {
            "model": VALUES(("None", None), ("str", "tinygpt")),
            "factor": REAL(0, math.inf, open_min=True, none=True),
            "length": INT(1, 2**20),
        },
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
