"""NTK-aware scaling as a change of base, where it still extrapolates, and NTK-by-parts'
zones (llmviz.positions.ntk), against Hugging Face's ROPE_INIT_FUNCTIONS and the maths.

References: PI is HF's "linear"; NTK-aware with factor s is HF's "dynamic" at the
sequence length where its α = s·len/L − (s − 1) equals s; YaRN is HF's "yarn". The
counter's digits against Python's own integer arithmetic; the extrapolating pairs
against a direct loop over pairs and positions.
"""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

from llmviz.positions.ntk import (
    by_parts_ramp,
    counter_digits,
    extrapolated_pairs,
    frequency_ratios,
    ntk_aware_theta,
    ntk_factor_needed,
)
from llmviz.positions.rope import default_inv_freq

HEAD_DIMS = st.sampled_from([16, 32, 64, 128])
FACTORS = st.sampled_from([2.0, 4.0, 8.0, 16.0])
LENGTHS = st.sampled_from([128, 512, 2048, 4096])


def hf_inv_freq(rope_type, head_dim, length, seq_len=None, **keywords):
    config = LlamaConfig(
        hidden_size=4 * head_dim,
        num_attention_heads=4,
        max_position_embeddings=length,
        rope_parameters=dict(rope_type=rope_type, rope_theta=10000.0, **keywords),
    )
    return ROPE_INIT_FUNCTIONS[rope_type](config, "cpu", seq_len=seq_len)[0].double()


@settings(max_examples=15, deadline=None)
@given(head_dim=HEAD_DIMS, factor=FACTORS, length=LENGTHS)
def test_ratios_equal_hf(head_dim, factor, length):
    ratios = frequency_ratios(head_dim, factor, length)
    base = default_inv_freq(head_dim).double()
    seq_len = round((2 * factor - 1) * length / factor)  # HF's α = factor there
    hf = {
        "PI": hf_inv_freq("linear", head_dim, length, factor=factor),
        "NTK-aware": hf_inv_freq("dynamic", head_dim, length, seq_len, factor=factor),
        "YaRN": hf_inv_freq(
            "yarn",
            head_dim,
            length,
            factor=factor,
            original_max_position_embeddings=length,
        ),
    }
    for name, inv_freq in hf.items():
        torch.testing.assert_close(ratios[name], inv_freq / base, rtol=2e-6, atol=0)


@settings(max_examples=20, deadline=None)
@given(head_dim=HEAD_DIMS, factor=st.floats(1.0, 64.0))
def test_ntk_keeps_the_fastest_pair_and_interpolates_the_slowest(head_dim, factor):
    base = default_inv_freq(head_dim).double()
    scaled = default_inv_freq(head_dim, ntk_aware_theta(1e4, factor, head_dim))
    ratio = scaled.double() / base
    assert ratio[0] == 1.0
    assert math.isclose(ratio[-1], 1 / factor, rel_tol=1e-5)
    assert bool((ratio[1:] <= ratio[:-1]).all())  # slower pairs slowed more


def test_counter_digits_are_python_integer_digits():
    positions = torch.tensor([0, 7, 99, 1000, 3999, 12345], dtype=torch.float64)
    digits = counter_digits(positions, 10, 5)
    expected = [[int(c) for c in f"{int(p):05d}"[-5:]] for p in positions.tolist()]
    assert digits.tolist() == expected
    assert counter_digits(torch.tensor([1234.25]), 10, 3).tolist() == [[2, 3, 4.25]]


def loop_extrapolated(inv_freq, scaled, length, factor):
    """Direct loop: a pair that never turned in training, whose angle at the last
    of s·L positions passes the angle at the last of L (continuous positions)."""
    flags = []
    for theta, theta_new in zip(inv_freq.tolist(), scaled.tolist(), strict=True):
        never_turned = 2 * math.pi / theta > length
        flags.append(
            never_turned and factor * length * theta_new > length * theta * 1.001
        )
    return flags


@settings(max_examples=20, deadline=None)
@given(head_dim=HEAD_DIMS, factor=FACTORS, length=LENGTHS)
def test_extrapolated_pairs_against_a_loop(head_dim, factor, length):
    base = default_inv_freq(head_dim)
    for scaled in (
        base / factor,  # PI: none extrapolates
        base,  # none: every pair that never turned does
        default_inv_freq(head_dim, ntk_aware_theta(1e4, factor, head_dim)),
    ):
        ours = extrapolated_pairs(base, scaled, length, factor).tolist()
        assert ours == loop_extrapolated(base, scaled, length, factor)
    assert not extrapolated_pairs(base, base / factor, length, factor).any()


@settings(max_examples=20, deadline=None)
@given(head_dim=HEAD_DIMS, factor=FACTORS, length=LENGTHS)
def test_ntk_factor_needed_is_the_edge(head_dim, factor, length):
    base = default_inv_freq(head_dim)
    needed = ntk_factor_needed(head_dim, factor, length)
    if math.isinf(needed) or needed == 1.0:
        return
    assert needed >= factor  # never below the target ratio

    def flags(s):
        scaled = default_inv_freq(head_dim, ntk_aware_theta(1e4, s, head_dim))
        return extrapolated_pairs(base, scaled, length, factor)

    assert not flags(needed * 1.001).any()
    assert flags(needed / 1.01).any()


def test_llama_like_numbers():
    # d = 128, b = 10⁴, L = 4096, s = 4: pairs 46-63 never turn in training
    # (2π·10⁴^(2i/128) > 4096 ⇔ i > 45.0); NTK keeps all but the slowest past the edge
    base = default_inv_freq(128)
    scaled = default_inv_freq(128, ntk_aware_theta(1e4, 4.0, 128))
    flags = extrapolated_pairs(base, scaled, 4096, 4.0)
    assert flags.nonzero().flatten().tolist() == list(range(46, 63))
    assert math.isclose(ntk_factor_needed(128, 4.0, 4096), 4 ** (126 / 92))


def test_by_parts_zones_match_hf_yarn():
    # where the paper's γ is 0 HF divides θ by s, where it is 1 HF keeps θ
    for head_dim, length, factor in [(128, 4096, 4.0), (64, 128, 8.0), (32, 512, 2.0)]:
        base = default_inv_freq(head_dim)
        gamma = by_parts_ramp(base, length)
        ratio = (
            hf_inv_freq(
                "yarn",
                head_dim,
                length,
                factor=factor,
                original_max_position_embeddings=length,
            )
            / base.double()
        )
        torch.testing.assert_close(
            ratio[gamma == 1], torch.ones_like(ratio[gamma == 1])
        )
        torch.testing.assert_close(
            ratio[gamma == 0], torch.full_like(ratio[gamma == 0], 1 / factor)
        )


def test_by_parts_ramp_is_linear_in_the_turns():
    turns = torch.tensor([0.5, 1.0, 8.75, 16.5, 32.0, 100.0], dtype=torch.float64)
    gamma = by_parts_ramp(2 * math.pi * turns / 100, 100)  # θ = 2π·r/L
    expected = torch.tensor([0.0, 0.0, 0.25, 0.5, 1.0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(gamma, expected)
