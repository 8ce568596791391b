"""Expert choice, token choice with capacity, the dense mixture and soft MoE, each
against a plain-Python loop written from its paper's definition, and their invariants:
expert choice fills every expert exactly; soft MoE's dispatch columns and combine rows
are distributions; token choice never exceeds a capacity."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.moe.expert_choice import (
    expert_choice_capacity,
    expert_choice_routing,
    top_k_with_capacity,
)
from llmviz.moe.routing import route
from llmviz.moe.soft_moe import dense_moe, soft_moe, soft_moe_weights


def logits(tokens: int, experts: int, seed: int) -> torch.Tensor:
    return 2 * torch.randn(
        tokens, experts, generator=torch.Generator().manual_seed(seed)
    )


def experts_of(count: int, width: int = 6) -> torch.nn.ModuleList:
    torch.manual_seed(0)
    return torch.nn.ModuleList(
        torch.nn.Sequential(
            torch.nn.Linear(width, 8), torch.nn.SiLU(), torch.nn.Linear(8, width)
        )
        for _ in range(count)
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 24), st.integers(1, 8), st.data())
def test_expert_choice_fills_every_expert_exactly(tokens, experts, data):
    capacity = data.draw(st.integers(1, tokens))
    z = logits(tokens, experts, data.draw(st.integers(0, 99)))
    z[-1] = z[0]  # a tie: the earlier token goes first
    out = expert_choice_routing(z, capacity)
    assert out["mask"].sum(dim=0).tolist() == [capacity] * experts
    probs = z.softmax(dim=-1).tolist()
    for e in range(experts):  # the definition: rank by (−p, t), keep the first c
        ranked = sorted(range(tokens), key=lambda t: (-probs[t][e], t))[:capacity]
        assert out["tokens"][e].tolist() == ranked
        expected = torch.tensor([probs[t][e] for t in ranked])
        torch.testing.assert_close(out["weights"][e], expected)
    assert out["experts_per_token"].tolist() == out["mask"].sum(-1).tolist()


def test_expert_choice_capacity_matches_token_choice_compute():
    for tokens, experts, k in [(16, 4, 2), (64, 8, 2), (10, 3, 1), (2, 8, 1)]:
        c = expert_choice_capacity(tokens, experts, k)
        assert c == max(1, tokens * k // experts)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20), st.integers(1, 6), st.data())
def test_top_k_with_capacity_is_gshard_dispatch(tokens, experts, data):
    k = data.draw(st.integers(1, experts))
    capacity = data.draw(st.integers(1, tokens))
    z = logits(tokens, experts, data.draw(st.integers(0, 99)))
    out = top_k_with_capacity(z, k, capacity)
    choices = route(z, k)[1].tolist()
    served, load = set(), [0] * experts  # round j: each token's j-th choice in order
    for j in range(k):
        for t in range(tokens):
            e = choices[t][j]
            if load[e] < capacity:
                load[e] += 1
                served.add((t, e))
    assert out["load"].tolist() == load
    assert {tuple(p) for p in out["mask"].nonzero().tolist()} == served
    assert out["dropped"].tolist() == [
        not any((t, e) in served for e in range(experts)) for t in range(tokens)
    ]
    if capacity >= tokens:  # room for all: plain top-k
        assert torch.equal(out["mask"], out["wanted"])


def test_dense_moe_equals_a_loop_over_experts():
    x, z, experts = torch.randn(5, 6), logits(5, 3, 1), experts_of(3)
    with torch.no_grad():
        out = dense_moe(x, z, experts)
        for t in range(5):
            p = z[t].softmax(-1)
            expected = sum(p[e] * experts[e](x[t : t + 1])[0] for e in range(3))
            torch.testing.assert_close(out[t], expected, atol=1e-5, rtol=0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 99))
def test_soft_moe_weights_are_distributions(tokens, slots, seed):
    dispatch, combine = soft_moe_weights(logits(tokens, slots, seed))
    torch.testing.assert_close(dispatch.sum(0), torch.ones(slots))  # over tokens
    torch.testing.assert_close(combine.sum(1), torch.ones(tokens))  # over slots
    assert (dispatch >= 0).all() and (combine >= 0).all()


def test_soft_moe_equals_the_papers_sums():
    torch.manual_seed(2)
    x, phi, experts, s = torch.randn(7, 6), torch.randn(6, 6), experts_of(3), 2
    with torch.no_grad():
        out = soft_moe(x, phi, experts, s)
        z = x @ phi  # (T, E·s)
        slot_inputs = [
            sum(F.softmax(z[:, j], 0)[t] * x[t] for t in range(7)) for j in range(6)
        ]
        slot_outputs = [experts[j // s](slot_inputs[j][None])[0] for j in range(6)]
        for t in range(7):
            c = F.softmax(z[t], 0)
            expected = sum(c[j] * slot_outputs[j] for j in range(6))
            torch.testing.assert_close(out["output"][t], expected, atol=1e-5, rtol=0)


def test_expert_choice_depends_on_future_tokens_and_token_choice_does_not():
    z = logits(16, 4, 3)
    capacity = expert_choice_capacity(16, 4, 2)
    changed = 0
    for seed in range(20):
        future = torch.cat([z, logits(4, 4, 100 + seed) + 3])  # 4 confident tokens more
        before = expert_choice_routing(z, capacity)["mask"]
        after = expert_choice_routing(future, capacity)["mask"][:16]
        changed += int((before != after).any())
        assert torch.equal(route(z, 2)[1], route(future, 2)[1][:16])
    assert changed > 0
