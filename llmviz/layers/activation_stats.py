"""What an activation does to the numbers that pass through it: how often its gradient
vanishes (saturation), whether its output is centred on zero, and how many ReLU units a
training run kills.

For a pre-activation x = s·z with z ~ N(0, 1),

    saturation = P(|f'(x)| < threshold)        mean output = E[f(x)]

both integrated numerically over z (a midpoint rule on [−10, 10], 200 000 cells: the
tails beyond hold 1.5e-23 of the mass). A unit is *dead* on a batch when its derivative
is below the threshold on every row: for ReLU, when it is never positive, so no gradient
reaches its incoming weights again [lu2019dying].
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_real
from llmviz._tensor_checks import check_tensor
from llmviz._threads import one_thread
from llmviz.layers.activations import (
    _FUNCTIONS,
    ACTIVATIONS,
    _params,
    activation,
    derivative,
)

ELEMENTWISE = tuple(name for name in ACTIVATIONS if name != "softmax")
_CELLS, _REACH = 200_000, 10.0


def _normal_grid(scale: float) -> tuple[Tensor, Tensor]:
    """Midpoints x = s·z and their probabilities φ(z)·Δz under z ~ N(0, 1)."""
    dz = 2 * _REACH / _CELLS
    z = torch.linspace(-_REACH + dz / 2, _REACH - dz / 2, _CELLS, dtype=torch.float64)
    return scale * z, torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) * dz


def _checked(name: str, scale: float, params: dict) -> float:
    if name == "softmax":
        raise ValueError(
            f"name must be an elementwise activation, one of {list(ELEMENTWISE)}, "
            "got 'softmax'"
        )
    _params(name, params)
    return check_real("scale", scale, 0, 1e3, open_min=True)


def saturation(
    name: str, threshold: float = 1e-3, scale: float = 1.0, **params: float
) -> float:
    """P(|f'(s·z)| < threshold) for z ~ N(0, 1): the share of inputs whose gradient
    the activation all but stops.

    >>> round(saturation("relu"), 3)  # every negative input
    0.5
    """
    scale = _checked(name, scale, params)
    check_real("threshold", threshold, 0, 1, open_min=True)
    x, p = _normal_grid(scale)
    return float(p[derivative(name, x, **params).abs() < threshold].sum())


def mean_output(name: str, scale: float = 1.0, **params: float) -> float:
    """E[f(s·z)] for z ~ N(0, 1): zero for a zero-centred output.

    >>> round(mean_output("relu"), 4)  # 1/√(2π)
    0.3989
    """
    scale = _checked(name, scale, params)
    x, p = _normal_grid(scale)
    return float((activation(name, x, **params) * p).sum())


def dead_fraction(
    name: str, pre_activations: Tensor, threshold: float = 1e-3, **params: float
) -> float:
    """The share of units (columns of ``pre_activations``, shape (rows, units)) whose
    derivative is below ``threshold`` on every row.

    >>> dead_fraction("relu", torch.tensor([[-1.0, 2.0], [-3.0, -1.0]]))
    0.5
    """
    _checked(name, 1.0, params)
    check_tensor("pre_activations", pre_activations, ranks=(2,))
    check_real("threshold", threshold, 0, 1, open_min=True)
    small = derivative(name, pre_activations, **params).abs() < threshold
    return float(small.all(0).float().mean())


def _linear(fan_in: int, fan_out: int, g: torch.Generator) -> nn.Linear:
    """torch's default initialisation, U(−1/√fan_in, 1/√fan_in), drawn from ``g``."""
    layer = nn.utils.skip_init(nn.Linear, fan_in, fan_out)  # no global RNG draw
    bound = 1 / math.sqrt(fan_in)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)
    return layer


def dead_unit_run(
    name: str,
    learning_rate: float = 0.4,
    steps: int = 200,
    hidden_size: int = 64,
    seed: int = 0,
    **params: float,
) -> dict[str, object]:
    """Train a 2-layer MLP (8 → ``hidden_size`` → 1) with full-batch SGD on a seeded
    regression task, y = sin(3·x·w), and count its dead hidden units on a held-out
    batch before and after. The same seed gives every activation the same data and the
    same initial weights. Returns ``{"dead_before", "dead_after", "losses"}``.

    >>> run = dead_unit_run("relu", steps=2, hidden_size=4)
    >>> sorted(run)
    ['dead_after', 'dead_before', 'losses']
    """
    _checked(name, 1.0, params)
    values = _params(name, params)
    lr = check_real("learning_rate", learning_rate, 0, 100, open_min=True)
    check_int("steps", steps, 1, 10_000)
    check_int("hidden_size", hidden_size, 1, 4096)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    x, held_out, w = (torch.randn(n, 8, generator=g) for n in (512, 512, 1))
    y = torch.sin(3 * x @ w.T)  # (512, 1)
    first, second = _linear(8, hidden_size, g), _linear(hidden_size, 1, g)
    before = dead_fraction(name, first(held_out).detach(), **params)
    with one_thread():  # ops this small run 10x slower split across threads
        losses = _train(name, values, first, second, x, y, lr, steps)
    after = dead_fraction(name, first(held_out).detach(), **params)
    return {"dead_before": before, "dead_after": after, "losses": losses}


def _train(
    name: str,
    values: dict[str, float],
    first: nn.Linear,
    second: nn.Linear,
    x: Tensor,
    y: Tensor,
    lr: float,
    steps: int,
) -> list[float]:
    """Full-batch SGD on the mean squared error; raises if the loss diverges."""
    optimiser = torch.optim.SGD([*first.parameters(), *second.parameters()], lr=lr)
    losses = []
    for _ in range(steps):
        hidden = _FUNCTIONS[name][0](first(x), **values)  # unchecked: a NaN stops below
        loss = ((second(hidden) - y) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
        if not math.isfinite(losses[-1]):
            raise ValueError(
                f"learning_rate={lr} makes the run diverge (loss {losses[-1]} at step "
                f"{len(losses)}): choose a smaller one"
            )
    return losses
