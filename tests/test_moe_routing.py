"""Chapter 7's routers and auxiliary losses against Hugging Face transformers (Mixtral,
Switch Transformers), and the noisy top-k gate of Shazeer et al. against its invariants
and a Monte Carlo estimate."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import MixtralConfig, SwitchTransformersConfig
from transformers.models.mixtral.modeling_mixtral import (
    MixtralSparseMoeBlock,
)
from transformers.models.mixtral.modeling_mixtral import (
    load_balancing_loss_func as hf_mixtral_loss,
)
from transformers.models.switch_transformers.modeling_switch_transformers import (
    SwitchTransformersTop1Router,
    router_z_loss_func,
)
from transformers.models.switch_transformers.modeling_switch_transformers import (
    load_balancing_loss_func as hf_switch_loss,
)

from llmviz.moe.capacity import expert_capacity, top1_with_capacity
from llmviz.moe.losses import (
    cv_squared,
    importance_loss,
    load_balancing_loss,
    load_loss,
    router_z_loss,
    switch_load_balancing_loss,
)
from llmviz.moe.routing import (
    expert_counts,
    noisy_top_k_gating,
    route,
    smooth_load,
)

ATOL = 1e-5


def _logits(*shape, seed=0, scale=2.0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale


# --- route: Mixtral and Switch ---------------------------------------------------------


@pytest.mark.parametrize("top_k", [1, 2, 3, 8])
def test_route_equals_mixtral_sparse_moe_block_router(top_k):
    config = MixtralConfig(
        hidden_size=16,
        intermediate_size=8,
        num_local_experts=8,
        num_experts_per_tok=top_k,
    )
    block = MixtralSparseMoeBlock(config).eval()
    torch.nn.init.normal_(block.gate.weight, generator=torch.Generator().manual_seed(1))
    hidden = _logits(2, 7, 16, seed=2).reshape(-1, 16)  # (T, D), as the block flattens
    with torch.no_grad():
        hf_logits, hf_weights, hf_experts = block.gate(hidden)
    weights, experts = route(hf_logits, top_k)
    assert torch.equal(experts, hf_experts)
    assert weights.dtype == torch.float32 and weights.shape == (14, top_k)
    assert (weights - hf_weights).abs().max() < 1e-6


def test_route_without_renormalising_is_switch_top1():
    logits = _logits(9, 5, seed=3)
    weights, experts = route(logits, 1, norm_topk_prob=False)
    probs = logits.softmax(-1)
    assert torch.equal(experts[:, 0], probs.argmax(-1))
    assert (weights[:, 0] - probs.amax(-1)).abs().max() < 1e-6
    assert torch.allclose(route(logits, 1)[0], torch.ones(9, 1))  # renormalised: 1


@settings(max_examples=40, deadline=None)
@given(
    tokens=st.integers(1, 6),
    num_experts=st.integers(1, 9),
    data=st.data(),
    seed=st.integers(0, 10_000),
)
def test_top_k_then_softmax_equals_softmax_then_renormalise(
    tokens, num_experts, data, seed
):
    k = data.draw(st.integers(1, num_experts))
    logits = _logits(tokens, num_experts, seed=seed, scale=4.0)
    top_values, top_experts = torch.topk(logits, k, dim=-1)
    weights, experts = route(logits, k)
    assert torch.equal(experts, top_experts)
    assert (weights - top_values.softmax(-1)).abs().max() < 1e-6


def test_expert_counts():
    experts = torch.tensor([[0, 3], [3, 1], [3, 0]])
    assert expert_counts(experts, 5).tolist() == [2, 1, 0, 3, 0]
    assert expert_counts(torch.zeros(0, 2, dtype=torch.long), 3).tolist() == [0, 0, 0]


# --- noisy top-k gating ----------------------------------------------------------------


def _gate_weights(dim=6, num_experts=5, seed=4):
    return _logits(dim, num_experts, seed=seed), _logits(
        dim, num_experts, seed=seed + 1
    )


@pytest.mark.parametrize("k", [1, 2, 5])
def test_noise_free_gating_equals_route(k):
    x = _logits(10, 6, seed=6)
    w_gate, w_noise = _gate_weights()
    weights, experts = route(x @ w_gate, k)
    for out in (
        noisy_top_k_gating(x, w_gate, None, k),  # no noise matrix
        noisy_top_k_gating(x, w_gate, w_noise, k, train=False),  # evaluation
    ):
        assert torch.equal(out["experts"], experts)
        assert (out["gates"].gather(-1, experts) - weights).abs().max() < 1e-6
        assert torch.equal(out["noisy_logits"], out["clean_logits"])
        assert torch.equal(out["noise_std"], torch.zeros(10, 5))
        assert torch.equal(out["load"], expert_counts(experts, 5).float())


def test_zero_noise_weights_still_add_noise_of_std_ln2():
    x = _logits(4, 6, seed=7)
    w_gate, _ = _gate_weights()
    out = noisy_top_k_gating(x, w_gate, torch.zeros(6, 5), 2)
    assert torch.allclose(out["noise_std"], torch.full((4, 5), math.log(2.0)))


def test_noisy_gating_follows_the_formula():
    x = _logits(8, 6, seed=8)
    w_gate, w_noise = _gate_weights()
    out = noisy_top_k_gating(x, w_gate, w_noise, 2, torch.Generator().manual_seed(9))
    noise = torch.randn(8, 5, generator=torch.Generator().manual_seed(9))
    noisy = x @ w_gate + noise * F.softplus(x @ w_noise)
    assert (out["noisy_logits"] - noisy).abs().max() < ATOL
    threshold = noisy.topk(2, dim=-1).values[:, -1:]
    expected = noisy.masked_fill(noisy < threshold, float("-inf")).softmax(-1)
    assert (out["gates"] - expected).abs().max() < ATOL
    assert ((out["gates"] > 0).sum(-1) == 2).all()
    assert torch.allclose(out["gates"].sum(-1), torch.ones(8))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_smooth_load_matches_monte_carlo(k):
    """P(x, i) is the chance that expert i stays in the top k when its noise alone is
    drawn again, the others' noisy logits held fixed."""
    x = _logits(6, 6, seed=10, scale=0.2)
    w_gate, w_noise = _gate_weights()
    out = noisy_top_k_gating(x, w_gate, w_noise, k, torch.Generator().manual_seed(11))
    clean, noisy, std = out["clean_logits"], out["noisy_logits"], out["noise_std"]
    draws, generator = 20_000, torch.Generator().manual_seed(12)
    estimate = torch.empty_like(clean)  # (T, E)
    for i in range(clean.shape[-1]):
        resampled = noisy.expand(draws, -1, -1).clone()  # (N, T, E)
        noise = torch.randn(draws, clean.shape[0], generator=generator)
        resampled[..., i] = clean[:, i] + noise * std[:, i]
        chosen = resampled.topk(k, dim=-1).indices == i  # (N, T, k)
        estimate[:, i] = chosen.any(-1).float().mean(0)
    exact = smooth_load(clean, noisy, std, k)
    assert (exact - estimate).abs().max() < 0.02
    assert (out["load"] - exact.sum(0)).abs().max() < ATOL
    assert ((exact > 0.05) & (exact < 0.95)).sum() >= 10  # many are truly uncertain


