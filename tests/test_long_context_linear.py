"""Linear attention (llmviz.long_context.linear): the kernel, prefix-sum and chunked
forms each equal the quadratic form softmax(log φ(Q)φ(K)ᵀ + mask) computed by chapter
3's scaled_dot_product_attention, since softmax(log s) = s / Σ s; the feature maps
against their kernels."""

from __future__ import annotations

import math
from functools import partial

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import attention_weights, scaled_dot_product_attention
from llmviz.long_context import (
    FEATURE_MAPS,
    chunked_linear_attention,
    elu_features,
    linear_attention,
    linear_attention_weights,
    polynomial_features,
    rbf_features,
    softmax_linear_attention,
)


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def log_similarity_mask(query, key, phi, causal: bool) -> torch.Tensor:
    """log φ(q_i)·φ(k_j), −inf where masked: SDPA's softmax of it is the quadratic form."""
    sim = phi(query) @ phi(key).transpose(-2, -1)
    if causal:
        visible = torch.ones(query.shape[-2], key.shape[-2], dtype=torch.bool).tril()
        sim = sim.masked_fill(~visible, 0.0)
    return sim.log()


def reference(query, key, value, phi, causal: bool) -> torch.Tensor:
    """Chapter 3's SDPA with zero scores plus the log-similarity mask."""
    mask = log_similarity_mask(query, key, phi, causal)
    zeros_q = torch.zeros(*query.shape[:-1], 1, dtype=query.dtype)
    zeros_k = torch.zeros(*key.shape[:-1], 1, dtype=key.dtype)
    return scaled_dot_product_attention(zeros_q, zeros_k, value, attn_mask=mask)


shapes = st.fixed_dictionaries(
    {
        "batch": st.integers(1, 2),
        "heads": st.integers(1, 3),
        "q_len": st.integers(1, 12),
        "kv_len": st.integers(1, 12),
        "head_dim": st.integers(1, 6),
        "v_dim": st.integers(1, 5),
        "seed": st.integers(0, 2**16),
    }
)


