"""Checks for the exercises of chapter 3 on attention heads and the KV cache (the
cache's size is checked in ``heads_kv_bytes``).

Each helper runs the reader's function on seeded random inputs, compares it with
llmviz's own, and names the most likely mistake when they differ. Any return type,
float dtype, NaN, exception, hang or change to the inputs becomes ✅ or ❌ and one
sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz.attention.heads import repeat_kv as reference_repeat_kv
from llmviz.attention.sdpa import scaled_dot_product_attention as reference_attention
from llmviz.exercises._check import CheckResult, report, tensor_result
from llmviz.exercises.attention import call_keeping_inputs, tolerance
from llmviz.exercises.heads_kv_bytes import (  # noqa: F401 - the chapter's checks
    DTYPE_OF_SIZE,
    KV_BYTES_MISTAKES,
    _kv_bytes,
    _kv_bytes_cases,
    check_kv_cache_bytes,
)

DIM_NAMES = ("batch", "heads", "tokens", "head_dim")


def _shape(value: Any) -> Any:
    return tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__


def _repeat_hint(out: Tensor, x: Tensor, n_rep: int) -> str:
    """Why the reader's output has the wrong shape, if we can tell."""
    for dim in (0, 2, 3):
        grown = list(x.shape)
        grown[dim] *= n_rep
        if tuple(out.shape) == tuple(grown):
            return f" You repeated along dim {dim} ({DIM_NAMES[dim]}), not the heads."
    return " Merge the copies into the heads dimension." if out.dim() == 5 else ""


def check_repeat_kv(repeat_kv: Callable[[Tensor, int], Any]) -> CheckResult:
    """Check your ``repeat_kv(x, n_rep)``: keys or values (B, H_kv, T, D) in,
    (B, H_kv·n_rep, T, D) out, each KV head serving a group of ``n_rep`` consecutive
    query heads; ``x`` must be left as it is."""
    generator = torch.Generator().manual_seed(0)
    for shape, n_rep in [((2, 3, 5, 4), 2), ((1, 2, 3, 6), 4), ((2, 4, 1, 3), 1)]:
        x = torch.randn(shape, generator=generator)
        result, failure = call_keeping_inputs(repeat_kv, ("x",), x, n_rep)
        if failure:
            return report(False, failure)
        expected = reference_repeat_kv(x, n_rep).double()
        out, failure = tensor_result(result)
        if failure:
            return report(False, failure)
        if out.shape != expected.shape:
            return report(
                False,
                f"For x of shape {shape} and n_rep={n_rep} the output should have "
                f"shape {tuple(expected.shape)}, got {tuple(out.shape)}."
                + _repeat_hint(out, x, n_rep),
            )
        if not torch.allclose(out, expected, atol=tolerance(result), rtol=0):
            tiled = ", ".join(map(str, list(range(shape[1])) * n_rep))
            hint = (
                f"your heads are copies of KV heads {tiled}, but the first {n_rep} "
                "query heads form one group, which shares KV head 0"
                if torch.equal(out, x.double().repeat(1, n_rep, 1, 1))
                else "print the heads of x = torch.arange(2.).view(1, 2, 1, 1) and "
                "of your output for n_rep=2, and compare"
            )
            return report(
                False, f"Wrong values for x of shape {shape}, n_rep={n_rep}: {hint}."
            )
    return report(True, "Correct: your repeat_kv equals llmviz's on every case.")


def _attend(q: Tensor, k: Tensor, v: Tensor, scale: bool = True, dim: int = -1):
    scores = q @ k.transpose(-2, -1)  # (B, H, 1, T_kv)
    return torch.softmax(scores / q.shape[-1] ** 0.5 if scale else scores, dim) @ v


STEP_MISTAKES = {
    "the new token attends to the cache only: it must also see its own key and "
    "value": lambda q, kn, vn, kc, vc, k, v: _attend(q, kc, vc),
    "the new token attends to itself only: it must also see every cached token": (
        lambda q, kn, vn, kc, vc, k, v: _attend(q, kn, vn)
    ),
    "the scores are not divided by √D": (
        lambda q, kn, vn, kc, vc, k, v: _attend(q, k, v, scale=False)
    ),
    **{
        f"softmax runs over dim {dim} ({DIM_NAMES[dim]}); the weights of each query "
        "should sum to 1 over the keys": (
            lambda q, kn, vn, kc, vc, k, v, dim=dim: _attend(q, k, v, dim=dim)
        )
        for dim in (2, 1, 0)
    },
}


