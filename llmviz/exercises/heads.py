"""Checks for the exercises of chapter 3 on attention heads and the KV cache.

Each helper runs the reader's function on seeded random inputs, compares it with
llmviz's own, and names the most likely mistake when they differ.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.attention.heads import repeat_kv as reference_repeat_kv
from llmviz.attention.kv_cache import MODEL_CONFIGS, kv_cache_bytes_per_token
from llmviz.attention.sdpa import scaled_dot_product_attention as reference_attention
from llmviz.exercises._check import CheckResult, call, report

ATOL = 1e-5
DIM_NAMES = ("batch", "heads", "tokens", "head_dim")
DTYPE_OF_SIZE = {1: "int8", 2: "bfloat16", 4: "float32"}  # bytes_per_value → dtype


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


def check_repeat_kv(repeat_kv: Callable[[Tensor, int], Tensor]) -> CheckResult:
    """Check ``repeat_kv(x, n_rep)``: (B, H_kv, T, D) → (B, H_kv·n_rep, T, D), each KV
    head repeated for its group of consecutive query heads.

    >>> from llmviz.attention.heads import repeat_kv
    >>> assert check_repeat_kv(repeat_kv)
    ✅ Correct: ...
    """
    check_callable("repeat_kv", repeat_kv)
    generator = torch.Generator().manual_seed(0)
    for shape, n_rep in [((2, 3, 5, 4), 2), ((1, 2, 3, 6), 4), ((2, 4, 1, 3), 1)]:
        x = torch.randn(shape, generator=generator)
        before = x.clone()
        out, failure = call(repeat_kv, x, n_rep)
        if failure:
            return report(False, failure)
        if not isinstance(out, Tensor):
            return report(
                False, f"repeat_kv should return a tensor, got {_shape(out)}."
            )
        if x.shape != before.shape or not torch.equal(x, before):
            return report(False, "Your function changed its input x: leave x as it is.")
        expected = reference_repeat_kv(x, n_rep)
        if out.shape != expected.shape:
            return report(
                False,
                f"For x of shape {shape} and n_rep={n_rep} the output should have "
                f"shape {tuple(expected.shape)}, got {tuple(out.shape)}."
                + _repeat_hint(out, x, n_rep),
            )
        if not torch.equal(out, expected):
            tiled = ", ".join(map(str, list(range(shape[1])) * n_rep))
            hint = (
                f"your heads are copies of KV heads {tiled}, but the first {n_rep} "
                "query heads form one group, which shares KV head 0"
                if torch.equal(out, x.repeat(1, n_rep, 1, 1))
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


def _cache_failure(name: str, got: Any, old: Tensor, new: Tensor, other: Tensor):
    """What is wrong with the reader's updated cache, or None if it is right."""
    expected = torch.cat([old, new], dim=-2)
    if not isinstance(got, Tensor) or got.shape != expected.shape:
        hint = (
            f": it still holds {old.shape[-2]} tokens, without the new one"
            if isinstance(got, Tensor) and got.shape == old.shape
            else ""
        )
        return (
            f"With {old.shape[-2]} cached tokens the {name} cache you return should "
            f"have shape {tuple(expected.shape)}, got {_shape(got)}{hint}."
        )
    if torch.equal(got, expected):
        return None
    if torch.equal(got, torch.cat([new, old], dim=-2)):
        return (
            f"The new token's {name} is at the front of the {name} cache; the cache "
            "keeps the tokens in the order they came."
        )
    if torch.equal(got, other):
        return "The key and value caches you return are swapped."
    return f"The {name} cache should hold the cached tokens, then the new one."


