"""Chapter 3's checks on attention heads and the KV cache accept right answers, written
another way than llmviz's (other dtypes, NumPy, loops), and name the usual mistakes
without giving the answer away."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from llmviz.attention.kv_cache import MODEL_CONFIGS, KVCache, kv_cache_bytes_per_token
from llmviz.exercises import (
    check_cached_step,
    check_kv_cache_bytes,
    check_repeat_kv,
)
from llmviz.exercises.heads import (
    DTYPE_OF_SIZE,
    KV_BYTES_MISTAKES,
    _kv_bytes,
    _kv_bytes_cases,
)
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast


# repeat_kv


def repeat_kv_expand(x, n_rep):
    batch, kv_heads, seq, head_dim = x.shape
    expanded = x[:, :, None].expand(batch, kv_heads, n_rep, seq, head_dim)
    return expanded.reshape(batch, kv_heads * n_rep, seq, head_dim)


def repeat_kv_numpy(x, n_rep):
    return np.repeat(x.numpy(), n_rep, axis=1)


def repeat_kv_loop(x, n_rep):
    heads = [x[:, h] for h in range(x.shape[1]) for _ in range(n_rep)]
    return torch.stack(heads, dim=1)


def repeat_kv_in_place(x, n_rep):
    out = repeat_kv_expand(x, n_rep)
    x.unsqueeze_(2)  # changes the caller's tensor
    return out


# cached_step


def attend(q, k, v, scale=True, dim=-1):
    scores = q @ k.transpose(-2, -1)
    if scale:
        scores = scores / q.shape[-1] ** 0.5
    return torch.softmax(scores, dim=dim) @ v


def cached_step(q, k_new, v_new, k_cache, v_cache, order="append", scale=True, dim=-1):
    if order == "append":
        k, v = torch.cat([k_cache, k_new], dim=2), torch.cat([v_cache, v_new], dim=2)
    else:
        k, v = torch.cat([k_new, k_cache], dim=2), torch.cat([v_new, v_cache], dim=2)
    return attend(q, k, v, scale, dim), k, v


def cached_step_with_kv_cache(q, k_new, v_new, k_cache, v_cache):
    """The same step through llmviz's KVCache, one query at a time, to vary the code."""
    cache = KVCache()
    cache.update(0, k_cache, v_cache)
    k, v = cache.update(0, k_new, v_new)
    weights = torch.softmax(
        torch.einsum("bhqd,bhkd->bhqk", q, k) * q.shape[-1] ** -0.5, -1
    )
    return torch.einsum("bhqk,bhkd->bhqd", weights, v), k, v


def cached_step_in(dtype):
    def step(*tensors):
        return cached_step(*(t.to(dtype) for t in tensors))

    return step


def cached_step_numpy(q, k_new, v_new, k_cache, v_cache):
    k = np.concatenate([k_cache.numpy(), k_new.numpy()], axis=2)
    v = np.concatenate([v_cache.numpy(), v_new.numpy()], axis=2)
    scores = q.numpy() @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)) @ v, k, v


def scales_q_in_place(q, k_new, v_new, k_cache, v_cache):
    q /= q.shape[-1] ** 0.5  # changes the caller's q
    return cached_step(q, k_new, v_new, k_cache, v_cache, scale=False)


def cache_only(q, k_new, v_new, k_cache, v_cache):
    k, v = torch.cat([k_cache, k_new], 2), torch.cat([v_cache, v_new], 2)
    return attend(q, k_cache, v_cache), k, v


def caches_not_updated(q, k_new, v_new, k_cache, v_cache):
    out, _, _ = cached_step(q, k_new, v_new, k_cache, v_cache)
    return out, k_cache, v_cache


# kv_cache_bytes


def kv_cache_bytes(
    config,
    seq_len,
    bytes_per_value=2,
    keys_and_values=2,
    heads_key="num_key_value_heads",
    missing_kv_heads=None,
    all_layers=True,
    read_head_dim=True,
):
    """A right answer, with switches for the usual mistakes."""
    heads = config["num_attention_heads"]
    kv_heads = config.get(heads_key, missing_kv_heads or heads)
    head_dim = config["hidden_size"] // heads
    if read_head_dim:
        head_dim = config.get("head_dim", head_dim)
    layers = config["num_hidden_layers"] if all_layers else 1
    return keys_and_values * layers * kv_heads * head_dim * bytes_per_value * seq_len


