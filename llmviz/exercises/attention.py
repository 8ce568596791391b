"""The check of chapter 3's first exercise, attention from scratch, and the helpers
that all the chapter's checks share (the masks' checks are in ``attention_masks``).

Each helper compares the reader's function with llmviz's own on random inputs, and
names the most likely mistake when they differ. Whatever the function does (returns a
tensor of any float dtype, a NumPy array, a list, something else, NaN, raises, hangs,
changes its inputs), the reader gets ✅ or ❌ and one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz.attention.sdpa import scaled_dot_product_attention as reference_attention
from llmviz.exercises._check import CheckResult, call, report, tensor_result
from llmviz.exercises.attention_masks import (  # noqa: F401 - the chapter's checks
    check_chunked_causal,
    check_sliding_window_pairs,
)

ATOL = 1e-5  # float32 and float64 answers
HALF_ATOL = {torch.float16: 1e-2, torch.bfloat16: 5e-2}  # rounding of 16-bit floats


def tolerance(result: Any) -> float:
    """The absolute tolerance suited to the dtype the reader's result came in."""
    dtype = getattr(result, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype == np.float16:
        return HALF_ATOL[torch.float16]
    return HALF_ATOL.get(dtype, ATOL)


def as_float64(result: Any) -> Tensor | None:
    """The result as a float64 tensor, NaN included, or None if it is no array."""
    try:
        if isinstance(result, Tensor):
            return result.detach().to(torch.float64)
        return torch.as_tensor(np.asarray(result, dtype=np.float64))
    except (TypeError, ValueError, RuntimeError):
        return None


def call_keeping_inputs(
    fn: Callable[..., Any], names: tuple[str, ...], *args: Any
) -> tuple[Any, str | None]:
    """``call``, failing too if the function changed any of its tensor arguments."""
    before = [a.clone() if isinstance(a, Tensor) else None for a in args]
    result, failure = call(fn, *args)
    if failure:
        return result, failure
    for name, arg, old in zip(names, args, before, strict=False):  # names: a prefix
        if old is not None and (arg.shape != old.shape or not torch.equal(arg, old)):
            return result, (
                f"Your function changed its input {name} in place: leave the inputs "
                "as they are and compute new tensors."
            )
    return result, None


def _attention_cases() -> list[tuple[torch.Tensor, ...]]:
    """(q, k, v, mask) for unbatched, batched and cross-attention shapes."""
    generator = torch.Generator().manual_seed(0)
    shapes = [
        ((5, 8), (7, 8)),
        ((2, 3, 6, 16), (2, 3, 6, 16)),
        ((1, 2, 4, 32), (1, 2, 9, 32)),
    ]
    cases = []
    for q_shape, kv_shape in shapes:
        q = torch.randn(q_shape, generator=generator)
        k = torch.randn(kv_shape, generator=generator)
        v = torch.randn(kv_shape, generator=generator)
        mask = torch.rand(q_shape[-2], kv_shape[-2], generator=generator) > 0.4
        mask[:, 0], mask[:, 1] = True, False  # each row keeps a key, and so does ~mask
        cases.append((q, k, v, mask))
    return cases


def _softmax_over_queries(q, k, v, mask):
    scores = (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).masked_fill(
        ~mask, -torch.inf
    )
    return torch.softmax(scores, dim=-2) @ v


MISTAKES = {
    "the scores are not divided by √d_k": lambda q, k, v, m: reference_attention(
        q, k, v, m, scale=1.0
    ),
    "the mask is ignored": lambda q, k, v, m: reference_attention(q, k, v),
    "the mask is used the wrong way round (True means *may attend*)": (
        lambda q, k, v, m: reference_attention(q, k, v, ~m)
    ),
    "softmax runs over the queries; it should run over the keys (the last dimension)": (
        _softmax_over_queries
    ),
}


def _diagnose(out: Tensor, q, k, v, mask: Tensor | None, atol: float) -> str | None:
    """Name the mistake whose output matches the reader's (float64, NaN where a naive
    softmax gives NaN), if one does; mistakes about the mask need a mask."""
    used = (
        torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool) if mask is None else mask
    )
    for mistake, wrong in MISTAKES.items():
        if mask is None and "mask" in mistake:
            continue
        expected = wrong(q, k, v, used).double()
        if (
            expected.shape == out.shape
            and torch.equal(expected.isnan(), out.isnan())
            and torch.allclose(out.nan_to_num(), expected.nan_to_num(), atol=atol)
        ):
            return f"It looks like {mistake}."
    return None


def check_attention(attention: Callable[..., Any]) -> CheckResult:
    """Check your ``attention(query, key, value, attn_mask)``: scaled dot-product
    attention over any leading batch dimensions, with an optional bool mask in which
    True means *may attend*. It is compared with torch's on random inputs, with and
    without a mask."""
    for q, k, v, mask in _attention_cases():
        for attn_mask in (None, mask):
            names = ("query", "key", "value", "attn_mask")
            result, failure = call_keeping_inputs(attention, names, q, k, v, attn_mask)
            if failure:
                return report(False, failure)
            q64, k64, v64 = q.double(), k.double(), v.double()
            expected = reference_attention(q64, k64, v64, attn_mask)
            out, failure = tensor_result(result, tuple(expected.shape))
            atol = tolerance(result)
            if failure and "NaN" in failure:  # softmax over a fully masked column
                raw = as_float64(result)
                diagnosis = raw is not None and _diagnose(raw, q, k, v, attn_mask, atol)
                return report(False, diagnosis or failure)
            if failure:
                return report(
                    False,
                    f"For query {tuple(q.shape)} and value {tuple(v.shape)}: {failure}",
                )
            if not torch.allclose(out, expected, atol=atol):
                where = "without a mask" if attn_mask is None else "with a mask"
                diagnosis = _diagnose(out, q, k, v, attn_mask, atol) or (
                    "Print yours and softmax(Q Kᵀ / √d_k) V for a small case and "
                    "compare."
                )
                return report(
                    False,
                    f"Wrong values for query {tuple(q.shape)} {where}. {diagnosis}",
                )
    return report(True, "Correct: your attention equals torch's SDPA on every case.")
