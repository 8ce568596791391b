"""The chunked causal sliding window (llmviz.long_context.window) against SDPA with
chapter 3's sliding_window mask, and that mask against Hugging Face's
``sliding_window_causal_mask_function`` (W keys, the query's own included)."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers.masking_utils import sliding_window_causal_mask_function

from llmviz.attention import masks, scaled_dot_product_attention
from llmviz.attention.masks import materialize
from llmviz.long_context.window import (
    band,
    sliding_window_attention,
    sliding_window_attention_dense,
)

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)
sizes = st.integers(1, 70).flatmap(lambda t: st.tuples(st.just(t), st.integers(1, t)))


def hf_mask(window, seq_len):
    index = torch.arange(seq_len)
    mask_fn = sliding_window_causal_mask_function(window)
    return mask_fn(torch.tensor(0), torch.tensor(0), index[:, None], index[None, :])


@SETTINGS
@given(sizes=sizes)
def test_sliding_window_mask_is_hugging_faces(sizes):
    seq_len, window = sizes
    ours = materialize(masks.sliding_window(window), seq_len, seq_len)
    assert torch.equal(ours, hf_mask(window, seq_len).expand_as(ours))


@SETTINGS
@given(sizes=sizes, batch=st.integers(1, 2), heads=st.integers(1, 3),
       head_dim=st.integers(1, 6), seed=st.integers(0, 2**16),
       scale=st.sampled_from([None, 0.3]))  # fmt: skip
def test_chunked_window_equals_sdpa_with_the_sliding_mask(
    sizes, batch, heads, head_dim, seed, scale
):
    seq_len, window = sizes
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, heads, seq_len, head_dim)
    q, k, v = (torch.randn(*shape, generator=generator, dtype=torch.float64)
               for _ in range(3))  # fmt: skip
    mask = hf_mask(window, seq_len)
    expected = scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    ours = sliding_window_attention(q, k, v, window, scale=scale)
    torch.testing.assert_close(ours, expected, atol=1e-12, rtol=0)
    dense = sliding_window_attention_dense(q, k, v, window, scale=scale)
    torch.testing.assert_close(dense, expected, atol=1e-12, rtol=0)


def test_a_window_as_long_as_the_sequence_is_causal_attention():
    q, k, v = torch.randn(3, 1, 2, 33, 4, dtype=torch.float64).unbind(0)
    expected = scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(sliding_window_attention(q, k, v, 33), expected,
                               atol=1e-12, rtol=0)  # fmt: skip


@SETTINGS
@given(window=st.integers(1, 20))
def test_the_band_is_the_window_seen_from_a_block(window):
    # block b's row r is query bW + r; column c is key (b − 1)W + c; take b = 1
    full = materialize(masks.sliding_window(window), 2 * window, 2 * window)
    assert torch.equal(band(window), full[window:, :])


def test_inputs_are_float32_and_long_sequences_stay_exact():
    q, k, v = torch.randn(3, 1, 2, 1000, 16).unbind(0)
    expected = scaled_dot_product_attention(
        q, k, v, attn_mask=hf_mask(64, 1000).view(1000, 1000)
    )
    torch.testing.assert_close(sliding_window_attention(q, k, v, 64), expected,
                               atol=1e-5, rtol=0)  # fmt: skip
