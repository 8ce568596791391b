"""FlashAttention's online softmax and the split-KV merge (llmviz.long_context.tiling)
against chapter 3's scaled_dot_product_attention: the final output for any tile size,
causal or not; each tile's running (max, sum, output) against the softmax over the keys
read so far; and merged partial results against attention over all keys."""

from __future__ import annotations

import math
from unittest import mock

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import causal_mask, scaled_dot_product_attention
from llmviz.long_context import (
    attention_with_lse,
    merge_attention,
    online_softmax_attention,
    split_kv_attention,
    tiling,
)

ATOL = 1e-6  # float64: one softmax and the tiled one agree far below this
# queries per block: one block, or several, the last one short (q_len is 1 to 12)
query_blocks = st.sampled_from([1, 5, tiling.QUERY_BLOCK])


def randn(*shape: int, seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return scale * torch.randn(*shape, generator=generator, dtype=torch.float64)


shapes = st.fixed_dictionaries(
    {
        "batch": st.integers(1, 2),
        "heads": st.integers(1, 3),
        "q_len": st.integers(1, 12),
        "kv_len": st.integers(1, 14),
        "head_dim": st.integers(1, 8),
        "v_dim": st.integers(1, 5),
        "spread": st.sampled_from([0.1, 1.0, 10.0]),  # 10: scores far apart
        "seed": st.integers(0, 2**16),
    }
)


def make_qkv(s: dict):
    b, h, seed, spread = s["batch"], s["heads"], s["seed"], s["spread"]
    return (
        randn(b, h, s["q_len"], s["head_dim"], seed=seed, scale=spread),
        randn(b, h, s["kv_len"], s["head_dim"], seed=seed + 1, scale=spread),
        randn(b, h, s["kv_len"], s["v_dim"], seed=seed + 2),
    )


def scores_of(query, key, is_causal, scale=None):
    """Q Kᵀ·scale with −inf where a key is hidden (top-left causal, as SDPA)."""
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale
    if is_causal:
        hidden = ~causal_mask(query.shape[-2], key.shape[-2])
        scores = scores.masked_fill(hidden, float("-inf"))
    return scores


@settings(max_examples=60, deadline=None, derandomize=True)
@given(s=shapes, tile_size=st.integers(1, 16), is_causal=st.booleans(),
       block=query_blocks)  # fmt: skip
def test_online_softmax_equals_one_softmax_for_any_tile(s, tile_size, is_causal, block):
    query, key, value = make_qkv(s)
    expected = scaled_dot_product_attention(query, key, value, is_causal=is_causal)
    with mock.patch.object(tiling, "QUERY_BLOCK", block):
        ours = online_softmax_attention(query, key, value, tile_size, is_causal)
    torch.testing.assert_close(ours, expected, rtol=0, atol=ATOL)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(s=shapes, tile_size=st.integers(1, 6), is_causal=st.booleans(),
       block=query_blocks)  # fmt: skip
def test_each_step_is_the_softmax_over_the_keys_read_so_far(
    s, tile_size, is_causal, block
):
    query, key, value = make_qkv(s)
    with mock.patch.object(tiling, "QUERY_BLOCK", block):
        out, steps = online_softmax_attention(
            query, key, value, tile_size, is_causal, return_steps=True
        )
    assert len(steps) == -(-s["kv_len"] // tile_size)
    scores = scores_of(query, key, is_causal)
    for number, step in enumerate(steps, start=1):
        seen = min(number * tile_size, s["kv_len"])
        part = scores[..., :seen]
        expected_max = part.amax(-1)
        torch.testing.assert_close(step.max, expected_max, rtol=1e-12, atol=1e-12)
        finite_max = expected_max.masked_fill(expected_max == -math.inf, 0)
        expected_sum = torch.exp(part - finite_max.unsqueeze(-1)).sum(-1)
        torch.testing.assert_close(step.sum, expected_sum, rtol=1e-12, atol=ATOL)
        mask = None if not is_causal else causal_mask(s["q_len"], s["kv_len"])[:, :seen]
        expected_out = scaled_dot_product_attention(
            query, key[..., :seen, :], value[..., :seen, :], attn_mask=mask
        )
        torch.testing.assert_close(step.output, expected_out, rtol=0, atol=ATOL)
    torch.testing.assert_close(steps[-1].output, out, rtol=0, atol=0)


def test_large_scores_do_not_overflow():
    # exp(1000) overflows: only the running maximum keeps the sums finite
    query, key, value = (
        randn(1, 4, 8, scale=30.0),
        randn(1, 9, 8, seed=1, scale=30.0),
        randn(1, 9, 3),
    )
    expected = scaled_dot_product_attention(query, key, value, is_causal=True)
    ours = online_softmax_attention(query, key, value, tile_size=2, is_causal=True)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, expected, rtol=0, atol=ATOL)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(s=shapes, data=st.data(), is_causal=st.booleans())
def test_split_kv_equals_attention_over_all_keys(s, data, is_causal):
    query, key, value = make_qkv(s)
    num_splits = data.draw(st.integers(1, s["kv_len"]), label="num_splits")
    expected = scaled_dot_product_attention(query, key, value, is_causal=is_causal)
    ours = split_kv_attention(query, key, value, num_splits, is_causal)
    torch.testing.assert_close(ours, expected, rtol=0, atol=ATOL)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(s=shapes, data=st.data(), is_causal=st.booleans())
def test_merging_partial_results_of_any_partition(s, data, is_causal):
    query, key, value = make_qkv(s)
    kv_len = s["kv_len"]
    cuts = (
        sorted(data.draw(st.sets(st.integers(1, kv_len - 1), max_size=4)))
        if kv_len > 1
        else []
    )
    bounds = [0, *cuts, kv_len]
    outputs, lses = [], []
    for start, stop in zip(bounds, bounds[1:], strict=False):
        out, lse = attention_with_lse(
            query,
            key[..., start:stop, :],
            value[..., start:stop, :],
            is_causal,
            key_offset=start,
        )
        outputs.append(out)
        lses.append(lse)
    merged, merged_lse = merge_attention(outputs, lses)
    expected = scaled_dot_product_attention(query, key, value, is_causal=is_causal)
    torch.testing.assert_close(merged, expected, rtol=0, atol=ATOL)
    expected_lse = torch.logsumexp(scores_of(query, key, is_causal), -1)
    torch.testing.assert_close(merged_lse, expected_lse, rtol=1e-12, atol=ATOL)
    # merging is associative: the first two parts first, then the rest
    if len(outputs) > 2:
        first = merge_attention(outputs[:2], lses[:2])
        again = merge_attention([first[0], *outputs[2:]], [first[1], *lses[2:]])
        torch.testing.assert_close(again[0], merged, rtol=0, atol=ATOL)


def test_a_chunk_with_no_visible_key_gives_zeros_and_minus_infinity():
    query, key, value = randn(3, 4), randn(5, 4, seed=1), randn(5, 2)
    out, lse = attention_with_lse(
        query, key[3:], value[3:], is_causal=True, key_offset=3
    )
    assert torch.equal(out, torch.zeros(3, 2, dtype=torch.float64))
    assert torch.isneginf(lse).all()
    merged, _ = merge_attention(
        [attention_with_lse(query, key[:3], value[:3], True)[0], out],
        [attention_with_lse(query, key[:3], value[:3], True)[1], lse],
    )
    expected = scaled_dot_product_attention(
        query, key, value, attn_mask=causal_mask(3, 5)
    )
    torch.testing.assert_close(merged, expected, rtol=0, atol=ATOL)


def test_one_step_per_tile_each_holding_only_per_query_state():
    # the state carried between tiles is (max, sum, output) per query, whatever kv_len
    query = randn(1, 4, 8)
    for kv_len in (16, 64):
        key, value = randn(1, kv_len, 8, seed=1), randn(1, kv_len, 2)
        _, steps = online_softmax_attention(
            query, key, value, tile_size=4, return_steps=True
        )
        assert len(steps) == kv_len // 4
        assert all(step.max.shape == step.sum.shape == (1, 4) for step in steps)
        assert all(step.output.shape == (1, 4, 2) for step in steps)