def make_qkv(s: dict, same_length: bool):
    kv_len = s["q_len"] if same_length else s["kv_len"]
    b, h, d, seed = s["batch"], s["heads"], s["head_dim"], s["seed"]
    return (
        randn(b, h, s["q_len"], d, seed=seed),
        randn(b, h, kv_len, d, seed=seed + 1),
        randn(b, h, kv_len, s["v_dim"], seed=seed + 2),
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(s=shapes, name=st.sampled_from(sorted(FEATURE_MAPS)), causal=st.booleans())
def test_linear_attention_equals_the_masked_quadratic_form(s, name, causal):
    query, key, value = make_qkv(s, same_length=causal)
    phi = FEATURE_MAPS[name]
    expected = reference(query, key, value, phi, causal)
    ours = linear_attention(query, key, value, causal=causal, feature_map=name)
    torch.testing.assert_close(ours, expected, rtol=1e-9, atol=1e-10)
    weights = linear_attention_weights(query, key, causal=causal, feature_map=name)
    zeros_q = torch.zeros(*query.shape[:-1], 1, dtype=query.dtype)
    zeros_k = torch.zeros(*key.shape[:-1], 1, dtype=key.dtype)
    mask = log_similarity_mask(query, key, phi, causal)
    torch.testing.assert_close(
        weights,
        attention_weights(zeros_q, zeros_k, attn_mask=mask),
        rtol=1e-9,
        atol=1e-12,
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    s=shapes,
    name=st.sampled_from(sorted(FEATURE_MAPS)),
    chunk_size=st.integers(1, 15),
)
def test_chunked_form_equals_the_causal_quadratic_form(s, name, chunk_size):
    query, key, value = make_qkv(s, same_length=True)
    expected = reference(query, key, value, FEATURE_MAPS[name], causal=True)
    ours = chunked_linear_attention(query, key, value, chunk_size, feature_map=name)
    torch.testing.assert_close(ours, expected, rtol=1e-9, atol=1e-10)


def test_chunk_size_one_and_whole_sequence_equal_the_prefix_sum_form():
    query, key, value = randn(2, 9, 4, seed=1), randn(2, 9, 4, seed=2), randn(2, 9, 3)
    recurrent = linear_attention(query, key, value, causal=True)
    for chunk_size in (1, 3, 4, 9, 50):
        torch.testing.assert_close(
            chunked_linear_attention(query, key, value, chunk_size), recurrent
        )


def test_causal_forms_do_not_read_the_future():
    query, key, value = (
        randn(1, 10, 4, seed=3),
        randn(1, 10, 4, seed=4),
        randn(1, 10, 2),
    )
    changed_key, changed_value = key.clone(), value.clone()
    changed_key[:, 6:] += 5.0
    changed_value[:, 6:] -= 3.0
    for form in (
        lambda k, v: linear_attention(query, k, v, causal=True),
        lambda k, v: chunked_linear_attention(query, k, v, chunk_size=4),
    ):
        before, after = form(key, value), form(changed_key, changed_value)
        torch.testing.assert_close(before[:, :6], after[:, :6])
        assert not torch.allclose(before[:, 6:], after[:, 6:])


def test_outputs_are_convex_combinations_of_the_values():
    query, key, value = (
        randn(3, 20, 8, seed=5),
        randn(3, 20, 8, seed=6),
        randn(3, 20, 4),
    )
    for causal in (False, True):
        out = linear_attention(query, key, value, causal=causal)
        assert (out <= value.amax(-2, keepdim=True) + 1e-12).all()
        assert (out >= value.amin(-2, keepdim=True) - 1e-12).all()
        weights = linear_attention_weights(query, key, causal=causal)
        torch.testing.assert_close(
            weights.sum(-1), torch.ones(3, 20, dtype=torch.float64)
        )


def test_a_row_with_zero_similarity_gives_zeros():
    # (q·k)² = 0 for every key: orthogonal queries see nothing, as SDPA's empty rows
    query = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    key = torch.tensor([[1.0, 0.0], [2.0, 0.0]], dtype=torch.float64)
    value = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    out = linear_attention(query, key, value, feature_map="polynomial")
    assert out.tolist() == [[0.0]]


def test_elu_features_are_elu_plus_one():
    x = randn(5, 7)
    expected = torch.where(x > 0, x + 1, torch.exp(x))  # elu(x) + 1 by cases
    torch.testing.assert_close(elu_features(x), expected)
    assert (elu_features(x) > 0).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(dim=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_polynomial_features_give_the_squared_dot_product(dim, seed):
    q, k = randn(4, dim, seed=seed), randn(6, dim, seed=seed + 1)
    kernel = polynomial_features(q) @ polynomial_features(k).T
    torch.testing.assert_close(kernel, (q @ k.T) ** 2)


@pytest.mark.parametrize("sigma", [None, 1.5, 3.0])
def test_rbf_features_estimate_the_gaussian_kernel(sigma):
    q, k = 0.5 * randn(5, 4, seed=7), 0.5 * randn(6, 4, seed=8)
    s = math.sqrt(2 * math.sqrt(4)) if sigma is None else sigma
    exact = torch.exp(-(torch.cdist(q, k) ** 2) / s**2)
    errors = []
    for m in (16, 256, 1 << 14):
        phi_q = rbf_features(q, num_features=m, sigma=sigma, seed=1)
        phi_k = rbf_features(k, num_features=m, sigma=sigma, seed=1)
        errors.append(((phi_q @ phi_k.T - exact).abs() / exact).mean().item())
    assert errors[-1] < 0.05, errors  # the Monte Carlo error shrinks as 1/√m
    assert errors[0] > errors[-1]


def test_rbf_features_depend_on_the_seed_only():
    x = randn(3, 4)
    assert torch.equal(rbf_features(x, seed=3), rbf_features(x, seed=3))
    assert not torch.equal(rbf_features(x, seed=3), rbf_features(x, seed=4))
    assert (rbf_features(x) > 0).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(s=shapes)
def test_the_notes_softmax_form_has_rows_summing_to_one(s):
    query, key, value = make_qkv(s, same_length=False)
    # w_ij = Σ_a softmax(q_i)_a · exp(k_ja) / Σ_j′ exp(k_j′a), written out
    q_weights = torch.exp(query) / torch.exp(query).sum(-1, keepdim=True)
    k_weights = torch.exp(key) / torch.exp(key).sum(-2, keepdim=True)
    weights = torch.einsum("...ia,...ja->...ij", q_weights, k_weights)
    torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights[..., 0]))
    zeros_q = torch.zeros(*query.shape[:-1], 1, dtype=query.dtype)
    zeros_k = torch.zeros(*key.shape[:-1], 1, dtype=key.dtype)
    expected = scaled_dot_product_attention(
        zeros_q, zeros_k, value, attn_mask=weights.log()
    )
    torch.testing.assert_close(softmax_linear_attention(query, key, value), expected)


def test_a_custom_feature_map_and_its_errors():
    query, key, value = randn(6, 3, seed=9), randn(6, 3, seed=10), randn(6, 2)
    square = lambda x: x**2  # noqa: E731 - a kernel (Σ q_a² k_a²) of its own
    expected = reference(query, key, value, square, causal=True)
    torch.testing.assert_close(
        linear_attention(query, key, value, causal=True, feature_map=square), expected
    )
    with pytest.raises(ValueError, match="feature_map .* negative features"):
        linear_attention(query, key, value, feature_map=lambda x: x)
    with pytest.raises(ValueError, match="feature_map .* returned shape"):
        linear_attention(query, key, value, feature_map=lambda x: x[0])
    with pytest.raises(ValueError, match="feature_map must be one of"):
        linear_attention(query, key, value, feature_map="relu")


def test_rbf_linear_attention_approaches_softmax_attention():
    # with keys of equal norm, exp(−‖q − k‖²/(2√d)) ∝ exp(q·k/√d) per query: the
    # default RBF kernel normalises to softmax's weights, and the features estimate it
    query = 0.5 * randn(2, 6, 4, seed=11)
    key = randn(2, 6, 4, seed=12)
    key = 0.7 * key / key.norm(dim=-1, keepdim=True)
    value = randn(2, 6, 3, seed=13)
    expected = scaled_dot_product_attention(query, key, value, is_causal=True)
    errors = []
    for m in (8, 1 << 14):
        phi = partial(rbf_features, num_features=m, seed=2)
        out = linear_attention(query, key, value, causal=True, feature_map=phi)
        errors.append((out - expected).abs().max().item())
    assert errors[-1] < 0.02 < errors[0], errors
