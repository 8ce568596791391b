"""Temperature, top-k, top-p and min-p: how sampling reshapes the next-token choice.

Temperature divides the logits by T before the softmax. Top-k keeps the k largest logits
[fan2018hierarchical], top-p (nucleus sampling) the smallest set of most likely tokens
whose probability adds up to at least p [holtzman2020curious], min-p every token whose
probability is at least min_p times the largest one [nguyen2024minp]. Each filter sets
the logits it removes to −inf, so the softmax gives them probability 0.

Each function gives exactly what Hugging Face's ``TemperatureLogitsWarper``,
``TopKLogitsWarper``, ``TopPLogitsWarper`` and ``MinPLogitsWarper`` give, quirks
included: top-k keeps every token tied with the k-th, and top-p removes a token when
the probability of it and all less likely tokens is ≤ 1 − p. ``generate`` applies them
in the order temperature → top-k → top-p → min-p, so top-p and min-p see the tempered
distribution; many notes filter first and divide by T last, which can keep other tokens.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int

ORDERS = ("hf", "notes")


def _check_logits(logits: Any, dims: tuple[int, ...] = (1, 2)) -> Tensor:
    """Raise unless ``logits`` is a floating tensor with ``dims`` dimensions."""
    if not isinstance(logits, Tensor) or not logits.is_floating_point():
        kind = logits.dtype if isinstance(logits, Tensor) else type(logits).__name__
        raise TypeError(f"logits must be a floating-point torch.Tensor, got {kind}")
    if logits.dim() not in dims or logits.shape[-1] == 0:
        shapes = " or ".join({1: "(V,)", 2: "(B, V)"}[d] for d in dims)
        raise ValueError(f"logits must have shape {shapes}, V ≥ 1; got {logits.shape}")
    return logits


def _check_real(
    name: str, value: Any, low: float, high: float, open_low: bool
) -> float:
    """Return ``value`` as a float if it lies in [low, high], or (low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    if not (low < value <= high if open_low else low <= value <= high):
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return float(value)


def _keep_count(min_tokens_to_keep: Any) -> int:
    return check_int("min_tokens_to_keep", min_tokens_to_keep, minimum=1)


def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    """Divide the logits by T: softmax(z / T) is sharper for T < 1, flatter for T > 1.

    As T → 0 the distribution tends to one-hot on argmax(z): greedy decoding.

    >>> apply_temperature(torch.tensor([2.0, 1.0]), 0.5).tolist()
    [4.0, 2.0]
    """
    _check_logits(logits)
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        kind = type(temperature).__name__
        raise TypeError(
            f"temperature must be a real number, got {temperature!r}: {kind}"
        )
    if not (0 < temperature < float("inf")):
        raise ValueError(
            f"temperature must be a finite number > 0, got {temperature}; the limit "
            "T → 0 is greedy decoding: take logits.argmax(-1) instead of sampling"
        )
    return logits / float(temperature)


def top_k_filter(
    logits: Tensor,
    top_k: int,
    min_tokens_to_keep: int = 1,
    filter_value: float = -float("inf"),
) -> Tensor:
    """Keep the top_k largest logits (and all ties with the k-th), (B, V) or (V,).

    k = min(max(top_k, min_tokens_to_keep), V) [fan2018hierarchical].

    >>> top_k_filter(torch.tensor([3.0, 1.0, 1.0, 0.5]), top_k=2).tolist()
    [3.0, 1.0, 1.0, -inf]
    """
    _check_logits(logits)
    top_k = check_int("top_k", top_k, minimum=1)
    k = min(max(top_k, _keep_count(min_tokens_to_keep)), logits.shape[-1])
    kth_largest = torch.topk(logits, k).values[..., -1:]  # (B, 1) or (1,)
    return logits.masked_fill(logits < kth_largest, filter_value)


def top_p_filter(
    logits: Tensor,
    top_p: float,
    min_tokens_to_keep: int = 1,
    filter_value: float = -float("inf"),
) -> Tensor:
    """Keep the most likely tokens whose probabilities add up to at least top_p.

    Sorted from least to most likely, a token is removed when the cumulative probability
    up to and including it is ≤ 1 − top_p; the min_tokens_to_keep most likely tokens
    always stay [holtzman2020curious].

    >>> top_p_filter(torch.tensor([2.0, 1.0, 0.0, -1.0]), top_p=0.8).tolist()
    [2.0, 1.0, -inf, -inf]
    """
    _check_logits(logits)
    top_p = _check_real("top_p", top_p, 0.0, 1.0, open_low=True)
    keep = _keep_count(min_tokens_to_keep)
    scores = logits if logits.dim() == 2 else logits[None]  # (B, V)
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)  # ascending
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)  # (B, V)
    sorted_remove = cumulative <= 1 - top_p
    sorted_remove[..., -keep:] = False  # the `keep` most likely tokens stay
    remove = sorted_remove.scatter(-1, sorted_indices, sorted_remove)  # (B, V)
    return logits.masked_fill(remove.reshape(logits.shape), filter_value)


