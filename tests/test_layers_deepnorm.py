"""DeepNorm (llmviz.layers.deepnorm): α and β equal DeepNet's Table 1 written out
independently, and the initialisation scales exactly the FFN, value and output
projections by β, leaving queries and keys at Xavier's gain 1."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from llmviz.attention.heads import GroupedQueryAttention
from llmviz.layers.deepnorm import deepnorm_constants, deepnorm_init_
from llmviz.layers.ffn import SwiGLU


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 1000), m=st.integers(1, 1000))
def test_table_1(n, m):
    """Wang et al. 2022, Table 1, each constant computed another way."""
    only = math.sqrt(math.sqrt(2 * n)), 1 / math.sqrt(math.sqrt(8 * n))
    assert deepnorm_constants(encoder_layers=n)["encoder"] == pytest.approx(only)
    assert deepnorm_constants(decoder_layers=n)["decoder"] == pytest.approx(only)
    both = deepnorm_constants(n, m)
    root = math.exp(math.log(n**4 * m) / 16)
    assert both["encoder"] == pytest.approx((0.81 * root, 0.87 / root))
    decoder = (math.sqrt(math.sqrt(3 * m)), 1 / math.sqrt(math.sqrt(12 * m)))
    assert both["decoder"] == pytest.approx(decoder)


def test_paper_values():
    # DeepNet's 1000-layer decoder-only model: α = 2000^¼ ≈ 6.69, β = 8000^-¼ ≈ 0.106
    alpha, beta = deepnorm_constants(decoder_layers=1000)["decoder"]
    assert round(alpha, 2) == 6.69 and round(beta, 3) == 0.106
    # α > 1 up-weights the residual, β < 1 shrinks the branches, for any depth
    for n in (1, 6, 100):
        a, b = deepnorm_constants(decoder_layers=n)["decoder"]
        assert a > 1 and b < 1


class Layer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.self_attn = GroupedQueryAttention(16, 4, bias=True)
        self.mlp = SwiGLU(16, 48)


@pytest.mark.parametrize("beta", [0.1, 0.35, 1.0])
def test_init_scales_exactly_the_named_projections(beta):
    torch.manual_seed(0)
    scaled_model = nn.ModuleList([Layer(), Layer()])
    plain_model = nn.ModuleList([Layer(), Layer()])
    torch.manual_seed(7)
    names = deepnorm_init_(scaled_model, beta)
    torch.manual_seed(7)
    deepnorm_init_(plain_model, 1.0)  # the same draws with gain 1
    assert sorted(names) == sorted(
        f"{i}.{p}" for i in range(2) for p in (
            "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")
    )  # fmt: skip
    plain = dict(plain_model.named_parameters())
    for name, weight in scaled_model.named_parameters():
        module = name.rsplit(".", 1)[0]
        if name.endswith("bias"):
            assert not weight.any()
        elif module in names:
            torch.testing.assert_close(weight, beta * plain[name], atol=1e-7, rtol=1e-6)
        else:  # q and k: Xavier with gain 1, the same draws
            torch.testing.assert_close(weight, plain[name], atol=0, rtol=0)


def test_init_std_is_xavier_times_beta():
    torch.manual_seed(0)
    ffn = SwiGLU(256, 512)
    deepnorm_init_(ffn, 0.25)
    std = float(ffn.up_proj.weight.detach().std())
    assert std == pytest.approx(0.25 * math.sqrt(2 / (256 + 512)), rel=0.02)


@pytest.mark.parametrize("args", [(0, 0), (-1, 2), (2.5, 1), (None, 1)])
def test_bad_layer_counts(args):
    with pytest.raises((TypeError, ValueError), match="layers"):
        deepnorm_constants(*args)


def test_update_size_is_linear_in_a_small_learning_rate():
    """Adam's first step moves each weight by lr · g / (|g| + eps) ≈ lr · sign(g), so
    for a small lr the output changes in proportion to lr."""
    from llmviz.layers.update_size import update_size

    for placement in ("post", "deepnorm"):
        small = update_size(placement, 2, 8, lr=1e-6, seed=3)
        double = update_size(placement, 2, 8, lr=2e-6, seed=3)
        assert small > 0
        assert double / small == pytest.approx(2, rel=0.02)
    assert update_size("pre", 2, 8, seed=4) == update_size("pre", 2, 8, seed=4)


def test_update_size_restores_the_thread_count():
    from llmviz.layers.update_size import update_size

    threads = torch.get_num_threads()
    update_size("post", 1, 8)
    assert torch.get_num_threads() == threads
