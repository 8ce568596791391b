"""Why attention divides by √d_k.

If the entries of q and k are independent, with mean 0 and variance 1, then
q·k = Σ_i q_i k_i is a sum of d_k terms of variance 1, so Var(q·k) = d_k
[vaswani2017attention]. Large scores push softmax towards a one-hot vector, and its
Jacobian J = diag(p) − p pᵀ goes to zero with it: the gradient that should reach q and
k vanishes. Dividing the scores by √d_k brings their variance back to 1 for any d_k.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_CELLS, check_cells

MAX_JACOBIAN_WIDTH = 4096  # a Jacobian has width² entries per row


def _check_weights(weights: Tensor) -> Tensor:
    """Probabilities: a float tensor of values in [0, 1], at least 1-d."""
    check_tensor("weights", weights)
    if weights.dim() == 0:
        raise ValueError("weights must have at least 1 dimension, got a 0-d tensor")
    if bool((weights < 0).any() | (weights > 1).any()):
        raise ValueError(
            "weights must be probabilities, in [0, 1]: got values from "
            f"{weights.min().item():.3g} to {weights.max().item():.3g}"
        )
    return weights


def _seed(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(check_int("seed", seed, minimum=0))


def softmax_entropy(weights: Tensor) -> Tensor:
    """Entropy −Σ p ln p of each row, in nats (0 ln 0 = 0); ln n when uniform over n.

    >>> round(softmax_entropy(torch.full((4,), 0.25)).item(), 4)
    1.3863
    """
    _check_weights(weights)
    tiny = torch.finfo(weights.dtype).tiny
    return -(weights * torch.log(weights.clamp_min(tiny))).sum(-1)


def softmax_jacobian(weights: Tensor) -> Tensor:
    """∂softmax(s)/∂s = diag(p) − p pᵀ for each row p, of shape (..., n, n).

    >>> softmax_jacobian(torch.tensor([1.0, 0.0])).abs().sum().item()
    0.0
    """
    _check_weights(weights)
    n = weights.shape[-1]
    if n > MAX_JACOBIAN_WIDTH or weights.numel() * n > MAX_CELLS:
        raise ValueError(
            f"weights of shape {tuple(weights.shape)} give a Jacobian of "
            f"{weights.numel() * n:,} entries: at most {MAX_JACOBIAN_WIDTH} per row "
            f"and {MAX_CELLS:,} in all"
        )
    return torch.diag_embed(weights) - weights.unsqueeze(-1) * weights.unsqueeze(-2)


def scaling_statistics(
    head_dim: int,
    scaled: bool,
    num_keys: int = 32,
    num_queries: int = 512,
    seed: int = 0,
) -> dict[str, float]:
    """How spread the scores are and what softmax makes of them, for q, k ~ N(0, I).

    Returns ``score_std``, the standard deviation of the scores; ``entropy``, the mean
    entropy of a query's weights (nats); ``max_weight``, the mean largest weight; and
    ``gradient_norm``, the median over queries of ‖J‖ (Frobenius), the size of the
    gradient that softmax passes back for a typical query.

    >>> s = scaling_statistics(256, scaled=False)
    >>> 14 < s["score_std"] < 18   # √256 = 16
    True
    """
    head_dim = check_int("head_dim", head_dim, minimum=1, maximum=1 << 16)
    scaled = check_bool("scaled", scaled)
    num_keys = check_int("num_keys", num_keys, minimum=1, maximum=1024)
    num_queries = check_int("num_queries", num_queries, minimum=1, maximum=1 << 16)
    check_cells("Jacobians", num_queries=num_queries, num_keys=num_keys**2)
    check_cells("queries", num_queries=num_queries, head_dim=head_dim)
    generator = _seed(seed)
    q = torch.randn(num_queries, head_dim, generator=generator)  # (T_q, D)
    k = torch.randn(num_keys, head_dim, generator=generator)  # (T_kv, D)
    scores = q @ k.T / (math.sqrt(head_dim) if scaled else 1.0)  # (T_q, T_kv)
    weights = torch.softmax(scores, dim=-1)
    jacobian_norms = torch.linalg.matrix_norm(softmax_jacobian(weights))  # (T_q,)
    return {
        "score_std": scores.std().item(),
        "entropy": softmax_entropy(weights).mean().item(),
        "max_weight": weights.max(dim=-1).values.mean().item(),
        "gradient_norm": jacobian_norms.median().item(),
    }


def example_weights(
    head_dim: int, num_keys: int = 12, seed: int = 0
) -> dict[str, Tensor]:
    """One query's weights over ``num_keys`` random keys, without and with 1/√d_k."""
    head_dim = check_int("head_dim", head_dim, minimum=1, maximum=1 << 16)
    num_keys = check_int("num_keys", num_keys, minimum=1, maximum=1 << 16)
    check_cells("keys", num_keys=num_keys, head_dim=head_dim)
    generator = _seed(seed)
    q = torch.randn(head_dim, generator=generator)  # (D,)
    k = torch.randn(num_keys, head_dim, generator=generator)  # (T_kv, D)
    scores = k @ q  # (T_kv,)
    return {
        "unscaled": torch.softmax(scores, -1),
        "scaled": torch.softmax(scores / math.sqrt(head_dim), -1),
    }
