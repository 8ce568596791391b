"""The sparse MoE layer against Hugging Face's MixtralSparseMoeBlock, and the parameter
calculator against HF models instantiated on the meta device (research/oracles.md §7)."""

from __future__ import annotations

import logging
import random

import pytest
import torch
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    MixtralConfig,
    MixtralForCausalLM,
)
from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock

from llmviz.moe.layer import SparseMoeBlock
from llmviz.moe.params import (
    MODEL_CONFIGS,
    dense_equivalent,
    ffn_parameters,
    flops_per_token,
    parameter_counts,
)

ATOL = 1e-5


@pytest.fixture(autouse=True)
def _quiet_hf_experts_warning():
    # a standalone MixtralSparseMoeBlock logs an (harmless) ExpertsInterface warning
    logger = logging.getLogger("transformers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def hf_block_and_ours(D, inner, E, k, seed=0):
    torch.manual_seed(seed)
    config = MixtralConfig(
        hidden_size=D,
        intermediate_size=inner,
        num_local_experts=E,
        num_experts_per_tok=k,
    )
    hf = MixtralSparseMoeBlock(config).eval()
    for p in hf.parameters():  # HF leaves them torch.empty until a model inits them
        torch.nn.init.normal_(p, std=0.3)
    ours = SparseMoeBlock(D, inner, num_experts=E, num_experts_per_tok=k).eval()
    ours.load_state_dict(hf.state_dict())  # same names and shapes
    return hf, ours


@pytest.mark.parametrize("E,k", [(4, 1), (4, 2), (8, 2), (6, 3), (4, 4), (1, 1)])
@pytest.mark.parametrize("dispatch", ["grouped", "loop"])
def test_block_equals_hf_mixtral(E, k, dispatch):
    hf, ours = hf_block_and_ours(16, 24, E, k, seed=E * 10 + k)
    x = torch.randn(3, 7, 16)
    with torch.no_grad():
        expected = hf(x)
        expected_logits = hf.gate(x)[0]  # HF's block returns only the output
        out, router_logits = ours(x, dispatch=dispatch)
    torch.testing.assert_close(out, expected, atol=ATOL, rtol=0)
    torch.testing.assert_close(router_logits, expected_logits, atol=ATOL, rtol=0)
    assert router_logits.shape == (3 * 7, E)


def test_dispatches_agree_and_state_dict_round_trips():
    hf, ours = hf_block_and_ours(32, 48, 8, 2)
    assert set(ours.state_dict()) == set(hf.state_dict())
    x = torch.randn(2, 33, 32)
    with torch.no_grad():
        grouped, _ = ours(x, dispatch="grouped")
        loop, _ = ours(x, dispatch="loop")
    torch.testing.assert_close(grouped, loop, atol=ATOL, rtol=0)


def test_without_renormalising_weights_are_the_top_k_probabilities():
    _, ours = hf_block_and_ours(8, 16, 4, 4)
    raw = SparseMoeBlock(8, 16, 4, 4, norm_topk_prob=False)
    raw.load_state_dict(ours.state_dict())
    x = torch.randn(1, 5, 8)
    with torch.no_grad():  # k = E: the probabilities already sum to 1
        torch.testing.assert_close(raw(x)[0], ours(x)[0], atol=ATOL, rtol=0)
        blocks = {norm: SparseMoeBlock(8, 16, 4, 2, norm) for norm in (True, False)}
        for block in blocks.values():
            block.load_state_dict(ours.state_dict())
        assert not torch.allclose(blocks[True](x)[0], blocks[False](x)[0])


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"num_experts_per_tok": 5}, ValueError, "at most num_experts = 4, got 5"),
        (
            {"num_experts_per_tok": 0},
            ValueError,
            "num_experts_per_tok must be an integer >= 1",
        ),
        ({"num_experts": 0}, ValueError, "num_experts must be an integer >= 1"),
        ({"hidden_size": 2.0}, TypeError, "hidden_size must be an integer"),
        (
            {"intermediate_size": -1},
            ValueError,
            "intermediate_size must be an integer >= 1",
        ),
    ],
)
def test_block_rejects_bad_sizes(kwargs, error, message):
    sizes = {"hidden_size": 8, "intermediate_size": 16, "num_experts": 4}
    sizes["num_experts_per_tok"] = 2
    with pytest.raises(error, match=message):
        SparseMoeBlock(**(sizes | kwargs))


