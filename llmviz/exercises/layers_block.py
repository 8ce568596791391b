"""The check of chapter 5's exercise on the Pre-Norm residual block.

The reader's ``pre_norm_block(x, norm, sublayer)`` runs on seeded cases with a
LayerNorm whose gain and bias are not 1 and 0 and a random linear sublayer, so each
usual mistake (the norm in another place, a missing residual) gives a different
result, which the check names without showing the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from llmviz._checks import check_callable
from llmviz.exercises._check import (
    CheckResult,
    call_keeping_input,
    report,
    tensor_result,
)

BLOCK_CASES = [(2, 3, 8), (1, 5, 4), (3, 1, 6), (2, 4, 16)]  # (batch, seq, hidden)
BLOCK_MISTAKES = {
    "post": "you normalise after adding the residual (Post-Norm): the norm goes "
    "on the sublayer's input only",
    "no_residual": "your output misses the residual: x itself is added back",
    "normed_residual": "the residual you add back is normalised: add the "
    "unnormalised x",
    "norm_after": "your norm is applied after the sublayer instead of before it",
    "sandwich": "you normalise the sublayer's output too (Sandwich-Norm)",
    "no_norm": "your block never applies the norm",
}


def block_reference(
    x: Tensor, norm: nn.Module, sublayer: nn.Module, mistake: str = ""
) -> Tensor:
    """x + sublayer(norm(x)), or what one of ``BLOCK_MISTAKES`` computes."""
    return {
        "": lambda: x + sublayer(norm(x)),
        "post": lambda: norm(x + sublayer(x)),
        "no_residual": lambda: sublayer(norm(x)),
        "normed_residual": lambda: norm(x) + sublayer(norm(x)),
        "norm_after": lambda: x + norm(sublayer(x)),
        "sandwich": lambda: x + norm(sublayer(norm(x))),
        "no_norm": lambda: x + sublayer(x),
    }[mistake]()


def block_cases() -> list[tuple[Tensor, nn.Module, nn.Module]]:
    """(x, norm, sublayer) for each case, seeded, with a gain and bias off 1 and 0."""
    gen = torch.Generator().manual_seed(5)
    cases = []
    for batch, seq, hidden in BLOCK_CASES:
        norm, sublayer = nn.LayerNorm(hidden), nn.Linear(hidden, hidden)
        with torch.no_grad():
            for p in (*norm.parameters(), *sublayer.parameters()):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5 + 0.5)
            x = 3 * torch.randn(batch, seq, hidden, generator=gen) + 1
        cases.append((x, norm, sublayer))
    return cases


def _hint(got: Tensor, x: Tensor, norm: nn.Module, sublayer: nn.Module) -> str:
    with torch.no_grad():
        for mistake, hint in BLOCK_MISTAKES.items():
            wrong = block_reference(x, norm, sublayer, mistake).double()
            if torch.allclose(got, wrong, atol=1e-4, rtol=1e-4):
                return f"It looks like {hint}."
    return "Compare your output with x: which part of it should pass through unchanged?"


def check_pre_norm_block(pre_norm_block: Callable[..., Any]) -> CheckResult:
    """Check ``pre_norm_block(x, norm, sublayer)``: one Pre-Norm residual step, the
    placement of GPT-2 and Llama. ``x`` is (batch, seq, hidden); ``norm`` and
    ``sublayer`` are modules that map (…, hidden) to the same shape. Return a tensor
    of x's shape, and leave x as it is.
    """
    check_callable("pre_norm_block", pre_norm_block)
    for x, norm, sublayer in block_cases():
        got, failure = call_keeping_input(pre_norm_block, "x", x, norm, sublayer)
        if failure:
            return report(False, failure)
        got, failure = tensor_result(got, tuple(x.shape), name="pre_norm_block")
        if failure:
            return report(False, failure)
        with torch.no_grad():
            expected = block_reference(x, norm, sublayer).double()
        if not torch.allclose(got, expected, atol=1e-4, rtol=1e-4):
            shape = tuple(x.shape)
            return report(
                False,
                f"For x of shape {shape} your block's output differs from a "
                f"Pre-Norm block's by up to {float((got - expected).abs().max()):.3g}. "
                + _hint(got, x, norm, sublayer),
            )
    return report(True, "Correct: your block is Pre-Norm on every case.")