def test_smooth_load_when_every_expert_is_chosen():
    x = _logits(3, 6, seed=13)
    w_gate, w_noise = _gate_weights()
    out = noisy_top_k_gating(x, w_gate, w_noise, 5)
    assert torch.equal(out["load"], torch.full((5,), 3.0))


# --- Shazeer et al.'s CV² losses -------------------------------------------------------


def test_cv_squared_properties():
    values = torch.tensor([1.0, 2.0, 3.0, 6.0])
    expected = values.var(correction=0) / values.mean() ** 2
    assert abs(cv_squared(values) - expected) < 1e-6
    assert abs(cv_squared(values * 37.5) - cv_squared(values)) < 1e-6  # scale-free
    assert cv_squared(torch.full((5,), 3.0)) == 0
    assert cv_squared(torch.tensor([4.0])) == 0
    assert cv_squared(torch.zeros(3)) == 0  # eps keeps 0 / 0 away


def test_importance_and_load_losses():
    balanced = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    assert importance_loss(balanced, weight=0.1) == 0
    skewed = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    assert abs(importance_loss(skewed, weight=0.1) - 0.1 * 2.0) < 1e-6  # CV² = 2
    assert abs(cv_squared(skewed.sum(0) * 3) - cv_squared(skewed.sum(0))) < 1e-6
    assert abs(load_loss(torch.tensor([1.0, 3.0]), weight=2.0) - 2 * 0.25) < 1e-6


