"""The activations against torch's functions, their closed-form derivatives against
torch.autograd, and the saturation and mean-output measurements against their closed
forms under a normal input (llmviz.layers.activations, .activation_stats)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.layers.activation_stats import (
    ELEMENTWISE,
    dead_fraction,
    dead_unit_run,
    mean_output,
    saturation,
)
from llmviz.layers.activations import ACTIVATIONS, activation, derivative

ATOL = 1e-5
REFERENCES = {  # torch's own functions, taking (x, α or β)
    "sigmoid": lambda x, p: torch.sigmoid(x),
    "tanh": lambda x, p: torch.tanh(x),
    "relu": lambda x, p: F.relu(x),
    "leaky_relu": lambda x, p: F.leaky_relu(x, negative_slope=p),
    "elu": lambda x, p: F.elu(x, alpha=p),
    "gelu": lambda x, p: F.gelu(x),
    "gelu_tanh": lambda x, p: F.gelu(x, approximate="tanh"),
    "silu": lambda x, p: F.silu(x) if p == 1.0 else x * torch.sigmoid(p * x),
    "softmax": lambda x, p: torch.softmax(x, dim=-1),
}
PARAM = {"leaky_relu": "alpha", "elu": "alpha", "silu": "beta"}

values = st.lists(
    st.floats(-20, 20, allow_nan=False, width=32), min_size=1, max_size=40
).map(lambda xs: torch.tensor(xs, dtype=torch.float64))
params = st.floats(0.0, 5.0, allow_nan=False)


def _kwargs(name: str, p: float) -> dict:
    return {PARAM[name]: p} if name in PARAM else {}


@pytest.mark.parametrize("name", ACTIVATIONS)
@settings(max_examples=40, deadline=None)
@given(x=values, p=params)
def test_equals_torch(name, x, p):
    p = p if name in PARAM else 1.0
    ours = activation(name, x.float(), **_kwargs(name, p))
    torch.testing.assert_close(ours, REFERENCES[name](x.float(), p), atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=40, deadline=None)
@given(x=values, p=params)
def test_derivative_equals_autograd(name, x, p):
    p = p if name in PARAM else 1.0
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(REFERENCES[name](x, p).sum(), x)
    ours = derivative(name, x.detach(), **_kwargs(name, p))
    torch.testing.assert_close(ours, grad, atol=1e-9, rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(x=values)
def test_softmax_jacobian_is_diag_p_minus_ppT(x):
    jacobian = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, -1), x)
    torch.testing.assert_close(derivative("softmax", x), jacobian)
    p = torch.softmax(x, -1)
    torch.testing.assert_close(
        derivative("softmax", x), torch.diag(p) - torch.outer(p, p)
    )


def test_softmax_jacobian_batches_over_leading_dims():
    x = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))
    jac = derivative("softmax", x)
    assert jac.shape == (2, 3, 5, 5)
    torch.testing.assert_close(jac[1, 2], derivative("softmax", x[1, 2]))


def test_unknown_name_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="name must be one of") as error:
        activation("swish2", torch.zeros(2))
    assert all(name in str(error.value) for name in ACTIVATIONS)


def test_unknown_parameter_is_named():
    with pytest.raises(TypeError, match="'beta'"):
        activation("relu", torch.zeros(2), beta=1.0)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0, 10.0])
def test_saturation_closed_forms(scale):
    t = 1e-3
    # σ' = σ(1−σ) < t beyond |x| = logit((1 + √(1−4t))/2); tanh' = 1−tanh² beyond
    # atanh(√(1−t)); relu' = 0 on every negative input.
    s_edge = (1 + math.sqrt(1 - 4 * t)) / 2
    edges = {
        "sigmoid": math.log(s_edge / (1 - s_edge)),
        "tanh": math.atanh(math.sqrt(1 - t)),
    }
    for name, edge in edges.items():
        expected = 2 * (1 - _normal_cdf(edge / scale))
        assert saturation(name, t, scale) == pytest.approx(expected, abs=1e-4)
    assert saturation("relu", t, scale) == pytest.approx(0.5, abs=1e-4)
    assert saturation("leaky_relu", t, scale, alpha=0.01) == 0.0


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_mean_output_closed_forms(scale):
    s = scale
    relu = s / math.sqrt(2 * math.pi)
    # E[sZ·Φ(sZ)] = s²·E[φ(sZ)] (Stein's lemma) = s² / √(2π(1+s²))
    gelu = s * s / math.sqrt(2 * math.pi * (1 + s * s))
    # E[α(e^{sZ}−1); Z<0] = α(e^{s²/2}Φ(−s) − ½)
    elu = relu + 0.7 * (math.exp(s * s / 2) * _normal_cdf(-s) - 0.5)
    expected = {"relu": relu, "gelu": gelu, "tanh": 0.0, "sigmoid": 0.5}
    for name, value in expected.items():
        assert mean_output(name, s) == pytest.approx(value, abs=1e-6), name
    assert mean_output("leaky_relu", s, alpha=0.1) == pytest.approx(
        0.9 * relu, abs=1e-6
    )
    assert mean_output("elu", s, alpha=0.7) == pytest.approx(elu, abs=1e-6)


def test_mean_output_agrees_with_sampling_torch():
    z = torch.randn(
        400_000, generator=torch.Generator().manual_seed(1), dtype=torch.float64
    )
    for name in ("silu", "gelu_tanh"):
        sample = REFERENCES[name](z, 1.0)
        error = 4 * float(sample.std()) / math.sqrt(len(z))
        assert abs(mean_output(name) - float(sample.mean())) < error


def test_dead_fraction_counts_never_active_relu_columns():
    pre = torch.randn(5, 40, generator=torch.Generator().manual_seed(2)) - 1.0
    expected = float((pre.max(0).values <= 0).float().mean())
    assert 0 < expected < 1
    assert dead_fraction("relu", pre) == expected
    assert dead_fraction("leaky_relu", pre, alpha=0.01) == 0.0


def test_dead_unit_run_is_seeded():
    first = dead_unit_run("relu", steps=3, hidden_size=8)
    assert dead_unit_run("relu", steps=3, hidden_size=8) == first
    assert dead_unit_run("relu", steps=3, hidden_size=8, seed=1) != first
    state = torch.random.get_rng_state()
    dead_unit_run("gelu", steps=2, hidden_size=4)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG untouched


def test_large_learning_rate_kills_relus_only():
    """The chapter's claim: at lr 0.4 a share of ReLUs die, no leaky, GELU or SiLU unit
    does; at lr 0.2 none die."""
    relu = dead_unit_run("relu")
    assert relu["dead_before"] == 0 and relu["dead_after"] > 0.2
    for name in ("leaky_relu", "gelu", "silu"):
        assert dead_unit_run(name)["dead_after"] == 0.0
    assert dead_unit_run("relu", learning_rate=0.2)["dead_after"] == 0.0


def test_divergence_is_reported():
    with pytest.raises(ValueError, match="learning_rate"):
        dead_unit_run("elu", learning_rate=5.0)
