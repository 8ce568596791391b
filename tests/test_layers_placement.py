"""Residual placements (llmviz.layers.placement): each placement equals its formula
written out with torch's LayerNorm, the residual's Jacobian I + ∂F bounds the gradient
from below where a plain stack's ∂F bounds it from above, and Pre-Norm's stream grows
with depth."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from llmviz.layers.placement import (
    PLACEMENTS,
    ResidualBlock,
    apply_placement,
    residual_stack_gradients,
)


def _block(placement: str, d: int, seed: int, alpha: float = 1.0) -> ResidualBlock:
    torch.manual_seed(seed)
    block = ResidualBlock(nn.Linear(d, d), d, placement, alpha=alpha)
    for norm in (block.norm, block.out_norm):
        if norm is not None:  # learned gains and biases away from 1 and 0
            nn.init.normal_(norm.weight)
            nn.init.normal_(norm.bias)
    return block


@settings(max_examples=30, deadline=None)
@given(
    placement=st.sampled_from(PLACEMENTS),
    d=st.integers(1, 16),
    batch=st.integers(1, 4),
    alpha=st.floats(0.5, 4.0),
    seed=st.integers(0, 1000),
)
def test_each_placement_equals_its_formula(placement, d, batch, alpha, seed):
    block = _block(placement, d, seed, alpha)
    x = torch.randn(batch, 3, d, generator=torch.Generator().manual_seed(seed))
    f, w1, b1 = block.sublayer, block.norm.weight, block.norm.bias

    def ln(v, w, b):  # torch's own LayerNorm, eps 1e-5
        return torch.nn.functional.layer_norm(v, (d,), w, b, 1e-5)

    expected = {
        "post": lambda: ln(x + f(x), w1, b1),
        "pre": lambda: x + f(ln(x, w1, b1)),
        "sandwich": lambda: x + ln(f(ln(x, w1, b1)), block.out_norm.weight,
                                   block.out_norm.bias),
        "deepnorm": lambda: ln(alpha * x + f(x), w1, b1),
        "none": lambda: f(ln(x, w1, b1)),
    }[placement]()  # fmt: skip
    a = alpha if placement == "deepnorm" else 1.0
    assert block.alpha == a or placement != "deepnorm"
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=0)


def test_only_sandwich_has_a_second_norm():
    for placement in PLACEMENTS:
        block = ResidualBlock(nn.Identity(), 4, placement)
        assert (block.out_norm is not None) == (placement == "sandwich")


def test_pre_norm_stream_grows_with_depth_and_post_norm_stays_put():
    torch.manual_seed(0)
    d = 32
    x = torch.randn(8, d)
    pre = [ResidualBlock(nn.Linear(d, d), d, "pre") for _ in range(24)]
    post = [ResidualBlock(nn.Linear(d, d), d, "post") for _ in range(24)]
    norms = {}
    with torch.no_grad():
        for name, stack in (("pre", pre), ("post", post)):
            h, seen = x, []
            for block in stack:
                h = block(h)
                seen.append(float(h.norm(dim=-1).mean()))
            norms[name] = seen
    assert norms["pre"][-1] > 2 * norms["pre"][0]
    # adding a branch roughly independent of x adds its energy: the norm grows
    assert sum(norms["pre"][-6:]) > 1.5 * sum(norms["pre"][:6])
    # LayerNorm with unit gain and zero bias: each row has norm sqrt(d)
    assert max(abs(n - d**0.5) for n in norms["post"]) < 1e-3


@settings(max_examples=25, deadline=None)
@given(layers=st.integers(2, 12), d=st.integers(2, 12), std=st.floats(0.05, 0.8),
       seed=st.integers(0, 1000))  # fmt: skip
def test_residual_jacobian_bounds_the_gradient(layers, d, std, seed):
    """∂x_L/∂x_0 = Π(I + J_l) with ‖J_l‖ ≤ ‖W_l‖ (tanh' ≤ 1): the gradient reaching
    layer 1 is at least Π(1 − ‖W_l‖) of the output's; without the residual it is at
    most Π‖W_l‖, which falls geometrically."""
    gen = torch.Generator().manual_seed(seed)
    ws = [torch.randn(d, d, generator=gen) * std / d**0.5 for _ in range(layers)]
    x = torch.randn(1, d, generator=gen, requires_grad=True)
    g = torch.randn(1, d, generator=gen)
    spectral = [float(torch.linalg.matrix_norm(w, 2)) for w in ws]
    for residual in (True, False):
        h = x
        for w in ws:
            h = h + torch.tanh(h @ w.T) if residual else torch.tanh(h @ w.T)
        (grad,) = torch.autograd.grad(h, x, g)
        ratio = float(grad.norm() / g.norm())
        if residual:
            low = torch.tensor([max(0.0, 1 - s) for s in spectral]).prod()
            assert ratio >= float(low) * (1 - 1e-5)
        else:
            assert ratio <= float(torch.tensor(spectral).prod()) * (1 + 1e-5)


def test_stack_gradients_shape_seed_and_no_vanishing_with_residuals():
    a = residual_stack_gradients(32, 16, True, init_std=0.5, steps=3, seed=1)
    assert a.shape == (4, 32)
    assert torch.equal(a, residual_stack_gradients(32, 16, True, 0.5, 3, seed=1))
    assert not torch.equal(a, residual_stack_gradients(32, 16, True, 0.5, 3, seed=2))
    plain = residual_stack_gradients(32, 16, False, init_std=0.5, steps=3, seed=1)
    # first layer against last, at initialisation and after the steps
    assert (a[:, 0] / a[:, -1]).min() > 0.1
    assert (plain[:, 0] / plain[:, -1]).max() < 1e-6


@pytest.mark.parametrize("placement", ["Pre", "layer", "", "postnorm"])
def test_unknown_placement_lists_the_allowed(placement):
    with pytest.raises(ValueError, match="placement must be one of.*'sandwich'"):
        ResidualBlock(nn.Identity(), 4, placement)


def test_apply_placement_is_the_block():
    block = _block("sandwich", 5, 3)
    x = torch.randn(2, 5)
    out = apply_placement(
        x, block.sublayer, block.norm, "sandwich", 1.0, block.out_norm
    )
    assert torch.equal(out, block(x))