def min_p_filter(
    logits: Tensor,
    min_p: float,
    min_tokens_to_keep: int = 1,
    filter_value: float = -float("inf"),
) -> Tensor:
    """Keep tokens with probability ≥ min_p · p_max, and the min_tokens_to_keep best.

    The threshold scales with the confidence of the top token [nguyen2024minp].

    >>> min_p_filter(torch.tensor([2.0, 1.0, 0.0]), min_p=0.3).tolist()
    [2.0, 1.0, -inf]
    """
    _check_logits(logits)
    min_p = _check_real("min_p", min_p, 0.0, 1.0, open_low=False)
    keep = min(_keep_count(min_tokens_to_keep), logits.shape[-1])
    probs = torch.softmax(logits, dim=-1)  # (B, V)
    remove = probs < min_p * probs.amax(dim=-1, keepdim=True)
    remove.scatter_(-1, torch.topk(probs, keep, dim=-1).indices, False)
    return logits.masked_fill(remove, filter_value)


def entropy(probs: Tensor) -> Tensor:
    """H(p) = −Σ p log p in nats over the last dim, with 0 · log 0 = 0.

    >>> round(entropy(torch.tensor([0.5, 0.5, 0.0])).item(), 4)
    0.6931
    """
    if not isinstance(probs, Tensor) or not probs.is_floating_point():
        kind = probs.dtype if isinstance(probs, Tensor) else type(probs).__name__
        raise TypeError(f"probs must be a floating-point torch.Tensor, got {kind}")
    return torch.special.entr(probs).sum(dim=-1)


def warp(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
) -> Tensor:
    """The logits ``generate(do_sample=True)`` samples from, (B, V) or (V,).

    Temperature → top-k → top-p → min-p, each skipped when None, as Hugging Face's
    ``generate`` chains its warpers.

    >>> warp(torch.tensor([2.0, 1.0, 0.0]), temperature=0.5, top_k=2)
    tensor([4., 2., -inf])
    """
    scores = apply_temperature(logits, temperature)
    if top_k is not None:
        scores = top_k_filter(scores, top_k)
    if top_p is not None:
        scores = top_p_filter(scores, top_p)
    if min_p is not None:
        scores = min_p_filter(scores, min_p)
    return scores


def sampling_distribution(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
    order: str = "hf",
) -> dict[str, Any]:
    """The distribution a sampler draws the next token from, for logits (V,).

    order="hf": temperature → top-k → top-p → min-p, as in ``generate``.
    order="notes": top-k → top-p → min-p on the raw logits, then temperature.
    Returns "logits" (V,) after filtering, "probs" (V,), "kept" (V,) bool, "kept_mass"
    (the original softmax's probability of the kept tokens) and "entropy" (nats).

    >>> out = sampling_distribution(torch.tensor([2.0, 1.0, 0.0, -1.0]), top_k=2)
    >>> out["kept"].tolist(), round(out["kept_mass"], 3), round(out["entropy"], 3)
    ([True, True, False, False], 0.881, 0.582)
    """
    _check_logits(logits, dims=(1,))
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if order == "hf":
        scores = warp(logits, temperature, top_k, top_p, min_p)
    else:  # filter the raw logits, divide by T last
        scores = apply_temperature(warp(logits, 1.0, top_k, top_p, min_p), temperature)
    probs = torch.softmax(scores, dim=-1)  # (V,)
    kept = scores != -float("inf")  # (V,)
    kept_mass = torch.softmax(logits, dim=-1)[kept].sum().item()
    return {
        "logits": scores,
        "probs": probs,
        "kept": kept,
        "kept_mass": kept_mass,
        "entropy": entropy(probs).item(),
    }
