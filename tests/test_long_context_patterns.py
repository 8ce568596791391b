"""Fixed sparse patterns (llmviz.long_context.patterns) and the receptive field of
stacked layers (llmviz.long_context.receptive).

The masks against the Sparse Transformer paper's set definitions [child2019sparse],
written element by element; attention under each pattern against SDPA with the dense
bool mask and against torch's flex_attention driven by the same mask_mod; the pair
counts against closed forms derived from the definitions (and O(n√n) at l = √n); the
receptive field against a brute-force reachability, and the L·(W − 1) + 1 law of the
causal window."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import flex_attention, masks, scaled_dot_product_attention
from llmviz.attention.masks import materialize
from llmviz.long_context.longformer import symmetric_window
from llmviz.long_context.patterns import (
    attended_pairs,
    fixed_factorization,
    local_and_strided,
    sqrt_stride,
    strided_factorization,
    summary_columns,
)
from llmviz.long_context.receptive import receptive_field, tokens_seen

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


def by_rule(seq_len, rule):
    return torch.tensor(
        [[bool(rule(i, j)) for j in range(seq_len)] for i in range(seq_len)]
    )


@SETTINGS
@given(stride=st.integers(1, 9), seq_len=st.integers(1, 40))
def test_strided_pair_is_the_papers_definition(stride, seq_len):
    a1, a2 = strided_factorization(stride)
    # A1_i = {t, …, i} with t = max(0, i − l) (l + 1 keys); A2_i = {j : (i − j) mod l = 0}
    paper_a1 = by_rule(seq_len, lambda i, j: max(0, i - stride) <= j <= i)
    paper_a2 = by_rule(seq_len, lambda i, j: j <= i and (i - j) % stride == 0)
    ours = materialize(masks.or_masks(a1, a2), seq_len, seq_len)
    assert torch.equal(materialize(a2, seq_len, seq_len), paper_a2)
    assert torch.equal(ours, paper_a1 | paper_a2)  # our window holds l keys, not l + 1
    assert torch.equal(materialize(local_and_strided(stride), seq_len, seq_len), ours)


@SETTINGS
@given(st.integers(1, 9).flatmap(lambda s: st.tuples(st.just(s), st.integers(1, s))),
       st.integers(1, 40))  # fmt: skip
def test_fixed_pair_is_the_papers_definition(sizes, seq_len):
    stride, summary = sizes
    a1, a2 = fixed_factorization(stride, summary)
    # A1_i = {j : ⌊j/l⌋ = ⌊i/l⌋}, A2_i = {j : j mod l ∈ {l − c, …, l − 1}}, both j ≤ i
    paper_a1 = by_rule(seq_len, lambda i, j: j <= i and j // stride == i // stride)
    paper_a2 = by_rule(seq_len, lambda i, j: j <= i and j % stride >= stride - summary)
    assert torch.equal(materialize(a1, seq_len, seq_len), paper_a1)
    assert torch.equal(materialize(a2, seq_len, seq_len), paper_a2)
    assert torch.equal(
        materialize(summary_columns(stride, summary), seq_len, seq_len), paper_a2
    )


def patterns(stride):
    a1, a2 = strided_factorization(stride)
    f1, f2 = fixed_factorization(stride)
    return {"strided": masks.or_masks(a1, a2), "fixed": masks.or_masks(f1, f2),
            "window": a1, "every l-th": a2, "own block": f1, "summary": f2}  # fmt: skip


@pytest.mark.parametrize(("stride", "seq_len", "heads", "seed"),
                         [(1, 5, 1, 0), (3, 17, 2, 1), (4, 24, 3, 2), (6, 11, 1, 3)])  # fmt: skip
def test_each_pattern_through_flex_attention_equals_dense_masked_sdpa(
    stride, seq_len, heads, seed
):  # torch's flex_attention evaluates each predicate itself, vmapped over q and kv
    generator = torch.Generator().manual_seed(seed)
    q, k, v = torch.randn(3, 1, heads, seq_len, 8, generator=generator).unbind(0)
    for name, mask_mod in patterns(stride).items():
        dense = scaled_dot_product_attention(
            q, k, v, attn_mask=materialize(mask_mod, seq_len, seq_len)
        )
        flex = flex_attention(q, k, v, mask_mod=mask_mod)
        torch.testing.assert_close(flex, dense, atol=1e-5, rtol=0, msg=name)


def closed_form(name, n, stride):
    rows = range(n)
    if name == "causal":
        return n * (n + 1) // 2
    if name == "strided":  # min(i + 1, l) window keys, plus ⌊i/l⌋ multiples of l
        return sum(min(i + 1, stride) + i // stride for i in rows)
    if name == "fixed":  # own block up to i, plus one summary column per earlier block
        return sum(i % stride + 1 + i // stride for i in rows)
    return sum(min(i + 1, stride) for i in rows)  # window


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=st.integers(1, 600), stride=st.integers(1, 40))
def test_attended_pairs_equals_the_closed_forms(n, stride):
    found = patterns(stride)
    for name, mask_mod in [("causal", masks.causal), ("strided", found["strided"]),
                           ("fixed", found["fixed"]), ("window", found["window"])]:  # fmt: skip
        assert attended_pairs(mask_mod, n) == closed_form(name, n, stride), name
        if n <= 200:
            assert attended_pairs(mask_mod, n) == int(materialize(mask_mod, n, n).sum())


@pytest.mark.parametrize("n", [64, 1000, 4096, 65536])
def test_at_stride_sqrt_n_both_factorisations_cost_order_n_sqrt_n(n):
    stride = sqrt_stride(n)
    assert (stride - 1) ** 2 < n <= stride**2
    for name in ("strided", "fixed"):
        ratio = closed_form(name, n, stride) / (n * math.sqrt(n))
        assert 0.9 < ratio < 1.6, (name, ratio)  # a constant, while causal/(n√n) = √n/2
    if n <= 1000:  # the closed forms are checked against the count up to n = 600 above
        assert attended_pairs(patterns(stride)["strided"], n) == closed_form(
            "strided", n, stride
        )


def reach_by_search(mask, layers):
    """Brute force: the set of inputs behind each output, one layer at a time."""
    n = mask[0].shape[0]
    result = torch.zeros(n, n, dtype=torch.bool)
    for i in range(n):
        frontier = {i}
        for layer in reversed(layers):  # from the top layer down to the inputs
            m = mask[layer]
            frontier = frontier | {j for p in frontier for j in range(n) if m[p, j]}
        result[i, list(frontier)] = True
    return result


def some_mask(kind, size):
    return {"window": masks.sliding_window(size), "dilated":
            masks.dilated_sliding_window(2, size), "strided": masks.strided(size),
            "symmetric": symmetric_window(2 * size),
            "summary": summary_columns(size)}[kind]  # fmt: skip


kinds = st.sampled_from(["window", "dilated", "strided", "symmetric", "summary"])


@SETTINGS
@given(layers=st.lists(st.tuples(kinds, st.integers(1, 4)), min_size=1, max_size=4),
       seq_len=st.integers(1, 18))  # fmt: skip
def test_receptive_field_equals_brute_force_reachability(layers, seq_len):
    mask_mods = [some_mask(kind, size) for kind, size in layers]
    dense = [materialize(m, seq_len, seq_len) for m in mask_mods]
    expected = reach_by_search(dense, list(range(len(dense))))
    assert torch.equal(receptive_field(mask_mods, seq_len), expected)
    if len(set(layers)) == 1:
        same = receptive_field(mask_mods[0], seq_len, num_layers=len(layers))
        assert torch.equal(same, expected)
        counts = tokens_seen(mask_mods[0], seq_len, len(layers))
        assert counts[-1] == int(expected[-1].sum())


@SETTINGS
@given(
    window=st.integers(1, 12), num_layers=st.integers(1, 8), seq_len=st.integers(1, 90)
)
def test_a_causal_window_reaches_l_times_w_minus_1_plus_1(window, num_layers, seq_len):
    counts = tokens_seen(masks.sliding_window(window), seq_len, num_layers)
    assert counts == [min(layer * (window - 1) + 1, seq_len)
                      for layer in range(1, num_layers + 1)]  # fmt: skip


@SETTINGS
@given(half=st.integers(1, 6), num_layers=st.integers(1, 6))
def test_a_symmetric_window_reaches_l_times_w_plus_1_around_the_middle(
    half, num_layers
):
    seq_len = 2 * half * num_layers + 9
    counts = tokens_seen(symmetric_window(2 * half), seq_len, num_layers, seq_len // 2)
    assert counts == [2 * half * layer + 1 for layer in range(1, num_layers + 1)]


@pytest.mark.parametrize("stride", [2, 3, 5, 8])
def test_two_layers_of_either_union_reach_every_earlier_token(stride):
    seq_len = 3 * stride + 1
    causal = materialize(masks.causal, seq_len, seq_len)
    for name in ("strided", "fixed"):
        union = patterns(stride)[name]
        assert not torch.equal(receptive_field(union, seq_len, 1), causal)
        assert torch.equal(receptive_field(union, seq_len, 2), causal), name
    a1, a2 = strided_factorization(stride)  # the strided pair also interleaved
    assert torch.equal(receptive_field([a1, a2], seq_len), causal)
