"""Argument checks shared by the decoding functions, one line at each public boundary.

Like ``llmviz._checks``, each raises ``TypeError`` for a value of the wrong kind and
``ValueError`` for one out of range, naming the parameter, what it received and what is
allowed. The model is any callable, so its vocabulary is known only from the logits it
returns: ``check_vocabulary`` runs once its first logits are in.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int, check_real
from llmviz._tensor_checks import _sum_is_finite, check_tensor


def check_logits(name: str, logits: Any, ranks: tuple[int, ...] = (1, 2)) -> Tensor:
    """Floating logits of ``ranks`` dimensions, finite or −inf (a removed token), each
    row keeping at least one finite logit (else its softmax is NaN)."""
    check_tensor(name, logits, ranks, finite=False)
    if _sum_is_finite(logits):  # one reduction: no NaN, no inf, so every row is finite
        return logits
    check_tensor(name, logits, ranks, allow_neg_inf=True)
    if not bool(torch.isfinite(logits.amax(dim=-1)).all()):
        raise ValueError(
            f"{name} must keep a finite logit in every row, got a row of -inf only"
        )
    return logits


def check_filter_value(filter_value: Any) -> float:
    """The value removed logits get: a real number below +inf (−inf by default)."""
    value = check_real("filter_value", filter_value)
    if value == float("inf"):
        raise ValueError(
            "filter_value must be below +inf (removed tokens would become the "
            f"likeliest), got {value}"
        )
    return value


def check_ids(name: str, ids: Any) -> Tensor:
    """Token ids (B, T): a non-empty integer tensor with no negative id."""
    check_tensor(name, ids, ranks=(2,), floating=False)
    if int(ids.min()) < 0:
        raise ValueError(
            f"{name} must hold token ids >= 0, got the id {int(ids.min())}"
        )
    return ids


def check_vocabulary(name: str, ids: Tensor, vocab_size: int) -> None:
    """Raise unless every id is below ``vocab_size``, the model's vocabulary."""
    largest = int(ids.max())
    if largest >= vocab_size:
        raise ValueError(
            f"{name} must hold ids below the model's vocabulary size {vocab_size}, "
            f"got the id {largest}"
        )


def check_eos(eos_token_id: Any) -> int | None:
    """None, or a token id >= 0 (checked against the vocabulary later)."""
    if eos_token_id is None:
        return None
    return check_int("eos_token_id", eos_token_id, minimum=0)


def check_model_logits(name: str, logits: Any, shape: tuple[int, ...]) -> Tensor:
    """What the model callable ``name`` returned: floating logits of ``shape`` + (V,),
    V >= 1, with a finite largest logit in every row (one reduction: NaN and +inf
    propagate to the maximum)."""
    expected = "(" + ", ".join(str(size) for size in shape) + ", V)"
    if not isinstance(logits, Tensor) or not logits.is_floating_point():
        kind = logits.dtype if isinstance(logits, Tensor) else type(logits).__name__
        raise TypeError(f"{name} must return floating-point logits, got {kind}")
    if tuple(logits.shape[:-1]) != shape or logits.dim() != len(shape) + 1:
        raise ValueError(
            f"{name} must return logits of shape {expected}, got {tuple(logits.shape)}"
        )
    if logits.shape[-1] == 0 or not bool(torch.isfinite(logits.amax(dim=-1)).all()):
        raise ValueError(
            f"{name} returned logits with NaN or +inf, or a row without a finite one"
        )
    return logits


def check_probability(name: str, value: Any, open_min: bool = False) -> float:
    """A real number in [0, 1], or (0, 1] when ``open_min``."""
    return check_real(name, value, 0, 1, open_min=open_min)


def check_length_penalty(length_penalty: Any) -> float:
    """Any finite real number: the exponent of the length in beam search's score."""
    return check_real("length_penalty", length_penalty, open_min=True, open_max=True)


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (a Python or NumPy one, or a 0-d tensor)."""
    if isinstance(value, Tensor):
        return value.dim() == 0 and not value.is_complex()
    return isinstance(value, numbers.Real)
