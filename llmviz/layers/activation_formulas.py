"""Each activation and its derivative as a pair of closed forms: the maths only.
``llmviz.layers.activations`` checks the arguments and applies them.

At x = 0 the kinked functions take the derivative torch's autograd takes. Softmax works
on the last dimension; its derivative is the Jacobian diag(p) − ppᵀ, (..., n, n).

>>> relu, relu_slope = FORMULAS["relu"]
>>> relu_slope(torch.tensor([-1.0, 2.0])).tolist()
[0.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_CUBIC = 0.044715


def _sigmoid(x: Tensor) -> Tensor:
    return 1 / (1 + torch.exp(-x))


def _phi(x: Tensor) -> Tensor:  # the standard normal density
    return torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _Phi(x: Tensor) -> Tensor:  # the standard normal distribution function
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def _gelu_tanh(x: Tensor) -> tuple[Tensor, Tensor]:
    """(value, derivative) of the tanh approximation of GELU."""
    t = torch.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3))
    du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x)
    return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du


def _softmax(x: Tensor) -> Tensor:
    e = torch.exp(x - x.amax(-1, keepdim=True))  # shifting leaves p unchanged
    return e / e.sum(-1, keepdim=True)


def _softmax_jacobian(x: Tensor) -> Tensor:
    p = _softmax(x)  # (..., n)
    return torch.diag_embed(p) - p.unsqueeze(-1) * p.unsqueeze(-2)  # (..., n, n)


Pair = tuple[Callable[..., Tensor], Callable[..., Tensor]]
FORMULAS: dict[str, Pair] = {
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (
        lambda x: 2 * _sigmoid(2 * x) - 1,
        lambda x: 1 - (2 * _sigmoid(2 * x) - 1) ** 2,
    ),
    "relu": (lambda x: torch.where(x > 0, x, 0.0), lambda x: (x > 0).to(x.dtype)),
    "leaky_relu": (
        lambda x, alpha: torch.where(x > 0, x, alpha * x),
        lambda x, alpha: torch.where(x > 0, 1.0, alpha * torch.ones_like(x)),
    ),
    "elu": (
        lambda x, alpha: torch.where(x > 0, x, alpha * torch.expm1(x)),
        lambda x, alpha: torch.where(x > 0, 1.0, alpha * torch.exp(x)),
    ),
    "gelu": (lambda x: x * _Phi(x), lambda x: _Phi(x) + x * _phi(x)),
    "gelu_tanh": (lambda x: _gelu_tanh(x)[0], lambda x: _gelu_tanh(x)[1]),
    "silu": (
        lambda x, beta: x * _sigmoid(beta * x),
        lambda x, beta: _sigmoid(beta * x) * (1 + beta * x * (1 - _sigmoid(beta * x))),
    ),
    "softmax": (_softmax, _softmax_jacobian),
}
ACTIVATIONS: tuple[str, ...] = tuple(FORMULAS)
