"""Feature maps φ for linear attention: sim(q, k) = φ(q)·φ(k) ≥ 0 in place of
exp(q·k/√d) [katharopoulos2020transformers].

Each maps (..., T, d) to (..., T, f) so that every similarity φ(q)·φ(k) is ≥ 0, and the
weights φ(q_i)·φ(k_j) / Σ_j φ(q_i)·φ(k_j) are a probability distribution over keys.
A custom map passed as a callable must return non-negative features, which ensures it.

- ``elu_features``: φ(x) = elu(x) + 1, Katharopoulos et al.'s choice (f = d).
- ``polynomial_features``: φ(x) = vec(x xᵀ), so φ(q)·φ(k) = (q·k)² exactly (f = d²).
- ``rbf_features``: positive random features whose dot product is, in expectation,
  the Gaussian kernel exp(−‖q − k‖²/σ²) [choromanski2021performer] (f = num_features).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int, check_positive_number
from llmviz._tensor_checks import check_choice, check_tensor

FeatureMap = Callable[[Tensor], Tensor]
MAX_POLYNOMIAL_DIM = 256  # d² features: 65,536 at most
MAX_FEATURES = 1 << 16


def elu_features(x: Tensor) -> Tensor:
    """φ(x) = elu(x) + 1, positive everywhere [katharopoulos2020transformers].

    >>> elu_features(torch.tensor([[-1.0, 0.0, 2.0]])).tolist()
    [[0.367879..., 1.0, 3.0]]
    """
    check_tensor("x", x)
    return _elu(x)


def _elu(x: Tensor) -> Tensor:
    # elu(x) + 1 is x + 1 above 0 and eˣ below: written so, it is faster on CPU than
    # F.elu(x) + 1 (0.10 ms against 0.19 ms on (1, 8, 512, 64), two threads)
    return x.clamp(max=0).exp_().add_(x.clamp(min=0))


def polynomial_features(x: Tensor) -> Tensor:
    """φ(x) = vec(x xᵀ), of shape (..., d²): φ(q)·φ(k) = Σ_ab q_a q_b k_a k_b = (q·k)².

    The features can be negative; every similarity, a square, is not.

    >>> q, k = torch.tensor([1.0, 2.0]), torch.tensor([3.0, -1.0])
    >>> float(polynomial_features(q) @ polynomial_features(k)), float(q @ k) ** 2
    (1.0, 1.0)
    """
    check_tensor("x", x)
    if x.dim() == 0 or x.shape[-1] > MAX_POLYNOMIAL_DIM:
        raise ValueError(
            f"x must have a last dimension of 1 to {MAX_POLYNOMIAL_DIM} (it makes d² "
            f"features), got shape {tuple(x.shape)}"
        )
    return _polynomial(x)


def _polynomial(x: Tensor) -> Tensor:
    outer = x.unsqueeze(-1) * x.unsqueeze(-2)  # (..., d, d)
    return outer.flatten(-2)  # (..., d²)


def rbf_features(
    x: Tensor, num_features: int = 64, sigma: float | None = None, seed: int = 0
) -> Tensor:
    """Positive random features of the Gaussian kernel exp(−‖q − k‖²/σ²).

    With x′ = x·√2/σ and w_1..w_m ~ N(0, I) drawn from ``seed``,
    φ(x) = exp(w·x′ − ‖x′‖²)/√m, and E[φ(q)·φ(k)] = exp(−‖q′ − k′‖²/2)
    [choromanski2021performer]. ``sigma=None`` takes σ² = 2√d, for which the kernel is
    exp(q·k/√d), softmax's, up to one factor per query and one per key.
    Queries and keys must use the same ``seed``.

    >>> rbf_features(torch.zeros(3, 4), num_features=16).shape
    torch.Size([3, 16])
    """
    check_tensor("x", x)
    if x.dim() == 0:
        raise ValueError("x must have at least 1 dimension (..., d), got a scalar")
    num_features = check_int("num_features", num_features, 1, MAX_FEATURES)
    if sigma is not None:
        sigma = check_positive_number("sigma", sigma)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    return _rbf(x, num_features, sigma, seed)


def _rbf(x: Tensor, num_features: int = 64, sigma: float | None = None, seed: int = 0):
    dim = x.shape[-1]
    sigma = math.sqrt(2 * math.sqrt(dim)) if sigma is None else sigma
    generator = torch.Generator().manual_seed(seed)
    w = torch.randn(dim, num_features, generator=generator, dtype=torch.float64)
    scaled = x * (math.sqrt(2) / sigma)  # x′
    exponent = scaled @ w.to(x) - (scaled**2).sum(-1, keepdim=True)  # (..., m)
    return torch.exp(exponent) / math.sqrt(num_features)


FEATURE_MAPS: dict[str, FeatureMap] = {
    "elu": elu_features,
    "polynomial": polynomial_features,
    "rbf": rbf_features,
}


_UNCHECKED: dict[str, FeatureMap] = {
    "elu": _elu,
    "polynomial": _polynomial,
    "rbf": _rbf,
}


def resolve_feature_map(feature_map: Any, head_dim: int) -> tuple[FeatureMap, bool]:
    """A name in ``FEATURE_MAPS`` or a callable (..., T, d) -> (..., T, f); and whether
    its output must be checked (a callable's is, ours are not)."""
    if isinstance(feature_map, str):
        name = check_choice("feature_map", feature_map, list(FEATURE_MAPS))
        if name == "polynomial" and head_dim > MAX_POLYNOMIAL_DIM:
            raise ValueError(
                f"feature_map='polynomial' makes head_dim² features: the query's "
                f"head_dim must be at most {MAX_POLYNOMIAL_DIM}, got {head_dim}"
            )
        return _UNCHECKED[name], False
    check_callable("feature_map", feature_map)
    return feature_map, True


def apply_feature_map(feature_map: FeatureMap, x: Tensor, name: str) -> Tensor:
    """φ(x) of a custom map, checked: a float tensor (..., T, f) of x's dtype, finite,
    non-negative."""
    features = feature_map(x)
    problem = None
    if not isinstance(features, Tensor) or not features.is_floating_point():
        problem = f"returned {type(features).__name__}"
        if isinstance(features, Tensor):
            problem += f" of dtype {features.dtype}"
    elif features.dim() != x.dim() or features.shape[:-1] != x.shape[:-1]:
        problem = f"returned shape {tuple(features.shape)}"
    elif features.dtype != x.dtype:
        problem = f"returned dtype {features.dtype}"
    elif features.numel() == 0 or not bool(torch.isfinite(features).all()):
        problem = "returned NaN, inf or no features"
    elif bool((features < 0).any()):
        problem = "returned negative features"
    if problem:
        raise ValueError(
            f"feature_map must map {name} of shape {tuple(x.shape)} to finite, "
            f"non-negative features of shape (..., {x.shape[-2]}, f) and dtype "
            f"{x.dtype}; it {problem}"
        )
    return features
