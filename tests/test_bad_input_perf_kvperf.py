"""Bad input for issue 19's fast KV cache: ``StaticKVCache`` and ``static_attention``
(llmviz.attention.static_cache), ``append_seconds`` (llmviz.attention.cache_cost) and
the new keywords of ``TinyGPT.generate``: each bad
value of each parameter is refused with a ValueError or TypeError naming it, and a valid
call leaves its inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.attention import GroupedQueryAttention, StaticKVCache, static_attention
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.attention.cache_cost import MAX_FILL, append_seconds
from llmviz.models import TinyGPT, TinyGPTConfig
from llmviz.models.tinygpt import MAX_THREADS
from llmviz.positions.rope import rope_cos_sin
from tests.bad_input import (
    BOTH,
    CHOICE,
    INT,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

B, H, D = 2, 2, 8
LAYER = GroupedQueryAttention(16, 4, num_key_value_heads=2)
MODEL = TinyGPT(TinyGPTConfig(vocab_size=20, hidden_size=16, num_hidden_layers=1,
                              intermediate_size=16)).eval()  # fmt: skip


def randn(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def cache_with() -> StaticKVCache:
    cache = StaticKVCache(8)
    cache.update(0, randn(B, H, 3, D), randn(B, H, 3, D))
    return cache


def update_valid() -> dict:
    return {"self": cache_with(), "layer_idx": 0, "key": randn(B, H, 1, D),
            "value": randn(B, H, 1, D)}  # fmt: skip


def attention_valid() -> dict:
    cos, sin = rope_cos_sin(torch.arange(3, 5), 4)
    return {"attention": LAYER, "hidden_states": randn(1, 2, 16),
            "position_embeddings": (cos[None], sin[None]), "cache": StaticKVCache(8)}  # fmt: skip


CASES = [
    Case("llmviz.attention.StaticKVCache", StaticKVCache,
         lambda: {"max_len": 16}, {"max_len": INT(maximum=MAX_SEQ_LEN)}),
    Case("llmviz.attention.StaticKVCache.update",
         lambda self, **kwargs: self.update(**kwargs), update_valid,
         {"layer_idx": INT(0, 1 << 16),
          "key": BOTH(TENSOR((4,), mismatch=True),
                      VALUES(("other batch", randn(3, H, 1, D)),
                             ("float64", randn(B, H, 1, D).double()),
                             ("past max_len", randn(B, H, 6, D)))),
          "value": BOTH(TENSOR((4,), mismatch=True),
                        VALUES(("other tokens", randn(B, H, 2, D)),
                               ("other heads", randn(B, 1, 1, D))))}),
    Case("llmviz.attention.static_attention", static_attention,
         attention_valid,
         {"attention": VALUES(("None", None), ("Linear", torch.nn.Linear(16, 16))),
          "hidden_states": BOTH(TENSOR((3,), mismatch=True),
                                VALUES(("other width", randn(1, 2, 8)))),
          "position_embeddings": VALUES(("None in a tuple", (None, None)),
                                        ("one tensor", randn(1, 2, 4)),
                                        ("other width", (randn(1, 2, 6), randn(1, 2, 6)))),
          "cache": VALUES(("None", None), ("dict", {}))}),
    Case("llmviz.attention.cache_cost.append_seconds", append_seconds,
         lambda: {"fills": [2, 3], "num_kv_heads": 1, "head_dim": 2, "repeats": 1},
         {"fills": VALUES(("None", None), ("empty", []), ("a str", "12"),
                          ("zero", [0]), ("a float", [2.5]), ("absurd", [MAX_FILL + 1]),
                          ("a set", {2, 3})),
          "num_kv_heads": INT(1, 256),
          "head_dim": INT(1, 1024),
          "repeats": INT(1, 100)}),
    Case("llmviz.models.TinyGPT.generate (issue 19's keywords)",
         lambda input_ids, cache_implementation, threads: MODEL.generate(
             input_ids, 2, cache_implementation=cache_implementation, threads=threads),
         lambda: {"input_ids": torch.tensor([[1, 2]]), "cache_implementation": "static",
                  "threads": 1},
         {"cache_implementation": CHOICE("static", "dynamic"),
          "threads": INT(1, MAX_THREADS, none=True)}),
]  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
