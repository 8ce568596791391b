"""MoBA, mixture of block attention [lu2025moba]: each query reads only a few blocks
of keys, chosen like experts by a gate.

The keys are cut into blocks of ``block_size``; a query's score for block b is
q·mean(k in b). Blocks that start after the query are excluded, the query's own block
is always chosen (it counts toward the k), and the top-k of the rest complete the
choice. The query then attends causally to the tokens of its chosen blocks. With
top_k ≥ the number of blocks this is causal attention; with top_k = 1 it is causal
attention inside the query's own block.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import (
    check_dense,
    check_fits,
    check_qk,
    check_qkv,
    check_self_attention,
    check_size,
)


def _check_blocks(query: Tensor, key: Tensor, block_size: Any) -> int:
    seq_len = check_self_attention(query, key, "MoBA is causal self-attention")
    block_size = check_size("block_size", block_size)
    check_fits("block_size", block_size, seq_len, divides=True)
    return block_size


def _block_scores(query: Tensor, key: Tensor, block_size: int) -> Tensor:
    centroids = key.unflatten(-2, (-1, block_size)).mean(-2)  # (..., blocks, d)
    return query @ centroids.transpose(-2, -1)  # (..., T, blocks)


def block_scores(query: Tensor, key: Tensor, block_size: int) -> Tensor:
    """The gate's scores q_i·mean(k in block b), of shape (..., T, T/block_size).

    >>> block_scores(torch.ones(2, 1), torch.tensor([[1.0], [3.0]]), 2).tolist()
    [[2.0], [2.0]]
    """
    check_qk(query, key)
    block_size = _check_blocks(query, key, block_size)
    return _block_scores(query, key, block_size)


def _gate(query: Tensor, key: Tensor, block_size: int, top_k: int) -> Tensor:
    scores = _block_scores(query, key, block_size)  # (..., T, blocks)
    num_blocks = scores.shape[-1]
    own = torch.arange(query.shape[-2]) // block_size  # (T,)
    block = torch.arange(num_blocks)  # (blocks,)
    future = block > own.unsqueeze(-1)  # (T, blocks)
    current = block == own.unsqueeze(-1)
    scores = scores.masked_fill(future, float("-inf")).masked_fill(
        current, float("inf")
    )
    chosen = scores.topk(min(top_k, num_blocks), dim=-1).indices  # (..., T, k)
    selected = torch.zeros_like(scores, dtype=torch.bool).scatter(-1, chosen, True)
    return selected & ~future  # a −inf block fills the k only when too few are past


def moba_gate(query: Tensor, key: Tensor, block_size: int, top_k: int) -> Tensor:
    """The blocks each query reads: bool (..., T, T/block_size), its own block and the
    top_k − 1 past blocks of highest q·mean(k), never a future block.

    >>> q = torch.ones(4, 1)
    >>> k = torch.tensor([[2.0], [1.0], [-1.0], [-1.0]])
    >>> moba_gate(q, k, block_size=1, top_k=2).int().tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]]
    """
    check_qk(query, key)
    block_size = _check_blocks(query, key, block_size)
    top_k = check_int("top_k", top_k, minimum=1, maximum=MAX_SEQ_LEN)
    return _gate(query, key, block_size, top_k)


def moba_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    block_size: int,
    top_k: int,
    scale: float | None = None,
) -> tuple[Tensor, Tensor]:
    """MoBA: causal attention restricted to the blocks the gate chooses. Returns the
    output (..., T, d_v) and the chosen blocks (..., T, T/block_size).

    >>> q = k = v = torch.eye(4)
    >>> out, blocks = moba_attention(q, k, v, block_size=2, top_k=1)
    >>> blocks.int().tolist()
    [[1, 0], [1, 0], [0, 1], [0, 1]]
    """
    batch = check_qkv(query, key, value)
    block_size = _check_blocks(query, key, block_size)
    top_k = check_int("top_k", top_k, minimum=1, maximum=MAX_SEQ_LEN)
    scale = None if scale is None else check_positive_number("scale", scale)
    seq_len = query.shape[-2]
    check_dense("the token mask", batch, q_len=seq_len, kv_len=seq_len)
    selected = _gate(query, key, block_size, top_k)  # (..., T, blocks)
    tokens = selected.repeat_interleave(block_size, dim=-1)  # (..., T, T)
    mask = tokens & torch.ones(seq_len, seq_len, dtype=torch.bool).tril()
    return attend(query, key, value, mask, scale=scale), selected
