"""Bad input for chapter 3's smaller KV caches: quantisation (llmviz.attention.kv_quant),
H2O eviction (.kv_evict), the paged cache (.paged) and MQA by mean-pooling KV heads
(llmviz.models.uptrain): each bad value of each parameter is refused with a ValueError
or TypeError naming it, and a valid call leaves its inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch
from torch import nn

from llmviz.attention import (
    BlockAllocator,
    dequantize,
    fake_quantize,
    fragmentation,
    gather_blocks,
    h2o_attention,
    h2o_weights,
    quantize,
    quantized_attention,
    quantized_kv_bytes_per_token,
    serve_in_lockstep,
)
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.attention.paged import MAX_BLOCKS
from llmviz.models import TinyGPT, TinyGPTConfig, mean_pool_kv
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


def x() -> torch.Tensor:
    return torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))


BITS = BOTH(INT(minimum=2, maximum=8), VALUES(("float", 8.0), ("plain 16", 16)))
DIM = BOTH(INT(minimum=None), VALUES(("out of range", 3), ("below range", -4)))
GROUP = INT(maximum=MAX_SEQ_LEN, none=True)
LENGTHS = VALUES(("None", None), ("str", "12"), ("empty", []), ("zero", [3, 0]),
                 ("float", [2.5]), ("bool", [True]), ("above max_len", [3, 99]))  # fmt: skip
SMALL = TinyGPT(TinyGPTConfig(vocab_size=20, hidden_size=16, num_hidden_layers=1,
                              num_attention_heads=4, num_key_value_heads=4,
                              intermediate_size=16))  # fmt: skip


def pool(seq_id: int = 0) -> BlockAllocator:
    allocator = BlockAllocator(8, 4)
    allocator.append(seq_id, 6)
    return allocator


CASES = [
    Case("llmviz.attention.quantize", quantize,
         lambda: {"x": x(), "bits": 4, "dim": -1, "group_size": 2},
         {"x": TENSOR(), "bits": BITS, "dim": DIM, "group_size": GROUP}),
    Case("llmviz.attention.dequantize", dequantize,
         lambda: {"codes": torch.tensor([[3, -7, 1]], dtype=torch.int8),
                  "scale": torch.tensor([[0.5]]), "dim": -1, "group_size": 3},
         {"codes": TENSOR(floating=False, mismatch=True),
          "scale": TENSOR(mismatch=True), "dim": DIM, "group_size": GROUP}),
    Case("llmviz.attention.fake_quantize", fake_quantize,
         lambda: {"x": x(), "bits": 8, "dim": 1, "group_size": None},
         {"x": TENSOR(), "bits": BITS, "dim": DIM, "group_size": GROUP}),
    Case("llmviz.attention.quantized_kv_bytes_per_token", quantized_kv_bytes_per_token,
         lambda: {"num_hidden_layers": 4, "num_key_value_heads": 2, "head_dim": 32,
                  "bits": 4, "group_size": 32, "scale_bytes": 2},
         {"num_hidden_layers": INT(maximum=1 << 16), "num_key_value_heads": INT(maximum=4096),
          "head_dim": INT(maximum=1 << 16),
          "bits": BOTH(INT(minimum=2, maximum=16), VALUES(("not a width", 12))),
          "group_size": INT(maximum=MAX_SEQ_LEN), "scale_bytes": INT(maximum=8)}),
    Case("llmviz.attention.quantized_attention", quantized_attention,
         lambda: {"key_bits": 4, "value_bits": 4, "key_grouping": "channel",
                  "group_size": 32},
         {"key_bits": BITS, "value_bits": BITS,
          "key_grouping": CHOICE("channel", "token"),
          "group_size": INT(maximum=MAX_SEQ_LEN)}),
    Case("llmviz.attention.h2o_weights", h2o_weights,
         lambda: {"scores": torch.randn(1, 4, 6, 6, generator=torch.Generator()),
                  "budget": 3, "recent": 2, "group": 2},
         {"scores": TENSOR((4,), mismatch=True), "budget": INT(maximum=MAX_SEQ_LEN),
          "recent": BOTH(INT(none=True), VALUES(("above budget", 4))),
          "group": BOTH(INT(maximum=4096), VALUES(("not dividing", 3)))}),
    Case("llmviz.attention.h2o_attention", h2o_attention,
         lambda: {"budget": 8, "recent": 4, "group": 2},
         {"budget": INT(maximum=MAX_SEQ_LEN),
          "recent": BOTH(INT(none=True), VALUES(("above budget", 9))),
          "group": INT(maximum=4096)}),
    Case("llmviz.attention.BlockAllocator", BlockAllocator,
         lambda: {"num_blocks": 8, "block_size": 4},
         {"num_blocks": INT(maximum=MAX_BLOCKS), "block_size": INT(maximum=MAX_SEQ_LEN)}),
    Case("llmviz.attention.BlockAllocator.append",
         lambda seq_id, num_tokens: pool().append(seq_id, num_tokens),
         lambda: {"seq_id": 0, "num_tokens": 2},
         {"seq_id": INT(minimum=0),
          "num_tokens": BOTH(INT(maximum=MAX_SEQ_LEN), VALUES(("past the pool", 40)))}),
    Case("llmviz.attention.BlockAllocator.release", lambda seq_id: pool().release(seq_id),
         lambda: {"seq_id": 0},
         {"seq_id": BOTH(INT(minimum=0), VALUES(("unknown", 5)))}),
    Case("llmviz.attention.BlockAllocator.slot",
         lambda seq_id, position: pool().slot(seq_id, position),
         lambda: {"seq_id": 0, "position": 5},
         {"seq_id": BOTH(INT(minimum=0), VALUES(("unknown", 5))),
          "position": BOTH(INT(minimum=0), VALUES(("past the end", 6)))}),
    Case("llmviz.attention.gather_blocks", gather_blocks,
         lambda: {"pool": torch.randn(4, 2, 3, generator=torch.Generator()),
                  "block_table": torch.tensor([2, 0]), "length": 3},
         {"pool": BOTH(TENSOR(finite=False), VALUES(("one dimension", torch.zeros(4)))),
          "block_table": BOTH(TENSOR((1,), floating=False),
                              VALUES(("past the pool", torch.tensor([4])),
                                     ("negative", torch.tensor([-1])))),
          "length": INT(maximum=4)}),
    Case("llmviz.attention.fragmentation", fragmentation,
         lambda: {"lengths": [3, 9], "max_len": 12, "block_size": 4},
         {"lengths": LENGTHS, "max_len": INT(maximum=MAX_SEQ_LEN),
          "block_size": INT(maximum=MAX_SEQ_LEN)}),
    Case("llmviz.attention.serve_in_lockstep", serve_in_lockstep,
         lambda: {"lengths": [3, 9], "block_size": 4},
         {"lengths": VALUES(*LENGTHS([])[:-1]), "block_size": INT(maximum=MAX_SEQ_LEN)}),
    Case("llmviz.models.mean_pool_kv", mean_pool_kv,
         lambda: {"model": SMALL, "num_key_value_heads": 2},
         {"model": VALUES(("None", None), ("Linear", nn.Linear(2, 2))),
          "num_key_value_heads": BOTH(INT(maximum=4), VALUES(("not dividing", 3)))}),
]  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
