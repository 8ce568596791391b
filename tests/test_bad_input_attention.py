"""Bad input for every public callable of ``llmviz.attention`` and ``llmviz.layers``
(chapter 3): each bad value of each parameter is refused with a ``ValueError`` or
``TypeError`` naming it, and valid calls leave their inputs alone (tests/bad_input.py).

Module forwards and ``KVCache`` methods are called through lambdas whose keywords are
the real parameter names."""

from __future__ import annotations

import math

import torch

from llmviz.attention import (
    GALLERY,
    MODEL_CONFIGS,
    GatedAttention,
    GroupedQueryAttention,
    KVCache,
    MultiHeadLatentAttention,
    SingleHeadAttention,
    attention_weights,
    block_mask,
    cache_fill,
    causal_mask,
    composed_mask,
    example_weights,
    flex_attention,
    head_groups,
    kv_cache_bytes_per_token,
    kv_cache_table,
    masks,
    named_mask,
    repeat_kv,
    scaled_dot_product_attention,
    scaling_statistics,
    softmax_entropy,
    softmax_jacobian,
)
from llmviz.attention.kv_cache import cache_layout
from llmviz.layers import RMSNorm, SwiGLU
from tests.bad_input import (
    BOOL,
    BOTH,
    CALLABLE,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

B, H, T, D = 2, 2, 5, 4  # batch, heads, tokens, head_dim of the valid calls
HIDDEN = 16


def randn(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(len(shape)))


def qkv() -> dict[str, torch.Tensor]:
    return {"query": randn(B, H, T, D), "key": randn(B, H, T, D) + 1,
            "value": randn(B, H, T, D) - 1}  # fmt: skip


def probabilities() -> torch.Tensor:
    return randn(3, T).softmax(-1)


QKV = TENSOR(mismatch=True)  # any rank >= 2; a 1-d tensor is "missing dimension"
Q_K_V = {
    "query": BOTH(QKV, VALUES(("1-d", torch.ones(D)), ("batch 3", randn(3, H, T, D)))),
    "key": BOTH(QKV, VALUES(("1-d", torch.ones(D)), ("batch 3", randn(3, H, T, D)))),
    "value": BOTH(
        TENSOR(),  # its last dimension (d_v) may differ from the key's
        VALUES(
            ("1-d", torch.ones(D)),
            ("batch 3", randn(3, H, T, D)),
            ("other length", randn(B, H, T + 1, D)),
        ),
    ),
}
ATTN_MASK = BOTH(
    TENSOR(none=True, mismatch=True, finite=True),  # -inf is allowed, NaN/+inf not
    VALUES(
        ("int mask", torch.ones(T, T, dtype=torch.long)),
        ("float64 mask", torch.zeros(T, T, dtype=torch.float64)),
        ("1-d", torch.zeros(T)),
        ("batch 3", torch.zeros(3, 1, T, T)),
        ("too many rows", torch.zeros(T + 1, T)),
    ),
)
SCALE = REAL(0, math.inf, open_min=True, none=True)
SIZE = INT(1, 1 << 20)  # a length or width that allocates
COUNT = INT(1, 4096)  # heads, layers


def sdpa_valid() -> dict:
    return qkv() | {"attn_mask": torch.zeros(T, T), "is_causal": False,
                    "scale": 0.5, "return_weights": False}  # fmt: skip


def weights_valid() -> dict:
    kwargs = sdpa_valid()
    del kwargs["value"], kwargs["return_weights"]
    return kwargs


# --- masks and the gallery ------------------------------------------------------------

MASK_MOD = BOTH(
    CALLABLE(),
    VALUES(
        ("returns an int", lambda b, h, q, kv: 3),
        ("returns a float tensor", lambda b, h, q, kv: (q - kv).float()),
    ),
)
MAX_WIDTH = (1 << 31) - 1  # a window or stride beyond int32 overflows the index maths

MASK_CASES = [
    Case("masks.sliding_window", masks.sliding_window, lambda: {"window": 3},
         {"window": INT(1, MAX_WIDTH)}),
    Case("masks.dilated_sliding_window", masks.dilated_sliding_window,
         lambda: {"window": 3, "dilation": 2},
         {"window": INT(1, MAX_WIDTH), "dilation": INT(1, MAX_WIDTH)}),
    Case("masks.strided", masks.strided, lambda: {"stride": 2},
         {"stride": INT(1, MAX_WIDTH)}),
    Case("masks.global_tokens", masks.global_tokens, lambda: {"indices": [0, 3]},
         {"indices": VALUES(
             ("None", None), ("int", 3), ("str", "03"), ("empty", []),
             ("negative", [0, -1]), ("float", [0, 2.5]), ("bool", [True]),
             ("nan", [math.nan]), ("huge index", [10**12]),
             ("absurd count", range(10**12)), ("set", {0, 3}))}),
    Case("masks.attention_sinks", masks.attention_sinks,
         lambda: {"num_sinks": 1, "window": 3},
         {"num_sinks": INT(0, MAX_WIDTH), "window": INT(1, MAX_WIDTH)}),
    Case("masks.block_diagonal", masks.block_diagonal, lambda: {"block_size": 2},
         {"block_size": INT(1, MAX_WIDTH)}),
    Case("masks.prefix_lm", masks.prefix_lm, lambda: {"prefix_len": 2},
         {"prefix_len": INT(0, MAX_WIDTH)}),
    Case("masks.padding", masks.padding, lambda: {"lengths": [3, 5]},
         {"lengths": VALUES(
             ("None", None), ("int", 3), ("str", "35"), ("empty", []),
             ("negative", [3, -1]), ("float", [2.5]), ("bool", [True]),
             ("huge length", [10**12]), ("absurd count", range(10**12)))}),
    Case("masks.and_masks", lambda mask_mods: masks.and_masks(*mask_mods),
         lambda: {"mask_mods": (masks.causal, masks.sliding_window(2))},
         {"mask_mods": VALUES(("none", ()), ("int", (masks.causal, 3)),
                              ("None", (None,)), ("str", ("causal",)))}),
    Case("masks.or_masks", lambda mask_mods: masks.or_masks(*mask_mods),
         lambda: {"mask_mods": (masks.causal, masks.sliding_window(2))},
         {"mask_mods": VALUES(("none", ()), ("int", (masks.causal, 3)),
                              ("None", (None,)), ("str", ("causal",)))}),
    Case("masks.materialize", masks.materialize,
         lambda: {"mask_mod": masks.padding([3, 4]), "q_len": 4, "kv_len": 5,
                  "batch_size": 2, "num_heads": 2},
         {"mask_mod": MASK_MOD, "q_len": SIZE, "kv_len": SIZE,
          "batch_size": BOTH(INT(1, 1 << 16, none=True),
                             VALUES(("more rows than lengths", 3))),
          "num_heads": INT(1, 1 << 16, none=True)}),
    Case("block_mask", block_mask,
         lambda: {"mask_mod": masks.causal, "q_len": 8, "kv_len": 8,
                  "batch_size": 1, "num_heads": 1, "device": "cpu"},
         {"mask_mod": MASK_MOD, "q_len": SIZE, "kv_len": SIZE,
          "batch_size": INT(1, 1 << 16, none=True),
          "num_heads": INT(1, 1 << 16, none=True),
          "device": VALUES(("None", None), ("int", 3), ("unknown", "bogus"),
                           ("list", ["cpu"]))}),
    Case("named_mask", named_mask,
         lambda: {"name": "global_tokens", "window": 4, "dilation": 2, "stride": 4,
                  "num_sinks": 1, "num_global": 2, "block_size": 4,
                  "prefix_len": 4, "length": 12},
         {"name": CHOICE("causal"), "window": INT(1, MAX_WIDTH),
          "dilation": INT(1, MAX_WIDTH), "stride": INT(1, MAX_WIDTH),
          "num_sinks": INT(0, MAX_WIDTH), "num_global": INT(1, 4096),
          "block_size": INT(1, MAX_WIDTH), "prefix_len": INT(0, MAX_WIDTH),
          "length": INT(0, MAX_WIDTH)}),
    Case("composed_mask", composed_mask,
         lambda: {"first": "causal", "operation": "and", "second": "sliding_window",
                  "seq_len": 8, "window": 3},
         {"first": CHOICE("causal"), "operation": CHOICE("and"),
          "second": CHOICE("causal"), "seq_len": INT(1, 4096), "window": INT(1, MAX_WIDTH)}),
] + [
    Case(f"GALLERY[{name!r}].compute", entry.compute,
         lambda entry=entry: {entry.param: entry.values[1]},
         {entry.param: INT(entry.minimum, entry.maximum)})
    for name, entry in GALLERY.items()
]  # fmt: skip


# --- attention functions --------------------------------------------------------------

FUNCTION_CASES = [
    Case("scaled_dot_product_attention", scaled_dot_product_attention, sdpa_valid,
         Q_K_V | {"attn_mask": ATTN_MASK, "is_causal": BOOL(), "scale": SCALE,
                  "return_weights": BOOL()}),
    Case("attention_weights", attention_weights, weights_valid,
         {"query": Q_K_V["query"], "key": Q_K_V["key"], "attn_mask": ATTN_MASK,
          "is_causal": BOOL(), "scale": SCALE}),
    Case("causal_mask", causal_mask,
         lambda: {"q_len": 3, "kv_len": 4, "device": "cpu"},
         {"q_len": SIZE, "kv_len": SIZE,
          "device": VALUES(("int", 3), ("unknown", "bogus"), ("list", ["cpu"]))}),
    Case("flex_attention", flex_attention,
         lambda: qkv() | {"mask_mod": masks.causal},
         {"query": BOTH(TENSOR((4,), mismatch=True),
                        VALUES(("batch 3", randn(3, H, T, D)))),
          "key": BOTH(TENSOR((4,), mismatch=True),
                      VALUES(("batch 3", randn(3, H, T, D)))),
          "value": BOTH(TENSOR((4,)), VALUES(("other length", randn(B, H, T + 1, D)))),
          "mask_mod": BOTH(CALLABLE(none=True),
                           VALUES(("returns an int", lambda b, h, q, kv: 3)))}),
    Case("repeat_kv", repeat_kv, lambda: {"x": randn(B, H, T, D), "n_rep": 2},
         {"x": TENSOR((4,)), "n_rep": INT(1, 1024)}),
    Case("head_groups", head_groups,
         lambda: {"num_attention_heads": 8, "num_key_value_heads": 2},
         {"num_attention_heads": COUNT,
          "num_key_value_heads": BOTH(COUNT, VALUES(("not a divisor", 3),
                                                     ("more than heads", 16)))}),
    Case("softmax_entropy", softmax_entropy, lambda: {"weights": probabilities()},
         {"weights": BOTH(TENSOR(), VALUES(("negative", -probabilities()),
                                           ("above 1", 2 * probabilities())))}),
    Case("softmax_jacobian", softmax_jacobian, lambda: {"weights": probabilities()},
         {"weights": BOTH(TENSOR(), VALUES(("negative", -probabilities()),
                                           ("above 1", 2 * probabilities()),
                                           ("too wide", torch.ones(1, 1 << 20))))}),
    Case("scaling_statistics", scaling_statistics,
         lambda: {"head_dim": 8, "scaled": True, "num_keys": 4, "num_queries": 6,
                  "seed": 0},
         {"head_dim": INT(1, 1 << 16), "scaled": BOOL(), "num_keys": INT(1, 1024),
          "num_queries": INT(1, 1 << 16), "seed": INT(0)}),
    Case("example_weights", example_weights,
         lambda: {"head_dim": 8, "num_keys": 4, "seed": 0},
         {"head_dim": INT(1, 1 << 16), "num_keys": INT(1, 1 << 16), "seed": INT(0)}),
]  # fmt: skip


# --- the KV cache ---------------------------------------------------------------------

LLAMA = MODEL_CONFIGS["Llama-3-8B"]
DEEPSEEK = MODEL_CONFIGS["DeepSeek-V2"]
CONFIG_VALUES = [
    ("None", None),
    ("str", "Llama-3-8B"),
    ("int", 3),
    ("empty dict", {}),
    ("missing layers", {k: v for k, v in LLAMA.items() if k != "num_hidden_layers"}),
    ("head_dim as str", LLAMA | {"head_dim": "8"}),
    ("negative head_dim", LLAMA | {"head_dim": -1}),
    ("zero head_dim", LLAMA | {"head_dim": 0}),
    ("float head_dim", LLAMA | {"head_dim": 2.5}),
    ("zero kv heads", LLAMA | {"num_key_value_heads": 0}),
    ("kv heads as str", LLAMA | {"num_key_value_heads": "8"}),
    ("more kv heads than heads", LLAMA | {"num_key_value_heads": 64}),
    ("bool layers", LLAMA | {"num_hidden_layers": True}),
    ("nan hidden size", LLAMA | {"hidden_size": math.nan}),
    ("hidden size not divisible", LLAMA | {"hidden_size": 4097}),
    ("negative latent", DEEPSEEK | {"kv_lora_rank": -1}),
    ("latent as str", DEEPSEEK | {"kv_lora_rank": "512"}),
    ("rope as float", DEEPSEEK | {"qk_rope_head_dim": 64.0}),
]
CONFIG = VALUES(*CONFIG_VALUES)
# what one layer caches needs no layer count
LAYOUT_CONFIG = VALUES(*[(k, v) for k, v in CONFIG_VALUES if "layers" not in k])


def cache_with(layer_idx: int = 0) -> KVCache:
    cache = KVCache()
    cache.update(layer_idx, randn(B, H, 3, D), randn(B, H, 3, D))
    return cache


def update_valid() -> dict:
    return {"self": cache_with(), "layer_idx": 0, "key": randn(B, H, 1, D),
            "value": randn(B, H, 1, D)}  # fmt: skip


CACHE_CASES = [
    Case("kv_cache_bytes_per_token", kv_cache_bytes_per_token,
         lambda: {"config": dict(LLAMA), "dtype": "bfloat16"},
         {"config": CONFIG, "dtype": CHOICE("bfloat16")}),
    Case("cache_layout", cache_layout, lambda: {"config": dict(DEEPSEEK)},
         {"config": LAYOUT_CONFIG}),
    Case("kv_cache_table", kv_cache_table,
         lambda: {"configs": {"Llama-3-8B": dict(LLAMA)}, "context": 1024,
                  "dtype": "bfloat16"},
         {"configs": VALUES(("None", None), ("list", [LLAMA]), ("empty", {}),
                            ("bad config", {"x": LLAMA | {"head_dim": -1}})),
          "context": INT(1), "dtype": CHOICE("bfloat16")}),
    Case("KVCache.update", lambda self, **kwargs: self.update(**kwargs), update_valid,
         {"layer_idx": INT(0, 1 << 16),
          "key": BOTH(TENSOR((4,), mismatch=True),
                      VALUES(("other batch", randn(3, H, 1, D)),
                             ("float64", randn(B, H, 1, D).double()))),
          "value": BOTH(TENSOR((4,), mismatch=True),
                        VALUES(("other tokens", randn(B, H, 2, D)),
                               ("other heads", randn(B, 1, 1, D))))}),
    Case("KVCache.seq_len", lambda self, **kwargs: self.seq_len(**kwargs),
         lambda: {"self": cache_with(), "layer_idx": 0},
         {"layer_idx": INT(0, 1 << 16)}),
    Case("cache_fill", cache_fill,
         lambda: {"num_layers": 2, "prompt_len": 2, "total_len": 5, "step": 1},
         {"num_layers": INT(1, 1 << 16), "prompt_len": SIZE, "total_len": SIZE,
          "step": INT(0, 3)}),
]  # fmt: skip


# --- modules: constructors and forwards -----------------------------------------------


def gqa(**kwargs) -> GroupedQueryAttention:
    torch.manual_seed(0)
    return GroupedQueryAttention(HIDDEN, 4, num_key_value_heads=2, **kwargs)


def mla() -> MultiHeadLatentAttention:
    torch.manual_seed(0)
    return MultiHeadLatentAttention(HIDDEN, 2, q_lora_rank=8, kv_lora_rank=6,
                                    qk_nope_head_dim=4, qk_rope_head_dim=2,
                                    v_head_dim=4)  # fmt: skip


def gated() -> GatedAttention:
    torch.manual_seed(0)
    return GatedAttention(HIDDEN, 4, num_key_value_heads=2, head_dim=8,
                          partial_rotary_factor=0.5)  # fmt: skip


def cos_sin(width: int, batch: int = B, seq: int = T) -> tuple[torch.Tensor, ...]:
    angles = randn(batch, seq, width)
    return angles.cos(), angles.sin()


def position_embeddings(width: int):
    cos, sin = cos_sin(width)
    return VALUES(
        ("a tensor", cos),
        ("one tensor", (cos,)),
        ("three tensors", (cos, sin, sin)),
        ("str", ("cos", "sin")),
        ("wrong width", cos_sin(width + 2)),
        ("wrong length", cos_sin(width, seq=T + 1)),
        ("wrong batch", cos_sin(width, batch=3)),
        ("cos and sin differ", (cos, sin[:, :-1])),
        ("nan", (cos.masked_fill(cos > 0, math.nan), sin)),
        ("1-d", (cos[0, 0], sin[0, 0])),
    )


CACHE = VALUES(("dict", {}), ("int", 3), ("str", "cache"))
FORWARD = {
    "hidden_states": TENSOR((3,), mismatch=True),
    "attn_mask": ATTN_MASK,
    "is_causal": BOOL(),
    "cache": CACHE,
}


def forward_valid(module, width: int) -> dict:
    return {"self": module, "hidden_states": randn(B, T, HIDDEN),
            "position_embeddings": cos_sin(width), "attn_mask": torch.zeros(T, T),
            "is_causal": False, "cache": KVCache()}  # fmt: skip


def call_forward(self, **kwargs):
    return self(**kwargs)


HEADS = {
    "hidden_size": INT(1, 1 << 16),
    "num_attention_heads": COUNT,
    "num_key_value_heads": BOTH(
        INT(1, 4096, none=True), VALUES(("not a divisor", 3), ("more", 8))
    ),
    "head_dim": INT(1, 1 << 16, none=True),
    "layer_idx": INT(0, 1 << 16),
}
EPS = REAL(0, 1, open_min=True)

MODULE_CASES = [
    Case("GroupedQueryAttention", GroupedQueryAttention,
         lambda: {"hidden_size": HIDDEN, "num_attention_heads": 4,
                  "num_key_value_heads": 2, "head_dim": None, "bias": False,
                  "layer_idx": 0, "output_gate": False},
         HEADS | {"bias": BOOL(), "output_gate": BOOL()}),
    Case("GroupedQueryAttention.forward", call_forward,
         lambda: forward_valid(gqa(), 4) | {"return_weights": False},
         FORWARD | {"position_embeddings": position_embeddings(4),
                    "return_weights": BOOL()}),
    Case("MultiHeadLatentAttention", MultiHeadLatentAttention,
         lambda: {"hidden_size": HIDDEN, "num_attention_heads": 2, "q_lora_rank": 8,
                  "kv_lora_rank": 6, "qk_nope_head_dim": 4, "qk_rope_head_dim": 2,
                  "v_head_dim": 4, "rope_interleave": True, "rms_norm_eps": 1e-6,
                  "attention_bias": False, "layer_idx": 0},
         {"hidden_size": INT(1, 1 << 16), "num_attention_heads": COUNT,
          "q_lora_rank": INT(1, 1 << 16, none=True), "kv_lora_rank": INT(1, 1 << 16),
          "qk_nope_head_dim": INT(1, 1 << 16),
          "qk_rope_head_dim": BOTH(INT(2, 1 << 16), VALUES(("odd", 3))),
          "v_head_dim": INT(1, 1 << 16), "rope_interleave": BOOL(),
          "rms_norm_eps": EPS, "attention_bias": BOOL(), "layer_idx": INT(0, 1 << 16)}),
    Case("MultiHeadLatentAttention.forward", call_forward,
         lambda: forward_valid(mla(), 2) | {"absorb": True},
         FORWARD | {"position_embeddings": position_embeddings(2), "absorb": BOOL()}),
    Case("GatedAttention", GatedAttention,
         lambda: {"hidden_size": HIDDEN, "num_attention_heads": 4,
                  "num_key_value_heads": 2, "head_dim": 8,
                  "partial_rotary_factor": 0.5, "rms_norm_eps": 1e-6,
                  "attention_bias": False, "layer_idx": 0},
         HEADS | {"partial_rotary_factor": BOTH(REAL(0, 1, open_min=True),
                                                VALUES(("odd rotary", 0.375))),
                  "rms_norm_eps": EPS, "attention_bias": BOOL()}),
    Case("GatedAttention.forward", call_forward,
         lambda: forward_valid(gated(), 4),
         FORWARD | {"position_embeddings": position_embeddings(4)}),
    Case("SingleHeadAttention", SingleHeadAttention,
         lambda: {"hidden_size": HIDDEN, "head_dim": D, "context_size": 8},
         {"hidden_size": INT(1, 1 << 16), "head_dim": INT(1, 1 << 16),
          "context_size": INT(1, 1 << 16, none=True)}),
    Case("SingleHeadAttention.forward", call_forward,
         lambda: {"self": SingleHeadAttention(HIDDEN, D, context_size=8),
                  "x": randn(B, T, HIDDEN), "context": randn(B, 7, 8),
                  "attn_mask": torch.zeros(T, 7)},
         {"x": TENSOR((3,), mismatch=True),
          "context": BOTH(TENSOR((3,), mismatch=True, none=True),
                          VALUES(("batch 3", randn(3, 7, 8)))),
          "attn_mask": BOTH(TENSOR(none=True, mismatch=True),
                            VALUES(("square", torch.ones(T, T, dtype=torch.bool))))}),
    Case("RMSNorm", RMSNorm, lambda: {"hidden_size": HIDDEN, "eps": 1e-6},
         {"hidden_size": INT(1, 1 << 20), "eps": EPS}),
    Case("RMSNorm.forward", call_forward,
         lambda: {"self": RMSNorm(HIDDEN), "hidden_states": randn(B, T, HIDDEN)},
         {"hidden_states": TENSOR(mismatch=True)}),
    Case("SwiGLU", SwiGLU, lambda: {"hidden_size": HIDDEN, "intermediate_size": 24},
         {"hidden_size": INT(1, 1 << 16), "intermediate_size": INT(1, 1 << 18)}),
    Case("SwiGLU.forward", call_forward,
         lambda: {"self": SwiGLU(HIDDEN, 24), "x": randn(B, T, HIDDEN)},
         {"x": TENSOR(mismatch=True)}),
]  # fmt: skip

CASES = MASK_CASES + FUNCTION_CASES + CACHE_CASES + MODULE_CASES
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    package = "layers" if case.name.startswith(("RMSNorm", "SwiGLU")) else "attention"
    case.name = f"llmviz.{package}.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
