"""FlashAttention's online softmax over key tiles.

One softmax needs every score of a row before it can normalise. The online softmax
[milakov2018online] reads the keys a tile at a time and keeps, per query, the running
maximum m, the running sum ℓ = Σ exp(s − m) and the unnormalised output; when a tile
raises the maximum, what was accumulated is rescaled by exp(m_old − m_new). After the
last tile, output/ℓ is exactly softmax(S)V, with memory O(n·tile) instead of O(n²)
[dao2022flashattention]. Blocks of queries go one after another, each through all
the tiles, as FlashAttention-2 orders its loops. ``splitkv`` runs the chunks of keys
in parallel instead.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_positive_number
from llmviz.long_context._validate import check_dense, check_qkv, check_size

QUERY_BLOCK = 512  # queries per block: 8 heads x 512 x 256 scores (4 MiB) stay cached


class TileStep(NamedTuple):
    """The running state after one tile: max m (..., q_len), sum ℓ (..., q_len) and
    output/ℓ (..., q_len, d_v), the attention over the keys read so far."""

    max: Tensor
    sum: Tensor
    output: Tensor


def scale_or_default(query: Tensor, scale: Any) -> float:
    """The checked ``scale``, or 1/√d when it is None."""
    if scale is None:
        return 1.0 / math.sqrt(query.shape[-1])
    return check_positive_number("scale", scale)


def tile_scores(
    scaled_query: Tensor, key: Tensor, start: int, is_causal: bool, query_start: int = 0
) -> Tensor:
    """(Q·scale) Kᵀ for keys start.. and queries query_start.., −inf where a causal
    key lies after the query."""
    scores = scaled_query @ key.transpose(-2, -1)  # (..., q_len, tile)
    if is_causal:
        rows = torch.arange(query_start, query_start + scaled_query.shape[-2])
        cols = torch.arange(start, start + key.shape[-2])
        scores.masked_fill_(cols > rows.unsqueeze(-1), float("-inf"))
    return scores


def divide(acc: Tensor, total: Tensor) -> Tensor:
    """acc/ℓ, zeros where no key was visible (ℓ = 0), as SDPA gives."""
    return acc / total.masked_fill(total == 0, 1).unsqueeze(-1)


def online_softmax_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    tile_size: int = 64,
    is_causal: bool = False,
    scale: float | None = None,
    return_steps: bool = False,
) -> Tensor | tuple[Tensor, list[TileStep]]:
    """softmax(QKᵀ·scale)V one key tile at a time; ``return_steps`` also gives the
    running (max, sum, output) after each tile.

    >>> q = k = v = torch.eye(2)
    >>> online_softmax_attention(q, k, v, tile_size=1, is_causal=True).tolist()
    [[1.0, 0.0], [0.33..., 0.66...]]
    """
    batch = check_qkv(query, key, value)
    tile_size = check_size("tile_size", tile_size)
    tile = min(tile_size, key.shape[-2])
    check_dense("a tile's scores", batch, q_len=query.shape[-2], tile_size=tile)
    is_causal = check_bool("is_causal", is_causal)
    scale = scale_or_default(query, scale)
    return_steps = check_bool("return_steps", return_steps)
    scaled_query = query * scale  # once, not once per tile
    # FlashAttention-2's outer loop [dao2023flashattention2]: blocks of queries are
    # independent, and one block's tile of scores stays in the CPU's cache
    blocks = [
        _over_key_tiles(scaled_query[..., rows : rows + QUERY_BLOCK, :], key, value,
                        tile_size, is_causal, rows, return_steps)
        for rows in range(0, query.shape[-2], QUERY_BLOCK)
    ]  # fmt: skip
    steps = [_join(states) for states in zip(*blocks, strict=True)]
    return (steps[-1].output, steps) if return_steps else steps[-1].output


def _over_key_tiles(
    scaled_query: Tensor,
    key: Tensor,
    value: Tensor,
    tile_size: int,
    is_causal: bool,
    query_start: int,
    every_step: bool,
) -> list[TileStep]:
    """The online softmax of one block of queries, tile by tile: the state after
    each tile (``every_step``), or only after the last."""
    lead = torch.broadcast_shapes(scaled_query.shape[:-1], key.shape[:-2] + (1,))
    running_max = torch.full(lead, float("-inf"), dtype=scaled_query.dtype)  # m
    total = torch.zeros(lead, dtype=scaled_query.dtype)  # ℓ
    acc = torch.zeros(*lead, value.shape[-1], dtype=scaled_query.dtype)  # Σ e^(s−m)·v
    steps = []
    for start in range(0, key.shape[-2], tile_size):
        tile = slice(start, start + tile_size)
        scores = tile_scores(
            scaled_query, key[..., tile, :], start, is_causal, query_start
        )
        new_max = torch.maximum(running_max, scores.amax(-1))
        shift = new_max.masked_fill(new_max == float("-inf"), 0)  # no key yet: 0
        rescale = torch.exp(running_max - shift)  # exp(m_old − m_new)
        weights = scores.sub_(shift.unsqueeze(-1)).exp_()  # in place, (..., q, tile)
        total = total * rescale + weights.sum(-1)
        acc = acc * rescale.unsqueeze(-1) + weights @ value[..., tile, :]
        running_max = new_max
        if every_step:
            steps.append(TileStep(running_max, total, divide(acc, total)))
    return steps or [TileStep(running_max, total, divide(acc, total))]


def _join(states: tuple[TileStep, ...]) -> TileStep:
    """The blocks' states at one step as one state: their queries side by side."""
    if len(states) == 1:
        return states[0]
    return TileStep(
        torch.cat([state.max for state in states], -1),
        torch.cat([state.sum for state in states], -1),
        torch.cat([state.output for state in states], -2),
    )
