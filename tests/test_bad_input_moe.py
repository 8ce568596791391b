"""Bad input for every public callable of ``llmviz.moe`` (chapter 7): each bad value of
each parameter is refused with a ``ValueError``/``TypeError`` naming it, and valid calls
leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import math

import torch

from llmviz.moe import (
    MODEL_CONFIGS,
    SparseMoeBlock,
    cv_squared,
    dense_equivalent,
    expert_capacity,
    expert_counts,
    flops_per_token,
    importance_loss,
    key_depth,
    load_balancing_loss,
    noisy_top_k_gating,
    parameter_counts,
    route,
    router_z_loss,
    structure_mask,
    switch_load_balancing_loss,
    top1_with_capacity,
)
from tests.bad_input import (
    BOOL,
    BOTH,
    CHOICE,
    INT,
    REAL,
    TENSOR,
    VALUES,
    Case,
    bad_input_test,
    keeps_inputs_test,
)

T, E, D = 6, 4, 8  # tokens, experts, hidden size of the valid calls


def logits() -> torch.Tensor:
    return torch.randn(T, E, generator=torch.Generator().manual_seed(0))


def probs(groups: int = 2) -> torch.Tensor:
    return torch.randn(groups, T, E).softmax(dim=-1)


def block() -> SparseMoeBlock:
    torch.manual_seed(0)
    return SparseMoeBlock(D, 12, num_experts=E, num_experts_per_tok=2)


MIXTRAL = MODEL_CONFIGS["Mixtral-8x7B"]
CONFIG = VALUES(
    ("None", None),
    ("str", "Mixtral-8x7B"),
    ("int", 3),
    ("list", [("hidden_size", 4096)]),
    ("empty dict", {}),
    ("missing hidden_size", {k: v for k, v in MIXTRAL.items() if k != "hidden_size"}),
    ("size as str", MIXTRAL | {"hidden_size": "4096"}),
    ("negative size", MIXTRAL | {"num_hidden_layers": -1}),
    ("zero size", MIXTRAL | {"vocab_size": 0}),
    ("float size", MIXTRAL | {"intermediate_size": 2.5}),
    ("bool size", MIXTRAL | {"num_attention_heads": True}),
    ("nan size", MIXTRAL | {"intermediate_size": math.nan}),
    ("heads not a multiple of kv heads", MIXTRAL | {"num_key_value_heads": 5}),
    ("more kv heads than heads", MIXTRAL | {"num_key_value_heads": 64}),
    ("zero head_dim", MIXTRAL | {"head_dim": 0}),
    ("k > experts", MIXTRAL | {"num_experts_per_tok": 9}),
    ("zero experts", MIXTRAL | {"num_local_experts": 0}),
    ("experts without k", {k: v for k, v in MIXTRAL.items() if "per_tok" not in k}),
    ("tie as str", MIXTRAL | {"tie_word_embeddings": "no"}),
)
NAMES = CHOICE("encoder-only", "decoder-only", "prefix-LM", "encoder-decoder")
SIZE = 2048  # structure masks are (N, N): larger lengths would allocate gigabytes

CASES = [
    Case(
        "llmviz.moe.structure_mask",
        structure_mask,
        lambda: {"name": "encoder-decoder", "source_len": 3, "target_len": 2},
        {"name": NAMES, "source_len": INT(0, SIZE), "target_len": INT(0, SIZE)},
    ),
    Case(
        "llmviz.moe.key_depth",
        key_depth,
        lambda: {
            "name": "prefix-LM",
            "source_len": 3,
            "target_len": 2,
            "num_layers": 4,
        },
        {
            "name": NAMES,
            "source_len": INT(0, SIZE),
            "target_len": INT(0, SIZE),
            "num_layers": INT(1, 256),
        },
    ),
    Case(
        "llmviz.moe.expert_capacity",
        expert_capacity,
        lambda: {"tokens_per_group": 64, "num_experts": 8, "capacity_factor": 1.25},
        {
            "tokens_per_group": INT(1),
            "num_experts": INT(1),
            "capacity_factor": REAL(0, math.inf, open_min=True),
        },
    ),
    Case(
        "llmviz.moe.top1_with_capacity",
        top1_with_capacity,
        lambda: {"router_logits": logits()[None], "capacity": 2},
        {"router_logits": TENSOR((3,)), "capacity": INT(1)},
    ),
    Case(
        "llmviz.moe.SparseMoeBlock",
        SparseMoeBlock,
        lambda: {
            "hidden_size": D,
            "intermediate_size": 12,
            "num_experts": E,
            "num_experts_per_tok": 2,
            "norm_topk_prob": True,
        },
        {
            "hidden_size": INT(1, 65536),
            "intermediate_size": INT(1, 262144),
            "num_experts": INT(1, 4096),
            "num_experts_per_tok": BOTH(INT(1), VALUES(("more than experts", E + 1))),
            "norm_topk_prob": BOOL(),
        },
    ),
    Case(
        "llmviz.moe.SparseMoeBlock.forward",
        lambda module, **kw: module(**kw),
        lambda: {
            "module": block(),
            "hidden_states": torch.randn(2, 3, D),
            "dispatch": "grouped",
        },
        {
            "hidden_states": TENSOR((3,), mismatch=True),
            "dispatch": CHOICE("grouped", "loop"),
        },
    ),
    Case(
        "llmviz.moe.cv_squared",
        cv_squared,
        lambda: {"values": torch.tensor([1.0, 2.0, 4.0]), "eps": 1e-10},
        {"values": TENSOR((1,)), "eps": REAL(0, math.inf)},
    ),
    Case(
        "llmviz.moe.importance_loss",
        importance_loss,
        lambda: {"gates": logits().softmax(-1), "weight": 0.1},
        {
            "gates": BOTH(
                TENSOR((2,)),
                VALUES(("negative gates", logits()), ("gates above one", logits() + 5)),
            ),
            "weight": REAL(0, math.inf),
        },
    ),
    Case(
        "llmviz.moe.load_balancing_loss",
        load_balancing_loss,
        lambda: {
            "router_logits": logits(),
            "num_experts": E,
            "top_k": 2,
            "attention_mask": torch.tensor([[1, 1, 1], [1, 1, 0]]),
        },
        {
            "router_logits": BOTH(
                TENSOR((2,), mismatch=True),
                VALUES(
                    ("no layers", []),
                    ("a layer with other token count", [logits(), logits()[:4]]),
                    ("a layer with other experts", [logits(), logits()[:, :3]]),
                    ("a layer that is not a tensor", [logits(), "x"]),
                ),
            ),
            "num_experts": BOTH(INT(1), VALUES(("not the logits' width", E + 1))),
            "top_k": BOTH(INT(1), VALUES(("more than num_experts", E + 1))),
            "attention_mask": BOTH(
                TENSOR((2,), floating=False, none=True, mismatch=True),
                VALUES(
                    ("all zero", torch.zeros(2, 3, dtype=torch.long)),
                    ("a 2", torch.tensor([[1, 1, 2], [1, 1, 0]])),
                    ("negative", torch.tensor([[1, 1, -1], [1, 1, 0]])),
                ),
            ),
        },
    ),
    Case(
        "llmviz.moe.router_z_loss",
        router_z_loss,
        lambda: {"router_logits": logits().view(2, 3, E)},
        {"router_logits": TENSOR((2, 3))},
    ),
    Case(
        "llmviz.moe.switch_load_balancing_loss",
        switch_load_balancing_loss,
        lambda: {
            "router_probs": probs(),
            "expert_indices": torch.tensor([[0, 1, 2, 3, 0, 1], [3, 3, 2, 1, 0, 0]]),
        },
        {
            "router_probs": BOTH(
                TENSOR((3,)),
                VALUES(
                    ("negative probabilities", torch.randn(2, T, E)),
                    ("probabilities above one", probs() + 1),
                ),
            ),
            "expert_indices": BOTH(
                TENSOR((2, 3), floating=False, mismatch=True),
                VALUES(
                    ("expert too large", torch.full((2, T), E)),
                    ("negative expert", torch.full((2, T), -1)),
                ),
            ),
        },
    ),
    Case(
        "llmviz.moe.route",
        route,
        lambda: {
            "router_logits": logits(),
            "num_experts_per_tok": 2,
            "norm_topk_prob": True,
        },
        {
            "router_logits": TENSOR((2,)),
            "num_experts_per_tok": BOTH(INT(1), VALUES(("more than E", E + 1))),
            "norm_topk_prob": BOOL(),
        },
    ),
    Case(
        "llmviz.moe.expert_counts",
        expert_counts,
        lambda: {"experts": torch.tensor([[0, 2], [2, 1], [3, 0]]), "num_experts": E},
        {
            "experts": BOTH(
                TENSOR((1, 2), floating=False, empty=False),  # no tokens: zeros
                VALUES(("expert too large", torch.tensor([[0, E]]))),
                VALUES(("negative expert", torch.tensor([[0, -1]]))),
            ),
            "num_experts": BOTH(INT(1, 2**20), VALUES(("below the experts", 3))),
        },
    ),
    Case(
        "llmviz.moe.noisy_top_k_gating",
        noisy_top_k_gating,
        lambda: {
            "x": torch.randn(T, D),
            "w_gate": torch.randn(D, E),
            "w_noise": torch.randn(D, E),
            "num_experts_per_tok": 2,
            "generator": torch.Generator().manual_seed(0),
            "train": True,
        },
        {
            "x": TENSOR((2,), mismatch=True),
            "w_gate": TENSOR((2,), mismatch=True),
            "w_noise": TENSOR((2,), none=True, mismatch=True),
            "num_experts_per_tok": BOTH(INT(1), VALUES(("more than E", E + 1))),
            "generator": VALUES(("int", 3), ("str", "seed"), ("tensor", logits())),
            "train": BOOL(),
        },
    ),
    Case(
        "llmviz.moe.parameter_counts",
        parameter_counts,
        lambda: {"config": dict(MIXTRAL)},
        {"config": CONFIG},
    ),
    Case(
        "llmviz.moe.flops_per_token",
        flops_per_token,
        lambda: {"config": dict(MIXTRAL), "context_length": 4096},
        {"config": CONFIG, "context_length": INT(0)},
    ),
    Case(
        "llmviz.moe.dense_equivalent",
        dense_equivalent,
        lambda: {"config": dict(MIXTRAL)},
        {"config": CONFIG},
    ),
]

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
