"""Bad input for chapter 4's fixed sparse patterns, receptive field, chunked sliding
window and Longformer attention (tests/bad_input.py): each bad value is refused with a
``ValueError`` or ``TypeError`` naming its parameter; valid calls leave inputs alone."""

from __future__ import annotations

import math

import torch

from llmviz.attention import masks
from llmviz.long_context.longformer import (
    LongformerAttention,
    longformer_mask,
    symmetric_window,
)
from llmviz.long_context.patterns import (
    attended_pairs,
    fixed_factorization,
    local_and_strided,
    sqrt_stride,
    strided_factorization,
    summary_columns,
)
from llmviz.long_context.receptive import receptive_field, tokens_seen
from llmviz.long_context.window import (
    band,
    sliding_window_attention,
    sliding_window_attention_dense,
)
from tests.bad_input import (
    BOTH,
    CALLABLE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)
from tests.test_bad_input_long_context import randn

B, H, T, D, HIDDEN = 2, 2, 8, 4, 8
NAME = "llmviz.long_context."
MASK = BOTH(CALLABLE(), VALUES(("returns an int", lambda b, h, q, kv: 3)))


def qkv() -> dict:
    return {"query": randn(B, H, T, D), "key": randn(B, H, T, D, seed=1),
            "value": randn(B, H, T, D, seed=2), "window": 3, "scale": None}  # fmt: skip


QKV = TENSOR(mismatch=True)
SHORTER = ("other length", randn(B, H, T - 2, D))
WINDOW_ARGS = {
    "query": BOTH(QKV, VALUES(("1-d", torch.ones(D)), SHORTER)),
    "key": BOTH(QKV, VALUES(("1-d", torch.ones(D)), SHORTER)),
    "value": BOTH(TENSOR(), VALUES(("other length", randn(B, H, T + 1, D)))),
    "window": BOTH(INT(1, 1 << 20), VALUES(("longer than the sequence", T + 1))),
    "scale": REAL(0, math.inf, open_min=True, none=True),
}


def longformer() -> LongformerAttention:
    torch.manual_seed(0)
    return LongformerAttention(HIDDEN, 2, attention_window=4)


FLAGS = BOTH(
    TENSOR(ranks=(2,), floating=False, none=True),
    VALUES(("value 2", torch.full((B, T), 2)), ("other length", torch.ones(B, T + 1,
           dtype=torch.long))),
)  # fmt: skip

CASES = [
    Case(NAME + "strided_factorization", strided_factorization, lambda: {"stride": 3},
         {"stride": INT(1, 1 << 20)}),
    Case(NAME + "local_and_strided", local_and_strided, lambda: {"k": 3},
         {"k": INT(1, 1 << 20)}),
    Case(NAME + "summary_columns", summary_columns,
         lambda: {"stride": 4, "summary": 2},
         {"stride": INT(1, 1 << 20), "summary": BOTH(INT(1), VALUES(("above stride", 5)))}),
    Case(NAME + "fixed_factorization", fixed_factorization,
         lambda: {"stride": 4, "summary": 1},
         {"stride": INT(1, 1 << 20), "summary": BOTH(INT(1), VALUES(("above stride", 5)))}),
    Case(NAME + "attended_pairs", attended_pairs,
         lambda: {"mask_mod": masks.causal, "seq_len": 10},
         {"mask_mod": MASK, "seq_len": INT(1, 1 << 17)}),
    Case(NAME + "sqrt_stride", sqrt_stride, lambda: {"seq_len": 100},
         {"seq_len": INT(1, 1 << 20)}),
    Case(NAME + "receptive_field", receptive_field,
         lambda: {"mask_mods": masks.sliding_window(2), "seq_len": 6, "num_layers": 2},
         {"mask_mods": BOTH(MASK, VALUES(("empty list", []), ("str", "window"))),
          "seq_len": INT(1, 4096), "num_layers": INT(1, 64)}),
    Case(NAME + "receptive_field.layers", receptive_field,
         lambda: {"mask_mods": [masks.causal, masks.sliding_window(2)], "seq_len": 6,
                  "num_layers": None},
         {"mask_mods": VALUES(("list with an int", [masks.causal, 3])),
          "num_layers": VALUES(("a count as well", 2))}),
    Case(NAME + "tokens_seen", tokens_seen,
         lambda: {"mask_mod": masks.sliding_window(2), "seq_len": 6, "num_layers": 2,
                  "position": 3},
         {"mask_mod": MASK, "seq_len": INT(1, 4096), "num_layers": INT(1, 64),
          "position": BOTH(INT(0, none=True), VALUES(("past the end", 6)))}),
    Case(NAME + "sliding_window_attention", sliding_window_attention, qkv, WINDOW_ARGS),
    Case(NAME + "sliding_window_attention_dense", sliding_window_attention_dense, qkv,
         WINDOW_ARGS),
    Case(NAME + "band", band, lambda: {"window": 4},
         {"window": INT(1, 1 << 20)}),
    Case(NAME + "symmetric_window", symmetric_window,
         lambda: {"attention_window": 4, "dilation": 2},
         {"attention_window": BOTH(INT(2, 1 << 20), VALUES(("odd", 3))),
          "dilation": INT(1, 1 << 20)}),
    Case(NAME + "longformer_mask", longformer_mask,
         lambda: {"attention_window": 4, "dilation": 1, "global_indices": [0, 5]},
         {"attention_window": BOTH(INT(2, 1 << 20), VALUES(("odd", 3))),
          "dilation": INT(1, 1 << 20),
          "global_indices": VALUES(("None", None), ("str", "0"), ("negative", [-1]),
                                   ("float", [0.5]))}),
    Case(NAME + "LongformerAttention", LongformerAttention,
         lambda: {"hidden_size": HIDDEN, "num_attention_heads": 2,
                  "attention_window": 4, "dilation": 1},
         {"hidden_size": INT(1, 1 << 16),
          "num_attention_heads": BOTH(INT(1, 4096), VALUES(("not a divisor", 3))),
          "attention_window": BOTH(INT(2, 1 << 20), VALUES(("odd", 3))),
          "dilation": INT(1, 1 << 20)}),
    Case(NAME + "LongformerAttention.forward",
         lambda module, **kwargs: module(**kwargs),
         lambda: {"module": longformer(), "hidden_states": randn(B, T, HIDDEN),
                  "attention_mask": torch.ones(B, T, dtype=torch.long),
                  "global_attention_mask": torch.zeros(B, T, dtype=torch.long)},
         {"hidden_states": BOTH(TENSOR(ranks=(3,), mismatch=True),
                                VALUES(("shorter than the window", randn(B, 3, HIDDEN)),
                                       ("float64", randn(B, T, HIDDEN).double()))),
          "attention_mask": FLAGS, "global_attention_mask": FLAGS}),
]  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
