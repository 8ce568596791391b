"""Checks for the exercises of chapter 3, attention.

Each helper compares the reader's function with llmviz's own on random inputs, and
names the most likely mistake when they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from llmviz._checks import check_callable
from llmviz.attention.masks import (
    and_masks,
    block_diagonal,
    causal,
    materialize,
    sliding_window,
)
from llmviz.attention.sdpa import scaled_dot_product_attention as reference_attention
from llmviz.exercises._check import NOT_IMPLEMENTED, CheckResult, call, report

ATOL = 1e-5


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


def _diagnose(out: torch.Tensor, q, k, v, mask) -> str:
    """Name the mistake whose output matches the reader's, if one does."""
    for mistake, wrong in MISTAKES.items():
        expected = wrong(q, k, v, mask).nan_to_num()  # a naive softmax may give NaN
        if expected.shape == out.shape and torch.allclose(
            out.nan_to_num(), expected, atol=ATOL
        ):
            return f"It looks like {mistake}."
    return "Print yours and softmax(Q Kᵀ / √d_k) V for a small case and compare."


def check_attention(attention: Callable[..., torch.Tensor]) -> CheckResult:
    """Check ``attention(query, key, value, attn_mask)`` (bool mask, True = attend)."""
    check_callable("attention", attention)
    for q, k, v, mask in _attention_cases():
        for attn_mask in (None, mask):
            out, failure = call(attention, q, k, v, attn_mask)
            if failure:
                return report(False, failure)
            expected = reference_attention(q, k, v, attn_mask)
            shape = (
                tuple(out.shape)
                if isinstance(out, torch.Tensor)
                else type(out).__name__
            )
            if shape != tuple(expected.shape):
                return report(
                    False,
                    f"For query {tuple(q.shape)} and value {tuple(v.shape)} the output "
                    f"should have shape {tuple(expected.shape)}, got {shape}.",
                )
            if not torch.allclose(out, expected, atol=ATOL):
                where = "without a mask" if attn_mask is None else "with a mask"
                used = torch.ones_like(mask) if attn_mask is None else mask
                diagnosis = _diagnose(out, q, k, v, used)
                return report(
                    False,
                    f"Wrong values for query {tuple(q.shape)} {where}. {diagnosis}",
                )
    return report(True, "Correct: your attention equals torch's SDPA on every case.")


def check_chunked_causal(chunked_causal: Callable[[int], Any]) -> CheckResult:
    """Check ``chunked_causal(chunk_size)``, which returns a mask_mod."""
    check_callable("chunked_causal", chunked_causal)
    for chunk_size, seq_len in [(1, 5), (3, 10), (4, 8), (8, 6)]:
        mask_mod, failure = call(chunked_causal, chunk_size)
        if failure:
            return report(False, failure)
        try:
            dense = materialize(mask_mod, seq_len, seq_len)
        except NotImplementedError:
            return report(False, NOT_IMPLEMENTED)
        except Exception as error:  # most often Python's `and` or `if` on tensors
            return report(
                False,
                f"materialize(chunked_causal({chunk_size}), ...) raised "
                f"{type(error).__name__}: {error}. Write the mask_mod with tensor "
                "operations (&, |, //, <=), not `and`, `or` or `if`, so that it works "
                "on whole grids of indices.",
            )
        expected = materialize(
            and_masks(causal, block_diagonal(chunk_size)), seq_len, seq_len
        )
        wrong = (dense != expected).nonzero()
        if len(wrong):
            i, j = wrong[0].tolist()
            should = "see" if expected[i, j] else "not see"
            return report(
                False,
                f"With chunk_size={chunk_size}, query {i} should {should} key {j}.",
            )
    return report(True, "Correct: every query sees exactly the keys it should.")


def check_sliding_window_pairs(
    sliding_window_pairs: Callable[[int, int], int],
) -> CheckResult:
    """Check a formula for the number of pairs a causal sliding window lets through."""
    check_callable("sliding_window_pairs", sliding_window_pairs)
    for seq_len, window in [
        (1, 1),
        (5, 1),
        (8, 3),
        (16, 4),
        (10, 10),
        (6, 9),
        (100, 7),
    ]:
        got, failure = call(sliding_window_pairs, seq_len, window)
        if failure:
            return report(False, failure)
        expected = int(materialize(sliding_window(window), seq_len, seq_len).sum())
        if got != expected:
            hint = (
                " Is the window longer than the sequence?" if window > seq_len else ""
            )
            return report(
                False,
                f"For seq_len={seq_len} and window={window} you gave {got}, but "
                f"the mask has {expected} visible pairs.{hint}",
            )
    return report(
        True, "Correct: your formula matches the materialised mask every time."
    )