@pytest.mark.parametrize(
    ("check", "solution"),
    [
        (check_repeat_kv, repeat_kv_expand),
        (check_repeat_kv, lambda x, n: torch.repeat_interleave(x, n, dim=-3)),
        (check_repeat_kv, repeat_kv_numpy),
        (check_repeat_kv, repeat_kv_loop),
        (check_repeat_kv, lambda x, n: repeat_kv_expand(x.half(), n)),
        (check_repeat_kv, lambda x, n: repeat_kv_expand(x, n).tolist()),
        (check_cached_step, cached_step),
        (check_cached_step, cached_step_with_kv_cache),
        (check_cached_step, cached_step_in(torch.float64)),
        (check_cached_step, cached_step_in(torch.float16)),
        (check_cached_step, cached_step_in(torch.bfloat16)),
        (check_cached_step, cached_step_numpy),
        (check_kv_cache_bytes, kv_cache_bytes),
        (check_kv_cache_bytes, lambda c, t, b=2: np.int64(kv_cache_bytes(c, t, b))),
        (check_kv_cache_bytes, lambda c, t, b=2: float(kv_cache_bytes(c, t, b))),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: torch.tensor(kv_cache_bytes(c, t, b)),
        ),
    ],
)
def test_checks_accept_correct_solutions(check, solution, capsys):
    assert_accepts(check, solution, capsys)


@pytest.mark.parametrize(
    ("check", "wrong", "expected"),
    [
        # repeat_kv
        (
            check_repeat_kv,
            lambda x, n: x.repeat(1, n, 1, 1),
            "copies of KV heads 0, 1, 2, 0, 1, 2, but the first 2 query heads form one group",
        ),
        (
            check_repeat_kv,
            lambda x, n: x.repeat_interleave(n, dim=2),
            "You repeated along dim 2 (tokens), not the heads.",
        ),
        (
            check_repeat_kv,
            lambda x, n: x.repeat_interleave(n, dim=0),
            "You repeated along dim 0 (batch)",
        ),
        (
            check_repeat_kv,
            lambda x, n: x[:, :, None].expand(-1, -1, n, -1, -1),
            "Merge the copies into the heads dimension.",
        ),
        (
            check_repeat_kv,
            lambda x, n: x,
            "should have shape (2, 6, 5, 4), got (2, 3, 5, 4)",
        ),
        (check_repeat_kv, repeat_kv_in_place, "changed its input x in place"),
        (check_repeat_kv, lambda x, n: repeat_kv_expand(x, n) + 1, "print the heads"),
        (
            check_repeat_kv,
            lambda x, n: repeat_kv_expand(x, n).half() + 0.01,
            "print the heads",
        ),  # a float16 answer is compared at float16's tolerance
        (check_repeat_kv, lambda x, n: None, "returned NoneType, not a tensor"),
        (check_repeat_kv, lambda x, n: "x", "returned str, not a tensor"),
        (
            check_repeat_kv,
            lambda x, n: repeat_kv_expand(x, n) * math.nan,
            "returned NaN or inf values",
        ),
        (check_repeat_kv, not_written, "Your turn"),
        (check_repeat_kv, lambda x, n: x @ x, "Your function raised RuntimeError"),
        (check_repeat_kv, hangs, "took longer than 0.5 s"),
        # cached_step
        (check_cached_step, cache_only, "attends to the cache only"),
        (check_cached_step, scales_q_in_place, "changed its input q in place"),
        (
            check_cached_step,
            lambda *t: (lambda o, k, v: (o * math.nan, k, v))(*cached_step(*t)),
            "Your output returned NaN or inf values",
        ),
        (
            check_cached_step,
            lambda *t: (lambda o, k, v: (o, "k", v))(*cached_step(*t)),
            "Your key cache returned str, not a tensor",
        ),
        (
            check_cached_step,
            lambda *t: (lambda o, k, v: (o.half() + 0.05, k, v))(*cached_step(*t)),
            "Write softmax",
        ),
        (check_cached_step, hangs, "took longer than 0.5 s"),
        (
            check_cached_step,
            lambda q, kn, vn, kc, vc: (
                attend(q, kn, vn),
                *cached_step(q, kn, vn, kc, vc)[1:],
            ),
            "attends to itself only",
        ),
        (
            check_cached_step,
            lambda *t: cached_step(*t, order="prepend"),
            "at the front of the key cache",
        ),
        (
            check_cached_step,
            lambda *t: cached_step(*t, scale=False),
            "not divided by √D",
        ),
        (
            check_cached_step,
            lambda *t: cached_step(*t, dim=-2),
            "softmax runs over dim 2 (tokens)",
        ),
        (
            check_cached_step,
            lambda *t: cached_step(*t, dim=1),
            "softmax runs over dim 1 (heads)",
        ),
        (
            check_cached_step,
            caches_not_updated,
            "the key cache you return should have shape (2, 3, 6, 8), got (2, 3, 5, 8): it still holds 5 tokens",
        ),
        (
            check_cached_step,
            lambda *t: (lambda o, k, v: (o, v, k))(*cached_step(*t)),
            "swapped",
        ),
        (
            check_cached_step,
            lambda *t: cached_step(*t)[0],
            "should return three tensors (output, k_cache, v_cache), got Tensor",
        ),
        (
            check_cached_step,
            lambda *t: cached_step(*t)[:2],
            "got tuple of length 2",
        ),
        (
            check_cached_step,
            lambda *t: (cached_step(*t)[0][:, :, 0], *cached_step(*t)[1:]),
            "the output should have shape (2, 3, 1, 8), got (2, 3, 8)",
        ),
        (
            check_cached_step,
            lambda *t: (lambda o, k, v: (o + 1, k, v))(*cached_step(*t)),
            "Write softmax",
        ),
        (
            check_cached_step,
            lambda q, kn, vn, kc, vc: (
                cached_step(q, kn, vn, kc, vc) if kc.shape[2] else None
            ),  # an empty cache (T = 0) is among the cases
            "got NoneType",
        ),
        (check_cached_step, not_written, "Your turn"),
        # kv_cache_bytes
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t, b, keys_and_values=1),
            "Count the keys and the values",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t, b, heads_key="num_attention_heads"),
            "Only the key/value heads are cached",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t, b, all_layers=False),
            "Every layer caches",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t, b, read_head_dim=False),
            "When a config gives head_dim",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t, b, missing_kv_heads=1),
            "without num_key_value_heads",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t),
            "ignore bytes_per_value",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: (
                2 * c["num_hidden_layers"] * c["num_key_value_heads"] * 128 * b * t
            ),
            "Your function raised KeyError: 'num_key_value_heads'",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t, b) + 1,
            "Work out how many numbers one layer caches for one token",
        ),
        (
            check_kv_cache_bytes,
            lambda c, t, b: kv_cache_bytes(c, t, b),
            "missing 1 required positional argument",
        ),
        (check_kv_cache_bytes, lambda c, t, b=2: math.nan, "returned nan"),
        (check_kv_cache_bytes, lambda c, t, b=2: "lots", "returned str, not a number"),
        (
            check_kv_cache_bytes,
            lambda c, t, b=2: kv_cache_bytes(c, t, b) / 3,
            "Work out how many numbers",
        ),
        (check_kv_cache_bytes, not_written, "Your turn"),
        (check_kv_cache_bytes, hangs, "took longer than 0.5 s"),
    ],
)
def test_checks_name_the_mistake(check, wrong, expected, capsys):
    answers = ("repeat_interleave", "torch.cat", "num_key_value_heads *")
    assert_names_mistake(check, wrong, expected, capsys, answers)


