"""Why √d_k: the softmax Jacobian and entropy against autograd and torch.distributions,
and the variance argument checked by measurement."""

from __future__ import annotations

import math

import pytest
import torch

from llmviz.attention import (
    example_weights,
    scaling_statistics,
    softmax_entropy,
    softmax_jacobian,
)


def test_softmax_jacobian_equals_autograd():
    torch.manual_seed(0)
    for n in (1, 2, 7):
        scores = torch.randn(n, dtype=torch.float64) * 3
        expected = torch.autograd.functional.jacobian(
            lambda s: torch.softmax(s, -1), scores
        )
        torch.testing.assert_close(
            softmax_jacobian(torch.softmax(scores, -1)), expected
        )


def test_softmax_jacobian_works_on_batches_of_rows():
    weights = torch.softmax(torch.randn(3, 4, 5), -1)
    batched = softmax_jacobian(weights)
    assert batched.shape == (3, 4, 5, 5)
    torch.testing.assert_close(batched[1, 2], softmax_jacobian(weights[1, 2]))


def test_softmax_entropy_equals_torch_categorical():
    weights = torch.softmax(torch.randn(6, 9) * 4, -1)
    expected = torch.distributions.Categorical(probs=weights).entropy()
    torch.testing.assert_close(softmax_entropy(weights), expected, atol=1e-5, rtol=0)
    assert softmax_entropy(torch.tensor([0.0, 1.0, 0.0])).item() == 0.0
    assert softmax_entropy(torch.full((8,), 1 / 8)).item() == pytest.approx(math.log(8))


@pytest.mark.parametrize("head_dim", [4, 64, 1024])
def test_score_spread_follows_sqrt_head_dim_unless_scaled(head_dim):
    raw = scaling_statistics(head_dim, scaled=False, num_queries=2048)
    scaled = scaling_statistics(head_dim, scaled=True, num_queries=2048)
    assert raw["score_std"] == pytest.approx(math.sqrt(head_dim), rel=0.15)
    assert scaled["score_std"] == pytest.approx(1.0, rel=0.15)


def test_without_scale_softmax_saturates_and_its_gradient_vanishes():
    dims = [16, 64, 256, 1024, 4096]
    raw = [scaling_statistics(d, scaled=False) for d in dims]
    scaled = [scaling_statistics(d, scaled=True) for d in dims]
    for earlier, later in zip(raw, raw[1:], strict=False):
        assert later["gradient_norm"] < earlier["gradient_norm"]
        assert later["entropy"] < earlier["entropy"]
    assert raw[-1]["max_weight"] > 0.95
    assert raw[-1]["gradient_norm"] < 1e-3 * scaled[-1]["gradient_norm"]
    spread = [s["gradient_norm"] for s in scaled]
    assert max(spread) < 1.2 * min(spread), (
        "with the scale, head size should not matter"
    )


def test_statistics_are_reproducible():
    assert scaling_statistics(32, True, seed=3) == scaling_statistics(32, True, seed=3)
    assert scaling_statistics(32, True, seed=3) != scaling_statistics(32, True, seed=4)


def test_example_weights_differ_only_by_the_temperature_of_the_scores():
    weights = example_weights(16, num_keys=10, seed=2)
    for w in weights.values():
        assert w.shape == (10,)
        assert w.sum().item() == pytest.approx(1.0, abs=1e-6)
    # scaled = softmax(s / 4) and unscaled = softmax(s): so scaled = softmax(log(unscaled) / 4)
    rebuilt = torch.softmax(torch.log(weights["unscaled"]) / 4, -1)
    torch.testing.assert_close(rebuilt, weights["scaled"], atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: scaling_statistics(0, True),
            "head_dim must be an integer >= 1, got 0",
        ),
        (
            lambda: scaling_statistics(8, True, num_keys=0),
            "num_keys must be an integer >= 1, got 0",
        ),
        (lambda: example_weights(-4), "head_dim must be an integer >= 1, got -4"),
        (
            lambda: example_weights(4, num_keys=0),
            "num_keys must be an integer >= 1, got 0",
        ),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
