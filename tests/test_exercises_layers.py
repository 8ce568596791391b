"""Chapter 5's checks on LayerNorm and RMSNorm accept right answers written in other
ways (torch's modules, NumPy, loops, float64, the one-pass variance), and turn every
wrong one (the usual mistakes, a wrong type, NaN, an exception, a changed input, a
hang) into ❌ and the sentence for it, never the answer. Their references are held
against torch's modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from llmviz.exercises.layers import (
    CASES,
    LAYER_MISTAKES,
    RMS_MISTAKES,
    _inputs,
    check_layer_norm,
    check_rms_norm,
    layer_norm_reference,
    rms_norm_reference,
)
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast

ANSWERS = ("sqrt", "rsqrt", "mean(", "var(", "n - 1", "+ eps")


def test_references_equal_torch_and_every_mistake_shows_on_the_first_case():
    for seed, (shape, eps) in enumerate(CASES):
        x, w, b = _inputs(shape, seed)
        ln = F.layer_norm(x.double(), (shape[-1],), w.double(), b.double(), eps)
        torch.testing.assert_close(layer_norm_reference(x, w, b, eps), ln)
        rms = F.rms_norm(x.double(), (shape[-1],), w.double(), eps)
        torch.testing.assert_close(rms_norm_reference(x, w, eps), rms)
    (shape, eps), args = CASES[0], _inputs(CASES[0][0], 0)
    for reference, mistakes, call in (
        (layer_norm_reference, LAYER_MISTAKES, lambda m: (*args, eps)),
        (rms_norm_reference, RMS_MISTAKES, lambda m: (args[0], args[1], eps)),
    ):
        outputs = [reference(*call(""))] + [
            reference(*call(m), mistake=m) for m in mistakes
        ]
        for i, a in enumerate(outputs):  # all apart, so each gets its own sentence
            for b in outputs[i + 1 :]:
                assert (a - b).abs().max() > 1e-3


# --- right answers, written differently -----------------------------------------------


def ln_torch(x, weight, bias, eps):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def ln_one_pass(x, weight, bias, eps):
    x = x.double()
    mean = x.mean(-1, keepdim=True)
    var = (x * x).mean(-1, keepdim=True) - mean * mean
    return ((x - mean) / torch.sqrt(var + eps) * weight + bias).float()


def ln_numpy(x, weight, bias, eps):
    a = x.numpy()
    centred = a - a.mean(-1, keepdims=True)
    return (
        centred / np.sqrt(a.var(-1, keepdims=True) + eps) * weight.numpy()
        + bias.numpy()
    )


def ln_loops(x, weight, bias, eps):
    rows = x.reshape(-1, x.shape[-1]).tolist()
    out = []
    for row in rows:
        m = sum(row) / len(row)
        v = sum((r - m) ** 2 for r in row) / len(row)
        out.append([(r - m) / (v + eps) ** 0.5 * float(w) + float(b)
                    for r, w, b in zip(row, weight, bias, strict=True)])  # fmt: skip
    return torch.tensor(out).reshape(x.shape)


def rms_torch(x, weight, eps):
    return torch.nn.functional.rms_norm(x, (x.shape[-1],), weight, eps)


def rms_rsqrt(x, weight, eps):
    return weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rms_numpy(x, weight, eps):
    a = x.numpy().astype(np.float64)
    return a / np.sqrt((a**2).mean(-1, keepdims=True) + eps) * weight.numpy()


@pytest.mark.parametrize("solution", [ln_torch, ln_one_pass, ln_numpy, ln_loops])
def test_layer_norm_accepts(solution, capsys):
    assert_accepts(check_layer_norm, solution, capsys)


@pytest.mark.parametrize("solution", [rms_torch, rms_rsqrt, rms_numpy])
def test_rms_norm_accepts(solution, capsys):
    assert_accepts(check_rms_norm, solution, capsys)


# --- wrong answers, each named --------------------------------------------------------


def ln_mistake(name):
    return lambda x, w, b, eps: layer_norm_reference(x, w, b, eps, mistake=name).float()


def rms_mistake(name):
    return lambda x, w, eps: rms_norm_reference(x, w, eps, mistake=name).float()


def ln_unbiased(x, weight, bias, eps):  # written as a reader would, not from the table
    mean = x.mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(x.var(-1, keepdim=True) + eps) * weight + bias


def ln_in_place(x, weight, bias, eps):
    x -= x.mean(-1, keepdim=True)
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight + bias


def rms_centred(x, weight, eps):
    return F.layer_norm(x, (x.shape[-1],), weight, None, eps)


@pytest.mark.parametrize(("wrong", "expected"), [
    *[(ln_mistake(m), s) for m, s in LAYER_MISTAKES.items()],
    (ln_unbiased, LAYER_MISTAKES["unbiased"]),
    (ln_in_place, "changed its input x"),
    (lambda x, w, b, eps: x, "not LayerNorm's"),
    (lambda x, w, b, eps: torch.full_like(x, float("nan")), "NaN"),
    (lambda x, w, b, eps: x[..., :-1], "returned shape"),
    (lambda x, w, b, eps: "LayerNorm", "returned str"),
    (lambda x, w, b, eps: 1 / 0, "ZeroDivisionError"),
    (lambda x, w, b: x, "TypeError"),
    (not_written, "Your turn"),
    (hangs, "longer than"),
])  # fmt: skip
def test_layer_norm_names_mistakes(wrong, expected, capsys):
    assert_names_mistake(check_layer_norm, wrong, expected, capsys, ANSWERS)


@pytest.mark.parametrize(("wrong", "expected"), [
    *[(rms_mistake(m), s) for m, s in RMS_MISTAKES.items()],
    (rms_centred, RMS_MISTAKES["mean"]),
    (lambda x, w, eps: x.mul_(2), "changed its input x"),
    (lambda x, w, eps: w.zero_() + x, "changed its input weight"),
    (lambda x, w, eps: x * float("inf"), "NaN or inf"),
    (lambda x, w, eps: x.sum(), "returned shape"),
    (lambda x, w, eps: None, "returned NoneType"),
    (not_written, "Your turn"),
    (hangs, "longer than"),
    (42, "not a int"),
])  # fmt: skip
def test_rms_norm_names_mistakes(wrong, expected, capsys):
    assert_names_mistake(check_rms_norm, wrong, expected, capsys, ANSWERS)