@pytest.mark.parametrize("key", ["head_dim", "num_key_value_heads"])
def test_a_missing_key_is_explained(key, capsys):
    def reads_every_key(config, seq_len, bytes_per_value=2):
        config[key]  # raises for a config that leaves the key out
        return kv_cache_bytes(config, seq_len, bytes_per_value)

    assert not check_kv_cache_bytes(reads_every_key)
    printed = capsys.readouterr().out
    assert f"raised KeyError: '{key}'" in printed
    assert f"Not every config has {key}." in printed


def test_the_mistakes_module_reproduces_llmviz_without_switches():
    for _, config, args in _kv_bytes_cases():
        seq_len, size = (*args, 2)[:2]
        expected = seq_len * kv_cache_bytes_per_token(config, DTYPE_OF_SIZE[size])
        assert _kv_bytes(config, *args) == expected == kv_cache_bytes(config, *args)
    assert len(KV_BYTES_MISTAKES) == 6


def test_the_cases_cover_what_the_exercise_promises():
    configs = [config for _, config, _ in _kv_bytes_cases()]
    assert {"Llama-2-7B", "Llama-3-8B", "Mistral-7B"} <= {
        name for name, config in MODEL_CONFIGS.items() if config in configs
    }
    assert any("num_key_value_heads" not in c for c in configs)
    assert any(
        c.get("head_dim", 0) not in (0, c["hidden_size"] // c["num_attention_heads"])
        for c in configs
    )


CHECKS = [check_repeat_kv, check_cached_step, check_kv_cache_bytes]


@pytest.mark.parametrize("check", CHECKS)
def test_a_check_given_no_function_says_so(check, capsys):
    assert not check("not a function")
    assert "Pass your function itself, not a str." in capsys.readouterr().out


@pytest.mark.parametrize("check", CHECKS)
def test_no_check_shows_a_solution_in_its_docstring(check):
    """Colab shows a docstring while the reader types the call."""
    for code in (">>>", "lambda", "def ", "torch.", "repeat_interleave", "expand(",
                 "kv_cache_bytes_per_token", "softmax(", " * "):  # fmt: skip
        assert code not in check.__doc__