def check_cached_step(cached_step: Callable[..., Any]) -> CheckResult:
    """Check ``cached_step(q, k_new, v_new, k_cache, v_cache)``: one decoding step of
    one layer, returning (output (B, H, 1, D), k_cache', v_cache').

    >>> from llmviz.attention.sdpa import scaled_dot_product_attention as attention
    >>> def cached_step(q, k_new, v_new, k_cache, v_cache):
    ...     k, v = torch.cat([k_cache, k_new], -2), torch.cat([v_cache, v_new], -2)
    ...     return attention(q, k, v), k, v
    >>> assert check_cached_step(cached_step)
    ✅ Correct: ...
    """
    check_callable("cached_step", cached_step)
    for case in _step_cases():
        q, k_new, v_new, k_cache, v_cache = case
        got, failure = call(cached_step, *(t.clone() for t in case))
        if failure:
            return report(False, failure)
        length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
        if not length or len(got) != 3:
            return report(
                False,
                "cached_step should return three tensors (output, k_cache, v_cache), "
                f"got {type(got).__name__}{length}.",
            )
        out, k_out, v_out = got
        k, v = torch.cat([k_cache, k_new], dim=-2), torch.cat([v_cache, v_new], dim=-2)
        expected = reference_attention(q, k, v)  # the new query sees all T + 1 keys
        past = k_cache.shape[-2]
        if _shape(out) != tuple(expected.shape):
            return report(
                False,
                f"With caches of shape {tuple(k_cache.shape)} the output should have "
                f"shape {tuple(expected.shape)}, got {_shape(out)}.",
            )
        if not torch.allclose(out, expected, atol=ATOL):
            hint = next(
                (
                    f"It looks like {mistake}."
                    for mistake, wrong in STEP_MISTAKES.items()
                    if torch.allclose(out, wrong(*case, k, v), atol=ATOL)
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


KV_BYTES_MISTAKES = {
    "keys_only": "Count the keys and the values: the cache holds both.",
    "query_heads": "Only the key/value heads are cached, and GQA has fewer of them "
    "than query heads.",
    "one_layer": "Every layer caches its own keys and values.",
    "no_head_dim": "When a config gives head_dim, it need not equal hidden_size // "
    "num_attention_heads.",
    "one_kv_head": "A config without num_key_value_heads is plain multi-head "
    "attention.",
    "two_bytes": "Your function seems to ignore bytes_per_value: the cases use 1, 2 "
    "and 4.",
}


def _kv_bytes(config: dict, seq_len: int, size: int = 2, mistake: str = "") -> int:
    """The KV cache's size, or what one of ``KV_BYTES_MISTAKES`` makes of it."""
    heads = config["num_attention_heads"]
    kv_key = {"query_heads": "num_attention_heads"}.get(mistake, "num_key_value_heads")
    kv_heads = config.get(kv_key, 1 if mistake == "one_kv_head" else heads)
    dim = None if mistake == "no_head_dim" else config.get("head_dim")
    dim = config["hidden_size"] // heads if dim is None else dim
    layers = 1 if mistake == "one_layer" else config["num_hidden_layers"]
    size = 2 if mistake == "two_bytes" else size
    keys_and_values = 1 if mistake == "keys_only" else 2
    return keys_and_values * layers * kv_heads * dim * size * seq_len


def _kv_bytes_cases() -> list[tuple[str, dict[str, int], tuple[int, ...]]]:
    """(name, config, (seq_len,) or (seq_len, bytes_per_value))."""
    cases = [
        ("Llama-2-7B", MODEL_CONFIGS["Llama-2-7B"], (4096,)),
        ("Llama-3-8B", MODEL_CONFIGS["Llama-3-8B"], (1000,)),
        ("Mistral-7B", MODEL_CONFIGS["Mistral-7B"], (32768, 4)),
    ]
    rng = random.Random(0)
    for i in range(6):
        kv_heads = rng.choice([1, 2, 4, 8])
        heads = kv_heads * rng.choice([2, 4])
        config = {
            "num_hidden_layers": rng.randint(3, 40),
            "num_attention_heads": heads,
            "hidden_size": heads * rng.choice([32, 64, 128]),
        }
        if i % 3:  # every third config leaves out num_key_value_heads: MHA
            config["num_key_value_heads"] = kv_heads
        if i % 2:  # every other one gives a head_dim that hidden_size does not imply
            config["head_dim"] = 2 * config["hidden_size"] // heads
        cases.append(
            (f"the config {config}", config, (rng.randint(1, 9000), 4 - 3 * (i % 2)))
        )
    return cases


def _kv_bytes_hint(kv_cache_bytes: Callable[..., Any]) -> str:
    """The mistake whose numbers match the reader's on every case, if one does."""
    for mistake, hint in KV_BYTES_MISTAKES.items():
        if all(
            call(kv_cache_bytes, dict(config), *args)[0]
            == _kv_bytes(config, *args, mistake=mistake)
            for _, config, args in _kv_bytes_cases()
        ):
            return " " + hint
    return " Work out how many numbers one layer caches for one token, then scale."


def check_kv_cache_bytes(kv_cache_bytes: Callable[..., Any]) -> CheckResult:
    """Check ``kv_cache_bytes(config, seq_len, bytes_per_value=2)``: the bytes of keys
    and values that a MHA/GQA/MQA model caches for ``seq_len`` tokens, batch 1.

    >>> from llmviz.attention.kv_cache import kv_cache_bytes_per_token
    >>> dtype = {1: "int8", 2: "bfloat16", 4: "float32"}
    >>> assert check_kv_cache_bytes(
    ...     lambda config, seq_len, bytes_per_value=2: seq_len
    ...     * kv_cache_bytes_per_token(config, dtype[bytes_per_value])
    ... )
    ✅ Correct: ...
    """
    check_callable("kv_cache_bytes", kv_cache_bytes)
    for name, config, args in _kv_bytes_cases():
        got, failure = call(kv_cache_bytes, dict(config), *args)
        if failure:
            missing = [
                key
                for key in ("num_key_value_heads", "head_dim")
                if key not in config and f"KeyError: '{key}'" in failure
            ]
            hint = f" Not every config has {missing[0]}." if missing else ""
            return report(False, failure + hint)
        seq_len, size = (*args, 2)[:2]
        expected = seq_len * kv_cache_bytes_per_token(config, DTYPE_OF_SIZE[size])
        if got != expected:
            shown = f"{got:,}" if isinstance(got, int) else repr(got)
            with_size = f" and bytes_per_value={size}" if len(args) > 1 else ""
            return report(
                False,
                f"For {name}, seq_len={seq_len}{with_size} the cache holds "
                f"{expected:,} bytes, you gave {shown}."
                + _kv_bytes_hint(kv_cache_bytes),
            )
    return report(True, "Correct: your sizes match llmviz's on every config.")
