"""Bad input for the comparison table's public callables
(llmviz.long_context.costs and .compare): each bad value of each parameter is refused with a
ValueError or TypeError naming it, and valid calls leave their inputs alone
(tests/bad_input.py)."""

from __future__ import annotations

import torch
from torch import nn

from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.long_context.compare import mean_loss, method_attention
from llmviz.long_context.costs import keys_per_query, method_cost
from llmviz.long_context.swap import dense_attention
from llmviz.models import TinyGPT, TinyGPTConfig
from tests.bad_input import (
    BOTH,
    CALLABLE,
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

SETTINGS = VALUES(
    ("not a dict", [("window", 2)]),
    ("a string", "window=2"),
    ("another method's setting", {"top_k": 2}),
    ("zero window", {"window": 0}),
    ("negative window", {"window": -3}),
    ("float window", {"window": 2.5}),
    ("bool window", {"window": True}),
    ("absurd window", {"window": 10**12}),
    ("None window", {"window": None}),
)
METHOD = CHOICE("window")

CASES = [
    Case("keys_per_query", keys_per_query,
         lambda: {"method": "window", "seq_len": 8, "settings": {"window": 3}},
         {"method": METHOD, "seq_len": INT(1, MAX_SEQ_LEN), "settings": SETTINGS}),
    Case("method_cost", method_cost,
         lambda: {"method": "window", "seq_len": 8, "head_dim": 4,
                  "settings": {"window": 3}},
         {"method": METHOD, "seq_len": INT(1, MAX_SEQ_LEN), "head_dim": INT(1, 1 << 16),
          "settings": SETTINGS}),
    Case("method_attention", method_attention,
         lambda: {"method": "window", "settings": {"window": 3}},
         {"method": METHOD, "settings": SETTINGS}),
    Case("mean_loss", mean_loss,
         lambda: {"model": MODEL, "input_ids": torch.arange(8)[None],
                  "attention": dense_attention},
         {"model": VALUES(("None", None), ("Linear", nn.Linear(2, 2)),
                          ("learned positions", TinyGPT(TinyGPTConfig(
                              **SIZES, position_embedding="learned")))),
          "input_ids": BOTH(TENSOR((2,), floating=False),
                            VALUES(("beyond the vocabulary", torch.full((1, 8), 99)),
                                   ("one token", torch.zeros(1, 1, dtype=torch.long)))),
          "attention": CALLABLE()}),
]  # fmt: skip
for case in CASES:  # full names, as tests/test_public_api_coverage.py looks them up
    case.name = f"llmviz.long_context.{case.name}"

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
