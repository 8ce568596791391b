"""Tensor argument checks shared by every chapter, one line at each public boundary.

Like ``_checks``, each raises ``TypeError`` for a value of the wrong kind and
``ValueError`` for one out of range, naming the parameter, what it received and what is
allowed. They only read their argument: nothing is copied or changed.

>>> import torch
>>> check_tensor("query", torch.zeros(2, 3), ranks=(2,)).shape
torch.Size([2, 3])
>>> check_tensor("query", torch.zeros(3), ranks=(2, 4))
Traceback (most recent call last):
...
ValueError: query must have 2 or 4 dimensions, got shape (3,)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

__all__ = ["check_choice", "check_dim", "check_same", "check_tensor"]


def _shape(tensor: Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape)


def check_tensor(
    name: str,
    value: Any,
    ranks: Sequence[int] | None = None,
    *,
    floating: bool = True,
    finite: bool = True,
    allow_neg_inf: bool = False,
    nonempty: bool = True,
) -> Tensor:
    """Return ``value`` if it is a torch tensor of one of ``ranks`` dimensions.

    ``floating``: a floating-point dtype is required (else an integer one is, bools
    excluded). ``finite``: no NaN or ±inf (``allow_neg_inf`` lets −inf through, as
    masked logits use it). ``nonempty``: no dimension of size 0.
    """
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(value).__name__}"
            + ("" if value is None else f" {_short(value)}")
        )
    if ranks is not None and value.dim() not in ranks:
        allowed = " or ".join(str(r) for r in ranks)
        noun = "dimension" if tuple(ranks) == (1,) else "dimensions"
        raise ValueError(
            f"{name} must have {allowed} {noun}, got shape {_shape(value)}"
        )
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {value.dtype}")
    if not floating and (value.is_floating_point() or value.is_complex()):
        raise TypeError(f"{name} must be an integer tensor, got {value.dtype}")
    if not floating and value.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor, got {value.dtype}")
    if nonempty and value.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {_shape(value)}")
    if floating and finite and not _sum_is_finite(value):
        bad = torch.isnan(value) | torch.isposinf(value)
        if not allow_neg_inf:
            bad |= torch.isneginf(value)
        if bool(bad.any()):
            allowed = "finite or -inf" if allow_neg_inf else "finite"
            raise ValueError(f"{name} must be {allowed}: it holds NaN or inf values")
    return value


def _sum_is_finite(tensor: Tensor) -> bool:
    """One reduction settles the usual case cheaply: the sum of finite values is finite
    unless it overflows, and only a non-finite sum pays for the elementwise test."""
    accumulate = torch.float64 if tensor.dtype == torch.float64 else torch.float32
    return math.isfinite(tensor.sum(dtype=accumulate).item())  # .item(): 2x faster


def check_dim(name: str, tensor: Tensor, dim: int, size: int, what: str) -> None:
    """Raise ``ValueError`` unless ``tensor.shape[dim] == size``; ``what`` says why."""
    if tensor.shape[dim] != size:
        raise ValueError(
            f"{name} must have size {size} in dimension {dim} ({what}), "
            f"got shape {_shape(tensor)}"
        )


def check_same(name: str, tensor: Tensor, other_name: str, other: Tensor) -> None:
    """Raise ``ValueError`` unless the two tensors have the same shape."""
    if tensor.shape != other.shape:
        raise ValueError(
            f"{name} must have the shape of {other_name}, {_shape(other)}, "
            f"got {_shape(tensor)}"
        )


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices`` (equal, and of the same type)."""
    for choice in choices:
        if type(value) is type(choice) and value == choice:
            return value
    raise ValueError(f"{name} must be one of {list(choices)!r}, got {_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
