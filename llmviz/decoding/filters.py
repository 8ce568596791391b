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

Each public function checks its arguments, then calls its core (``_top_k`` ...), which
``sample`` also calls at every step, its arguments checked once.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz.decoding._validate import (
    check_filter_value,
    check_logits,
    check_probability,
)

NEG_INF = -float("inf")


def check_warpers(
    temperature: Any, top_k: Any, top_p: Any, min_p: Any
) -> tuple[float, int | None, float | None, float | None]:
    """The warpers' settings, checked: T finite > 0; the others None or valid."""
    try:
        temperature = check_positive_number("temperature", temperature)
    except ValueError as error:
        raise ValueError(
            f"{error}; the limit T → 0 is greedy decoding: take logits.argmax(-1) "
            "instead of sampling"
        ) from None
    if top_k is not None:
        top_k = check_int("top_k", top_k, minimum=1)
    if top_p is not None:
        top_p = check_probability("top_p", top_p, open_min=True)
    if min_p is not None:
        min_p = check_probability("min_p", min_p)
    return temperature, top_k, top_p, min_p


def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    """Divide the logits by T: softmax(z / T) is sharper for T < 1, flatter for T > 1.

    As T → 0 the distribution tends to one-hot on argmax(z): greedy decoding.

    >>> apply_temperature(torch.tensor([2.0, 1.0]), 0.5).tolist()
    [4.0, 2.0]
    """
    check_logits("logits", logits)
    temperature = check_warpers(temperature, None, None, None)[0]
    return logits / temperature


def _top_k(logits: Tensor, top_k: int, keep: int, filter_value: float) -> Tensor:
    """Top-k on checked arguments: every logit below the k-th largest is removed."""
    k = min(max(top_k, keep), logits.shape[-1])
    kth_largest = torch.topk(logits, k).values[..., -1:]  # (B, 1) or (1,)
    return logits.masked_fill(logits < kth_largest, filter_value)


def top_k_filter(
    logits: Tensor,
    top_k: int,
    min_tokens_to_keep: int = 1,
    filter_value: float = NEG_INF,
) -> Tensor:
    """Keep the top_k largest logits (and all ties with the k-th), (B, V) or (V,).

    k = min(max(top_k, min_tokens_to_keep), V) [fan2018hierarchical].

    >>> top_k_filter(torch.tensor([3.0, 1.0, 1.0, 0.5]), top_k=2).tolist()
    [3.0, 1.0, 1.0, -inf]
    """
    check_logits("logits", logits)
    top_k = check_int("top_k", top_k, minimum=1)
    keep = check_int("min_tokens_to_keep", min_tokens_to_keep, minimum=1)
    filter_value = check_filter_value(filter_value)
    return _top_k(logits, top_k, keep, filter_value)


def _top_p(logits: Tensor, top_p: float, keep: int, filter_value: float) -> Tensor:
    """Top-p on checked arguments, from the least likely end, as HF's warper does."""
    scores = logits if logits.dim() == 2 else logits[None]  # (B, V)
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)  # ascending
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)  # (B, V)
    sorted_remove = cumulative <= 1 - top_p
    sorted_remove[..., -keep:] = False  # the `keep` most likely tokens stay
    remove = sorted_remove.scatter(-1, sorted_indices, sorted_remove)  # (B, V)
    return logits.masked_fill(remove.reshape(logits.shape), filter_value)


def top_p_filter(
    logits: Tensor,
    top_p: float,
    min_tokens_to_keep: int = 1,
    filter_value: float = NEG_INF,
) -> Tensor:
    """Keep the most likely tokens whose probabilities add up to at least top_p.

    Sorted from least to most likely, a token is removed when the cumulative probability
    up to and including it is ≤ 1 − top_p; the min_tokens_to_keep most likely tokens
    always stay [holtzman2020curious].

    >>> top_p_filter(torch.tensor([2.0, 1.0, 0.0, -1.0]), top_p=0.8).tolist()
    [2.0, 1.0, -inf, -inf]
    """
    check_logits("logits", logits)
    top_p = check_probability("top_p", top_p, open_min=True)
    keep = check_int("min_tokens_to_keep", min_tokens_to_keep, minimum=1)
    filter_value = check_filter_value(filter_value)
    return _top_p(logits, top_p, keep, filter_value)


def _min_p(logits: Tensor, min_p: float, keep: int, filter_value: float) -> Tensor:
    """Min-p on checked arguments: tokens below min_p times the top probability go."""
    keep = min(keep, logits.shape[-1])
    probs = torch.softmax(logits, dim=-1)  # (B, V)
    remove = probs < min_p * probs.amax(dim=-1, keepdim=True)
    if keep > 1:  # the top token passes anyway: p_max >= min_p * p_max, as min_p <= 1
        remove.scatter_(-1, torch.topk(probs, keep, dim=-1).indices, False)
    return logits.masked_fill(remove, filter_value)


def min_p_filter(
    logits: Tensor,
    min_p: float,
    min_tokens_to_keep: int = 1,
    filter_value: float = NEG_INF,
) -> Tensor:
    """Keep tokens with probability ≥ min_p · p_max, and the min_tokens_to_keep best.

    The threshold scales with the confidence of the top token [nguyen2024minp].

    >>> min_p_filter(torch.tensor([2.0, 1.0, 0.0]), min_p=0.3).tolist()
    [2.0, 1.0, -inf]
    """
    check_logits("logits", logits)
    min_p = check_probability("min_p", min_p)
    keep = check_int("min_tokens_to_keep", min_tokens_to_keep, minimum=1)
    filter_value = check_filter_value(filter_value)
    return _min_p(logits, min_p, keep, filter_value)


def _warp(
    logits: Tensor,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    min_p: float | None,
) -> Tensor:
    """``warp`` on checked arguments: what ``sample`` applies at every step."""
    scores = logits / temperature
    if top_k is not None:
        scores = _top_k(scores, top_k, 1, NEG_INF)
    if top_p is not None:
        scores = _top_p(scores, top_p, 1, NEG_INF)
    if min_p is not None:
        scores = _min_p(scores, min_p, 1, NEG_INF)
    return scores


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
    check_logits("logits", logits)
    return _warp(logits, *check_warpers(temperature, top_k, top_p, min_p))
