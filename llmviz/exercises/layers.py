"""Checks for chapter 5's exercises: LayerNorm and RMSNorm written from their
equations.

Each helper runs the reader's function on seeded random cases (small hidden sizes and
a large eps among them, where the usual mistakes show), compares it with a reference
written here from the definition, and names the mistake when the result matches one
of the usual wrong versions. Any return type, dtype, NaN, exception, hang or change to
the inputs becomes ✅ or ❌ and one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz.exercises._check import CheckResult, report, tensor_result
from llmviz.exercises.attention import call_keeping_inputs

ATOL = 1e-4  # float32 results compared in float64
CASES = [  # (shape of x, eps): hidden size 4 and eps 0.1 first, where mistakes show
    ((3, 4), 0.1),
    ((2, 5, 8), 1e-5),
    ((2, 3, 2, 6), 1e-3),
]
LAYER_MISTAKES = {
    "unbiased": "you divide the sum of squared deviations by n − 1; LayerNorm's "
    "variance is the plain mean of the squared deviations",
    "eps_outside": "eps is added after the square root instead of to the variance",
    "no_eps": "eps is ignored",
    "no_mean": "the mean is not subtracted",
    "axis": "you normalise over the wrong dimension: each token, a vector along the "
    "last dimension, gets its own mean and variance",
    "all": "you normalise over the whole tensor at once: each token, a vector along "
    "the last dimension, gets its own mean and variance",
    "no_weight": "weight is ignored",
    "no_bias": "bias is ignored",
}
RMS_MISTAKES = {
    "mean": "you subtract the mean: RMSNorm only rescales, it does not centre",
    "sum": "you use the sum of the squares, not their mean",
    "no_root": "you divide by the mean square itself, not by its square root",
    "eps_outside": "eps is added after the square root instead of to the mean square",
    "no_eps": "eps is ignored",
    "axis": "you normalise over the wrong dimension: each token, a vector along the "
    "last dimension, gets its own scale",
    "no_weight": "weight is ignored",
}


def _inputs(shape: tuple[int, ...], seed: int) -> tuple[Tensor, Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g) * 0.5 + 1.0
    weight = torch.rand(shape[-1], generator=g) + 0.5
    bias = torch.randn(shape[-1], generator=g)
    return x, weight, bias


def _dims(x: Tensor, mistake: str) -> tuple[int, ...]:
    return {"axis": (0,), "all": tuple(range(x.dim()))}.get(mistake, (-1,))


def layer_norm_reference(x, weight, bias, eps, mistake: str = "") -> Tensor:
    """LayerNorm over the last dimension, in float64 (or with one usual mistake)."""
    x, weight, bias = x.double(), weight.double(), bias.double()
    dims = _dims(x, mistake)
    mean = 0 if mistake == "no_mean" else x.mean(dims, keepdim=True)
    var = x.var(dims, keepdim=True, correction=1 if mistake == "unbiased" else 0)
    if mistake == "no_mean":
        var = x.pow(2).mean(dims, keepdim=True)
    eps = 0 if mistake == "no_eps" else eps
    scale = var.sqrt() + eps if mistake == "eps_outside" else (var + eps).sqrt()
    y = (x - mean) / scale
    y = y if mistake == "no_weight" else y * weight
    return y if mistake == "no_bias" else y + bias


def rms_norm_reference(x, weight, eps, mistake: str = "") -> Tensor:
    """RMSNorm over the last dimension, in float64 (or with one usual mistake)."""
    x, weight = x.double(), weight.double()
    dims = _dims(x, mistake)
    centred = x - x.mean(dims, keepdim=True) if mistake == "mean" else x
    square = centred.pow(2)
    ms = square.sum(dims, keepdim=True) if mistake == "sum" else square.mean(dims, True)
    eps = 0 if mistake == "no_eps" else eps
    scale = {"no_root": ms + eps, "eps_outside": ms.sqrt() + eps}.get(
        mistake, (ms + eps).sqrt()
    )
    y = x / scale if mistake != "mean" else centred / scale
    return y if mistake == "no_weight" else y * weight


def _check(fn: Callable, names: tuple[str, ...], reference: Callable,
           mistakes: dict[str, str], what: str) -> CheckResult:  # fmt: skip
    for seed, (shape, eps) in enumerate(CASES):
        x, weight, bias = _inputs(shape, seed)
        args = (x, weight, bias, eps) if len(names) == 4 else (x, weight, eps)
        result, failure = call_keeping_inputs(fn, names, *args)
        if failure:
            return report(False, failure)
        where = f"For x of shape {shape} and eps={eps:g}"
        y, failure = tensor_result(result, shape)
        if failure:
            return report(False, f"{where}: {failure}")
        if (y - reference(*args)).abs().max() <= ATOL:
            continue
        for mistake, sentence in mistakes.items():
            if (y - reference(*args, mistake=mistake)).abs().max() <= ATOL:
                return report(False, f"{where}: it looks like {sentence}.")
        return report(False, f"{where}: your result is not {what}'s.")
    return report(True, f"Correct: your function equals {what} on every case.")


def check_layer_norm(layer_norm: Callable[..., Any]) -> CheckResult:
    """Check your ``layer_norm(x, weight, bias, eps)``: LayerNorm over the last
    dimension of x [ba2016layer], as ``torch.nn.LayerNorm`` computes it.

    x is a float tensor of any number of dimensions (..., d); weight and bias have
    shape (d,); eps is a small positive float. Return a tensor of x's shape, and leave
    x, weight and bias as they are.
    """
    names = ("x", "weight", "bias")
    return _check(layer_norm, names + ("eps",), layer_norm_reference,
                  LAYER_MISTAKES, "LayerNorm")  # fmt: skip


def check_rms_norm(rms_norm: Callable[..., Any]) -> CheckResult:
    """Check your ``rms_norm(x, weight, eps)``: RMSNorm over the last dimension of x
    [zhang2019rmsnorm], as ``torch.nn.RMSNorm`` computes it.

    x is a float tensor of any number of dimensions (..., d); weight has shape (d,);
    eps is a small positive float. Return a tensor of x's shape, and leave x and
    weight as they are.
    """
    return _check(rms_norm, ("x", "weight", "eps"), rms_norm_reference,
                  RMS_MISTAKES, "RMSNorm")  # fmt: skip
