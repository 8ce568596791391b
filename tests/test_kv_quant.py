"""The quantised KV cache (llmviz.attention.kv_quant): int8 codes equal torch's own
per-channel quantiser; every element comes back within half a step (it is rounded to
the nearest multiple of its scale, and the scale makes max|x| a code); values that are
multiples of the scale come back exactly; the bytes follow from the bit widths; and
the quantised attention at 8 bits stays close to TinyGPT's own."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention.kv_quant import (
    dequantize,
    fake_quantize,
    quantize,
    quantized_attention,
    quantized_kv_bytes_per_token,
)
from llmviz.long_context.swap import forward_with_attention
from llmviz.models import load_tinygpt


@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor")
def test_int8_codes_equal_torch_per_channel_quantizer():
    x = torch.randn(6, 16, generator=torch.Generator().manual_seed(0))  # (T, D)
    codes, scale = quantize(x, bits=8, dim=-1)  # one scale per token (row)
    reference = torch.quantize_per_channel(
        x, scale[:, 0].double(), torch.zeros(6, dtype=torch.long), 0, torch.qint8
    )
    assert torch.equal(codes, reference.int_repr())
    assert torch.allclose(dequantize(codes, scale), reference.dequantize(), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    bits=st.sampled_from([2, 3, 4, 8]),
    dim=st.sampled_from([-1, -2, 0]),
    group=st.sampled_from([None, 1, 3, 4]),
    seed=st.integers(0, 2**16),
)
def test_error_is_at_most_half_a_step(bits, dim, group, seed):
    x = torch.randn(3, 7, 5, generator=torch.Generator().manual_seed(seed)) * 4
    codes, scale = quantize(x, bits, dim, group)
    qmax = 2 ** (bits - 1) - 1
    assert codes.abs().max() <= qmax
    step = scale.repeat_interleave(group or x.shape[dim], dim=dim)
    step = step.narrow(dim, 0, x.shape[dim])
    error = (dequantize(codes, scale, dim, group) - x).abs()
    assert bool((error <= step / 2 + 1e-6).all())


@pytest.mark.parametrize("bits", [4, 8])
def test_multiples_of_the_scale_are_exact(bits):
    qmax = 2 ** (bits - 1) - 1
    codes = torch.randint(-qmax, qmax + 1, (4, 9), generator=torch.Generator())
    codes[:, 0] = qmax  # so that max|x| / qmax is the scale
    x = codes.float() * 0.125  # a power of two: every product is exact
    assert torch.equal(fake_quantize(x, bits, dim=-1), x)


def test_zeros_stay_zeros():
    assert torch.equal(fake_quantize(torch.zeros(2, 3), 4), torch.zeros(2, 3))


def test_bytes_per_token():
    # 16 bits: 2 (K and V) · heads · head_dim · 2 bytes per layer
    assert quantized_kv_bytes_per_token(4, 2, 32, bits=16) == 4 * 2 * 2 * 32 * 2
    # 4 bits: half a byte per number, plus a 2-byte scale per key channel every 32
    # tokens and one per value vector
    assert quantized_kv_bytes_per_token(1, 1, 64, bits=4, group_size=32) == 64 + 2 * (
        2 + 1
    )


def test_quantized_attention_close_to_the_model_at_8_bits():
    model, _ = load_tinygpt()
    ids = torch.randint(1, 2048, (2, 40), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        exact = torch.log_softmax(model(ids), -1)
        for grouping in ["channel", "token"]:
            attention = quantized_attention(8, 8, grouping, group_size=16)
            ours = torch.log_softmax(forward_with_attention(model, ids, attention), -1)
            assert (ours - exact).abs().max() < 0.1
            coarse = quantized_attention(2, 2, grouping, group_size=16)
            worse = torch.log_softmax(forward_with_attention(model, ids, coarse), -1)
            assert (worse - exact).abs().max() > (ours - exact).abs().max()


def test_the_unfinished_key_group_is_not_quantized():
    # one-token groups are complete at once; a group as long as the sequence never is
    model, _ = load_tinygpt()
    ids = torch.randint(1, 2048, (1, 12), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        never = forward_with_attention(
            model, ids, quantized_attention(2, 8, "channel", group_size=64)
        )
        values_only = forward_with_attention(
            model, ids, quantized_attention(8, 8, "channel", group_size=64)
        )
    assert torch.allclose(never, values_only)  # keys untouched at either bit width
