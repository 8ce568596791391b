"""The check of chapter 3's exercise on the size of the KV cache."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from llmviz.attention.kv_cache import MODEL_CONFIGS, kv_cache_bytes_per_token
from llmviz.exercises._check import CheckResult, call, number_result, report

DTYPE_OF_SIZE = {1: "int8", 2: "bfloat16", 4: "float32"}  # bytes_per_value → dtype

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


def _answer(kv_cache_bytes: Callable[..., Any], config: dict, args: tuple) -> Any:
    """The reader's number for one case, or None if it gave none."""
    result, failure = call(kv_cache_bytes, dict(config), *args)
    return None if failure else number_result(result)[0]


def _kv_bytes_hint(kv_cache_bytes: Callable[..., Any]) -> str:
    """The mistake whose numbers match the reader's on every case, if one does."""
    answers = [_answer(kv_cache_bytes, c, a) for _, c, a in _kv_bytes_cases()]
    for mistake, hint in KV_BYTES_MISTAKES.items():
        if all(
            got == _kv_bytes(config, *args, mistake=mistake)
            for got, (_, config, args) in zip(answers, _kv_bytes_cases(), strict=True)
        ):
            return " " + hint
    return " Work out how many numbers one layer caches for one token, then scale."


def check_kv_cache_bytes(kv_cache_bytes: Callable[..., Any]) -> CheckResult:
    """Check your ``kv_cache_bytes(config, seq_len, bytes_per_value=2)``: the bytes
    of keys and values that a MHA/GQA/MQA model caches for ``seq_len`` tokens of one
    sequence, from a config dict with Hugging Face's keys. It is tried on Llama 2 7B,
    Llama 3 8B, Mistral 7B and random configs, some without ``num_key_value_heads``
    or with a ``head_dim`` of their own."""
    for name, config, args in _kv_bytes_cases():
        result, failure = call(kv_cache_bytes, dict(config), *args)
        if failure:
            missing = [
                key
                for key in ("num_key_value_heads", "head_dim")
                if key not in config and f"KeyError: '{key}'" in failure
            ]
            hint = f" Not every config has {missing[0]}." if missing else ""
            return report(False, failure + hint)
        seq_len, size = (*args, 2)[:2]
        with_size = f" and bytes_per_value={size}" if len(args) > 1 else ""
        got, failure = number_result(result)
        if failure:
            return report(False, f"For {name}, seq_len={seq_len}{with_size}: {failure}")
        expected = seq_len * kv_cache_bytes_per_token(config, DTYPE_OF_SIZE[size])
        if got != expected:
            shown = f"{int(got):,}" if got.is_integer() else f"{got:,.6g}"
            return report(
                False,
                f"For {name}, seq_len={seq_len}{with_size} the cache holds "
                f"{expected:,} bytes, you gave {shown}."
                + _kv_bytes_hint(kv_cache_bytes),
            )
    return report(True, "Correct: your sizes match llmviz's on every config.")
