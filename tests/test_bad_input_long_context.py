"""Bad input for every public callable of ``llmviz.long_context`` (chapter 4): each bad
value of each parameter is refused with a ``ValueError`` or ``TypeError`` naming it,
and valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import math

import torch

from llmviz.long_context import (
    attention_with_lse,
    block_scores,
    chunked_linear_attention,
    elu_features,
    linear_attention,
    linear_attention_weights,
    merge_attention,
    moba_attention,
    moba_gate,
    online_softmax_attention,
    polynomial_features,
    rbf_features,
    s2_attention,
    s2_mask_mod,
    softmax_linear_attention,
    split_kv_attention,
    wraparound_leak,
)
from llmviz.long_context.swap import (
    Rotary,
    dense_attention,
    forward_with_attention,
    next_token_losses,
)
from llmviz.models import TinyGPT, TinyGPTConfig
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

B, H, T, D = 2, 2, 8, 4  # batch, heads, tokens, head_dim of the valid calls
SIZE = INT(1, 1 << 20)
SCALE = REAL(0, math.inf, open_min=True, none=True)


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def qkv() -> dict[str, torch.Tensor]:
    return {"query": randn(B, H, T, D), "key": randn(B, H, T, D, seed=1),
            "value": randn(B, H, T, D, seed=2)}  # fmt: skip


def qk() -> dict[str, torch.Tensor]:
    kwargs = qkv()
    del kwargs["value"]
    return kwargs


QKV = TENSOR(mismatch=True)
SHORTER = ("other length", randn(B, H, T - 2, D))  # causal and grouped need T = T
Q_K_V = {
    "query": BOTH(QKV, VALUES(("1-d", torch.ones(D)), ("batch 3", randn(3, H, T, D)))),
    "key": BOTH(QKV, VALUES(("1-d", torch.ones(D)), ("batch 3", randn(3, H, T, D)))),
    "value": BOTH(
        TENSOR(),
        VALUES(
            ("1-d", torch.ones(D)),
            ("batch 3", randn(3, H, T, D)),
            ("other length", randn(B, H, T + 1, D)),
        ),  # fmt: skip
    ),
}
SELF = {  # self-attention: the key's length must be the query's
    "query": BOTH(Q_K_V["query"], VALUES(SHORTER)),
    "key": BOTH(Q_K_V["key"], VALUES(SHORTER)),
    "value": Q_K_V["value"],
}
FEATURE_MAP = VALUES(
    ("None", None), ("int", 3), ("unknown", "relu"), ("bytes", b"elu"),
    ("negative features", lambda x: x), ("wrong shape", lambda x: x[..., 0]),
    ("returns a list", lambda x: x.tolist()), ("nan features", lambda x: x * math.nan),
    ("other dtype", lambda x: x.double().exp()),
)  # fmt: skip
X = TENSOR()

FEATURE_CASES = [
    Case("elu_features", elu_features, lambda: {"x": randn(3, D)}, {"x": X}),
    Case("polynomial_features", polynomial_features, lambda: {"x": randn(3, D)},
         {"x": BOTH(X, VALUES(("too wide", randn(2, 300))))}),
    Case("rbf_features", rbf_features,
         lambda: {"x": randn(3, D), "num_features": 8, "sigma": 1.5, "seed": 0},
         {"x": X, "num_features": INT(1, 1 << 16), "sigma": SCALE,
          "seed": INT(0, 2**32 - 1)}),
]  # fmt: skip

LINEAR_CASES = [
    Case("linear_attention_weights", linear_attention_weights,
         lambda: qk() | {"causal": True, "feature_map": "elu"},
         {"query": SELF["query"], "key": SELF["key"], "causal": BOOL(),
          "feature_map": FEATURE_MAP}),
    Case("linear_attention", linear_attention,
         lambda: qkv() | {"causal": True, "feature_map": "rbf"},
         SELF | {"causal": BOOL(), "feature_map": FEATURE_MAP}),
    Case("chunked_linear_attention", chunked_linear_attention,
         lambda: qkv() | {"chunk_size": 3, "feature_map": "polynomial"},
         SELF | {"chunk_size": SIZE, "feature_map": FEATURE_MAP}),
    Case("softmax_linear_attention", softmax_linear_attention, qkv, Q_K_V),
]  # fmt: skip


def partials() -> dict:
    out, lse = randn(B, H, T, D), randn(B, H, T)
    return {
        "outputs": [out, out + 1],
        "lses": [lse, lse.masked_fill(lse > 1, -math.inf)],
    }


OUT, LSE = randn(B, H, T, D), randn(B, H, T)
TILING_CASES = [
    Case("online_softmax_attention", online_softmax_attention,
         lambda: qkv() | {"tile_size": 3, "is_causal": True, "scale": 0.5,
                          "return_steps": True},
         Q_K_V | {"tile_size": SIZE, "is_causal": BOOL(), "scale": SCALE,
                  "return_steps": BOOL()}),
    Case("attention_with_lse", attention_with_lse,
         lambda: qkv() | {"is_causal": True, "scale": None, "key_offset": 2},
         Q_K_V | {"is_causal": BOOL(), "scale": SCALE, "key_offset": INT(0, 1 << 20)}),
    Case("merge_attention", merge_attention, partials,
         {"outputs": VALUES(
             ("None", None), ("a tensor", OUT), ("empty", []), ("str", ["out"]),
             ("one", [OUT]), ("nan", [OUT * math.nan, OUT]),
             ("shapes differ", [OUT, OUT[..., :-1, :]]), ("ints", [OUT.long(), OUT])),
          "lses": VALUES(
             ("None", None), ("a tensor", LSE), ("empty", []), ("one", [LSE]),
             ("nan", [LSE * math.nan, LSE]), ("+inf", [LSE + math.inf, LSE]),
             ("with d_v", [OUT, OUT]), ("float64", [LSE.double(), LSE.double()]),
             ("str", ["lse", LSE]))}),
    Case("split_kv_attention", split_kv_attention,
         lambda: qkv() | {"num_splits": 3, "is_causal": True, "scale": 0.5},
         Q_K_V | {"num_splits": BOTH(SIZE, VALUES(("more than keys", T + 1))),
                  "is_causal": BOOL(), "scale": SCALE}),
]  # fmt: skip

GROUP = BOTH(SIZE, VALUES(("odd", 3), ("not a divisor", 6), ("more than T", 2 * T)))
QKV4 = TENSOR((4,), mismatch=True)
S2_CASES = [
    Case("s2_mask_mod", s2_mask_mod,
         lambda: {"seq_len": T, "group_size": 4, "num_heads": 2, "fix_leak": True},
         {"seq_len": SIZE, "group_size": GROUP,
          "num_heads": BOTH(INT(2, 4096), VALUES(("odd", 3))), "fix_leak": BOOL()}),
    Case("wraparound_leak", wraparound_leak, lambda: {"seq_len": T, "group_size": 4},
         {"seq_len": BOTH(SIZE, VALUES(("too long to draw", 1 << 16))),
          "group_size": GROUP}),
    Case("s2_attention", s2_attention,
         lambda: qkv() | {"group_size": 4, "fix_leak": True, "scale": None},
         {"query": BOTH(QKV4, VALUES(("odd heads", randn(B, 3, T, D)), SHORTER)),
          "key": BOTH(QKV4, VALUES(("odd heads", randn(B, 3, T, D)), SHORTER)),
          "value": BOTH(TENSOR((4,)), VALUES(("other length", randn(B, H, T + 1, D)))),
          "group_size": GROUP, "fix_leak": BOOL(), "scale": SCALE}),
]  # fmt: skip

BLOCK = BOTH(SIZE, VALUES(("not a divisor", 3), ("more than T", 2 * T)))
MOBA_CASES = [
    Case("block_scores", block_scores, lambda: qk() | {"block_size": 2},
         {"query": SELF["query"], "key": SELF["key"], "block_size": BLOCK}),
    Case("moba_gate", moba_gate, lambda: qk() | {"block_size": 2, "top_k": 2},
         {"query": SELF["query"], "key": SELF["key"], "block_size": BLOCK,
          "top_k": SIZE}),
    Case("moba_attention", moba_attention,
         lambda: qkv() | {"block_size": 2, "top_k": 2, "scale": 0.5},
         SELF | {"block_size": BLOCK, "top_k": SIZE, "scale": SCALE}),
]  # fmt: skip

MODEL = TinyGPT(TinyGPTConfig(vocab_size=20, hidden_size=16, num_hidden_layers=1,
                              num_attention_heads=4, num_key_value_heads=2,
                              intermediate_size=24)).eval()  # fmt: skip
LEARNED = TinyGPT(TinyGPTConfig(vocab_size=20, hidden_size=16, num_hidden_layers=1,
                                intermediate_size=24, position_embedding="learned"))  # fmt: skip
HEAD_DIM = MODEL.head_dim
NOT_A_MODEL = VALUES(("None", None), ("module", torch.nn.Linear(2, 2)),
                     ("learned positions", LEARNED))  # fmt: skip
POSITIONS = BOTH(TENSOR((1,), floating=False, none=True),
                 VALUES(("negative", torch.tensor([-1, 0, 1, 2])),
                        ("too few", torch.arange(3))))  # fmt: skip


def rotary() -> Rotary:
    return Rotary(MODEL, torch.arange(T))


def heads(seed: int) -> torch.Tensor:
    return randn(B, 4, T, HEAD_DIM, seed=seed)


IDS = BOTH(TENSOR((2,), floating=False),
           VALUES(("out of vocabulary", torch.tensor([[1, 25]])),
                  ("negative id", torch.tensor([[-1, 2]]))))  # fmt: skip
SWAP_CASES = [
    Case("forward_with_attention", forward_with_attention,
         lambda: {"model": MODEL, "input_ids": torch.tensor([[1, 2, 3]]),
                  "attention": dense_attention},
         {"model": NOT_A_MODEL, "input_ids": IDS,
          "attention": VALUES(("None", None), ("int", 3),
                              ("wrong shape", lambda q, k, v, r: v[..., :1]),
                              ("returns a list", lambda q, k, v, r: [1.0]))}),
    Case("dense_attention", dense_attention,
         lambda: {"query": heads(0), "key": heads(1), "value": heads(2),
                  "rotary": rotary()},
         {"query": BOTH(TENSOR((4,)), VALUES(SHORTER, ("head_dim 3", randn(B, 4, T, 3)))),
          "key": BOTH(TENSOR((4,)), VALUES(SHORTER)),
          "value": BOTH(TENSOR((4,)), VALUES(("other length", randn(B, 4, T + 1, 8)))),
          "rotary": VALUES(("None", None), ("a function", lambda x: x))}),
    Case("Rotary", Rotary, lambda: {"model": MODEL, "positions": torch.arange(T)},
         {"model": NOT_A_MODEL, "positions": TENSOR((1,), floating=False)}),
    Case("Rotary.__call__", lambda x, positions: rotary()(x, positions),
         lambda: {"x": heads(3), "positions": torch.arange(T)},
         {"x": BOTH(TENSOR((3, 4), finite=False), VALUES(("head_dim 3", randn(2, T, 3)))),
          "positions": POSITIONS}),
    Case("next_token_losses", next_token_losses,
         lambda: {"logits": randn(2, 3, 5), "input_ids": torch.tensor([[0, 1, 4], [2, 3, 0]])},
         {"logits": BOTH(TENSOR((3,)), VALUES(("one token", randn(2, 1, 5)))),
          "input_ids": BOTH(TENSOR((2,), floating=False),
                            VALUES(("id 5 of 5", torch.tensor([[0, 1, 5], [2, 3, 0]])),
                                   ("one row", torch.tensor([[0, 1, 2]]))))}),
]  # fmt: skip

CASES = FEATURE_CASES + LINEAR_CASES + TILING_CASES + S2_CASES + MOBA_CASES + SWAP_CASES
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.long_context.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