# --- Mixtral's load-balancing loss and the router z-loss -------------------------------


@pytest.mark.parametrize("top_k", [1, 2, 3])
@pytest.mark.parametrize("num_layers", [1, 3])
def test_load_balancing_loss_equals_hf(top_k, num_layers):
    layers = tuple(_logits(12, 6, seed=20 + n) for n in range(num_layers))
    expected = hf_mixtral_loss(layers, 6, top_k)
    assert abs(load_balancing_loss(layers, 6, top_k) - expected) < ATOL
    assert abs(load_balancing_loss(list(layers), 6, top_k) - expected) < ATOL
    if num_layers == 1:  # a bare tensor is one layer here; HF returns 0 for it
        assert abs(load_balancing_loss(layers[0], 6, top_k) - expected) < ATOL
        assert hf_mixtral_loss(layers[0], 6, top_k) == 0


@pytest.mark.parametrize("num_layers", [1, 2])
def test_load_balancing_loss_with_attention_mask_equals_hf(num_layers):
    attention_mask = torch.tensor([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1]])  # (B, S)
    layers = tuple(_logits(10, 4, seed=30 + n) for n in range(num_layers))
    expected = hf_mixtral_loss(layers, 4, 2, attention_mask)
    ours = load_balancing_loss(layers, 4, 2, attention_mask=attention_mask)
    assert abs(ours - expected) < ATOL
    kept = attention_mask.reshape(-1).bool()  # the same as dropping the padding
    unmasked = load_balancing_loss(tuple(z[kept] for z in layers), 4, 2)
    assert abs(ours - unmasked) < ATOL
    assert abs(ours - load_balancing_loss(layers, 4, 2)) > 1e-4  # the mask matters


@pytest.mark.parametrize("top_k", [1, 2, 4])
def test_balanced_routing_gives_top_k(top_k):
    num_experts = 4
    logits = torch.zeros(8, num_experts)
    for t in range(
        8
    ):  # token t prefers experts t, t+1, …: every expert k/E of the time
        for slot in range(top_k):
            logits[t, (t + slot) % num_experts] = 5.0 - slot
    loss = load_balancing_loss(logits, num_experts, top_k)
    assert abs(loss - top_k) < ATOL
    assert abs(hf_mixtral_loss((logits,), num_experts, top_k) - top_k) < ATOL


def test_router_z_loss_equals_hf():
    logits = _logits(3, 7, 5, seed=40, scale=4.0)
    assert abs(router_z_loss(logits) - router_z_loss_func(logits)) < ATOL
    assert abs(router_z_loss(logits.reshape(21, 5)) - router_z_loss_func(logits)) < ATOL


# --- the Switch Transformer: its loss and its router with capacity --------------------


@pytest.mark.parametrize("k", [None, 1, 2])
def test_switch_load_balancing_loss_equals_hf(k):
    probs = _logits(3, 10, 6, seed=50).softmax(-1)
    if k is None:
        indices = probs.argmax(-1)  # (G, S)
    else:
        indices = probs.topk(k, dim=-1).indices  # (G, S, k)
    expected = hf_switch_loss(probs, indices)
    assert abs(switch_load_balancing_loss(probs, indices) - expected) < ATOL


def test_switch_load_balancing_loss_is_one_when_uniform():
    probs = torch.full((2, 8, 4), 0.25)
    indices = torch.arange(8).remainder(4).expand(2, 8)
    assert abs(switch_load_balancing_loss(probs, indices) - 1.0) < 1e-6


@pytest.mark.parametrize("capacity", [1, 2, 3, 50])
def test_top1_with_capacity_equals_hf_switch_router(capacity):
    config = SwitchTransformersConfig(
        d_model=16,
        num_experts=4,
        expert_capacity=capacity,
        router_jitter_noise=0,
        router_dtype="float32",
    )
    router = SwitchTransformersTop1Router(config).eval()
    weight = _logits(4, 16, seed=60, scale=0.5)
    with torch.no_grad():
        router.classifier.weight.copy_(weight)
        hidden = _logits(3, 11, 16, seed=61)  # (G, S, D)
        hf_index, hf_probs, hf_logits = router(hidden)
    logits = F.linear(hidden, weight)  # (G, S, E)
    assert (logits - hf_logits).abs().max() < ATOL
    out = top1_with_capacity(logits, capacity)
    assert torch.equal(out["expert_index"], hf_index)
    assert (out["router_probs"] - hf_probs).abs().max() < 1e-6
    assert torch.equal(out["dropped"], hf_index.sum(-1) == 0)


