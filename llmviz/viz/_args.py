"""Argument checks of the figure builders: each raises ``TypeError`` or ``ValueError``
naming the parameter, what it got and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from llmviz._checks import check_bool, check_real


def _array(values: Any, name: str, ndim: int, gaps: bool = False) -> np.ndarray:
    """A float NumPy copy of ``values``, checked to have ``ndim`` dimensions, no size-0
    dimension and finite numbers (NaN too, where ``gaps`` lets plotly leave a gap)."""
    if values is None or isinstance(values, (str, bytes, Mapping)):
        raise TypeError(
            f"{name} must be an array of numbers (list, NumPy or torch), got "
            f"{type(values).__name__}"
        )
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be an array of numbers, got {values!r:.60}"
        ) from error
    if array.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimension(s), got shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if np.isinf(array).any() or (not gaps and np.isnan(array).any()):
        allowed = "finite numbers or NaN (a gap)" if gaps else "finite numbers"
        raise ValueError(f"{name} must hold {allowed}: it holds NaN or inf")
    return array


def _labels(labels: Any, name: str, count: int) -> list:
    """``labels`` as a list of ``count`` entries (None: 0, 1, 2, ...)."""
    if labels is None:
        return list(range(count))
    if isinstance(labels, (str, bytes, Mapping)) or not isinstance(labels, Iterable):
        raise TypeError(
            f"{name} must be a sequence of labels or None, got {type(labels).__name__}"
        )
    labels = list(labels)
    if len(labels) != count:
        raise ValueError(f"{name} must hold {count} labels, got {len(labels)}")
    return labels


def _text(name: str, value: Any, none: bool = False) -> None:
    if not (isinstance(value, str) or (none and value is None)):
        allowed = "a str or None" if none else "a str"
        raise TypeError(f"{name} must be {allowed}, got {type(value).__name__}")


def _flag(name: str, value: Any) -> None:
    check_bool(name, value)


def _bounds(names: tuple[str, str], low: Any, high: Any) -> None:
    """Optional finite ends of a range, low < high when both are given."""
    for name, value in zip(names, (low, high), strict=True):
        if value is not None:
            check_real(name, value, open_min=True, open_max=True)
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and high is not None and not low < high:
        raise ValueError(f"{names[0]} must be < {names[1]}, got {low} and {high}")
