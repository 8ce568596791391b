"""BatchNorm over (batch, sequence, hidden) inputs, and why language models avoid it.

In training, each hidden unit c is standardised with the mean and biased variance of
all B·T values it takes in the batch [ioffe2015batch]:

    y = (x − μ_c) / sqrt(σ²_c + eps) · weight + bias

and running estimates follow them: running ← (1 − momentum) · running + momentum · stat,
with the *unbiased* variance (n / (n − 1) · σ²), as torch keeps it. In evaluation the
running estimates replace the batch's. So a token's output depends on the rest of the
batch: on its neighbours' padding, on the batch size, and on the mode.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int, check_real
from llmviz._tensor_checks import check_choice, check_tensor
from llmviz.layers.normalization import _affine, _check_affine, _standardize, layer_norm

MAX_PADDING = 1 << 12


class BatchNormResult(NamedTuple):
    """The output, and the running mean and variance after this step."""

    output: Tensor
    running_mean: Tensor
    running_var: Tensor


def batch_norm(
    x: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> BatchNormResult:
    """One step of BatchNorm on x (B, T, C), as ``torch.nn.BatchNorm1d`` on (B, C, T).

    Returns new running statistics instead of changing the ones given.

    >>> x = torch.tensor([[[1.0], [3.0]]])
    >>> out = batch_norm(x, torch.zeros(1), torch.ones(1), eps=1e-12)
    >>> out.output.flatten().tolist()
    [-1.0, 1.0]
    >>> round(out.running_mean.item(), 4), round(out.running_var.item(), 4)
    (0.2, 1.1)
    """
    check_tensor("x", x, ranks=(3,))
    size = (x.shape[2],)
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        check_tensor(name, value, ranks=(1,))
        _check_affine(name, value, size)
    if bool((running_var < 0).any()):
        raise ValueError("running_var must be >= 0 everywhere, got a negative value")
    _check_affine("weight", weight, size)
    _check_affine("bias", bias, size)
    training = check_bool("training", training)
    momentum = check_real("momentum", momentum, 0, 1)
    eps = check_real("eps", eps, 0, 1, open_min=True)
    if not training:
        y = (x - running_mean) / torch.sqrt(running_var + eps)
        return BatchNormResult(_affine(y, weight, bias), running_mean, running_var)
    n = x.shape[0] * x.shape[1]
    if n < 2:
        raise ValueError(
            f"x must hold more than 1 value per hidden unit in training, got shape "
            f"{tuple(x.shape)}: the batch variance of a single value is 0"
        )
    mean = x.mean((0, 1))
    unbiased = x.var((0, 1), correction=1)  # what the running estimate keeps
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * unbiased
    y = _affine(_standardize(x, (0, 1), eps), weight, bias)
    return BatchNormResult(y, new_mean, new_var)


def _pad(x: Tensor, padding: int) -> Tensor:
    zeros = x.new_zeros(x.shape[0], padding, x.shape[2])
    return torch.cat([x, zeros], dim=1)  # (B, T + padding, C)


def padding_shift(x: Tensor, padding: int, norm: str = "batch") -> float:
    """How far the outputs of x's real tokens move when every sequence gets
    ``padding`` zero tokens appended, in training mode: the largest |Δy|.

    BatchNorm's statistics include the pad tokens, so the real tokens' outputs move;
    LayerNorm's, taken per token, do not (0.0).

    >>> padding_shift(torch.randn(2, 4, 8), 3, "layer")
    0.0
    """
    check_tensor("x", x, ranks=(3,))
    padding = check_int("padding", padding, 0, MAX_PADDING)
    check_choice("norm", norm, ("batch", "layer"))
    t = x.shape[1]
    padded = _pad(x, padding)
    if norm == "layer":
        size = (x.shape[2],)
        before, after = layer_norm(x, size), layer_norm(padded, size)[:, :t]
    else:
        before = _standardize(x, (0, 1), 1e-5)
        after = _standardize(padded, (0, 1), 1e-5)
        after = after[:, :t]
    return float((after - before).abs().max())


def train_eval_gap(batches: Tensor, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Train BatchNorm's running statistics on ``batches`` (N, B, T, C), one step
    each, then for each batch the largest |training-mode output − eval-mode output|
    (N,): the running estimates lag the batches they summarise.

    >>> train_eval_gap(torch.randn(3, 4, 5, 2)).shape
    torch.Size([3])
    """
    check_tensor("batches", batches, ranks=(4,))
    momentum = check_real("momentum", momentum, 0, 1)
    eps = check_real("eps", eps, 0, 1, open_min=True)
    size = batches.shape[3]
    mean, var = batches.new_zeros(size), batches.new_ones(size)
    for batch in batches:
        _, mean, var = batch_norm(batch, mean, var, momentum=momentum, eps=eps)
    gaps = []
    for batch in batches:
        train = batch_norm(batch, mean, var, momentum=momentum, eps=eps).output
        test = batch_norm(batch, mean, var, training=False, eps=eps).output
        gaps.append(float((train - test).abs().max()))
    return torch.tensor(gaps)
