"""Where the norm goes around a residual branch F [xiong2020layer, wang2022deepnet].

    post      x ← LN(x + F(x))                 the original Transformer
    pre       x ← x + F(LN(x))                 GPT-2, Llama
    sandwich  x ← x + LN(F(LN(x)))             CogView, Gemma 2
    deepnorm  x ← LN(α·x + F(x))               DeepNet, α > 1
    none      x ← F(LN(x))                     Pre-Norm without the residual

``residual_stack_gradients`` measures what the residual itself does to the gradient
in a deep stack without norms: its Jacobian per layer is I + ∂F instead of ∂F.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import (
    check_bool,
    check_callable,
    check_int,
    check_real,
    checking,
)
from llmviz._tensor_checks import check_choice, check_dim, check_tensor

PLACEMENTS = ("post", "pre", "sandwich", "deepnorm", "none")
MAX_HIDDEN = 1 << 16


def apply_placement(
    x: Tensor, sublayer: nn.Module, norm: nn.Module, placement: str,
    alpha: float = 1.0, out_norm: nn.Module | None = None,
) -> Tensor:  # fmt: skip
    """One residual step with the norm where ``placement`` puts it (module docstring);
    ``out_norm`` is Sandwich-Norm's second norm, ``alpha`` DeepNorm's scale.

    >>> f, n = nn.Identity(), nn.LayerNorm(2, elementwise_affine=False)
    >>> apply_placement(torch.tensor([1.0, 3.0]), f, n, "pre").round()  # x + LN(x)
    tensor([0., 4.])
    """
    check_tensor("x", x)
    check_callable("sublayer", sublayer)
    check_callable("norm", norm)
    check_choice("placement", placement, PLACEMENTS)
    check_real("alpha", alpha, 0, 1e6, open_min=True)
    if placement == "sandwich":
        check_callable("out_norm", out_norm)
    return _apply(x, sublayer, norm, placement, alpha, out_norm)


def _apply(x, sublayer, norm, placement, alpha, out_norm):  # noqa: ANN001, ANN202
    """``apply_placement`` without its checks."""
    if placement == "post":
        return norm(x + sublayer(x))
    if placement == "pre":
        return x + sublayer(norm(x))
    if placement == "sandwich":
        return x + out_norm(sublayer(norm(x)))
    if placement == "deepnorm":
        return norm(alpha * x + sublayer(x))
    return sublayer(norm(x))  # "none": no residual


class ResidualBlock(nn.Module):
    """A sublayer F (attention, an FFN, any (…, d) → (…, d) module) wrapped in a
    residual with LayerNorm placed as ``placement`` says.

    >>> block = ResidualBlock(nn.Linear(4, 4), 4, "post")
    >>> block(torch.randn(2, 3, 4)).shape
    torch.Size([2, 3, 4])
    """

    def __init__(
        self, sublayer: nn.Module, hidden_size: int, placement: str = "pre",
        alpha: float = 1.0, eps: float = 1e-5,
    ) -> None:  # fmt: skip
        super().__init__()
        if not isinstance(sublayer, nn.Module):
            raise TypeError(
                f"sublayer must be a torch nn.Module, got {type(sublayer).__name__}"
            )
        check_int("hidden_size", hidden_size, minimum=1, maximum=MAX_HIDDEN)
        self.placement = check_choice("placement", placement, PLACEMENTS)
        self.alpha = check_real("alpha", alpha, 0, 1e6, open_min=True)
        check_real("eps", eps, 0, 1, open_min=True)
        self.sublayer = sublayer
        self.norm = nn.LayerNorm(hidden_size, eps=eps)
        self.out_norm = nn.LayerNorm(hidden_size, eps=eps)
        if placement != "sandwich":
            self.out_norm = None

    def forward(self, x: Tensor) -> Tensor:
        """(…, hidden_size) → the same shape."""
        if checking():
            check_tensor("x", x)
            if x.dim() == 0:
                raise ValueError("x must have at least 1 dimension, got a 0-d tensor")
            check_dim("x", x, -1, self.norm.normalized_shape[0], "hidden_size")
        return _apply(
            x, self.sublayer, self.norm, self.placement, self.alpha, self.out_norm
        )


def residual_stack_gradients(
    num_layers: int, hidden_size: int, residual: bool, init_std: float = 0.5,
    steps: int = 0, seed: int = 0,
) -> Tensor:  # fmt: skip
    """The norm of the gradient reaching each layer, ‖∂loss/∂h_l‖ for the input h_l
    of layer l, in a stack of h ← h + tanh(W h) (or h ← tanh(W h) without the
    residual): (steps + 1, num_layers), row 0 at initialisation, then after each of
    ``steps`` SGD steps on a seeded regression. W ~ N(0, init_std²/d).

    >>> residual_stack_gradients(3, 4, True).shape
    torch.Size([1, 3])
    """
    check_int("num_layers", num_layers, minimum=1, maximum=256)
    check_int("hidden_size", hidden_size, minimum=1, maximum=1024)
    check_bool("residual", residual)
    check_real("init_std", init_std, 0, 100, open_min=True)
    check_int("steps", steps, minimum=0, maximum=1000)
    check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    gen = torch.Generator().manual_seed(seed)
    scale = init_std / hidden_size**0.5
    weights = [
        (torch.randn(hidden_size, hidden_size, generator=gen) * scale).requires_grad_()
        for _ in range(num_layers)
    ]
    x = torch.randn(64, hidden_size, generator=gen)
    target = torch.randn(64, hidden_size, generator=gen)
    x.requires_grad_()
    rows = []
    for _ in range(steps + 1):
        h, inputs = x, []
        for w in weights:
            inputs.append(h)
            h = h + torch.tanh(h @ w.T) if residual else torch.tanh(h @ w.T)
        loss = (h - target).pow(2).mean()
        grads = torch.autograd.grad(loss, weights + inputs)
        rows.append(torch.stack([g.norm() for g in grads[num_layers:]]))
        with torch.no_grad():
            for w, g in zip(weights, grads, strict=False):
                w -= 0.1 * g
    return torch.stack(rows)
