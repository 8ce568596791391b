"""H2O eviction (llmviz.attention.kv_evict): with a budget at least the sequence's
length it is full causal attention, exactly; each query reads min(t + 1, budget)
tokens, the recent ones among them; an evicted token never comes back; the query heads
of a group share their tokens; and the kept sets match a plain loop over the paper's
rule (evict the old token with the least accumulated attention)."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention.kv_evict import h2o_attention, h2o_weights
from llmviz.long_context.swap import forward_with_attention
from llmviz.models import load_tinygpt


def scores(batch=2, heads=4, seq=12, seed=0) -> torch.Tensor:
    return torch.randn(
        batch, heads, seq, seq, generator=torch.Generator().manual_seed(seed)
    )


def causal_softmax(s: torch.Tensor) -> torch.Tensor:
    seq = s.shape[-1]
    future = torch.ones(seq, seq, dtype=torch.bool).triu(1)
    return torch.softmax(s.masked_fill(future, -torch.inf), dim=-1)


def test_a_budget_as_long_as_the_sequence_is_full_attention():
    s = scores()
    for budget in [12, 13, 100]:
        weights, kept = h2o_weights(s, budget, group=2)
        assert torch.equal(weights, causal_softmax(s))
        assert torch.equal(
            kept, torch.ones(12, 12, dtype=torch.bool).tril().expand_as(kept)
        )


def test_the_model_with_a_full_budget_is_the_model():
    model, _ = load_tinygpt()
    ids = torch.randint(1, 2048, (2, 20), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = forward_with_attention(model, ids, h2o_attention(20, group=2))
        assert torch.allclose(ours, model(ids), atol=1e-4)


def reference_kept(s: torch.Tensor, budget: int, recent: int) -> list[set[int]]:
    """The paper's rule for one head, one query at a time, with Python sets."""
    cache, total, rows = set(), [0.0] * s.shape[-1], []
    for t in range(s.shape[-1]):
        cache.add(t)
        if len(cache) > budget:
            old = [j for j in cache if j <= t - recent]
            cache.remove(min(old, key=lambda j: (total[j], j)))
        keys = sorted(cache)
        weights = torch.softmax(s[t, keys], dim=-1)
        for j, w in zip(keys, weights.tolist(), strict=True):
            total[j] += w
        rows.append(set(cache))
    return rows


@settings(max_examples=25, deadline=None)
@given(budget=st.integers(1, 10), seed=st.integers(0, 2**16), data=st.data())
def test_kept_sets_follow_the_rule(budget, seed, data):
    recent = data.draw(st.integers(1, budget))
    s = scores(batch=1, heads=1, seq=14, seed=seed)
    _, kept = h2o_weights(s, budget, recent)
    expected = reference_kept(s[0, 0], budget, recent)
    for t in range(14):
        ours = set(torch.nonzero(kept[0, 0, t]).flatten().tolist())
        assert ours == expected[t]


@settings(max_examples=25, deadline=None)
@given(budget=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_invariants(budget, seed):
    s = scores(seed=seed)
    weights, kept = h2o_weights(s, budget, group=2)
    seq, recent = s.shape[-1], max(1, budget // 2)
    t = torch.arange(seq)
    assert torch.equal(kept.sum(-1), t.clamp(max=budget - 1).add(1).expand(2, 4, seq))
    assert torch.equal(kept[:, 0::2], kept[:, 1::2])  # a group shares its tokens
    for i in range(seq):  # the recent tokens are kept; an evicted one never returns
        assert kept[..., i, max(0, i - recent + 1) : i + 1].all()
        if i + 1 < seq:
            back = kept[..., i + 1, : i + 1] & ~kept[..., i, : i + 1]
            assert not back.any()
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, seq))
    assert not (weights * ~kept).any()  # no weight on an evicted token
