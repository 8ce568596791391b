"""A finite-float tensor check cheap enough for every forward call.

``check_tensor``'s finiteness test runs several elementwise passes. The sum of finite
values is finite unless it overflows, so one reduction settles the usual case, and
only a non-finite sum pays for the elementwise test (which then names the problem).
Shared by ``llmviz.layers`` and ``llmviz.attention``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._tensor_checks import check_tensor


def check_float(
    name: str, value: Any, ranks: tuple[int, ...] | None = None, **kwargs: Any
) -> Tensor:
    """``check_tensor(name, value, ranks, **kwargs)`` for a floating-point tensor.

    >>> check_float("x", torch.tensor([1.0, float("nan")]))
    Traceback (most recent call last):
    ...
    ValueError: x must be finite: it holds NaN or inf values
    """
    check_tensor(name, value, ranks, finite=False, **kwargs)
    accumulate = torch.float64 if value.dtype == torch.float64 else torch.float32
    if not bool(torch.isfinite(value.sum(dtype=accumulate))):
        check_tensor(name, value, ranks, **kwargs)  # names the NaN or inf
    return value
