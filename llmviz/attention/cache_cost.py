"""What appending one token costs each cache, measured on the machine running this.

``KVCache`` appends with ``torch.cat``, which copies all T cached tokens into a new
tensor; ``StaticKVCache`` writes the new token into memory set aside in advance. So the
simple cache's append grows with T and the preallocated one's does not. The timings are
printed by the book and never asserted: they depend on the machine.
"""

from __future__ import annotations

import torch

from llmviz._checks import check_int
from llmviz.attention.kv_cache import KVCache
from llmviz.attention.static_cache import StaticKVCache
from llmviz.measure import seconds_per_call

MAX_FILL = 65_536  # tokens
MAX_ELEMENTS = 2**25  # per cached tensor (128 MiB of float32); four, plus a copy
CACHES = ("KVCache (torch.cat)", "StaticKVCache (in place)")


def append_seconds(
    fills: list[int] | tuple[int, ...],
    num_kv_heads: int = 8,
    head_dim: int = 128,
    repeats: int = 5,
) -> dict[str, list[float]]:
    """Seconds to append one token to one layer's cache already holding ``fills[i]``
    tokens (batch 1, float32), for each cache in ``CACHES``: the fastest of ``repeats``.

    The defaults are one layer of Llama-3-8B (8 KV heads of 128 dimensions).

    >>> times = append_seconds([4, 8], num_kv_heads=1, head_dim=2, repeats=1)
    >>> sorted(times) == sorted(CACHES), [len(t) for t in times.values()]
    (True, [2, 2])
    """
    if not isinstance(fills, (list, tuple)) or not fills:
        raise TypeError(f"fills must be a non-empty list of ints, got {fills!r:.60}")
    fills = [check_int(f"fills[{i}]", f, 1, MAX_FILL) for i, f in enumerate(fills)]
    num_kv_heads = check_int("num_kv_heads", num_kv_heads, 1, 256)
    head_dim = check_int("head_dim", head_dim, 1, 1024)
    repeats = check_int("repeats", repeats, 1, 100)
    largest = max(fills) * num_kv_heads * head_dim
    if largest > MAX_ELEMENTS:
        raise ValueError(
            f"fills, num_kv_heads and head_dim ask for a cache of {largest:,} numbers "
            f"per tensor (max(fills)={max(fills)}), over the {MAX_ELEMENTS:,} allowed"
        )
    times: dict[str, list[float]] = {name: [] for name in CACHES}
    step = torch.zeros(1, num_kv_heads, 1, head_dim)
    for fill in fills:
        held = torch.zeros(1, num_kv_heads, fill, head_dim)
        # room for the warm-up call and every timed one
        caches = (KVCache(), StaticKVCache(max_len=fill + repeats + 1))
        for name, cache in zip(CACHES, caches, strict=True):
            cache.update(0, held, held)
            seconds = seconds_per_call(lambda c=cache: c.update(0, step, step), repeats)
            times[name].append(seconds)
    return times
