"""DeepSeek-MoE: the parameter count against Hugging Face's DeepseekV3ForCausalLM built
on the meta device, the biased top-k against HF's DeepseekV3TopkRouter with its
correction bias, the bias update's rule and its effect, and the combinations count
against enumeration."""

from __future__ import annotations

from itertools import combinations

import pytest
import torch
from transformers import DeepseekV3Config, DeepseekV3ForCausalLM
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3TopkRouter

from llmviz.moe.bias_balance import balance_with_bias, biased_top_k, update_bias
from llmviz.moe.deepseek_params import deepseek_parameter_counts, expert_combinations


def meta_count(config: DeepseekV3Config) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in DeepseekV3ForCausalLM(config).parameters())


@pytest.mark.parametrize(
    "fields",
    [
        {},  # DeepSeek-V3 itself: 671B
        {"num_hidden_layers": 3, "first_k_dense_replace": 1, "hidden_size": 64}
        | {"intermediate_size": 96, "moe_intermediate_size": 16, "vocab_size": 100}
        | {"num_attention_heads": 4, "q_lora_rank": None, "kv_lora_rank": 8}
        | {"n_routed_experts": 8, "n_shared_experts": 2, "tie_word_embeddings": True}
        | {"n_group": 1, "topk_group": 1, "num_experts_per_tok": 2},
    ],
)
def test_parameter_count_equals_hf_on_meta(fields):
    config = DeepseekV3Config(**fields)
    assert deepseek_parameter_counts(config)["total"] == meta_count(config)


def test_active_parameters_drop_exactly_the_unused_routed_experts():
    config = DeepseekV3Config()
    counts = deepseek_parameter_counts(config)
    moe_layers = config.num_hidden_layers - config.first_k_dense_replace
    per_expert = 3 * config.hidden_size * config.moe_intermediate_size
    unused = moe_layers * (config.n_routed_experts - config.num_experts_per_tok)
    assert counts["total"] - counts["active"] == unused * per_expert
    assert counts["total"] == sum(
        v for key, v in counts.items() if key not in ("total", "active")
    )


def test_biased_top_k_equals_hf_router():
    torch.manual_seed(0)
    config = DeepseekV3Config(
        hidden_size=16,
        n_routed_experts=8,
        num_experts_per_tok=2,
        n_group=1,
        topk_group=1,
    )
    config.routed_scaling_factor = 1.0
    router = DeepseekV3TopkRouter(config)
    torch.nn.init.normal_(router.weight)
    router.e_score_correction_bias.copy_(torch.randn(8) * 0.5)
    x = torch.randn(10, 16)
    _, hf_weights, hf_experts = router(x)
    weights, experts = biased_top_k(
        x @ router.weight.T, router.e_score_correction_bias, 2
    )
    order_hf, order = hf_experts.argsort(-1), experts.argsort(-1)
    assert torch.equal(hf_experts.gather(-1, order_hf), experts.gather(-1, order))
    torch.testing.assert_close(
        hf_weights.gather(-1, order_hf), weights.gather(-1, order), atol=1e-6, rtol=0
    )


def test_bias_never_enters_the_gate_weights():
    z = torch.randn(12, 6, generator=torch.Generator().manual_seed(1))
    bias = torch.randn(6, generator=torch.Generator().manual_seed(2))
    weights, experts = biased_top_k(z, bias, 3)
    chosen = z.sigmoid().gather(-1, experts)
    torch.testing.assert_close(weights, chosen / chosen.sum(-1, keepdim=True))


def test_update_bias_moves_each_expert_by_gamma_against_its_load():
    load = torch.tensor([9.0, 4.0, 1.0, 2.0])  # mean 4
    new = update_bias(torch.zeros(4), load, 0.25)
    assert new.tolist() == [-0.25, 0.0, 0.25, 0.25]


def test_balancing_evens_a_skewed_load():
    generator = torch.Generator().manual_seed(0)
    skew = torch.linspace(2.0, -2.0, 8)
    logits = torch.randn(200, 64, 8, generator=generator) + skew
    out = balance_with_bias(logits, 2, 0.01)
    first, last = out["load"][0].float(), out["load"][-20:].float().mean(0)
    assert last.std() < 0.25 * first.std()
    assert (out["load"].sum(-1) == 128).all()  # every token still gets k experts


@pytest.mark.parametrize(("n", "k", "m"), [(4, 1, 2), (4, 2, 2), (3, 1, 3), (6, 2, 1)])
def test_expert_combinations_counts_the_sets(n, k, m):
    assert expert_combinations(n, k, m) == sum(
        1 for _ in combinations(range(m * n), m * k)
    )
