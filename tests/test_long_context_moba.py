"""MoBA's block gating (llmviz.long_context.moba) against chapter 3's
scaled_dot_product_attention: top_k ≥ the number of blocks is causal attention, top_k = 1
is causal attention inside the own block; the chosen blocks against a query-by-query
selection written from the paper's rule; the output against SDPA with the token mask
those blocks give."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import masks, scaled_dot_product_attention
from llmviz.attention.masks import materialize
from llmviz.long_context import block_scores, moba_attention, moba_gate


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


blocks = st.tuples(st.integers(1, 4), st.integers(1, 6)).map(
    lambda t: (t[0], t[0] * t[1])  # (block_size, seq_len)
)
shapes = st.fixed_dictionaries(
    {
        "sizes": blocks,
        "batch": st.integers(1, 2),
        "heads": st.integers(1, 3),
        "head_dim": st.integers(1, 6),
        "seed": st.integers(0, 2**16),
    }
)


def make_qkv(s):
    block_size, length = s["sizes"]
    shape = (s["batch"], s["heads"], length, s["head_dim"])
    return block_size, *(randn(*shape, seed=s["seed"] + i) for i in range(3))


def chosen_by_rule(query, key, block_size, top_k):
    """For one (T, d) head: own block, then the best past blocks by q·mean(k)."""
    length = query.shape[0]
    selected = torch.zeros(length, length // block_size, dtype=torch.bool)
    for i in range(length):
        own = i // block_size
        scores = {
            b: float(query[i] @ key[b * block_size : (b + 1) * block_size].mean(0))
            for b in range(own)
        }
        best = sorted(scores, key=scores.get, reverse=True)[: top_k - 1]
        selected[i, [own, *best]] = True
    return selected


@settings(max_examples=50, deadline=None, derandomize=True)
@given(s=shapes, extra=st.integers(0, 3))
def test_top_k_at_least_the_number_of_blocks_is_causal_attention(s, extra):
    block_size, query, key, value = make_qkv(s)
    num_blocks = query.shape[-2] // block_size
    out, selected = moba_attention(query, key, value, block_size, num_blocks + extra)
    expected = scaled_dot_product_attention(query, key, value, is_causal=True)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    own = torch.arange(query.shape[-2]) // block_size
    assert torch.equal(
        selected, (torch.arange(num_blocks) <= own[:, None]).expand_as(selected)
    )


@settings(max_examples=50, deadline=None, derandomize=True)
@given(s=shapes)
def test_top_k_one_is_the_own_block_only(s):
    block_size, query, key, value = make_qkv(s)
    length = query.shape[-2]
    out, _ = moba_attention(query, key, value, block_size, top_k=1)
    own_block = masks.and_masks(masks.causal, masks.block_diagonal(block_size))
    mask = materialize(own_block, length, length)
    expected = scaled_dot_product_attention(query, key, value, attn_mask=mask)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(s=shapes, data=st.data())
def test_chosen_blocks_follow_the_rule_and_drive_the_output(s, data):
    block_size, query, key, value = make_qkv(s)
    length = query.shape[-2]
    num_blocks = length // block_size
    top_k = data.draw(st.integers(1, num_blocks + 1), label="top_k")
    out, selected = moba_attention(query, key, value, block_size, top_k)
    assert torch.equal(selected, moba_gate(query, key, block_size, top_k))
    own = torch.arange(length) // block_size
    expected_count = torch.clamp(own + 1, max=top_k)
    assert torch.equal(selected.sum(-1), expected_count.expand(selected.shape[:-1]))
    mask = torch.zeros(*selected.shape[:-1], length, dtype=torch.bool)
    for b in range(query.shape[0]):
        for h in range(query.shape[1]):
            rule = chosen_by_rule(query[b, h], key[b, h], block_size, top_k)
            assert torch.equal(selected[b, h], rule)
            for i in range(length):
                for j in range(i + 1):  # causal, and j in a chosen block
                    mask[b, h, i, j] = bool(rule[i, j // block_size])
    expected = scaled_dot_product_attention(query, key, value, attn_mask=mask)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


def test_block_scores_are_dot_products_with_block_means():
    query, key = randn(2, 6, 3), randn(2, 6, 3, seed=1)
    scores = block_scores(query, key, 2)
    for b in range(3):
        centroid = (key[:, 2 * b] + key[:, 2 * b + 1]) / 2
        torch.testing.assert_close(scores[..., b], (query * centroid[:, None]).sum(-1))


def test_a_future_block_is_never_read_however_high_its_score():
    query = torch.ones(1, 6, 2, dtype=torch.float64)
    key = torch.tensor([[0.0, 0], [0, 0], [-1, -1], [-1, -1], [50, 50], [50, 50]])
    key = key.to(torch.float64).unsqueeze(0)
    selected = moba_gate(query, key, block_size=2, top_k=2)
    assert selected[0, :4, 2].sum() == 0  # queries 0-3 never pick block 2
    assert selected[0, 2:4].tolist() == [[True, True, False]] * 2
