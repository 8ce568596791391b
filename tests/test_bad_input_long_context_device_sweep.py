"""Bad input for the device sweep (llmviz.long_context.device_sweep): each bad value of
each parameter is refused with a ValueError or TypeError naming it, and a valid call
leaves its inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.attention.flex_attention import create_block_mask

from llmviz.attention import masks
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.long_context.device_sweep import sweep
from tests.bad_input import (
    CALLABLE,
    INT,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)


def sdpa(q, k, v, _):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


DEVICES = [("None", None), ("an int", 3), ("not a device", "tpu9"), ("meta", "meta")]
if not torch.cuda.is_available():
    DEVICES.append(("cuda without a GPU", "cuda"))

CASES = [
    Case("device_sweep.sweep", sweep,
         lambda: {"methods": {"sdpa": (sdpa, masks.causal)}, "lengths": [8],
                  "device": "cpu", "dtype": torch.float32, "heads": 1,
                  "head_dim": 4, "repeats": 1, "block_mask": create_block_mask},
         {"methods": VALUES(
             ("None", None), ("empty", {}), ("a list", [("sdpa", sdpa)]),
             ("not a pair", {"sdpa": sdpa}), ("a triple", {"sdpa": (sdpa, None, None)}),
             ("run not callable", {"sdpa": (None, None)}),
             ("mask_mod not callable", {"sdpa": (sdpa, 3)}),
             ("wrong output shape", {"half": (lambda q, k, v, _: q[..., :1, :], None)}),
             ("NaN output", {"nan": (lambda q, k, v, _: q * float("nan"), None)})),
          "lengths": VALUES(
              ("None", None), ("empty", []), ("a string", "64"), ("an int", 64),
              ("zero", [0]), ("negative", [-8]), ("float", [8.5]), ("bool", [True]),
              ("absurd", [10**9]), ("beyond the maximum", [MAX_SEQ_LEN + 1])),
          "device": VALUES(*DEVICES),
          "dtype": VALUES(("None", None), ("integer", torch.int64),
                          ("a string", "float32"), ("bool", torch.bool)),
          "heads": INT(1, 256), "head_dim": INT(1, 1024), "repeats": INT(1, 100),
          "block_mask": CALLABLE()}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.long_context.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