def _step_cases() -> list[tuple[Tensor, ...]]:
    """(q, k_new, v_new, k_cache, v_cache), with an empty cache among them."""
    generator = torch.Generator().manual_seed(0)
    cases = []
    for batch, heads, past, head_dim in [(2, 3, 5, 8), (1, 1, 0, 4), (3, 2, 7, 16)]:
        new, cached = (batch, heads, 1, head_dim), (batch, heads, past, head_dim)
        shapes = (new, new, new, cached, cached)
        cases.append(tuple(torch.randn(s, generator=generator) for s in shapes))
    return cases


def _cache_failure(name: str, result: Any, old: Tensor, new: Tensor, other: Tensor):
    """What is wrong with the reader's updated cache, or None if it is right."""
    expected = torch.cat([old, new], dim=-2).double()
    got, failure = tensor_result(result, name=f"Your {name} cache")
    if failure and "shape" not in failure:
        return failure
    if got is None or got.shape != expected.shape:
        hint = (
            f": it still holds {old.shape[-2]} tokens, without the new one"
            if got is not None and got.shape == old.shape
            else ""
        )
        shape = tuple(getattr(result, "shape", ())) or type(result).__name__
        return (
            f"With {old.shape[-2]} cached tokens the {name} cache you return should "
            f"have shape {tuple(expected.shape)}, got {shape}{hint}."
        )
    atol = tolerance(result)
    if torch.allclose(got, expected, atol=atol, rtol=0):
        return None
    if torch.allclose(got, torch.cat([new, old], dim=-2).double(), atol=atol, rtol=0):
        return (
            f"The new token's {name} is at the front of the {name} cache; the cache "
            "keeps the tokens in the order they came."
        )
    if torch.allclose(got, other.double(), atol=atol, rtol=0):
        return "The key and value caches you return are swapped."
    return f"The {name} cache should hold the cached tokens, then the new one."


def check_cached_step(cached_step: Callable[..., Any]) -> CheckResult:
    """Check your ``cached_step(q, k_new, v_new, k_cache, v_cache)``: one decoding
    step of one attention layer for a new token (q, k_new, v_new, each (B, H, 1, D))
    after T cached ones (each cache (B, H, T, D), T possibly 0). It must return the
    output (B, H, 1, D) and both caches with the new token added at the end, leaving
    its inputs as they are."""
    names = ("q", "k_new", "v_new", "k_cache", "v_cache")
    for case in _step_cases():
        q, k_new, v_new, k_cache, v_cache = case
        got, failure = call_keeping_inputs(
            cached_step, names, *(t.clone() for t in case)
        )
        if failure:
            return report(False, failure)
        length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
        if not length or len(got) != 3:
            return report(
                False,
                "cached_step should return three tensors (output, k_cache, v_cache), "
                f"got {type(got).__name__}{length}.",
            )
        result, k_out, v_out = got
        k, v = torch.cat([k_cache, k_new], dim=-2), torch.cat([v_cache, v_new], dim=-2)
        expected = reference_attention(q.double(), k.double(), v.double())
        past = k_cache.shape[-2]
        out, failure = tensor_result(result, name="Your output")
        if failure and "shape" not in failure:
            return report(False, f"With {past} cached tokens: {failure}")
        if out is None or out.shape != expected.shape:
            shape = tuple(getattr(result, "shape", ())) or type(result).__name__
            return report(
                False,
                f"With caches of shape {tuple(k_cache.shape)} the output should have "
                f"shape {tuple(expected.shape)}, got {shape}.",
            )
        atol = tolerance(result)
        if not torch.allclose(out, expected, atol=atol):
            hint = next(
                (
                    f"It looks like {mistake}."
                    for mistake, wrong in STEP_MISTAKES.items()
                    if torch.allclose(out, wrong(*case, k, v).double(), atol=atol)
                ),
                "Write softmax(q Kᵀ / √D) V out for one head and compare.",
            )
            return report(False, f"Wrong output with {past} cached tokens. {hint}")
        for message in (
            _cache_failure("key", k_out, k_cache, k_new, v),
            _cache_failure("value", v_out, v_cache, v_new, k),
        ):
            if message:
                return report(False, message)
    return report(True, "Correct: your step equals attention recomputed from scratch.")
