"""The check of chapter 3's exercise on the arithmetic intensity of one decode step."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from llmviz.attention.intensity import attention_cost
from llmviz.exercises._check import CheckResult, call, number_result, report

# (heads, kv_heads, head_dim, v_head_dim, seq_len, bytes_per_value)
Case = tuple[int, int, int, int, int, int]

INTENSITY_MISTAKES = {
    "no_values": "Your FLOPs seem to count the scores only: the weighted sum of the "
    "values is a second product of the same kind.",
    "no_factor_2": "Your FLOPs seem to count each multiply-add as one FLOP: it is two, "
    "a multiplication and an addition.",
    "kv_flops": "Your FLOPs seem to run per key/value head: every query head computes "
    "its own scores and its own weighted sum, even when heads share keys and values.",
    "query_heads": "Your bytes seem to read keys and values for every query head: the "
    "cache holds them once per key/value head, and heads that share them read them "
    "once.",
    "keys_only": "Your bytes seem to read the cached keys only: the step reads the "
    "cached values too.",
    "cache_only": "Your bytes seem to leave out the query read and the output written: "
    "few next to the cache, but not nothing (try seq_len=1).",
    "bits": "Your bytes seem to be bits: bytes_per_value is already in bytes.",
    "inverse": "You seem to return bytes per FLOP: the intensity is FLOPs per byte.",
}


def _intensity(case: Case, mistake: str = "") -> float:
    """The intensity of one decode step, or what one of ``INTENSITY_MISTAKES`` makes
    of it."""
    heads, kv_heads, k_dim, v_dim, n, size = case
    flop_heads = kv_heads if mistake == "kv_flops" else heads
    products = 2 * k_dim if mistake == "no_values" else k_dim + v_dim
    flops = (1 if mistake == "no_factor_2" else 2) * flop_heads * n * products
    cached = (heads if mistake == "query_heads" else kv_heads) * n
    numbers = cached * (k_dim if mistake == "keys_only" else k_dim + v_dim)
    numbers += 0 if mistake == "cache_only" else heads * (k_dim + v_dim)  # q, output
    moved = numbers * size * (8 if mistake == "bits" else 1)
    return moved / flops if mistake == "inverse" else flops / moved


def _cases() -> list[tuple[str, Case]]:
    """Llama 3 8B, DeepSeek-V3's expanded heads, a one-token cache, random layers."""
    cases = [
        ("Llama-3-8B's layer", (32, 8, 128, 128, 8192, 2)),
        ("DeepSeek-V3's heads, not absorbed", (128, 128, 192, 128, 4096, 2)),
        ("a cache of one token", (4, 2, 16, 8, 1, 4)),
    ]
    rng = random.Random(0)
    for _ in range(5):
        kv_heads = rng.choice([1, 2, 4, 8])
        head_dim = rng.choice([32, 64, 128])
        case = (kv_heads * rng.choice([1, 2, 4, 8]), kv_heads, head_dim,
                rng.choice([head_dim, head_dim // 2]), rng.randint(1, 5000),
                rng.choice([1, 2, 4]))  # fmt: skip
        cases.append((f"heads={case[0]}, kv_heads={case[1]}", case))
    return cases


def _arguments(case: Case) -> str:
    names = (
        "heads",
        "kv_heads",
        "head_dim",
        "v_head_dim",
        "seq_len",
        "bytes_per_value",
    )
    return ", ".join(f"{name}={value}" for name, value in zip(names, case, strict=True))


def _hint(decode_intensity: Callable[..., Any]) -> str:
    """The mistake whose numbers match the reader's on every case, if one does."""
    answers = []
    for _, case in _cases():
        result, failure = call(decode_intensity, *case)
        answers.append(None if failure else number_result(result)[0])
    for mistake, hint in INTENSITY_MISTAKES.items():
        if all(
            got is not None
            and math.isclose(got, _intensity(case, mistake), rel_tol=1e-6)
            for got, (_, case) in zip(answers, _cases(), strict=True)
        ):
            return " " + hint
    return " Count the FLOPs and the bytes of one step separately, then divide."


def check_decode_intensity(decode_intensity: Callable[..., Any]) -> CheckResult:
    """Check your ``decode_intensity(heads, kv_heads, head_dim, v_head_dim, seq_len,
    bytes_per_value)``: FLOPs per byte of one decode step of one attention layer's
    core for one sequence. One new query per head meets a cache of ``seq_len`` tokens:
    the scores against the cached keys, then the weighted sum of the cached values,
    counting 2 FLOPs per multiply-add and leaving out the softmax and the projections.
    The bytes are those read and written once: the query, the cached keys and values
    of the ``kv_heads`` heads, and the output. Queries and keys have ``head_dim``
    numbers per head, values ``v_head_dim``. It is tried on Llama 3 8B, DeepSeek-V3's
    heads, a one-token cache and random layers."""
    for name, case in _cases():
        result, failure = call(decode_intensity, *case)
        if failure:
            return report(False, failure)
        got, failure = number_result(result)
        if failure:
            return report(False, f"For {name} ({_arguments(case)}): {failure}")
        expected = attention_cost(*case[:5], "decode", case[5])["intensity"]
        if not math.isclose(got, expected, rel_tol=1e-6):
            return report(
                False,
                f"For {name} ({_arguments(case)}) one step does {expected:.4g} FLOPs "
                f"per byte, you gave {got:.4g}." + _hint(decode_intensity),
            )
    return report(True, "Correct: your intensities match llmviz's on every layer.")
