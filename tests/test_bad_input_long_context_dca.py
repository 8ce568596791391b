"""Bad input for Dual Chunk Attention (llmviz.long_context.dca, dca_positions): each bad
value is refused with an error naming its parameter, above all a chunk size at or above
the pretraining length, and a local window wider than the chunk or than c − s; valid
calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import math

import torch

from llmviz.long_context.dca import dca_attention, dca_attention_by_chunks
from llmviz.long_context.dca_positions import (
    dca_distances,
    dca_parts,
    dca_position_ids,
    dca_position_matrices,
)
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
from tests.test_bad_input_long_context import randn
from tests.test_long_context_dca import rope

B, H, T, D = 2, 2, 8, 4  # batch, heads, tokens, head_dim of the valid calls
S, C, W = 3, 5, 2  # chunk_size, pretraining_length, local_window: w ≤ min(s, c − s)


SIZES = {"chunk_size": S, "pretraining_length": C, "local_window": W}
CHUNK = BOTH(
    INT(1, 1 << 20), VALUES(("the pretraining length", C), ("above it", C + 1))
)
TRAINED = BOTH(INT(2, 1 << 20), VALUES(("the chunk size", S), ("below it", S - 1)))
WINDOW = BOTH(
    INT(0, 1 << 20, none=True),
    VALUES(("wider than c − s", C - S + 1), ("wider than the chunk", S + 1)),
)
SIZE_KINDS = {
    "chunk_size": CHUNK,
    "pretraining_length": TRAINED,
    "local_window": WINDOW,
}
DRAWN = BOTH(INT(1, 1 << 12), VALUES(("too long to draw", 1 << 13)))

QKV = TENSOR(mismatch=True)
SHORTER = ("other length", randn(B, H, T - 2, D))
ATTENTION = {
    "query": BOTH(QKV, VALUES(("1-d", torch.ones(D)), SHORTER)),
    "key": BOTH(QKV, VALUES(("1-d", torch.ones(D)), SHORTER)),
    "value": BOTH(TENSOR(), VALUES(("other length", randn(B, H, T + 1, D)))),
    "rotary": VALUES(
        ("None", None), ("int", 3), ("wrong shape", lambda x, positions: x[..., :1]),
        ("returns a list", lambda x, positions: x.tolist()),
        ("other dtype", lambda x, positions: x.double())),
    "scale": REAL(0, math.inf, open_min=True, none=True),
} | SIZE_KINDS  # fmt: skip


def rotary(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    return rope(x, positions).to(x.dtype)


def attention_args() -> dict:
    return {"query": randn(B, H, T, D), "key": randn(B, H, T, D, seed=1),
            "value": randn(B, H, T, D, seed=2), "rotary": rotary, **SIZES,
            "scale": None}  # fmt: skip


CASES = [
    Case("dca_position_ids", dca_position_ids, lambda: {"seq_len": T, **SIZES},
         {"seq_len": INT(1, 1 << 20)} | SIZE_KINDS),
    Case("dca_parts", dca_parts, lambda: {"seq_len": T, "chunk_size": S},
         {"seq_len": DRAWN, "chunk_size": INT(1, 1 << 20)}),
    Case("dca_position_matrices", dca_position_matrices,
         lambda: {"seq_len": T, **SIZES}, {"seq_len": DRAWN} | SIZE_KINDS),
    Case("dca_distances", dca_distances, lambda: {"seq_len": T, **SIZES},
         {"seq_len": DRAWN} | SIZE_KINDS),
    Case("dca_attention", dca_attention,
         lambda: attention_args() | {"return_weights": True},
         ATTENTION | {"return_weights": BOOL()}),
    Case("dca_attention_by_chunks", dca_attention_by_chunks, attention_args,
         ATTENTION),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.long_context.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
