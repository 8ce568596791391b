"""RMSNorm's variants: the (1 + w) gain of Gemma and Qwen3-Next, and where the cast to
the input's dtype goes.

    RMSNorm(x) = x / sqrt(mean(x²) + eps) · g

TinyGPT's ``RMSNorm`` (``norms.py``), like Llama's [zhang2019rmsnorm], learns g = w
starting at 1. Gemma's learns g = 1 + w with w starting at 0 [gemmateam2024gemma]: the
layer starts as a plain RMS scaling, and weight decay pulls the gain towards 1, not 0.
Both compute the statistics in float32; Llama casts back to the input's dtype *before*
multiplying by the weight, Gemma *after*, which changes bfloat16 results.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import check_bool, check_int, check_real
from llmviz._tensor_checks import check_dim, check_tensor

MAX_HIDDEN = 1 << 20


def rms_norm(
    x: Tensor,
    weight: Tensor,
    eps: float = 1e-6,
    offset: float = 0.0,
    cast_before_weight: bool = True,
) -> Tensor:
    """x / sqrt(mean(x²) + eps) · (offset + weight) over the last dimension, the
    statistics in float32; the result cast to x's dtype before the weight
    (``cast_before_weight``, Llama) or after it (Gemma).

    >>> rms_norm(torch.tensor([3.0, 4.0]), torch.ones(2)).tolist()
    [0.8485..., 1.1313...]
    """
    check_tensor("x", x)
    if x.dim() == 0:
        raise ValueError("x must have at least 1 dimension, got a 0-d tensor")
    check_tensor("weight", weight, ranks=(1,))
    check_dim("x", x, -1, weight.shape[0], "the weight's size")
    eps = check_real("eps", eps, 0, 1, open_min=True)
    offset = check_real("offset", offset, -10, 10)
    cast_before_weight = check_bool("cast_before_weight", cast_before_weight)
    h = x.to(torch.float32)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    if cast_before_weight:
        return (offset + weight) * h.to(x.dtype)
    return (h * (offset + weight.to(torch.float32))).to(x.dtype)


class OffsetRMSNorm(nn.Module):
    """Gemma's and Qwen3-Next's RMSNorm: gain 1 + ``weight``, ``weight`` starting at 0,
    statistics and gain in float32, one cast at the end. Parameter names as HF's.

    >>> OffsetRMSNorm(2)(torch.tensor([3.0, 4.0])).tolist()  # weight 0: plain RMS
    [0.8485..., 1.1313...]
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        check_int("hidden_size", hidden_size, minimum=1, maximum=MAX_HIDDEN)
        self.eps = check_real("eps", eps, 0, 1, open_min=True)
        self.weight = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x: Tensor) -> Tensor:
        """(..., hidden_size) → the same shape and dtype."""
        return rms_norm(x, self.weight, self.eps, offset=1.0, cast_before_weight=False)


def cast_order_gap(x: Tensor, weight: Tensor, eps: float = 1e-6) -> dict[str, float]:
    """The mean absolute error of each cast order against float64, for a low-precision x
    and its weight stored in x's dtype, as in a bfloat16 model:
    {"cast before weight": ..., "cast after weight": ...}. Casting after the weight
    rounds once, casting before rounds twice.

    >>> x = torch.randn(4, 64).to(torch.bfloat16)
    >>> sorted(cast_order_gap(x, torch.rand(64) + 1))
    ['cast after weight', 'cast before weight']
    """
    check_tensor("x", x)
    if x.dim() == 0:
        raise ValueError("x must have at least 1 dimension, got a 0-d tensor")
    check_tensor("weight", weight, ranks=(1,))
    check_dim("x", x, -1, weight.shape[0], "the weight's size")
    eps = check_real("eps", eps, 0, 1, open_min=True)
    weight = weight.to(x.dtype)  # the stored parameter
    exact = rms_norm(x.double(), weight.double(), eps)
    gaps = {}
    for name, before in (("cast before weight", True), ("cast after weight", False)):
        y = rms_norm(x, weight, eps, cast_before_weight=before)
        gaps[name] = float((y.double() - exact).abs().mean())
    return gaps
