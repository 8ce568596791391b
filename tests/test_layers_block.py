"""The whole decoder block (llmviz.layers.block) equals one TinyGPT layer with copied
weights, and its trace passes each stage to the next in the order norm, attention,
residual, norm, FFN, residual."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.layers.block import STAGES, DecoderBlock
from llmviz.models import TinyGPT, TinyGPTConfig


@settings(max_examples=25, deadline=None)
@given(heads=st.sampled_from([(2, 1), (2, 2), (4, 2)]), seq=st.integers(1, 9),
       layer=st.integers(0, 1), seed=st.integers(0, 1000))  # fmt: skip
def test_equals_a_tinygpt_layer(heads, seq, layer, seed):
    torch.manual_seed(seed)
    config = TinyGPTConfig(vocab_size=30, hidden_size=16, num_hidden_layers=2,
                           num_attention_heads=heads[0], num_key_value_heads=heads[1],
                           intermediate_size=24)  # fmt: skip
    model = TinyGPT(config)
    for p in model.parameters():  # norms' gains away from 1
        p.data.normal_(0, 0.3)
    block = DecoderBlock(
        16, heads[0], 24, num_key_value_heads=heads[1], rms_norm_eps=config.rms_norm_eps
    )
    block.load_state_dict(model.layers[layer].state_dict())
    x = torch.randn(2, seq, 16)
    cos_sin = model._rotary(torch.arange(seq))
    expected, _ = model.layers[layer](x, cos_sin, None, False)
    torch.testing.assert_close(block(x, cos_sin), expected, atol=0, rtol=0)


def test_trace_is_in_order():
    torch.manual_seed(0)
    block = DecoderBlock(8, 2, 16)
    x = torch.randn(1, 4, 8)
    t = block.trace(x)
    assert tuple(t) == STAGES
    torch.testing.assert_close(t["normed"], block.input_layernorm(x))
    torch.testing.assert_close(
        t["attention"], block.self_attn(t["normed"], is_causal=True)
    )
    torch.testing.assert_close(t["residual 1"], x + t["attention"])
    torch.testing.assert_close(
        t["normed 2"], block.post_attention_layernorm(t["residual 1"])
    )
    torch.testing.assert_close(t["ffn"], block.mlp(t["normed 2"]))
    torch.testing.assert_close(t["output"], t["residual 1"] + t["ffn"])


def test_the_ffn_works_on_each_token_alone_and_attention_is_causal():
    torch.manual_seed(0)
    block = DecoderBlock(8, 2, 16)
    x = torch.randn(1, 5, 8)
    y = x.clone()
    y[0, 3] += 1.0  # change token 3
    tx, ty = block.trace(x), block.trace(y)
    same = (tx["output"] - ty["output"]).abs().amax(-1)[0]
    assert same[:3].max() == 0  # earlier tokens cannot see it
    # the FFN's output for token 4 changes only through its input
    torch.testing.assert_close(block.mlp(ty["normed 2"][:, 4]), ty["ffn"][:, 4])