def test_block_rejects_bad_inputs():
    block = SparseMoeBlock(8, 16, 4, 2)
    with pytest.raises(ValueError, match=r"hidden_size=8\), got shape \(2, 3, 7\)"):
        block(torch.randn(2, 3, 7))
    with pytest.raises(ValueError, match=r"got shape \(3, 8\)"):
        block(torch.randn(3, 8))
    with pytest.raises(ValueError, match="dispatch must be one of"):
        block(torch.randn(1, 2, 8), dispatch="scatter")


# -- parameter counts ------------------------------------------------------------------


def hf_model(config: dict):
    """The HF model for a config, on the meta device: shapes only, no memory."""
    fields = {"max_position_embeddings": 64} | config
    with torch.device("meta"):
        if "num_local_experts" in config:
            return MixtralForCausalLM(MixtralConfig(**fields))
        return LlamaForCausalLM(LlamaConfig(**fields))


def hf_counts(model) -> dict[str, int]:
    """Total, active (k of E experts) and matmul weights per token, counted from HF."""
    total = sum(p.numel() for p in model.parameters())
    unused = 0
    for layer in model.model.layers:
        experts = getattr(layer.mlp, "experts", None)
        if experts is not None:
            per_expert = experts.gate_up_proj[0].numel() + experts.down_proj[0].numel()
            unused += (
                experts.num_experts - model.config.num_experts_per_tok
            ) * per_expert
    linear = sum(
        p.numel()
        for n, p in model.named_parameters()
        if "norm" not in n and "embed" not in n
    )
    if model.config.tie_word_embeddings:  # the head is the embedding, named once
        linear += model.lm_head.weight.numel()
    return {"total": total, "active": total - unused, "matmul": linear - unused}


def random_configs(n: int) -> list[dict]:
    rng, configs = random.Random(7), []
    for i in range(n):
        kv = rng.choice([1, 2, 4])
        heads = kv * rng.choice([1, 2, 3])
        config = {
            "vocab_size": rng.randint(10, 500),
            "hidden_size": heads * rng.choice([2, 4, 8]),
            "intermediate_size": rng.randint(3, 70),
            "num_hidden_layers": rng.randint(1, 4),
            "num_attention_heads": heads,
            "num_key_value_heads": kv,
            "tie_word_embeddings": rng.random() < 0.5,
        }
        if i % 3 == 2:
            config["head_dim"] = rng.choice([4, 6])
        if i % 2:
            E = rng.randint(1, 6)
            config |= {"num_local_experts": E, "num_experts_per_tok": rng.randint(1, E)}
        configs.append(config)
    return configs


CONFIGS = list(MODEL_CONFIGS.items()) + [
    (f"random{i}", c) for i, c in enumerate(random_configs(8))
]


@pytest.mark.parametrize("name,config", CONFIGS, ids=[n for n, _ in CONFIGS])
def test_counts_equal_hf_meta_models(name, config):
    expected = hf_counts(hf_model(config))
    counts = parameter_counts(config)
    assert counts["total"] == expected["total"]
    assert counts["active"] == expected["active"]
    parts = ("embedding", "attention", "experts", "router", "norms")
    assert sum(counts[p] for p in parts) == counts["total"]
    assert flops_per_token(config) == 2 * expected["matmul"]


def test_hf_config_objects_work_too():
    config = MixtralConfig(**MODEL_CONFIGS["Mixtral-8x7B"])
    assert parameter_counts(config) == parameter_counts(MODEL_CONFIGS["Mixtral-8x7B"])
    llama = LlamaConfig(**MODEL_CONFIGS["Llama-3-8B"])
    assert parameter_counts(llama) == parameter_counts(MODEL_CONFIGS["Llama-3-8B"])


