"""Bad input to every public callable of ``llmviz.positions`` (chapter 6): each bad value
of each parameter raises a clear ``ValueError`` or ``TypeError`` naming it, and a valid
call changes none of its arguments. The harness and the kinds are in tests/bad_input.py.
"""

from __future__ import annotations

import math

import torch

from llmviz import positions as P
from tests.bad_input import (
    BOOL,
    BOTH,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

BIG = 2**20  # the longest sequence and farthest distance the functions accept
POSITIVE = REAL(0, math.inf, open_min=True)
ODD_LAST = ("odd last dimension", torch.ones(2, 3))
NOT_A_TENSOR = [("None", None), ("str", "tensor"), ("list", [[1, 2]]), ("int", 3)]


def positions_kind(*, ranks_bad: tuple = ()) -> VALUES:
    """Positions or distances: an integer or a float tensor, finite and not empty."""
    return VALUES(
        *NOT_A_TENSOR,
        *ranks_bad,
        ("empty", torch.zeros(0, dtype=torch.long)),
        ("bool dtype", torch.tensor([True, False])),
        ("complex dtype", torch.zeros(2, dtype=torch.complex64)),
        ("nan", torch.tensor([0.0, math.nan])),
        ("inf", torch.tensor([0.0, math.inf])),
    )


def _rotary() -> dict:
    q, k = torch.randn(2, 3, 4, 8), torch.randn(2, 1, 4, 8)  # GQA: k has fewer heads
    cos, sin = P.rope_cos_sin(torch.arange(4), 8)
    return {"q": q, "k": k, "cos": cos[None], "sin": sin[None]}


ROTARY = {  # q and k are not scanned for NaN or inf: see apply_rotary_pos_emb
    "q": BOTH(
        TENSOR((4,), finite=False, mismatch=True),
        VALUES(("odd and equal", torch.ones(1, 1, 4, 7))),
    ),
    "k": BOTH(
        TENSOR((4,), finite=False, mismatch=True),
        VALUES(("other length", torch.ones(2, 1, 5, 8))),
    ),
    "cos": BOTH(
        TENSOR((3,), mismatch=True), VALUES(("other length", torch.ones(1, 5, 8)))
    ),
    "sin": BOTH(
        TENSOR((3,), mismatch=True), VALUES(("other length", torch.ones(1, 5, 8)))
    ),
}

_XL_SHAPES = {"x_query": (3, 6), "x_key": (5, 6), "W_q": (4, 6), "W_kE": (4, 6)}
_XL_SHAPES |= {"W_kR": (4, 6), "u": (4,), "v": (4,)}


def _transformer_xl() -> dict:
    tensors = {name: torch.randn(shape) for name, shape in _XL_SHAPES.items()}
    return tensors | {"relative": -P.relative_distances(3, 5), "base": 10000.0}


def _longrope() -> dict:
    return {
        "head_dim": 8,
        "rope_type": "longrope",
        "factor": 4.0,
        "original_max_position_embeddings": 128,
        "seq_len": 300,
        "long_factor": [1.0, 2.0, 3.0, 4.0],
        "short_factor": [1.0, 1.0, 1.0, 1.0],
    }


DIVISORS = VALUES(
    ("None", None),
    ("str", "1234"),
    ("int", 3),
    ("too short", [1.0, 1.0]),
    ("a zero", [0.0, 1.0, 1.0, 1.0]),
    ("negative", [-1.0, 1.0, 1.0, 1.0]),
    ("nan", [math.nan, 1.0, 1.0, 1.0]),
    ("inf", [math.inf, 1.0, 1.0, 1.0]),
    ("not numbers", ["a", "b", "c", "d"]),
    ("2-d", [[1.0, 1.0], [1.0, 1.0]]),
)

_YARN = {
    "head_dim": 64,
    "rope_theta": 10000.0,
    "rope_type": "yarn",
    "factor": 4.0,
    "original_max_position_embeddings": 128,
    "max_position_embeddings": 512,
    "seq_len": 300,
    "beta_fast": 32.0,
    "beta_slow": 1.0,
    "mscale": 1.0,
    "mscale_all_dim": 0.5,
    "truncate": True,
    "partial_rotary_factor": 1.0,
}

HEAD_DIM = BOTH(INT(2, 2**16), VALUES(("odd", 7)))
CASES = [
    Case(
        "llmviz.positions.alibi_slopes",
        P.alibi_slopes,
        lambda: {"num_heads": 12},
        {"num_heads": INT(1, 4096)},
    ),
    Case(
        "llmviz.positions.alibi_bias",
        P.alibi_bias,
        lambda: {"num_heads": 4, "q_len": 3, "kv_len": 5},
        {"num_heads": INT(1, 4096), "q_len": INT(1, BIG), "kv_len": INT(1, BIG)},
    ),
    Case(
        "llmviz.positions.rotate_half",
        P.rotate_half,
        lambda: {"x": torch.randn(2, 4)},
        {"x": BOTH(TENSOR(), VALUES(ODD_LAST, ("0-d", torch.tensor(1.0))))},
    ),
    Case(
        "llmviz.positions.deinterleave",
        P.deinterleave,
        lambda: {"x": torch.randn(2, 4)},
        {"x": BOTH(TENSOR(), VALUES(ODD_LAST, ("0-d", torch.tensor(1.0))))},
    ),
    Case(
        "llmviz.positions.interleave",
        P.interleave,
        lambda: {"x": torch.randn(2, 4)},
        {"x": BOTH(TENSOR(), VALUES(ODD_LAST, ("0-d", torch.tensor(1.0))))},
    ),
    Case(
        "llmviz.positions.apply_rotary_pos_emb",
        P.apply_rotary_pos_emb,
        lambda: _rotary() | {"unsqueeze_dim": 1},
        ROTARY
        | {
            "unsqueeze_dim": BOTH(
                INT(None), VALUES(("out of range", 4), ("far below", -5))
            )
        },
    ),
    Case(
        "llmviz.positions.apply_interleaved_rotary_pos_emb",
        P.apply_interleaved_rotary_pos_emb,
        _rotary,
        ROTARY,
    ),
    Case(
        "llmviz.positions.rope_cos_sin",
        P.rope_cos_sin,
        lambda: {
            "positions": torch.arange(5)[None],
            "head_dim": 8,
            "rope_theta": 100.0,
            "inv_freq": torch.rand(4) + 0.1,
            "attention_factor": 1.2,
        },
        {
            "positions": positions_kind(
                ranks_bad=[("3-d", torch.zeros(1, 1, 2).long())]
            ),
            "head_dim": HEAD_DIM,
            "rope_theta": POSITIVE,
            "inv_freq": TENSOR((1,), none=True, mismatch=True),
            "attention_factor": POSITIVE,
        },
    ),
    Case(
        "llmviz.positions.rope_score_decay",
        P.rope_score_decay,
        lambda: {
            "head_dim": 8,
            "rope_theta": 100.0,
            "max_distance": 20,
            "inv_freq": torch.rand(4) + 0.1,
        },
        {
            "head_dim": HEAD_DIM,
            "rope_theta": POSITIVE,
            "max_distance": INT(0, BIG),
            "inv_freq": TENSOR((1,), none=True, mismatch=True),
        },
    ),
    Case(
        "llmviz.positions.wavelengths",
        P.wavelengths,
        lambda: {"inv_freq": torch.tensor([1.0, 0.1, 0.01])},
        {
            "inv_freq": BOTH(
                TENSOR((1,)),
                VALUES(
                    ("a zero", torch.tensor([1.0, 0.0])),
                    ("negative", torch.tensor([1.0, -0.1])),
                ),
            )
        },
    ),
    Case(
        "llmviz.positions.rope_parameters",  # yarn: the type with the most keywords
        P.rope_parameters,
        lambda: dict(_YARN),
        {
            "head_dim": HEAD_DIM,
            "rope_theta": POSITIVE,
            "rope_type": CHOICE(*P.ROPE_TYPES),
            "factor": REAL(0, math.inf, open_min=True, none=True),
            "original_max_position_embeddings": INT(1, none=True),
            "max_position_embeddings": INT(1, none=True),
            "seq_len": INT(1, none=True),
            "beta_fast": BOTH(POSITIVE, VALUES(("below beta_slow", 0.5))),
            "beta_slow": POSITIVE,
            "mscale": REAL(0, math.inf, none=True),
            "mscale_all_dim": BOTH(
                REAL(0, math.inf, none=True),
                VALUES(("zero divisor", -10 / math.log(4.0))),
            ),
            "truncate": BOOL(),
            "partial_rotary_factor": REAL(0, 1, open_min=True),
        },
    ),
    Case(
        "llmviz.positions.rope_parameters.yarn_attention_factor",
        P.rope_parameters,
        lambda: (
            _YARN | {"mscale": None, "mscale_all_dim": None, "attention_factor": 1.5}
        ),
        {"attention_factor": REAL(0, math.inf, open_min=True, none=True)},
    ),
    Case(
        "llmviz.positions.rope_parameters.longrope",
        P.rope_parameters,
        _longrope,
        {"long_factor": DIVISORS, "short_factor": DIVISORS},
    ),
    Case(
        "llmviz.positions.rope_parameters.llama3",
        P.rope_parameters,
        lambda: {
            "head_dim": 8,
            "rope_type": "llama3",
            "factor": 8.0,
            "original_max_position_embeddings": 128,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
        },
        {
            "factor": POSITIVE,
            "low_freq_factor": POSITIVE,
            "high_freq_factor": BOTH(POSITIVE, VALUES(("below low", 0.5))),
        },
    ),
    Case(
        "llmviz.positions.rope_parameters.dynamic",
        P.rope_parameters,
        lambda: {
            "head_dim": 8,
            "rope_type": "dynamic",
            "factor": 2.0,
            "max_position_embeddings": 128,
            "seq_len": 300,
        },
        {
            "head_dim": VALUES(("two", 2)),
            "factor": POSITIVE,
            "max_position_embeddings": INT(1),
        },
    ),
    Case(
        "llmviz.positions.scaled_wavelengths",
        P.scaled_wavelengths,
        lambda: {
            "rope_type": "yarn",
            "factor": 4.0,
            "beta_fast": 32.0,
            "beta_slow": 1.0,
            "rope_theta": 10000.0,
            "head_dim": 16,
            "original_max_position_embeddings": 128,
        },
        {
            "rope_type": BOTH(CHOICE(), VALUES(("longrope", "longrope"))),
            "factor": REAL(0, 1e6, open_min=True),
            "beta_fast": BOTH(POSITIVE, VALUES(("below beta_slow", 0.5))),
            "beta_slow": POSITIVE,
            "rope_theta": POSITIVE,
            "head_dim": HEAD_DIM,
            "original_max_position_embeddings": INT(1, BIG),
        },
    ),
    Case(
        "llmviz.positions.sinusoidal_encoding",
        P.sinusoidal_encoding,
        lambda: {"positions": torch.tensor([[0, 3], [-2, 7]]), "dim": 8, "base": 100.0},
        {
            "positions": positions_kind(),
            "dim": BOTH(INT(2, 2**16), VALUES(("odd", 7))),
            "base": POSITIVE,
        },
    ),
    Case(
        "llmviz.positions.sinusoidal_embeddings",
        P.sinusoidal_embeddings,
        lambda: {"num_positions": 10, "dim": 8, "base": 100.0},
        {
            "num_positions": INT(1, BIG),
            "dim": BOTH(INT(2, 2**16), VALUES(("odd", 7))),
            "base": POSITIVE,
        },
    ),
    Case(
        "llmviz.positions.position_shift",
        P.position_shift,
        lambda: {"offset": 3, "dim": 8, "base": 100.0},
        {
            "offset": INT(None),
            "dim": BOTH(INT(2, 4096), VALUES(("odd", 7))),
            "base": POSITIVE,
        },
    ),
    Case(
        "llmviz.positions.relative_distances",
        P.relative_distances,
        lambda: {"q_len": 3, "kv_len": 5},
        {
            "q_len": BOTH(INT(1, BIG), VALUES(("above kv_len", 6))),
            "kv_len": INT(1, BIG),
        },
    ),
    Case(
        "llmviz.positions.relative_positions",
        P.relative_positions,
        lambda: {"q_len": 3, "kv_len": 5, "max_relative_position": 2},
        {
            "q_len": INT(1, BIG),
            "kv_len": BOTH(INT(1, BIG), VALUES(("below q_len", 2))),
            "max_relative_position": INT(0),
        },
    ),
    Case(
        "llmviz.positions.shaw_scores",
        P.shaw_scores,
        lambda: {
            "q": torch.randn(2, 3, 4),
            "k": torch.randn(2, 5, 4),
            "relative_keys": torch.randn(5, 4),
            "max_relative_position": 2,
        },
        {
            "q": BOTH(
                TENSOR((2, 3, 4), mismatch=True),
                VALUES(
                    ("longer than k", torch.randn(2, 6, 4)), ("1-d", torch.randn(4))
                ),
            ),
            "k": BOTH(
                TENSOR((2, 3, 4), mismatch=True),
                VALUES(("other batch", torch.randn(3, 5, 4)), ("1-d", torch.randn(4))),
            ),
            "relative_keys": BOTH(
                TENSOR((2,), mismatch=True),
                VALUES(("rows for k=1", torch.randn(3, 4))),
            ),
            "max_relative_position": BOTH(INT(0), VALUES(("not the table's", 3))),
        },
    ),
    Case(
        "llmviz.positions.transformer_xl_terms",
        P.transformer_xl_terms,
        _transformer_xl,
        {
            "x_query": TENSOR((2,), mismatch=True),
            "x_key": TENSOR((2,), mismatch=True),
            "relative": positions_kind(
                ranks_bad=[("wrong shape", torch.zeros(3, 4).long())]
            ),
            "W_q": TENSOR((2,), mismatch=True),
            "W_kE": TENSOR((2,), mismatch=True),
            "W_kR": BOTH(
                TENSOR((2,), mismatch=True),
                VALUES(("other d_head", torch.randn(5, 6))),
            ),
            "u": TENSOR((1,), mismatch=True),
            "v": TENSOR((1,), mismatch=True),
            "base": POSITIVE,
        },
    ),
    Case(
        "llmviz.positions.t5_relative_position_bucket",
        P.t5_relative_position_bucket,
        lambda: {
            "relative_position": torch.arange(-20, 21),
            "bidirectional": True,
            "num_buckets": 16,
            "max_distance": 64,
        },
        {
            "relative_position": TENSOR(floating=False, empty=False),
            "bidirectional": BOOL(),
            "num_buckets": BOTH(INT(2), VALUES(("3 when bidirectional", 3))),
            "max_distance": BOTH(INT(1), VALUES(("within the exact buckets", 4))),
        },
    ),
    Case(
        "llmviz.positions.t5_bucket_bias",
        P.t5_bucket_bias,
        lambda: {
            "bucket_table": torch.randn(16, 3),
            "q_len": 3,
            "kv_len": 5,
            "bidirectional": False,
            "max_distance": 64,
        },
        {
            "bucket_table": BOTH(
                TENSOR((2,)), VALUES(("one bucket", torch.randn(1, 3)))
            ),
            "q_len": INT(1, BIG),
            "kv_len": INT(1, BIG),
            "bidirectional": BOOL(),
            "max_distance": BOTH(INT(1), VALUES(("within the exact buckets", 4))),
        },
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
