"""Dual Chunk Attention (llmviz.long_context.dca, dca_positions) against references
written here from the paper's definitions: the distances pair by pair from the
paper's rule; one softmax over the three parts' scores concatenated; RoPE at the
assigned distance; plain causal RoPE attention (chapter 3's SDPA) when the sequence fits
in one chunk; the paper's chunked log-sum-exp merge; causality; TinyGPT unchanged
below one chunk."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import scaled_dot_product_attention
from llmviz.long_context.dca import dca_attention, dca_attention_by_chunks
from llmviz.long_context.dca_positions import (
    PARTS,
    dca_distances,
    dca_parts,
    dca_position_ids,
    dca_position_matrices,
)

THETA = 10000.0


def rope(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """RoPE written out (rotate-half layout) in float64: pair i of x at position m is
    turned by m·θ^(−2i/d)."""
    half = x.shape[-1] // 2
    inv_freq = THETA ** (-torch.arange(half, dtype=torch.float64) / half)
    angles = positions.to(torch.float64).unsqueeze(-1) * inv_freq  # (..., T, d/2)
    cos, sin = angles.cos(), angles.sin()
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * cos - second * sin, second * cos + first * sin], -1)


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


@st.composite
def dca_sizes(draw, max_len: int = 40):
    c = draw(st.integers(2, 24))
    s = draw(st.integers(1, c - 1))
    w = draw(st.one_of(st.none(), st.integers(0, min(s, c - s))))
    return draw(st.integers(1, max_len)), s, c, w


def distance_by_rule(i: int, j: int, s: int, c: int, w: int | None) -> int:
    """An et al. 2024, §3: keys at j mod s; the query at i mod s inside its chunk, at
    s + i mod s (first w of a chunk) or c − 1 for the chunk before, c − 1 further back."""
    w = min(c - s, s) if w is None else w
    if j > i:
        return -1
    if i // s == j // s:
        query = i % s
    elif i // s - j // s == 1:
        query = s + i % s if i % s < w else c - 1
    else:
        query = c - 1
    return query - j % s


def test_the_paper_figure_2_positions():
    # An et al. 2024, §3.2-3.3 and Figure 2: s = 6, c = 10, w = 4
    p = dca_position_ids(12, chunk_size=6, pretraining_length=10, local_window=4)
    assert p.key.tolist() == [0, 1, 2, 3, 4, 5] * 2
    assert p.successive.tolist() == [6, 7, 8, 9, 9, 9] * 2
    assert p.inter.tolist() == [9] * 12
    # q6 and k5: 1 apart in the text; inter-chunk would say 4, successive keeps 1
    assert int(dca_distances(12, 6, 10, 4)[6, 5]) == 1


@settings(max_examples=30, deadline=None)
@given(dca_sizes())
def test_distances_follow_the_paper_rule(sizes):
    t, s, c, w = sizes
    expected = torch.tensor(
        [[distance_by_rule(i, j, s, c, w) for j in range(t)] for i in range(t)]
    )
    assert torch.equal(dca_distances(t, s, c, w), expected)
    parts, matrices = dca_parts(t, s), dca_position_matrices(t, s, c, w)
    for index, name in enumerate(PARTS):
        inside = parts == index
        assert torch.equal(matrices[name][inside], expected[inside])
        assert bool((matrices[name][~inside] == -1).all())


@settings(max_examples=30, deadline=None)
@given(dca_sizes(max_len=60))
def test_every_distance_is_trained_and_near_ones_are_true(sizes):
    t, s, c, w = sizes
    w = min(c - s, s) if w is None else w
    distance = dca_distances(t, s, c, w)
    i, j = torch.meshgrid(torch.arange(t), torch.arange(t), indexing="ij")
    causal = j <= i
    assert bool((distance[causal] >= 0).all()) and bool((distance[causal] < c).all())
    assert bool((distance[~causal] == -1).all())  # no query sees a later key
    same_chunk = i // s == j // s
    in_window = (i // s - j // s == 1) & (i % s < w)
    exact = causal & (same_chunk | in_window)
    assert torch.equal(distance[exact], (i - j)[exact])


def attention_by_concatenation(q, k, v, s, c, w):
    """One softmax over the three parts' scores side by side, (T, 3T), each part −inf
    outside the pairs it scores."""
    t = q.shape[-2]
    positions, parts = dca_position_ids(t, s, c, w), dca_parts(t, s)
    keys = rope(k, positions.key)
    blocks = [
        (rope(q, at) @ keys.transpose(-2, -1) / q.shape[-1] ** 0.5).masked_fill(
            parts != index, float("-inf")
        )
        for index, at in enumerate(positions[1:])
    ]
    weights = torch.cat(blocks, -1).softmax(-1)  # (..., T, 3T)
    return weights @ torch.cat([v, v, v], -2)


@settings(max_examples=30, deadline=None)
@given(dca_sizes(), st.integers(1, 2), st.integers(1, 3), st.integers(0, 2**16))
def test_one_softmax_equals_concatenated_scores_and_the_chunked_merge(
    sizes, heads, half, seed
):
    t, s, c, w = sizes
    q, k, v = (randn(2, heads, t, 2 * half, seed=seed + n) for n in range(3))
    ours = dca_attention(q, k, v, rope, s, c, w)
    torch.testing.assert_close(ours, attention_by_concatenation(q, k, v, s, c, w))
    by_chunks = dca_attention_by_chunks(q, k, v, rope, s, c, w)
    torch.testing.assert_close(by_chunks, ours, atol=1e-9, rtol=1e-9)


def test_each_score_is_rope_at_the_assigned_distance():
    t, s, c, w = 23, 5, 9, 3
    q, k, v = (randn(1, 1, t, 6, seed=n) for n in range(3))
    _, weights = dca_attention(q, k, v, rope, s, c, w, return_weights=True)
    distance = dca_distances(t, s, c, w)
    scores = torch.full((t, t), float("-inf"), dtype=torch.float64)
    for i in range(t):
        for j in range(i + 1):  # q turned by d_ij against an unturned k: RoPE's q·k
            turned = rope(q[0, 0, i], distance[i, j].reshape(1))
            scores[i, j] = turned @ k[0, 0, j] / 6**0.5
    torch.testing.assert_close(weights[0, 0], scores.softmax(-1))
    assert torch.allclose(weights.sum(-1), torch.ones(1, 1, t, dtype=torch.float64))


@settings(max_examples=30, deadline=None)
@given(dca_sizes(max_len=24), st.integers(0, 2**16))
def test_within_one_chunk_it_is_causal_rope_attention(sizes, seed):
    t, s, c, w = sizes
    t = min(t, s)  # the whole sequence in one chunk
    q, k, v = (randn(1, 2, t, 4, seed=seed + n) for n in range(3))
    at = torch.arange(t)
    expected = scaled_dot_product_attention(rope(q, at), rope(k, at), v, is_causal=True)
    torch.testing.assert_close(dca_attention(q, k, v, rope, s, c, w), expected)


@settings(max_examples=30, deadline=None)
@given(dca_sizes(), st.data())
def test_no_query_reads_a_later_token(sizes, data):
    t, s, c, w = sizes
    cut = data.draw(st.integers(0, t - 1))
    q, k, v = (randn(1, 1, t, 4, seed=n) for n in range(3))
    k2, v2 = k.clone(), v.clone()
    k2[..., cut + 1 :, :] += 5.0
    v2[..., cut + 1 :, :] -= 3.0
    for fn in (dca_attention, dca_attention_by_chunks):
        before = fn(q, k, v, rope, s, c, w)[..., : cut + 1, :]
        after = fn(q, k2, v2, rope, s, c, w)[..., : cut + 1, :]
        torch.testing.assert_close(before, after)


def test_tinygpt_is_unchanged_inside_one_chunk_and_changed_beyond():
    from functools import partial

    from llmviz.long_context.swap import forward_with_attention
    from llmviz.models import TinyGPT, TinyGPTConfig

    torch.manual_seed(0)
    config = TinyGPTConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2,
                           intermediate_size=32, max_position_embeddings=16)  # fmt: skip
    model = TinyGPT(config).eval()
    ids = torch.randint(0, 40, (2, 12))
    with torch.no_grad():
        inside = forward_with_attention(
            model, ids, partial(dca_attention, chunk_size=12, pretraining_length=16)
        )
        beyond = forward_with_attention(
            model, ids, partial(dca_attention, chunk_size=4, pretraining_length=16)
        )
        plain = model(ids)
    torch.testing.assert_close(inside, plain, atol=1e-5, rtol=1e-5)
    assert (beyond[:, 4:] - plain[:, 4:]).abs().max() > 1e-5  # positions moved
    torch.testing.assert_close(beyond[:, :4], plain[:, :4], atol=1e-5, rtol=1e-5)