def test_the_published_numbers():
    """Mixtral's paper: 46.7B parameters, 12.9B active; Llama 2: 6.74B (HF's counts)."""
    mixtral = hf_counts(hf_model(MODEL_CONFIGS["Mixtral-8x7B"]))
    ours = parameter_counts(MODEL_CONFIGS["Mixtral-8x7B"])
    assert (round(mixtral["total"] / 1e9, 1), round(mixtral["active"] / 1e9, 1)) == (
        46.7,
        12.9,
    )
    assert (
        f"{ours['total'] / 1e9:.1f}B / {ours['active'] / 1e9:.1f}B" == "46.7B / 12.9B"
    )
    llama2 = hf_counts(hf_model(MODEL_CONFIGS["Llama-2-7B"]))["total"]
    assert round(llama2 / 1e9, 2) == 6.74
    assert parameter_counts(MODEL_CONFIGS["Llama-2-7B"])["total"] == llama2


def test_flops_context_term_and_dense_equivalent():
    mixtral = MODEL_CONFIGS["Mixtral-8x7B"]
    extra = flops_per_token(mixtral, context_length=1000) - flops_per_token(mixtral)
    assert extra == 2 * 2 * 32 * 1000 * 4096  # QKᵀ and AV: 2 FLOPs per multiply-add
    dense = dense_equivalent(mixtral)
    counts, dense_counts = parameter_counts(mixtral), parameter_counts(dense)
    assert dense_counts["total"] == counts["total"] - counts["router"]
    assert dense_counts["total"] == hf_counts(hf_model(dense))["total"]
    ffn_total, ffn_active = ffn_parameters(4096, 14336, 8, 2)
    per_layer = 2 * (ffn_total - ffn_active)
    assert flops_per_token(dense) - flops_per_token(mixtral) == 32 * (
        per_layer - 2 * 4096 * 8
    )


@pytest.mark.parametrize(
    "change,error,message",
    [
        ({"hidden_size": None}, ValueError, "missing the field 'hidden_size'"),
        (
            {"num_attention_heads": None},
            ValueError,
            "missing the field 'num_attention_heads'",
        ),
        (
            {"num_experts_per_tok": None},
            ValueError,
            "missing the field 'num_experts_per_tok'",
        ),
        (
            {"num_experts_per_tok": 9},
            ValueError,
            "at most num_local_experts = 8, got 9",
        ),
        (
            {"num_local_experts": 0},
            ValueError,
            "num_local_experts must be an integer >= 1",
        ),
        ({"vocab_size": 3.5}, TypeError, "vocab_size must be an integer"),
        (
            {"num_key_value_heads": 5},
            ValueError,
            r"multiple of num_key_value_heads \(5\)",
        ),
        ({"head_dim": -2}, ValueError, "head_dim must be an integer >= 1"),
    ],
)
def test_calculator_rejects_bad_configs(change, error, message):
    config = MODEL_CONFIGS["Mixtral-8x7B"] | change
    config = {k: v for k, v in config.items() if v is not None}
    for fn in (parameter_counts, flops_per_token, dense_equivalent):
        with pytest.raises(error, match=message):
            fn(config)


def test_bad_arguments():
    with pytest.raises(ValueError, match="context_length must be an integer >= 0"):
        flops_per_token(MODEL_CONFIGS["Llama-3-8B"], context_length=-1)
    with pytest.raises(ValueError, match="at most num_experts = 2, got 3"):
        ffn_parameters(8, 16, num_experts=2, num_experts_per_tok=3)
    with pytest.raises(TypeError, match="hidden_size must be an integer"):
        ffn_parameters("8", 16)
    with pytest.raises(TypeError, match="num_experts_per_tok must be an integer"):
        parameter_counts(MODEL_CONFIGS["Llama-2-7B"] | {"num_experts_per_tok": 1.0})