def test_top1_with_capacity_drops_exactly_the_late_tokens():
    logits = _logits(4, 30, 3, seed=70)
    out = top1_with_capacity(logits, capacity=4)
    for g in range(4):
        for e in range(3):
            tokens = (out["expert"][g] == e).nonzero().flatten().tolist()
            kept = out["expert_index"][g, :, e].nonzero().flatten().tolist()
            assert kept == tokens[:4]
            assert out["dropped"][g, tokens[4:]].all()
    assert (out["expert_index"].sum(dim=1) <= 4).all()


def test_expert_capacity():
    assert expert_capacity(64, 8, 1.0) == 8
    assert expert_capacity(64, 8, 1.25) == 10
    assert expert_capacity(10, 4, 1.0) == 2  # 2.5 rounds down
    assert expert_capacity(3, 8, 0.5) == 1  # at least one slot


# --- bad input -------------------------------------------------------------------------


def test_route_errors():
    logits = torch.zeros(3, 4)
    with pytest.raises(
        ValueError, match=r"num_experts_per_tok must be <= num_experts = 4, got 5"
    ):
        route(logits, 5)
    with pytest.raises(
        ValueError, match=r"num_experts_per_tok must be an integer >= 1, got 0"
    ):
        route(logits, 0)
    with pytest.raises(
        TypeError, match=r"num_experts_per_tok must be an integer, got 1.5"
    ):
        route(logits, 1.5)
    with pytest.raises(
        ValueError,
        match=r"router_logits must be a floating tensor of shape \(T, E\).*\(2, 3, 4\)",
    ):
        route(torch.zeros(2, 3, 4), 1)
    with pytest.raises(ValueError, match=r"router_logits .* dtype torch.int64"):
        route(torch.zeros(3, 4, dtype=torch.long), 1)
    with pytest.raises(
        TypeError, match=r"router_logits must be a torch.Tensor, got list"
    ):
        route([[0.0, 1.0]], 1)


def test_expert_counts_errors():
    with pytest.raises(
        ValueError,
        match=r"experts must lie in 0..2 \(num_experts = 3\), got values from 0 to 3",
    ):
        expert_counts(torch.tensor([0, 3]), 3)
    with pytest.raises(
        TypeError,
        match=r"experts must be an integer tensor, got a tensor of dtype torch.float32",
    ):
        expert_counts(torch.tensor([0.0]), 3)
    with pytest.raises(ValueError, match=r"num_experts must be an integer >= 1, got 0"):
        expert_counts(torch.tensor([0]), 0)


def test_noisy_gating_errors():
    x, (w_gate, w_noise) = _logits(4, 6), _gate_weights()
    with pytest.raises(
        ValueError,
        match=r"w_gate must have shape \(D, E\) with D = x.shape\[-1\] = 3, got \(6, 5\)",
    ):
        noisy_top_k_gating(x[:, :3], w_gate, w_noise, 1)
    with pytest.raises(
        ValueError,
        match=r"w_noise must have the shape of w_gate \(6, 5\), got \(6, 4\)",
    ):
        noisy_top_k_gating(x, w_gate, w_noise[:, :4], 1)
    with pytest.raises(
        ValueError, match=r"num_experts_per_tok must be <= num_experts = 5, got 6"
    ):
        noisy_top_k_gating(x, w_gate, w_noise, 6)
    with pytest.raises(
        ValueError, match=r"x must be a floating tensor of shape \(T, D\)"
    ):
        noisy_top_k_gating(x[0], w_gate, w_noise, 1)
    with pytest.raises(TypeError, match=r"w_noise must be a torch.Tensor, got int"):
        noisy_top_k_gating(x, w_gate, 0, 1)


