"""Dual Chunk Attention's positions [an2024dca]: which relative distance each
(query, key) pair is given, so that none reaches the pretraining length.

The sequence is cut into chunks of ``chunk_size`` s. Keys sit at j mod s. A query i is
given three positions, one per kind of key it meets:

- intra-chunk (key in its own chunk): i mod s, so the distance is the true i − j;
- successive-chunk (key in the chunk just before): s + i mod s for the first
  ``local_window`` w queries of a chunk, so their distance is still the true i − j,
  and c − 1 for the rest (c: ``pretraining_length``);
- inter-chunk (key two or more chunks back): c − 1.

Every distance a query meets is then in [0, c − 1]: the model sees only distances it
was trained on, and the far past is ``c − 1 − j mod s`` away, as if at the edge of the
training window. Nothing is skipped: every causal pair is scored.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.long_context._validate import check_size

PARTS = ("intra-chunk", "successive-chunk", "inter-chunk")
FUTURE = -1  # the part and distance of a pair the causal mask removes
MAX_DRAWN = 1 << 12  # the (T, T) matrices are for drawing and checking: T ≤ 4096


class DCAPositions(NamedTuple):
    """The position ids, each (T,): the keys' and the query's three."""

    key: Tensor
    intra: Tensor
    successive: Tensor
    inter: Tensor


def check_dca(
    chunk_size: Any, pretraining_length: Any, local_window: Any
) -> tuple[int, int, int]:
    """The checked (s, c, w); w = None gives min(c − s, s), the paper's c − s."""
    c = check_int("pretraining_length", pretraining_length, minimum=2, maximum=1 << 20)
    s = check_size("chunk_size", chunk_size)
    if s >= c:
        raise ValueError(
            f"chunk_size must be below pretraining_length={c} (a chunk's own distances "
            f"must stay inside the trained range, with room for the window), got {s}"
        )
    widest = min(c - s, s)
    if local_window is None:
        return s, c, widest
    w = check_int("local_window", local_window, minimum=0, maximum=1 << 20)
    if w > widest:
        raise ValueError(
            f"local_window must be at most min(chunk_size, pretraining_length − "
            f"chunk_size) = {widest} (at most one chunk, and s + w − 1 < c), got {w}"
        )
    return s, c, w


def _positions(seq_len: int, s: int, c: int, w: int) -> DCAPositions:
    within = torch.arange(seq_len) % s  # (T,) i mod s
    successive = torch.where(within < w, s + within, torch.full_like(within, c - 1))
    return DCAPositions(within, within, successive, torch.full_like(within, c - 1))


def dca_position_ids(
    seq_len: int,
    chunk_size: int,
    pretraining_length: int,
    local_window: int | None = None,
) -> DCAPositions:
    """The position ids DCA gives keys and queries (each (seq_len,) long).

    >>> p = dca_position_ids(6, chunk_size=3, pretraining_length=5, local_window=1)
    >>> p.key.tolist(), p.successive.tolist(), p.inter.tolist()
    ([0, 1, 2, 0, 1, 2], [3, 4, 4, 3, 4, 4], [4, 4, 4, 4, 4, 4])
    """
    seq_len = check_size("seq_len", seq_len)
    return _positions(seq_len, *check_dca(chunk_size, pretraining_length, local_window))


def _parts(seq_len: int, s: int) -> Tensor:
    chunk = torch.arange(seq_len) // s  # (T,)
    apart = (chunk.unsqueeze(-1) - chunk).clamp(max=2)  # (T, T): 0, 1 or 2 chunks back
    causal = torch.ones(seq_len, seq_len, dtype=torch.bool).tril()
    return apart.masked_fill(~causal, FUTURE)


def dca_parts(seq_len: int, chunk_size: int) -> Tensor:
    """Which part scores each (query, key) pair: 0 intra-chunk, 1 successive-chunk,
    2 inter-chunk, −1 a future key (masked). (seq_len, seq_len) long.

    >>> dca_parts(4, chunk_size=1).tolist()
    [[0, -1, -1, -1], [1, 0, -1, -1], [2, 1, 0, -1], [2, 2, 1, 0]]
    """
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_DRAWN)
    return _parts(seq_len, check_size("chunk_size", chunk_size))


def _matrices(seq_len: int, s: int, c: int, w: int) -> dict[str, Tensor]:
    positions = _positions(seq_len, s, c, w)
    parts = _parts(seq_len, s)
    matrices = {}
    for index, (name, query) in enumerate(zip(PARTS, positions[1:], strict=True)):
        distance = query.unsqueeze(-1) - positions.key  # (T, T): P_q[i] − P_k[j]
        matrices[name] = distance.masked_fill(parts != index, FUTURE)
    return matrices


def dca_position_matrices(
    seq_len: int,
    chunk_size: int,
    pretraining_length: int,
    local_window: int | None = None,
) -> dict[str, Tensor]:
    """The three relative-position matrices P_q^part[i] − P_k[j], each (T, T) long,
    −1 outside the pairs that part scores: {"intra-chunk", "successive-chunk",
    "inter-chunk"}.

    >>> m = dca_position_matrices(4, chunk_size=2, pretraining_length=3)
    >>> m["intra-chunk"][3].tolist(), m["inter-chunk"][3].tolist()
    ([-1, -1, 1, 0], [-1, -1, -1, -1])
    """
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_DRAWN)
    return _matrices(seq_len, *check_dca(chunk_size, pretraining_length, local_window))


def dca_distances(
    seq_len: int,
    chunk_size: int,
    pretraining_length: int,
    local_window: int | None = None,
) -> Tensor:
    """The one distance DCA gives each pair, (T, T) long, −1 for future keys: the
    three matrices of ``dca_position_matrices`` laid over one another.

    >>> dca_distances(5, chunk_size=2, pretraining_length=4)[4].tolist()
    [3, 2, 2, 1, 0]
    """
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_DRAWN)
    matrices = _matrices(
        seq_len, *check_dca(chunk_size, pretraining_length, local_window)
    )
    return torch.stack(list(matrices.values())).amax(0)  # one part per pair, else −1
