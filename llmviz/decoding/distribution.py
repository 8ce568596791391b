"""The distribution a sampler draws from, and its entropy: what the warpers leave.

``sampling_distribution`` applies the warpers in Hugging Face's order (temperature
first) or in the order many notes give (temperature last), and reports what is kept.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._tensor_checks import check_choice, check_tensor
from llmviz.decoding._validate import check_logits
from llmviz.decoding.filters import _warp, check_warpers

ORDERS = ("hf", "notes")
ORDER_NAMES = {  # what the reader sees for each order
    "hf": "temperature first (HF's generate)",
    "notes": "temperature after top-k/top-p/min-p",
}


def _check_probs(probs: Any) -> Tensor:
    check_tensor("probs", probs, floating=True)
    if probs.dim() == 0:
        raise ValueError("probs must have at least 1 dimension, got a 0-d tensor")
    if bool((probs < 0).any()) or bool((probs > 1).any()):
        raise ValueError("probs must lie in [0, 1]: it holds values outside")
    tolerance = 1e-2 if probs.element_size() <= 2 else 1e-3  # half precision: 1e-2
    worst = (probs.double().sum(-1) - 1).abs().max().item()
    if worst > tolerance:
        raise ValueError(
            "probs must sum to 1 over the last dimension, but a row is off by "
            f"{worst:.3g}"
        )
    return probs


def entropy(probs: Tensor) -> Tensor:
    """H(p) = −Σ p log p in nats over the last dim, with 0 · log 0 = 0.

    >>> round(entropy(torch.tensor([0.5, 0.5, 0.0])).item(), 4)
    0.6931
    """
    return torch.special.entr(_check_probs(probs)).sum(dim=-1)


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
    ``ORDER_NAMES[order]`` says which, in words. Returns "logits" (V,) after filtering,
    "probs" (V,), "kept" (V,) bool, "kept_mass" (the original softmax's probability of
    the kept tokens) and "entropy" (nats).

    >>> out = sampling_distribution(torch.tensor([2.0, 1.0, 0.0, -1.0]), top_k=2)
    >>> out["kept"].tolist(), round(out["kept_mass"], 3), round(out["entropy"], 3)
    ([True, True, False, False], 0.881, 0.582)
    """
    check_logits("logits", logits, ranks=(1,))
    temperature, top_k, top_p, min_p = check_warpers(temperature, top_k, top_p, min_p)
    order = check_choice("order", order, ORDERS)
    if order == "hf":
        scores = _warp(logits, temperature, top_k, top_p, min_p)
    else:  # filter the raw logits, divide by T last
        scores = _warp(logits, 1.0, top_k, top_p, min_p) / temperature
    probs = torch.softmax(scores, dim=-1)  # (V,)
    kept = scores != -float("inf")  # (V,)
    kept_mass = torch.softmax(logits, dim=-1)[kept].sum().item()
    return {
        "logits": scores,
        "probs": probs,
        "kept": kept,
        "kept_mass": kept_mass,
        "entropy": torch.special.entr(probs).sum(dim=-1).item(),
    }
