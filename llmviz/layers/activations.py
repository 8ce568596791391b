"""Activation functions and their derivatives, in closed form [hendrycks2016gelu,
ramachandran2017swish, clevert2015elu, maas2013leaky].

    sigmoid σ(x) = 1 / (1 + e^(−x))          σ' = σ(1 − σ)
    tanh(x) = 2σ(2x) − 1                     tanh' = 1 − tanh²
    relu(x) = max(0, x)                      relu' = 1 if x > 0 else 0
    leaky_relu(x) = x if x > 0 else αx       leaky_relu' = 1 or α
    elu(x) = x if x > 0 else α(eˣ − 1)       elu' = 1 or αeˣ
    gelu(x) = x Φ(x)                         gelu' = Φ(x) + x φ(x)
    gelu_tanh(x) = ½x(1 + tanh u),  u = √(2/π)(x + 0.044715x³)
    silu(x) = x σ(βx)  (Swish; SiLU is β=1)  silu' = σ(βx) + βx σ(βx)(1 − σ(βx))
    softmax(x)_i = e^(x_i) / Σ_j e^(x_j)     ∂p_i/∂x_j = p_i(δ_ij − p_j): diag(p) − ppᵀ

``activation(name, x, **params)`` and ``derivative(name, x, **params)`` take a name from
``ACTIVATIONS``; softmax works on the last dimension and its derivative is the Jacobian
(..., n, n). At x = 0 the kinked functions take the derivative torch's autograd takes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_real
from llmviz._tensor_checks import check_choice, check_tensor

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_CUBIC = 0.044715
PARAMS: dict[str, dict[str, float]] = {  # each parameter's default
    "leaky_relu": {"alpha": 0.01},
    "elu": {"alpha": 1.0},
    "silu": {"beta": 1.0},
}
PARAM_RANGE = (0.0, 100.0)  # alpha and beta


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


_Pair = tuple[Callable[..., Tensor], Callable[..., Tensor]]
_FUNCTIONS: dict[str, _Pair] = {
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
ACTIVATIONS: tuple[str, ...] = tuple(_FUNCTIONS)


def _params(name: Any, params: dict[str, Any], label: str = "name") -> dict[str, float]:
    """The checked name's parameters: the defaults, overridden by ``params``; errors
    call the name ``label``."""
    if not isinstance(name, str) or name not in _FUNCTIONS:
        check_choice(label, name, ACTIVATIONS)  # raises, listing the allowed names
    allowed = PARAMS.get(name, {})
    for key in params:
        if key not in allowed:
            raise TypeError(
                f"{label}={name!r} takes the parameters {sorted(allowed) or 'none'}, "
                f"got {key!r}"
            )
    low, high = PARAM_RANGE
    return {
        key: check_real(key, params.get(key, default), low, high)
        for key, default in allowed.items()
    }


def activation(name: str, x: Tensor, **params: float) -> Tensor:
    """The activation ``name`` applied to ``x`` (elementwise; softmax over the last
    dimension), with ``alpha`` (leaky_relu, elu) or ``beta`` (silu) where it has one.

    >>> activation("relu", torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    >>> activation("silu", torch.tensor([0.0, 1.0]), beta=1.0)
    tensor([0.0000, 0.7311])
    """
    values = _params(name, params)
    check_tensor("x", x)
    return _FUNCTIONS[name][0](x, **values)


def derivative(name: str, x: Tensor, **params: float) -> Tensor:
    """The derivative of ``name`` at ``x``, in closed form: elementwise, or for softmax
    the Jacobian diag(p) − ppᵀ of shape (..., n, n).

    >>> derivative("sigmoid", torch.tensor([0.0])).tolist()  # σ(0)(1 − σ(0))
    [0.25]
    >>> derivative("softmax", torch.zeros(2)).tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    values = _params(name, params)
    check_tensor("x", x)
    return _FUNCTIONS[name][1](x, **values)
