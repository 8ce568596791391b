"""Argument checks shared by the positional encodings, on top of ``llmviz._checks``.

The limits keep an absurd size (``10**12``) from trying to allocate terabytes: each is
far above any model's, and a call above one raises a ``ValueError`` naming the
parameter instead of a torch allocation error.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor

MAX_LENGTH = 2**20  # sequence lengths, table rows and distances
MAX_HEADS = 4096  # attention heads
MAX_DIM = 2**16  # encoding widths and head dimensions
MAX_ELEMENTS = 2**28  # the most elements one table may hold (1 GiB of float32)


def check_even(name: str, value: Any, maximum: int = MAX_DIM, what: str = "") -> int:
    """An even integer in [2, ``maximum``]: a width made of pairs.

    >>> check_even("head_dim", 5)
    Traceback (most recent call last):
    ...
    ValueError: head_dim must be even (dimensions are rotated in pairs), got 5
    """
    value = check_int(name, value, minimum=2, maximum=maximum)
    if value % 2:
        why = what or "dimensions are rotated in pairs"
        raise ValueError(f"{name} must be even ({why}), got {value}")
    return value


def check_elements(name: str, count: int, shape: str) -> None:
    """``ValueError`` naming ``name`` if a table of ``count`` elements is too large."""
    if count > MAX_ELEMENTS:
        raise ValueError(
            f"a table {shape} of {count:,} elements is more than the "
            f"{MAX_ELEMENTS:,} allowed: lower {name}"
        )


def check_pairs(name: str, x: Any) -> Tensor:
    """A floating tensor of rank >= 1, finite, whose last dimension is even and > 0.

    >>> import torch
    >>> check_pairs("x", torch.ones(2, 3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: x must have an even last dimension (pairs of dimensions), got ...
    """
    check_tensor(name, x)
    if x.dim() == 0 or x.shape[-1] % 2:
        raise ValueError(
            f"{name} must have an even last dimension (pairs of dimensions), "
            f"got shape {tuple(x.shape)}"
        )
    return x


def check_rank_of(
    name: str, x: Any, other_name: str, other: Tensor, finite: bool = True
) -> Tensor:
    """A tensor ``x`` with as many dimensions as ``other``, checked by ``check_tensor``
    (``finite=False`` skips the scan for NaN and inf).

    >>> import torch
    >>> check_rank_of("k", torch.ones(2, 3), "q", torch.ones(1, 2, 3))
    Traceback (most recent call last):
    ...
    ValueError: k must have as many dimensions as q, 3, got shape (2, 3)
    """
    check_tensor(name, x, finite=finite)
    if x.dim() != other.dim():
        raise ValueError(
            f"{name} must have as many dimensions as {other_name}, {other.dim()}, "
            f"got shape {tuple(x.shape)}"
        )
    return x


def check_positions(
    name: str, value: Any, ranks: tuple[int, ...] | None = None
) -> Tensor:
    """Positions or distances: a non-empty integer or floating tensor, finite.

    >>> import torch
    >>> check_positions("positions", torch.tensor([0.5, float("nan")]))
    Traceback (most recent call last):
    ...
    ValueError: positions must be finite: it holds NaN or inf values
    """
    if isinstance(value, Tensor) and value.is_floating_point():
        return check_tensor(name, value, ranks)
    return check_tensor(name, value, ranks, floating=False)
