"""Overflow policies (llmviz.moe.overflow): dropping equals the HF-checked Switch router;
rerouting equals a plain loop written from its definition; and the invariants that
follow from the definitions hold on random routings."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.moe.capacity import top1_with_capacity
from llmviz.moe.overflow import moe_with_residual, route_overflow


def draw_logits(seed: int, groups: int, tokens: int, experts: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(groups, tokens, experts, generator=generator) * 2


def reroute_by_loop(logits: torch.Tensor, capacity: int) -> list[list[int]]:
    """Rounds of choices, one token at a time, from the definition."""
    result = []
    for group in logits.softmax(-1).tolist():
        choices = [sorted(range(len(p)), key=lambda e, p=p: -p[e]) for p in group]
        load, expert = [0] * len(group[0]), [-1] * len(group)
        for r in range(len(group[0])):
            for t, ranked in enumerate(choices):
                if expert[t] < 0 and load[ranked[r]] < capacity:
                    expert[t] = ranked[r]
                    load[ranked[r]] += 1
        result.append(expert)
    return result


SHAPES = dict(
    seed=st.integers(0, 10_000),
    groups=st.integers(1, 3),
    tokens=st.integers(1, 24),
    experts=st.integers(1, 6),
    capacity=st.integers(1, 8),
)


@settings(max_examples=60, deadline=None)
@given(**SHAPES)
def test_drop_is_switch_top1(seed, groups, tokens, experts, capacity):
    logits = draw_logits(seed, groups, tokens, experts)
    ours = route_overflow(logits, capacity, "drop")
    switch = top1_with_capacity(logits, capacity)  # checked against HF in its tests
    assert torch.equal(ours["dropped"], switch["dropped"])
    kept = ~ours["dropped"]
    assert torch.equal(ours["expert"][kept], switch["expert"][kept])
    assert torch.equal(ours["load"], switch["expert_index"].sum(dim=-2))


@settings(max_examples=60, deadline=None)
@given(**SHAPES)
def test_reroute_is_the_loop(seed, groups, tokens, experts, capacity):
    logits = draw_logits(seed, groups, tokens, experts)
    ours = route_overflow(logits, capacity, "reroute")["expert"]
    assert ours.tolist() == reroute_by_loop(logits, capacity)


@settings(max_examples=60, deadline=None)
@given(**SHAPES, policy=st.sampled_from(["drop", "reroute"]))
def test_invariants(seed, groups, tokens, experts, capacity, policy):
    logits = draw_logits(seed, groups, tokens, experts)
    routed = route_overflow(logits, capacity, policy)
    assert (routed["load"] <= capacity).all()  # no expert over capacity
    counted = torch.stack([torch.bincount(row[row >= 0], minlength=experts)
                           for row in routed["expert"]])  # fmt: skip
    assert torch.equal(counted, routed["load"])
    kept = (~routed["dropped"]).sum(-1)
    assert torch.equal(kept, routed["load"].sum(-1))  # every token once
    assert torch.equal(routed["dropped"], routed["rank"] < 0)
    assert ((routed["weight"] == 0) == routed["dropped"]).all()
    if capacity >= tokens:  # room for every token at its first choice
        assert not routed["dropped"].any()
        assert (routed["rank"] == 0).all()


@settings(max_examples=60, deadline=None)
@given(**SHAPES)
def test_reroute_only_adds(seed, groups, tokens, experts, capacity):
    logits = draw_logits(seed, groups, tokens, experts)
    drop = route_overflow(logits, capacity, "drop")
    reroute = route_overflow(logits, capacity, "reroute")
    assert reroute["dropped"].sum() <= drop["dropped"].sum()
    kept = ~drop["dropped"]  # tokens kept by dropping stay where they were
    assert torch.equal(reroute["expert"][kept], drop["expert"][kept])
    # a token served by its r-th choice found choices 0..r-1 full; a dropped one
    # found every expert full
    order = logits.softmax(-1).argsort(dim=-1, descending=True, stable=True)
    for g, t in (reroute["rank"] > 0).nonzero().tolist():
        skipped = order[g, t, : reroute["rank"][g, t]]
        assert (reroute["load"][g, skipped] == capacity).all()
    for g in reroute["dropped"].any(-1).nonzero().flatten().tolist():
        assert (reroute["load"][g] == capacity).all()
    total = min(tokens, capacity * experts)  # slots and tokens bound the kept count
    assert ((~reroute["dropped"]).sum(-1) == total).all()


@settings(max_examples=30, deadline=None)
@given(**SHAPES, policy=st.sampled_from(["drop", "reroute"]))
def test_residual(seed, groups, tokens, experts, capacity, policy):
    logits = draw_logits(seed, groups, tokens, experts)
    x = draw_logits(seed + 1, groups, tokens, 5)
    weights = draw_logits(seed + 2, experts, 5, 5)
    ffns = [lambda h, w=w: torch.tanh(h @ w) for w in weights]
    y = moe_with_residual(x, logits, ffns, capacity, policy)
    routed = route_overflow(logits, capacity, policy)
    dropped = routed["dropped"]
    assert torch.equal(y[dropped], x[dropped])  # dropped: the residual alone
    for g, t in (~dropped).nonzero().tolist():  # served: x + p_e · FFN_e(x)
        e = routed["expert"][g, t]
        p = logits[g, t].softmax(-1)[e]
        expected = x[g, t] + p * ffns[e](x[g, t][None])[0]
        torch.testing.assert_close(y[g, t], expected)


def test_module_list_of_experts():
    experts = torch.nn.ModuleList(torch.nn.Linear(4, 4) for _ in range(3))
    x, logits = torch.randn(2, 6, 4), torch.randn(2, 6, 3)
    with torch.no_grad():
        assert moe_with_residual(x, logits, experts, 2, "reroute").shape == x.shape


def test_drop_is_hf_switch_layer():
    """HF's SwitchTransformersLayerFF, h + MoE(LayerNorm(h)), dropped tokens included."""
    from transformers import SwitchTransformersConfig
    from transformers.models.switch_transformers import modeling_switch_transformers

    torch.manual_seed(0)
    config = SwitchTransformersConfig(d_model=16, d_ff=32, num_experts=4,
                                      expert_capacity=3, dropout_rate=0.0,
                                      router_jitter_noise=0.0)  # fmt: skip
    layer = modeling_switch_transformers.SwitchTransformersLayerFF(config, True).eval()
    h = torch.randn(2, 16, 16)
    with torch.no_grad():
        expected = layer(h)
        normed = layer.layer_norm(h)
        logits = layer.mlp.router.classifier(normed)
        experts = [lambda z, e=e: layer.mlp.experts[f"expert_{e}"](z) for e in range(4)]
        ours = moe_with_residual(h, logits, [lambda z, f=f: f(layer.layer_norm(z))
                                             for f in experts], 3)  # fmt: skip
    assert route_overflow(logits, 3)["dropped"].any()  # the check covers drops
    torch.testing.assert_close(ours, expected)
