"""Chapter 6's "why" sections, against the maths and against Hugging Face.

Sinusoidal encodings: the raw dot product PE(p)·PE(p + k) is Σ_i cos(k·ω_i), the same
for every p and for ±k [vaswani2017attention]; after random W_q and W_k it depends on
p; after a W_q that commutes with the rotations it does not. YaRN's temperature
[peng2024yarn]: multiplying cos and sin by m multiplies every logit by m² (exactly when
m is a power of two), and t = 1/m² with m = HF's attention_factor.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import LlamaConfig
from transformers.modeling_rope_utils import _compute_yarn_parameters
from transformers.models.llama import modeling_llama

from llmviz.positions.rope import rope_cos_sin
from llmviz.positions.rope_scaling import rope_parameters
from llmviz.positions.sinusoid_checks import offset_scores
from llmviz.positions.temperature import rotary_logits, yarn_temperature

DIMS = st.integers(1, 64).map(lambda half: 2 * half)
OFFSETS = st.lists(st.integers(-2000, 2000), min_size=1, max_size=6)
POSITIONS = st.lists(st.integers(-1000, 5000), min_size=2, max_size=12)


def sum_of_cosines(offsets: list[int], dim: int, base: float = 10000.0) -> torch.Tensor:
    """The paper's formula in float64: Σ_i cos(k·ω_i), ω_i = base^(−2i/dim)."""
    omega = base ** -(torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    return torch.cos(torch.tensor(offsets, dtype=torch.float64)[:, None] * omega).sum(1)


@settings(max_examples=40, deadline=None)
@given(positions=POSITIONS, offsets=OFFSETS, dim=DIMS)
def test_raw_score_is_a_sum_of_cosines_of_the_offset(positions, offsets, dim):
    scores = offset_scores(torch.tensor(positions), torch.tensor(offsets), dim)
    expected = sum_of_cosines(offsets, dim).float().expand_as(scores)
    torch.testing.assert_close(scores, expected, atol=1e-4 * dim, rtol=0)


@settings(max_examples=40, deadline=None)
@given(positions=POSITIONS, offsets=OFFSETS, dim=DIMS)
def test_raw_score_has_no_direction(positions, offsets, dim):
    p, k = torch.tensor(positions), torch.tensor(offsets)
    after, before = offset_scores(p, k, dim), offset_scores(p, -k, dim)
    torch.testing.assert_close(after, before, atol=1e-4 * dim, rtol=0)


@settings(max_examples=40, deadline=None)
@given(
    dim=st.integers(2, 64).map(lambda half: 2 * half),
    offset=st.integers(-300, 300),
    seed=st.integers(0, 2**31),
)
def test_random_projections_make_the_score_depend_on_the_position(dim, offset, seed):
    generator = torch.Generator().manual_seed(seed)
    w_q, w_k = torch.randn(2, dim, dim, generator=generator) / math.sqrt(dim)
    scores = offset_scores(torch.arange(64), torch.tensor([offset]), dim, w_q, w_k)
    assert scores.max() - scores.min() > 0.05 * dim / 2  # |PE|² = dim/2


def scaled_rotations(dim: int, generator: torch.Generator) -> torch.Tensor:
    """Block diagonal, one a·I + b·J per (sin, cos) pair: it commutes with M_k."""
    a, b = torch.randn(2, dim // 2, generator=generator)
    blocks = torch.stack([torch.stack([a, b], -1), torch.stack([-b, a], -1)], -2)
    return torch.block_diag(*blocks)  # (dim, dim)


@settings(max_examples=30, deadline=None)
@given(positions=POSITIONS, offsets=OFFSETS, dim=DIMS, seed=st.integers(0, 2**31))
def test_projections_that_commute_with_the_rotations_keep_it_relative(
    positions, offsets, dim, seed
):
    w_q = scaled_rotations(dim, torch.Generator().manual_seed(seed))
    p, k = torch.tensor(positions), torch.tensor(offsets)
    scores = offset_scores(p, k, dim, w_q, torch.eye(dim))
    tolerance = 1e-4 * dim * w_q.abs().max().item()
    torch.testing.assert_close(
        scores, scores[:1].expand_as(scores), atol=tolerance, rtol=0
    )


def _logits(m: float, head_dim: int, length: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    q, k = torch.randn(2, 1, 2, length, head_dim, generator=generator)
    cos, sin = rope_cos_sin(torch.arange(length) * 37, head_dim, attention_factor=m)
    return rotary_logits(q, k, cos[None], sin[None])  # (1, 2, T, T)


@settings(max_examples=40, deadline=None)
@given(
    m=st.floats(0.1, 10.0),
    head_dim=DIMS,
    length=st.integers(1, 16),
    seed=st.integers(0, 2**31),
)
def test_scaling_cos_and_sin_by_m_scales_every_logit_by_m_squared(
    m, head_dim, length, seed
):
    plain, scaled = (
        _logits(1.0, head_dim, length, seed),
        _logits(m, head_dim, length, seed),
    )
    torch.testing.assert_close(scaled, m**2 * plain, rtol=1e-5, atol=1e-5 * m**2)


@pytest.mark.parametrize("m", [0.25, 0.5, 2.0, 4.0])
@pytest.mark.parametrize("head_dim", [8, 64])
def test_a_power_of_two_scales_the_logits_exactly(m, head_dim):
    plain, scaled = _logits(1.0, head_dim, 12, 0), _logits(m, head_dim, 12, 0)
    assert torch.equal(scaled, m**2 * plain)  # no rounding: a power of two


def hf_attention_factor(factor: float) -> float:
    config = LlamaConfig(
        hidden_size=256,
        num_attention_heads=4,
        max_position_embeddings=int(128 * factor),
        rope_parameters=dict(
            rope_type="yarn",
            rope_theta=10000.0,
            factor=factor,
            original_max_position_embeddings=128,
        ),
    )
    return _compute_yarn_parameters(config)[1]


@settings(max_examples=20, deadline=None)
@given(factor=st.sampled_from([2.0, 4.0, 8.0, 16.0]) | st.floats(1.01, 128.0))
def test_temperature_is_one_over_hf_attention_factor_squared(factor):
    hf = hf_attention_factor(factor)
    assert yarn_temperature(factor) == pytest.approx(1 / hf**2, rel=1e-12)
    # the paper's recommendation, √(1/t) = 0.1·ln s + 1
    assert math.sqrt(1 / yarn_temperature(factor)) == pytest.approx(
        0.1 * math.log(factor) + 1, rel=1e-12
    )


@pytest.mark.parametrize("factor", [0.5, 1.0])
def test_no_temperature_without_extension(factor):
    assert yarn_temperature(factor) == 1.0


def test_rotary_logits_equal_hf_with_yarn():
    head_dim, factor, length = 64, 4.0, 10
    config = LlamaConfig(
        hidden_size=4 * head_dim,
        num_attention_heads=4,
        max_position_embeddings=512,
        rope_parameters=dict(
            rope_type="yarn",
            rope_theta=10000.0,
            factor=factor,
            original_max_position_embeddings=128,
        ),
    )
    torch.manual_seed(0)
    q, k = torch.randn(2, 1, 4, length, head_dim).unbind(0)
    positions = (torch.arange(length) * 50)[None]  # up to 450, past 128
    cos, sin = modeling_llama.LlamaRotaryEmbedding(config)(q, positions)
    q_hf, k_hf = modeling_llama.apply_rotary_pos_emb(q, k, cos, sin)
    expected = q_hf @ k_hf.transpose(-1, -2) / math.sqrt(head_dim)
    inv_freq, attention_factor = rope_parameters(
        head_dim, 10000.0, "yarn", factor=factor, original_max_position_embeddings=128
    )
    ours_cos, ours_sin = rope_cos_sin(
        positions, head_dim, inv_freq=inv_freq, attention_factor=attention_factor
    )
    ours = rotary_logits(q, k, ours_cos, ours_sin)
    torch.testing.assert_close(ours, expected, atol=1e-4, rtol=1e-5)
