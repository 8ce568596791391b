"""Bad input for StreamingLLM's and Transformer-XL's public callables
(llmviz.long_context.streaming, .streaming_runs and .recurrence): each
bad value of each parameter is refused with a ValueError or TypeError naming it, and
valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch
from torch import nn

from llmviz.long_context.recurrence import (
    SegmentMemory,
    evaluation_cost,
    memory_mask,
    recurrent_logits,
    recurrent_losses,
    segment_attention,
)
from llmviz.long_context.streaming import (
    MAX_STREAM,
    StreamingCache,
    kept_tokens,
    sinks_window_attention,
)
from llmviz.long_context.streaming_runs import (
    policy_losses,
    policy_pairs,
    recompute_losses,
    stream_losses,
)
from llmviz.models import TinyGPT, TinyGPTConfig
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

SIZES = dict(vocab_size=20, hidden_size=8, num_hidden_layers=2, intermediate_size=16)
MODEL = TinyGPT(TinyGPTConfig(**SIZES)).eval()
T = 8  # tokens in the valid stream


def ids() -> torch.Tensor:
    return torch.arange(T)[None] % SIZES["vocab_size"]


MODEL_KIND = VALUES(
    ("None", None), ("Linear", nn.Linear(2, 2)),
    ("learned positions", TinyGPT(TinyGPTConfig(**SIZES, position_embedding="learned"))),
)  # fmt: skip
IDS = BOTH(
    TENSOR((2,), floating=False),
    VALUES(("batch of 2", torch.zeros(2, T, dtype=torch.long)),
           ("one token", torch.zeros(1, 1, dtype=torch.long)),
           ("beyond the vocabulary", torch.full((1, T), 99)),
           ("too long", torch.zeros(1, MAX_STREAM + 1, dtype=torch.long))),
)  # fmt: skip
WINDOW = BOTH(INT(1, 1 << 20), VALUES(("longer than the stream", T + 1)))
SINKS = INT(0, T)
OPTIONAL_WINDOW = BOTH(INT(1, 1 << 20, none=True), VALUES(("longer", T + 1)))

CASES = [
    Case("kept_tokens", kept_tokens,
         lambda: {"step": 9, "num_sinks": 2, "window": 3},
         {"step": INT(0, MAX_STREAM), "num_sinks": INT(0, MAX_STREAM),
          "window": INT(1, 1 << 20, none=True)}),
    Case("StreamingCache", StreamingCache,
         lambda: {"num_layers": 2, "num_sinks": 1, "window": 3},
         {"num_layers": INT(1, 4096), "num_sinks": INT(0, MAX_STREAM),
          "window": INT(1, 1 << 20, none=True)}),
    Case("sinks_window_attention", sinks_window_attention,
         lambda: {"num_sinks": 1, "window": 3},
         {"num_sinks": INT(0, MAX_STREAM), "window": INT(1, 1 << 20, none=True)}),
    Case("stream_losses", stream_losses,
         lambda: {"model": MODEL, "input_ids": ids(), "num_sinks": 1, "window": 3},
         {"model": MODEL_KIND, "input_ids": IDS, "num_sinks": SINKS,
          "window": OPTIONAL_WINDOW}),
    Case("recompute_losses", recompute_losses,
         lambda: {"model": MODEL, "input_ids": ids(), "window": 3},
         {"model": MODEL_KIND, "input_ids": IDS, "window": WINDOW}),
    Case("policy_losses", policy_losses,
         lambda: {"model": MODEL, "input_ids": ids(), "policy": "sinks", "window": 3,
                  "num_sinks": 1},
         {"model": MODEL_KIND, "input_ids": IDS, "policy": CHOICE("dense"),
          "window": WINDOW, "num_sinks": SINKS}),
    Case("policy_pairs", policy_pairs,
         lambda: {"seq_len": T, "policy": "recompute", "window": 3, "num_sinks": 1},
         {"seq_len": INT(1, MAX_STREAM), "policy": CHOICE("dense"), "window": WINDOW,
          "num_sinks": SINKS}),
]  # fmt: skip


def seg(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def segment() -> dict:
    return {"query": seg(1, 2, 3, 4), "key": seg(1, 2, 3, 4, seed=1),
            "value": seg(1, 2, 3, 4, seed=2), "mem_key": seg(1, 2, 5, 4, seed=3),
            "mem_value": seg(1, 2, 5, 4, seed=4)}  # fmt: skip


SEG = TENSOR((4,), mismatch=True)
CASES += [
    Case("memory_mask", memory_mask, lambda: {"seg_len": 3, "mem_len": 2},
         {"seg_len": INT(1, 1 << 20), "mem_len": INT(0, MAX_STREAM)}),
    Case("segment_attention", segment_attention, segment,
         {"query": SEG, "key": BOTH(SEG, VALUES(("other length", seg(1, 2, 4, 4)))),
          "value": TENSOR((4,)),
          "mem_key": BOTH(TENSOR((4,), mismatch=True, empty=False),
                          VALUES(("2 heads short", seg(1, 1, 5, 4)))),
          "mem_value": BOTH(TENSOR((4,), empty=False),
                            VALUES(("other length", seg(1, 2, 4, 4))))}),
    Case("SegmentMemory", SegmentMemory, lambda: {"num_layers": 2, "mem_len": 3},
         {"num_layers": INT(1, 4096), "mem_len": INT(0, MAX_STREAM)}),
    Case("recurrent_logits", recurrent_logits,
         lambda: {"model": MODEL, "input_ids": ids(), "seg_len": 3, "mem_len": 2},
         {"model": MODEL_KIND, "input_ids": IDS, "seg_len": INT(1, 1 << 20),
          "mem_len": INT(0, MAX_STREAM)}),
    Case("recurrent_losses", recurrent_losses,
         lambda: {"model": MODEL, "input_ids": ids(), "seg_len": 3, "mem_len": 2},
         {"model": MODEL_KIND, "input_ids": IDS, "seg_len": INT(1, 1 << 20),
          "mem_len": INT(0, MAX_STREAM)}),
    Case("evaluation_cost", evaluation_cost,
         lambda: {"seq_len": T, "context": 4, "seg_len": 2},
         {"seq_len": INT(1, MAX_STREAM), "context": INT(1, 1 << 20),
          "seg_len": BOTH(INT(1, 1 << 20, none=True), VALUES(("beyond context", 5)))}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.long_context.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)


def test_the_cache_takes_one_token_a_step():
    cache, q = StreamingCache(1), torch.zeros(1, 2, 3, 4)
    try:
        cache(q, q, q, None)
    except ValueError as error:
        assert "one token a step" in str(error)
    else:
        raise AssertionError("a 3-token step was accepted")
