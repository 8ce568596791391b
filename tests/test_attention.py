"""Scaled dot-product attention against torch's, and the single head against nn.MultiheadAttention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import (
    SingleHeadAttention,
    attention_weights,
    causal_mask,
    scaled_dot_product_attention,
)

ATOL = 1e-5


def _qkv(q_shape, kv_shape, value_dim=None, seed=0):
    generator = torch.Generator().manual_seed(seed)
    v_shape = (*kv_shape[:-1], value_dim or kv_shape[-1])
    return (
        torch.randn(q_shape, generator=generator),
        torch.randn(kv_shape, generator=generator),
        torch.randn(v_shape, generator=generator),
    )


def _both_paths(q, k, v, **kwargs):
    fused = scaled_dot_product_attention(q, k, v, **kwargs)
    textbook, weights = scaled_dot_product_attention(
        q, k, v, return_weights=True, **kwargs
    )
    return fused, textbook, weights


SHAPES = [
    ((5, 8), (5, 8)),  # unbatched self-attention
    ((4, 7, 16), (4, 9, 16)),  # batched, q_len != kv_len
    ((2, 3, 6, 32), (2, 3, 6, 32)),  # (B, H, T, D)
    ((2, 3, 10, 8), (1, 1, 4, 8)),  # broadcast key/value batch dims
]


@pytest.mark.parametrize(("q_shape", "kv_shape"), SHAPES)
@pytest.mark.parametrize(
    "mask_kind", ["none", "causal", "bool", "float", "bool_rows_broadcast"]
)
def test_matches_torch_sdpa(q_shape, kv_shape, mask_kind):
    q, k, v = _qkv(q_shape, kv_shape, value_dim=kv_shape[-1] + 3)
    L, S = q_shape[-2], kv_shape[-2]
    generator = torch.Generator().manual_seed(1)
    is_causal = mask_kind == "causal"
    mask = {
        "none": None,
        "causal": None,
        "bool": torch.rand(L, S, generator=generator) > 0.3,
        "float": torch.randn(L, S, generator=generator),
        "bool_rows_broadcast": torch.rand(1, S, generator=generator) > 0.3,
    }[mask_kind]
    reference = F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, is_causal=is_causal
    )
    fused, textbook, weights = _both_paths(q, k, v, attn_mask=mask, is_causal=is_causal)
    torch.testing.assert_close(fused, reference, atol=ATOL, rtol=0)
    torch.testing.assert_close(textbook, reference, atol=ATOL, rtol=0)
    assert weights.shape == (*reference.shape[:-1], S)


@pytest.mark.parametrize("scale", [0.05, 1.0, 3.0])
def test_custom_scale_matches_torch(scale):
    q, k, v = _qkv((2, 4, 6, 16), (2, 4, 6, 16))
    reference = F.scaled_dot_product_attention(q, k, v, scale=scale)
    for out in _both_paths(q, k, v, scale=scale)[:2]:
        torch.testing.assert_close(out, reference, atol=ATOL, rtol=0)


def test_default_scale_is_inverse_sqrt_head_dim():
    q, k, _ = _qkv((3, 64), (5, 64))
    expected = torch.softmax(q @ k.T / 8.0, dim=-1)  # √64 = 8
    torch.testing.assert_close(attention_weights(q, k), expected, atol=1e-6, rtol=0)


def test_fully_masked_rows_give_zeros_like_torch():
    q, k, v = _qkv((1, 2, 5, 8), (1, 2, 5, 8))
    mask = torch.rand(5, 5) > 0.5
    mask[2] = False  # query 2 sees nothing
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    fused, textbook, weights = _both_paths(q, k, v, attn_mask=mask)
    assert torch.equal(reference[..., 2, :], torch.zeros_like(reference[..., 2, :]))
    assert torch.equal(weights[..., 2, :], torch.zeros_like(weights[..., 2, :]))
    assert not textbook.isnan().any()
    torch.testing.assert_close(textbook, reference, atol=ATOL, rtol=0)
    torch.testing.assert_close(fused, reference, atol=ATOL, rtol=0)


def test_float_mask_with_minus_inf_rows_gives_zeros():
    q, k, v = _qkv((4, 8), (4, 8))
    mask = torch.zeros(4, 4)
    mask[1] = float("-inf")
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    textbook, _ = scaled_dot_product_attention(
        q, k, v, attn_mask=mask, return_weights=True
    )
    torch.testing.assert_close(textbook, reference, atol=ATOL, rtol=0)


def test_gradients_match_torch():
    q, k, v = (t.requires_grad_() for t in _qkv((2, 2, 7, 16), (2, 2, 7, 16)))
    mask = torch.rand(7, 7) > 0.3
    mask[:, 0] = True
    upstream = torch.randn(2, 2, 7, 16)
    ours, _ = scaled_dot_product_attention(q, k, v, attn_mask=mask, return_weights=True)
    ours_grads = torch.autograd.grad((ours * upstream).sum(), (q, k, v))
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    reference_grads = torch.autograd.grad((reference * upstream).sum(), (q, k, v))
    for ours_grad, reference_grad in zip(ours_grads, reference_grads, strict=True):
        torch.testing.assert_close(ours_grad, reference_grad, atol=ATOL, rtol=0)


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 3),
    heads=st.integers(1, 3),
    q_len=st.integers(1, 12),
    kv_len=st.integers(1, 12),
    head_dim=st.integers(1, 24),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_textbook_path_matches_torch_on_any_shape_and_mask(
    batch, heads, q_len, kv_len, head_dim, density, seed
):
    q, k, v = _qkv(
        (batch, heads, q_len, head_dim), (batch, heads, kv_len, head_dim), seed=seed
    )
    generator = torch.Generator().manual_seed(seed)
    visible = torch.rand(batch, heads, q_len, kv_len, generator=generator) < density
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=visible)
    out, weights = scaled_dot_product_attention(
        q, k, v, attn_mask=visible, return_weights=True
    )
    torch.testing.assert_close(out, reference, atol=ATOL, rtol=0)
    row_sums = weights.sum(-1)
    expected_sums = visible.any(-1).float()  # 1 where a key is visible, else 0
    torch.testing.assert_close(row_sums, expected_sums, atol=1e-5, rtol=0)
    assert not (weights[~visible] != 0).any(), "a masked pair got weight"


def test_causal_mask_is_top_left_aligned_like_torch():
    q, k, v = _qkv((3, 8), (6, 8))
    reference = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    explicit = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(3, 6))
    torch.testing.assert_close(explicit, reference, atol=ATOL, rtol=0)


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [scaled_dot_product_attention, attention_weights])
def test_bad_inputs_raise_clear_errors(fn):
    q, k, v = _qkv((4, 8), (6, 8))
    args = (
        (lambda q, k, v: (q, k, v))
        if fn is scaled_dot_product_attention
        else (lambda q, k, v: (q, k))
    )
    with pytest.raises(TypeError, match="query must be a torch.Tensor, got list"):
        fn(*args([[1.0]], k, v))
    with pytest.raises(
        ValueError, match=r"key must have at least 2 dimensions .* got shape \(8,\)"
    ):
        fn(*args(q, torch.randn(8), v))
    with pytest.raises(
        ValueError,
        match=r"key must have size 8 in dimension -1 \(the query's head_dim\), got shape \(6, 5\)",
    ):
        fn(*args(q, torch.randn(6, 5), v))
    with pytest.raises(
        ValueError,
        match=r"attn_mask must broadcast to the scores' shape \(4, 6\) \(batch\.\.\., q_len, kv_len\), got shape \(4, 5\)",
    ):
        fn(*args(q, k, v), attn_mask=torch.ones(4, 5, dtype=torch.bool))
    with pytest.raises(
        TypeError,
        match="attn_mask must be bool or have the query's dtype torch.float32, got torch.int64",
    ):
        fn(*args(q, k, v), attn_mask=torch.ones(4, 6, dtype=torch.int64))
    with pytest.raises(
        TypeError, match="attn_mask must be a torch.Tensor or None, got list"
    ):
        fn(*args(q, k, v), attn_mask=[[True]])
    with pytest.raises(ValueError, match="scale must be a finite number > 0, got -1"):
        fn(*args(q, k, v), scale=-1.0)
    with pytest.raises(ValueError, match="scale must be a finite number > 0, got 0"):
        fn(*args(q, k, v), scale=0)
    with pytest.raises(TypeError, match="scale must be a real number, got True"):
        fn(*args(q, k, v), scale=True)


def test_mask_and_is_causal_together_are_refused_as_in_torch():
    q, k, v = _qkv((4, 8), (4, 8))
    mask = torch.ones(4, 4, dtype=torch.bool)
    with pytest.raises(
        RuntimeError, match="attn_mask should not be set when is_causal=True"
    ):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)
    for fn in (scaled_dot_product_attention, attention_weights):
        args = (q, k, v) if fn is scaled_dot_product_attention else (q, k)
        with pytest.raises(
            ValueError, match="give attn_mask or is_causal=True, not both"
        ):
            fn(*args, attn_mask=mask, is_causal=True)


def test_value_length_must_match_key():
    q, k, _ = _qkv((4, 8), (6, 8))
    with pytest.raises(
        ValueError,
        match=r"value must have size 6 in dimension -2 \(the key's sequence length\), got shape \(5, 8\)",
    ):
        scaled_dot_product_attention(q, k, torch.randn(5, 8))


# --- one head: self- and cross-attention, against nn.MultiheadAttention -------------------


def _multihead_reference(head: SingleHeadAttention) -> torch.nn.MultiheadAttention:
    """A one-head torch MHA with the same projections and an identity output projection."""
    head_dim, hidden = head.q_proj.weight.shape
    context = head.k_proj.in_features
    mha = torch.nn.MultiheadAttention(
        hidden, num_heads=1, bias=False, kdim=context, vdim=context, batch_first=True
    )
    assert head_dim == hidden, "MHA's embed_dim is both its input and its head size"
    with torch.no_grad():
        if mha._qkv_same_embed_dim:
            mha.in_proj_weight.copy_(
                torch.cat([head.q_proj.weight, head.k_proj.weight, head.v_proj.weight])
            )
        else:
            mha.q_proj_weight.copy_(head.q_proj.weight)
            mha.k_proj_weight.copy_(head.k_proj.weight)
            mha.v_proj_weight.copy_(head.v_proj.weight)
        mha.out_proj.weight.copy_(torch.eye(hidden))
    return mha


@pytest.mark.parametrize("context_size", [None, 6])
def test_single_head_matches_torch_multihead_attention(context_size):
    torch.manual_seed(0)
    head = SingleHeadAttention(hidden_size=8, head_dim=8, context_size=context_size)
    mha = _multihead_reference(head)
    x = torch.randn(2, 5, 8)
    context = None if context_size is None else torch.randn(2, 7, context_size)
    source = x if context is None else context
    out, weights = head(x, context=context)
    reference, reference_weights = mha(x, source, source, need_weights=True)
    torch.testing.assert_close(out, reference, atol=ATOL, rtol=0)
    torch.testing.assert_close(weights, reference_weights, atol=ATOL, rtol=0)
    assert weights.shape == (2, 5, source.shape[1])


def test_single_head_mask_follows_torch_convention():
    torch.manual_seed(0)
    head = SingleHeadAttention(hidden_size=8, head_dim=8)
    mha = _multihead_reference(head)
    x = torch.randn(1, 6, 8)
    allowed = causal_mask(6, 6)
    out, _ = head(x, attn_mask=allowed)
    reference, _ = mha(
        x, x, x, attn_mask=~allowed
    )  # nn.MultiheadAttention: True = blocked
    torch.testing.assert_close(out, reference, atol=ATOL, rtol=0)


def test_single_head_bad_input():
    with pytest.raises(ValueError, match="head_dim must be an integer >= 1, got 0"):
        SingleHeadAttention(hidden_size=8, head_dim=0)
    head = SingleHeadAttention(hidden_size=8, head_dim=4, context_size=6)
    with pytest.raises(
        ValueError,
        match=r"x must have size 8 in dimension -1 \(hidden_size\), got shape \(2, 5, 7\)",
    ):
        head(torch.randn(2, 5, 7), context=torch.randn(2, 3, 6))
    with pytest.raises(
        ValueError,
        match=r"context must have size 6 in dimension -1 \(context_size\), got shape \(2, 3, 8\)",
    ):
        head(torch.randn(2, 5, 8), context=torch.randn(2, 3, 8))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_the_fast_finiteness_check_is_exact(dtype):
    """The fast path sums the values; a sum that overflows falls back to the
    elementwise test, so huge finite values pass and NaN or inf never does."""
    from llmviz._tensor_checks import check_tensor

    huge = torch.full((64, 64), torch.finfo(dtype).max / 2, dtype=dtype)
    assert check_tensor("x", huge) is huge  # the sum overflows; the values are finite
    assert check_tensor("x", -huge) is not None
    for bad in (math.nan, math.inf, -math.inf):
        poisoned = huge.clone()
        poisoned[3, 5] = bad
        with pytest.raises(ValueError, match="x must be finite"):
            check_tensor("x", poisoned)
    masked = torch.zeros(4, 4, dtype=dtype).masked_fill(~causal_mask(4, 4), -math.inf)
    assert check_tensor("attn_mask", masked, allow_neg_inf=True) is masked
