"""Bad input for chapter 7's routers (expert choice, token choice with capacity, dense
and soft MoE), DeepSeek-MoE's bias balancing and parameter count, and TinyGPT run
without its mask: each bad value of each parameter is refused with a ValueError or
TypeError naming it, and valid calls leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import torch

from llmviz.models.config import TinyGPTConfig
from llmviz.models.tinygpt import TinyGPT
from llmviz.moe import (
    balance_with_bias,
    biased_top_k,
    deepseek_parameter_counts,
    dense_moe,
    expert_choice_capacity,
    expert_choice_routing,
    expert_combinations,
    soft_moe,
    soft_moe_weights,
    tinygpt_attention,
    tinygpt_states,
    top_k_with_capacity,
    update_bias,
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

T, E, D, S = 6, 3, 4, 2  # tokens, experts, hidden size, slots per expert


def draw(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def experts(count: int = E) -> torch.nn.ModuleList:
    torch.manual_seed(0)
    return torch.nn.ModuleList(torch.nn.Linear(D, D) for _ in range(count))


def EXPERTS(count: int) -> VALUES:
    return VALUES(
        ("None", None),
        ("int", 3),
        ("one callable", torch.nn.Linear(D, D)),
        ("too few", [torch.nn.Linear(D, D)] * (count - 1)),
        ("too many", [torch.nn.Linear(D, D)] * (count + 1)),
        ("not callable", [1] * count),
    )


def tiny() -> TinyGPT:
    torch.manual_seed(0)
    config = TinyGPTConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, intermediate_size=32
    )
    return TinyGPT(config).eval()


ABOVE_E = VALUES(("above num_experts", E + 1))
DEEPSEEK = {
    "vocab_size": 10,
    "hidden_size": 8,
    "intermediate_size": 12,
    "moe_intermediate_size": 4,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "n_routed_experts": 4,
    "num_experts_per_tok": 2,
    "kv_lora_rank": 4,
    "qk_nope_head_dim": 4,
    "qk_rope_head_dim": 2,
    "v_head_dim": 4,
    "first_k_dense_replace": 1,
    "n_shared_experts": 1,
}

CASES = [
    Case(
        "llmviz.moe.expert_choice_capacity",
        expert_choice_capacity,
        lambda: {"num_tokens": 16, "num_experts": 4, "k": 2},
        {
            "num_tokens": INT(1, 2**31),
            "num_experts": INT(1, 2**20),
            "k": BOTH(INT(1), VALUES(("above num_experts", 5))),
        },
    ),
    Case(
        "llmviz.moe.expert_choice_routing",
        expert_choice_routing,
        lambda: {"router_logits": draw(T, E), "capacity": 2},
        {
            "router_logits": TENSOR((2,)),
            "capacity": BOTH(INT(1), VALUES(("above T", T + 1))),
        },
    ),
    Case(
        "llmviz.moe.top_k_with_capacity",
        top_k_with_capacity,
        lambda: {"router_logits": draw(T, E), "k": 2, "capacity": 3},
        {"router_logits": TENSOR((2,)), "k": BOTH(INT(1), ABOVE_E), "capacity": INT(1)},
    ),
    Case(
        "llmviz.moe.dense_moe",
        dense_moe,
        lambda: {"x": draw(T, D), "router_logits": draw(T, E), "experts": experts()},
        {
            "x": TENSOR((2,)),
            "router_logits": BOTH(TENSOR((2,)), VALUES(("other T", draw(T + 1, E)))),
            "experts": EXPERTS(E),
        },
    ),
    Case(
        "llmviz.moe.soft_moe_weights",
        soft_moe_weights,
        lambda: {"logits": draw(T, E * S)},
        {"logits": TENSOR((2,))},
    ),
    Case(
        "llmviz.moe.soft_moe",
        soft_moe,
        lambda: {
            "x": draw(T, D),
            "phi": draw(D, E * S),
            "experts": experts(),
            "slots_per_expert": S,
        },
        {
            "x": BOTH(TENSOR((2,)), VALUES(("other D", draw(T, D + 1)))),
            "phi": BOTH(
                TENSOR((2,), mismatch=True), VALUES(("other D", draw(D + 1, 6)))
            ),
            "experts": EXPERTS(E),
            "slots_per_expert": BOTH(INT(1, 2**16), VALUES(("not a divisor", 4))),
        },
    ),
    Case(
        "llmviz.moe.biased_top_k",
        biased_top_k,
        lambda: {"router_logits": draw(T, E), "bias": draw(E), "k": 2},
        {
            "router_logits": TENSOR((2,)),
            "bias": BOTH(TENSOR((1,)), VALUES(("other E", draw(E + 1)))),
            "k": BOTH(INT(1), ABOVE_E),
        },
    ),
    Case(
        "llmviz.moe.update_bias",
        update_bias,
        lambda: {"bias": draw(E), "load": torch.tensor([3.0, 1.0, 2.0]), "gamma": 0.1},
        {
            "bias": TENSOR((1,)),
            "load": TENSOR((1,), mismatch=True),
            "gamma": REAL(0.0, open_min=True),
        },
    ),
    Case(
        "llmviz.moe.balance_with_bias",
        balance_with_bias,
        lambda: {"router_logits": draw(3, T, E), "k": 1, "gamma": 0.1},
        {
            "router_logits": TENSOR((3,)),
            "k": BOTH(INT(1), ABOVE_E),
            "gamma": REAL(0.0, open_min=True),
        },
    ),
    Case(
        "llmviz.moe.expert_combinations",
        expert_combinations,
        lambda: {"num_experts": 8, "k": 2, "split": 2},
        {
            "num_experts": INT(1, 2**16),
            "k": BOTH(INT(1), VALUES(("above num_experts", 9))),
            "split": INT(1, 64),
        },
    ),
    Case(
        "llmviz.moe.deepseek_parameter_counts",
        deepseek_parameter_counts,
        lambda: {"config": dict(DEEPSEEK)},
        {
            "config": VALUES(
                ("None", None),
                ("str", "deepseek"),
                ("missing field", {"hidden_size": 8}),
                ("k above experts", DEEPSEEK | {"num_experts_per_tok": 5}),
                ("negative size", DEEPSEEK | {"hidden_size": -8}),
                ("dense layers above layers", DEEPSEEK | {"first_k_dense_replace": 3}),
            )
        },
    ),
    Case(
        "llmviz.moe.tinygpt_states",
        tinygpt_states,
        lambda: {
            "model": tiny(),
            "input_ids": torch.tensor([[1, 2, 3]]),
            "causal": False,
        },
        {
            "model": VALUES(("None", None), ("a Linear", torch.nn.Linear(2, 2))),
            "input_ids": BOTH(
                TENSOR((2,), floating=False),
                VALUES(("out of vocabulary", torch.tensor([[1, 50]]))),
            ),
            "causal": BOOL(),
        },
    ),
]

CASES.append(
    Case(
        "llmviz.moe.tinygpt_attention",
        tinygpt_attention,
        CASES[-1].valid,
        CASES[-1].params,
    )
)

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
