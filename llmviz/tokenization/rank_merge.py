"""Merging a chunk's symbols by rank, fast, with the same result as ``apply_merges``.

``apply_merges`` (``bpe_symbols``), the loop the chapter shows, rescans every pair
after each round. ``merge_by_rank`` gives the same ids with less work:

* each pair's (rank, id) is one int, ``rank * size + id``, which compares as the
  tuple does, and faster;
* after a merge only the two pairs beside it are looked up again;
* a long chunk of many distinct symbols keeps its pairs in a heap;
* with an *ordered* table (every merge comes after the merges that make its two
  parts, as in GPT-2's and cl100k's), a round is merging the leftmost lowest pair
  again and again, so a short chunk needs no count of the pair's occurrences.
"""

from __future__ import annotations

import sys
from heapq import heapify, heappop, heappush
from itertools import chain, pairwise, repeat
from typing import Any

from llmviz.tokenization.bpe_symbols import Ranks

_LONG = 48  # a chunk of more symbols, and of more than 16 distinct ones, uses the heap
_VARIED = 16  # (a long run of few symbols, "======", merges faster in whole rounds)
_NONE = sys.maxsize  # the key of a pair that is no merge


def merge_by_rank(symbols: list[int], ranks: Ranks) -> list[int]:
    """``apply_merges(symbols, ranks)``, faster: the same rounds (merge every
    occurrence of the lowest-ranked pair, left to right), but only the pairs beside a
    merge are looked up again, and chunks of over 48 symbols (16 distinct) use a heap.

    >>> merge_by_rank([1, 1, 1], {(1, 1): (0, 2), (2, 1): (1, 3)})
    [3]
    """
    if not isinstance(symbols, list) or not all(type(s) is int for s in symbols):
        raise TypeError(f"symbols must be a list of int ids, got {symbols!r:.60}")
    if not isinstance(ranks, dict) or not all(map(_int_pair, chain(*ranks.items()))):
        raise TypeError(
            f"ranks must be a dict pair -> (rank, id), ints >= 0, got {ranks!r:.60}"
        )
    keys, size = _pair_keys(ranks)
    if max(keys.values(), default=0) >= _NONE:
        raise ValueError(f"ranks must hold ranks below {_NONE // size}, got larger")
    return _merge(list(symbols), keys.get, size, _is_ordered(keys, size))


def _int_pair(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(type(x) is int and x >= 0 for x in value)
    )


def _pair_keys(ranks: Ranks) -> tuple[dict[tuple[int, int], int], int]:
    """Each pair's (rank, id) as one int, rank * size + id, and the size."""
    size = 1 + max((i for _, i in ranks.values()), default=0)
    return {pair: rank * size + i for pair, (rank, i) in ranks.items()}, size


def _is_ordered(keys: dict[tuple[int, int], int], size: int) -> bool:
    """Whether every pair's key is above the keys of every merge making either of
    its symbols: then a merge only makes pairs merged later than itself.

    >>> _is_ordered({(1, 1): 2, (2, 1): 7}, 4), _is_ordered({(1, 1): 6, (2, 1): 3}, 4)
    (True, False)
    """
    made: dict[int, int] = {}
    for key in keys.values():
        made[key % size] = max(made.get(key % size, -1), key)
    return all(
        k > made.get(a, -1) and k > made.get(b, -1) for (a, b), k in keys.items()
    )


def _merge(ids: list[int], get: Any, size: int, ordered: bool) -> list[int]:
    """Merge ``ids`` in place (``get``: pair -> key, or None) and return them."""
    if len(ids) > _LONG and len(set(ids)) > _VARIED:
        return _merge_heap(ids, get, size)
    # a long run of few symbols still merges in whole rounds, fewer steps
    return _merge_list(ids, get, size, ordered and len(ids) <= _LONG)


def _merge_list(ids: list[int], get: Any, size: int, ordered: bool) -> list[int]:
    """The rounds of ``apply_merges``; with an ordered table no merge makes a pair
    that comes before the rest of its round, so it merges the leftmost lowest pair
    again and again, without counting the pair's occurrences."""
    none = _NONE
    found = list(map(get, pairwise(ids), repeat(none)))  # each pair's key
    while found:
        best = min(found)
        if best == none:
            break
        i = found.index(best)
        if not ordered and found.count(best) > 1:  # a whole round
            ids = _round(ids, found, best, size)
            found = list(map(get, pairwise(ids), repeat(none)))
            continue
        ids[i] = best % size
        del ids[i + 1], found[i]
        if i:
            found[i - 1] = get((ids[i - 1], ids[i]), none)
        if i < len(found):
            found[i] = get((ids[i], ids[i + 1]), none)
    return ids


def _round(ids: list[int], found: list[int], best: int, size: int) -> list[int]:
    """One round of ``apply_merges``: every occurrence of ``best``, left to right."""
    merged, i = [], 0
    while i < len(ids):
        if i < len(found) and found[i] == best:
            merged.append(best % size)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


def _merge_heap(ids: list, get: Any, size: int) -> list[int]:
    """The rounds of ``apply_merges`` over a linked list, the pairs in a heap of
    (key, position); an entry whose pair has changed since is skipped when popped."""
    n = len(ids)
    after, before = list(range(1, n + 1)), list(range(-1, n - 1))
    heap = [(k, i) for i, k in enumerate(map(get, pairwise(ids))) if k is not None]
    heapify(heap)
    while heap:
        best, batch = heap[0][0], []
        while heap and heap[0][0] == best:
            batch.append(heappop(heap)[1])  # in order of position
        merged = []
        for i in batch:
            j = after[i]
            if ids[i] is None or j >= n or get((ids[i], ids[j])) != best:
                continue  # gone, or changed by an earlier merge
            ids[i], ids[j], after[i] = best % size, None, after[j]
            if after[j] < n:
                before[after[j]] = i
            merged.append(i)
        for i in merged:
            for left, right in ((before[i], i), (i, after[i])):
                key = get((ids[left], ids[right])) if left >= 0 and right < n else None
                if key is not None:
                    heappush(heap, (key, left))
    return [i for i in ids if i is not None]
