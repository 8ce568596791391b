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

from typing import Any

from torch import Tensor

from llmviz._checks import check_real
from llmviz._tensor_checks import check_choice, check_tensor
from llmviz.layers.activation_formulas import ACTIVATIONS
from llmviz.layers.activation_formulas import FORMULAS as _FUNCTIONS

PARAMS: dict[str, dict[str, float]] = {  # each parameter's default
    "leaky_relu": {"alpha": 0.01},
    "elu": {"alpha": 1.0},
    "silu": {"beta": 1.0},
}
PARAM_RANGE = (0.0, 100.0)  # alpha and beta


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

    >>> import torch
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

    >>> import torch
    >>> derivative("sigmoid", torch.tensor([0.0])).tolist()  # σ(0)(1 − σ(0))
    [0.25]
    >>> derivative("softmax", torch.zeros(2)).tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    values = _params(name, params)
    check_tensor("x", x)
    return _FUNCTIONS[name][1](x, **values)
