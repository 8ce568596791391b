"""The roofline of this machine, and where attention's prefill and decode sit on it.

A kernel that does F FLOPs and moves B bytes takes at least max(F / peak, B / bandwidth)
seconds, so it can reach at most

    attainable(I) = min(peak, bandwidth × I) FLOP/s, I = F / B  [williams2009roofline]

Left of the ridge I* = peak / bandwidth the memory is the limit; right of it the
arithmetic units are. ``peak_flops`` and ``memory_bandwidth`` measure the two roofs;
``time_layers`` times the attention core of each layer and returns its achieved FLOP/s
against the intensity of ``llmviz.attention.intensity``. Every function takes a
``device``, so the same code draws the roofline of a GPU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from llmviz._checks import check_int, check_positive_number
from llmviz.attention.intensity import (
    EXAMPLE_LAYERS,
    MAX_TOKENS,
    PHASES,
    _attention_core,
    _layer_cost,
    _layers,
)
from llmviz.measure import seconds_per_call

MAX_MEGABYTES = 2048  # 2 GiB: more than any cache, less than any machine


def _device(device: Any) -> torch.device:
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str or torch.device, got {device!r:.60}")
    try:
        return torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device must name a torch device, got {device!r}") from error


def _dtype(dtype: Any) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r:.60}")
    return dtype


def peak_flops(
    device: Any = "cpu", dtype: torch.dtype = torch.float32, size: int = 1024,
    repeats: int = 10,
) -> float:  # fmt: skip
    """FLOP/s of a square matrix product, 2·size³ FLOPs, at its fastest of ``repeats``.

    >>> peak_flops(size=256, repeats=1) > 1e8
    True
    """
    device, dtype = _device(device), _dtype(dtype)
    size = check_int("size", size, 16, 1 << 15)
    generator = torch.Generator(device).manual_seed(0)
    a, b = torch.randn(2, size, size, device=device, generator=generator).to(dtype)
    seconds = seconds_per_call(lambda: a @ b, check_int("repeats", repeats, 1, 100))
    return 2 * size**3 / seconds


def memory_bandwidth(
    device: Any = "cpu", megabytes: int = 64, repeats: int = 10
) -> float:
    """Bytes per second of reading a float32 array of ``megabytes`` MB, much larger
    than the caches, once (its sum): what a decode step does with the KV cache.

    >>> memory_bandwidth(megabytes=8, repeats=1) > 1e8
    True
    """
    device = _device(device)
    numel = check_int("megabytes", megabytes, 1, MAX_MEGABYTES) * 2**20 // 4
    array = torch.ones(numel, device=device)
    repeats = check_int("repeats", repeats, 1, 100)
    return array.nbytes / seconds_per_call(array.sum, repeats)


def attainable(intensity: float, peak: float, bandwidth: float) -> float:
    """The roofline: min(peak, bandwidth × intensity), in FLOP/s.

    >>> attainable(2.0, peak=100e9, bandwidth=20e9), attainable(50.0, 100e9, 20e9)
    (40000000000.0, 100000000000.0)
    """
    intensity = check_positive_number("intensity", intensity)
    peak = check_positive_number("peak", peak)
    return min(peak, check_positive_number("bandwidth", bandwidth) * intensity)


def _inputs(sizes: Mapping[str, Any], batch: int, queries: int, n: int, **where: Any):
    """Random q, k, v for ``_attention_core``: (B, H, T, d_k), (B, G, n, d_k), and
    (B, G, n, d_v), or for absorbed MLA the first d_v numbers of k."""
    heads, groups = sizes["heads"], sizes["kv_heads"]
    q = torch.randn(batch, heads, queries, sizes["k_dim"], **where)
    k = torch.randn(batch, groups, n, sizes["k_dim"], **where)
    shared = sizes.get("shared_kv", False)
    v = k[..., : sizes["v_dim"]] if shared else torch.randn(
        batch, groups, n, sizes["v_dim"], **where)  # fmt: skip
    return q, k, v


def _plan(
    layers: Mapping[str, Mapping[str, Any]], lengths: dict[str, int], budget: int,
    size: int,
) -> list[tuple]:  # fmt: skip
    """(name, sizes, phase, n, cost, batch) of each run, every size checked first."""
    plan = []
    for name, sizes in layers.items():
        for phase in PHASES:
            n = lengths[phase]
            cost = _layer_cost(name, sizes, n, phase, size)
            batch = 1 if phase == "prefill" else math.ceil(budget / cost["bytes"])
            largest = (
                sizes["heads"] * n * n * size if phase == "prefill" else cost["bytes"]
            )
            if largest > MAX_MEGABYTES * 2**20:  # the scores, or one sequence's cache
                raise ValueError(
                    f"{phase}_len={n} needs {largest / 2**30:.3g} GiB for "
                    f"layers[{name!r}]; at most {MAX_MEGABYTES // 1024} GiB is allowed"
                )
            plan.append((name, sizes, phase, n, cost, batch))
    return plan


def time_layers(
    layers: Mapping[str, Mapping[str, Any]] = EXAMPLE_LAYERS,
    prefill_len: int = 128,
    decode_len: int = 1024,
    device: Any = "cpu",
    dtype: torch.dtype = torch.float32,
    cache_megabytes: int = 48,
    repeats: int = 3,
) -> list[dict[str, Any]]:
    """Time each layer's attention core: prefill of ``prefill_len`` tokens (one
    sequence), and one decode step over a cache of ``decode_len`` tokens for as many
    sequences as fill about ``cache_megabytes`` MB, so the cache cannot sit in the
    CPU's caches (the batch scales FLOPs and bytes alike, not their ratio).

    >>> rows = time_layers({"MQA": dict(heads=4, kv_heads=1, k_dim=32, v_dim=32)},
    ...                    prefill_len=64, decode_len=64, cache_megabytes=1, repeats=1)
    >>> [(row["phase"], row["intensity"] > 0) for row in rows]
    [('prefill', True), ('decode', True)]
    """
    device, dtype = _device(device), _dtype(dtype)
    lengths = {
        "prefill": check_int("prefill_len", prefill_len, 1, 1 << 14),
        "decode": check_int("decode_len", decode_len, 1, MAX_TOKENS),
    }
    budget = check_int("cache_megabytes", cache_megabytes, 1, MAX_MEGABYTES) * 2**20
    repeats = check_int("repeats", repeats, 1, 100)
    plan = _plan(_layers(layers), lengths, budget, torch.finfo(dtype).bits // 8)
    generator = torch.Generator(device).manual_seed(0)
    rows = []
    for name, sizes, phase, n, cost, batch in plan:
        queries = n if phase == "prefill" else 1
        q, k, v = _inputs(sizes, batch, queries, n, device=device, dtype=dtype,
                          generator=generator)  # fmt: skip
        step = lambda q=q, k=k, v=v: _attention_core(q, k, v)  # noqa: E731
        seconds = seconds_per_call(step, repeats)
        rows.append({
            "layer": name, "phase": phase, "batch": batch, "tokens": n,
            "flops": batch * cost["flops"], "bytes": batch * cost["bytes"],
            "intensity": cost["intensity"], "seconds": seconds,
            "achieved": batch * cost["flops"] / seconds,
        })  # fmt: skip
    return rows
