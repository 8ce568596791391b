"""Argument checks shared by the modules of ``llmviz.moe``.

Each raises ``TypeError`` for a value of the wrong kind and ``ValueError`` for one out
of range, naming the parameter, what it received and what is allowed. They only read
their argument, once, at the public boundary.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int


def describe_value(value: object) -> str:
    """'a tensor of dtype …' or the type's name, for error messages."""
    if isinstance(value, Tensor):
        return f"a tensor of dtype {value.dtype}"
    return type(value).__name__


def check_router_logits(name: str, logits: object, shape: str = "(T, E)") -> Tensor:
    """Return ``logits`` if it is a finite, non-empty floating tensor of ``shape``.

    >>> check_router_logits("z", torch.tensor([[0.0, float("nan")]]))
    Traceback (most recent call last):
    ...
    ValueError: z must be finite: it holds NaN or inf values
    """
    if not isinstance(logits, Tensor):
        kind = type(logits).__name__
        raise TypeError(f"{name} must be a torch.Tensor, got {kind}")
    dims = len([size for size in shape.strip("()").split(",") if size.strip()])
    if logits.dim() != dims or not logits.is_floating_point() or logits.numel() == 0:
        raise ValueError(
            f"{name} must be a floating tensor of shape {shape}, not empty, "
            f"got shape {tuple(logits.shape)} and dtype {logits.dtype}"
        )
    if not bool(torch.isfinite(logits).all()):
        raise ValueError(f"{name} must be finite: it holds NaN or inf values")
    return logits


def check_probabilities(name: str, probs: object, shape: str) -> Tensor:
    """Return ``probs`` if it is a floating tensor of ``shape``, values in [0, 1]."""
    probs = check_router_logits(name, probs, shape)
    low, high = float(probs.min()), float(probs.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values from {low:.4g} "
            f"to {high:.4g}"
        )
    return probs


def check_expert_indices(
    name: str, experts: object, num_experts: int, nonempty: bool = True
) -> Tensor:
    """Return ``experts`` if it is an integer tensor of values in 0..num_experts − 1,
    not empty unless ``nonempty`` is False."""
    if not isinstance(experts, Tensor) or experts.is_floating_point():
        raise TypeError(
            f"{name} must be an integer tensor, got {describe_value(experts)}"
        )
    if experts.is_complex() or experts.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor, got {experts.dtype}")
    if experts.numel() == 0:
        if not nonempty:
            return experts
        raise ValueError(f"{name} must not be empty, got shape {tuple(experts.shape)}")
    low, high = int(experts.min()), int(experts.max())
    if low < 0 or high >= num_experts:
        raise ValueError(
            f"{name} must lie in 0..{num_experts - 1} (num_experts = {num_experts}), "
            f"got values from {low} to {high}"
        )
    return experts


def check_top_k(name: str, value: object, num_experts: int) -> int:
    """Return ``value`` if it is an integer in 1..num_experts."""
    value = check_int(name, value, minimum=1)
    if value > num_experts:
        raise ValueError(f"{name} must be <= num_experts = {num_experts}, got {value}")
    return value