def test_loss_errors():
    with pytest.raises(
        TypeError,
        match=r"values must be a floating tensor, got a tensor of dtype torch.int64",
    ):
        cv_squared(torch.tensor([1, 2]))
    with pytest.raises(
        ValueError, match=r"gates must be a floating tensor of shape \(T, E\)"
    ):
        importance_loss(torch.zeros(4))
    with pytest.raises(
        ValueError, match=r"router_logits must hold at least one layer, got none"
    ):
        load_balancing_loss((), 4)
    with pytest.raises(
        ValueError, match=r"num_experts must equal router_logits.shape\[-1\] = 4, got 5"
    ):
        load_balancing_loss(torch.zeros(3, 4), 5)
    with pytest.raises(ValueError, match=r"top_k must be <= num_experts = 4, got 5"):
        load_balancing_loss(torch.zeros(3, 4), 4, top_k=5)
    with pytest.raises(
        ValueError,
        match=r"attention_mask must hold one value per token \(3\), got shape \(2, 2\)",
    ):
        load_balancing_loss(torch.zeros(3, 4), 4, attention_mask=torch.ones(2, 2))
    with pytest.raises(TypeError, match=r"router_logits must be a floating tensor"):
        router_z_loss(torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(
        TypeError, match=r"router_logits must be a floating tensor, got list"
    ):
        router_z_loss([1.0])
    with pytest.raises(
        ValueError, match=r"router_probs must be a floating tensor of shape \(G, S, E\)"
    ):
        switch_load_balancing_loss(torch.zeros(3, 4), torch.zeros(3, dtype=torch.long))
    with pytest.raises(
        ValueError,
        match=r"expert_indices must have shape \(G, S\) or \(G, S, k\) with \(G, S\) = \(2, 3\), got \(2, 4\)",
    ):
        switch_load_balancing_loss(
            torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype=torch.long)
        )
    with pytest.raises(
        TypeError,
        match=r"expert_indices must be an integer tensor, got a tensor of dtype torch.float32",
    ):
        switch_load_balancing_loss(torch.zeros(2, 3, 4), torch.zeros(2, 3))


def test_capacity_errors():
    with pytest.raises(
        ValueError, match=r"capacity_factor must be a finite number > 0, got 0"
    ):
        expert_capacity(64, 8, 0)
    with pytest.raises(
        ValueError, match=r"capacity_factor must be a finite number > 0, got -1.0"
    ):
        expert_capacity(64, 8, -1.0)
    with pytest.raises(
        ValueError, match=r"tokens_per_group must be an integer >= 1, got 0"
    ):
        expert_capacity(0, 8, 1.0)
    with pytest.raises(ValueError, match=r"capacity must be an integer >= 1, got 0"):
        top1_with_capacity(torch.zeros(1, 2, 3), 0)
    with pytest.raises(
        ValueError,
        match=r"router_logits must be a floating tensor of shape \(G, S, E\)",
    ):
        top1_with_capacity(torch.zeros(2, 3), 1)


def test_negative_probabilities_and_an_empty_mask_are_refused():
    """Issue 13: these returned a number (or NaN) instead of an error."""
    probs = torch.full((1, 2, 2), 0.5)
    with pytest.raises(ValueError, match=r"router_probs must hold probabilities"):
        switch_load_balancing_loss(probs - 1, torch.tensor([[0, 1]]))
    with pytest.raises(ValueError, match=r"gates must hold probabilities"):
        importance_loss(torch.tensor([[1.0, -1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"attention_mask must keep at least one"):
        load_balancing_loss(torch.zeros(4, 4), 4, attention_mask=torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"attention_mask must hold only 0"):
        load_balancing_loss(torch.zeros(4, 4), 4, attention_mask=torch.full((2, 2), 2))
    with pytest.raises(ValueError, match=r"expert_indices must lie in 0..1"):
        switch_load_balancing_loss(probs, torch.tensor([[0, 2]]))
    with pytest.raises(ValueError, match=r"router_logits must be finite"):
        route(torch.tensor([[0.0, math.nan]]), 1)
    with pytest.raises(TypeError, match=r"norm_topk_prob must be a bool"):
        route(torch.zeros(2, 3), 1, norm_topk_prob="no")
    with pytest.raises(
        ValueError, match=r"router_logits\[1\] must have the shape of router_logits"
    ):
        load_balancing_loss([torch.zeros(4, 4), torch.zeros(3, 4)], 4)
