"""NSA's coarse view of the keys [yuan2025nsa]: compression and block selection.

Compression cuts the keys into blocks of l tokens every d tokens and pools each into
one key. We pool by the mean (the paper learns an MLP with intra-block positions;
TinyGPT was never trained with one, and a mean needs no weights). A query attends to
the compressed keys of the blocks it has fully seen, and those attention
probabilities p_cmp score the selection blocks of l′ tokens: a selection block scores
the sum of p_cmp over the compressed blocks that overlap it (with l = l′ = d,
p_slc = p_cmp). Heads that share a KV head (GQA) sum their scores and share one
choice. The initial block and the two local blocks (the query's own and the one
before) are always chosen and count toward the n; future blocks never are.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_SEQ_LEN as LIMIT
from llmviz.long_context._validate import (
    check_dense,
    check_fits,
    check_qk,
    check_self_attention,
    check_size,
)

NUM_INITIAL, NUM_LOCAL = 1, 2  # blocks always chosen, as in the paper's experiments


def _pool(x: Tensor, block: int, stride: int) -> Tensor:
    return x.unfold(-2, block, stride).mean(-1)  # (..., N_cmp, d)


def compress_blocks(x: Tensor, compress_block: int, compress_stride: int) -> Tensor:
    """Mean of each block of ``compress_block`` rows starting every
    ``compress_stride``: (..., T, d) → (..., ⌊(T − l)/d⌋ + 1, d).

    >>> compress_blocks(torch.arange(6.0).unsqueeze(-1), 4, 2).squeeze(-1).tolist()
    [1.5, 3.5]
    """
    check_tensor("x", x, ranks=None)
    if x.dim() < 2:
        raise ValueError(f"x must be (..., T, d), got shape {tuple(x.shape)}")
    block, stride = _check_compression(compress_block, compress_stride, x.shape[-2])
    return _pool(x, block, stride)


def _check_compression(block: Any, stride: Any, seq_len: int) -> tuple[int, int]:
    block = check_size("compress_block", block)
    check_fits("compress_block", block, seq_len, divides=False)
    stride = check_int("compress_stride", stride, minimum=1, maximum=block)
    return block, stride


def _visible(seq_len: int, block: int, stride: int) -> Tensor:
    """(T, N_cmp): query t sees compressed block i once whole, i·d + l − 1 ≤ t."""
    ends = torch.arange((seq_len - block) // stride + 1) * stride + block - 1
    return ends <= torch.arange(seq_len).unsqueeze(-1)


def _overlap(seq_len: int, block: int, stride: int, select_block: int) -> Tensor:
    """(N_cmp, T/l′) float: 1 where compressed block i overlaps selection block j."""
    starts = torch.arange((seq_len - block) // stride + 1).unsqueeze(-1) * stride
    first = torch.arange(seq_len // select_block) * select_block  # (T/l′,)
    return ((starts < first + select_block) & (starts + block > first)).float()


def _scores(q: Tensor, k: Tensor, sizes: tuple[int, int, int], scale: float) -> Tensor:
    block, stride, select_block = sizes
    seq_len = q.shape[-2]
    logits = q @ _pool(k, block, stride).transpose(-2, -1) * scale  # (..., T, N_cmp)
    visible = _visible(seq_len, block, stride)
    p_cmp = logits.masked_fill(~visible, float("-inf")).softmax(-1)
    p_cmp = p_cmp.nan_to_num(0.0)  # a query that has seen no whole block: no scores
    return p_cmp @ _overlap(seq_len, block, stride, select_block).to(q.dtype)


def _check_sizes(query, key, compress_block, compress_stride, select_block, scale):
    batch = check_qk(query, key)
    seq_len = check_self_attention(query, key, "NSA is causal self-attention")
    block, stride = _check_compression(compress_block, compress_stride, seq_len)
    num_cmp = (seq_len - block) // stride + 1
    check_dense("the compressed scores", batch, q_len=seq_len, blocks=num_cmp)
    select_block = check_size("select_block", select_block)
    check_fits("select_block", select_block, seq_len, divides=True)
    if select_block < block or select_block % stride:
        raise ValueError(
            f"select_block must be at least compress_block {block} and a multiple of "
            f"compress_stride {stride} (the paper's l′ ≥ l, d | l′), got {select_block}"
        )
    scale = query.shape[-1] ** -0.5 if scale is None else scale
    return (block, stride, select_block), check_positive_number("scale", scale)


def selection_scores(
    query: Tensor,
    key: Tensor,
    compress_block: int = 32,
    compress_stride: int = 16,
    select_block: int = 64,
    scale: float | None = None,
) -> Tensor:
    """p_slc: each query's attention probability on the compressed blocks, summed per
    selection block of ``select_block`` keys: (..., T, T/l′).

    >>> q, k = torch.zeros(4, 1), torch.zeros(4, 1)  # uniform over whole blocks
    >>> selection_scores(q, k, 2, 2, 2).tolist()
    [[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.5, 0.5]]
    """
    sizes, scale = _check_sizes(
        query, key, compress_block, compress_stride, select_block, scale
    )
    return _scores(query, key, sizes, scale)


def _choose(scores: Tensor, select_block: int, num_selected: int, group: int) -> Tensor:
    if group > 1:  # GQA: heads sharing a KV head sum their scores, choose once
        grouped = scores.unflatten(-3, (-1, group))  # (..., H/g, g, T, blocks)
        scores = grouped.sum(-3, keepdim=True).expand_as(grouped).flatten(-4, -3)
    seq_len, num_blocks = scores.shape[-2], scores.shape[-1]
    own = torch.arange(seq_len).unsqueeze(-1) // select_block  # (T, 1)
    block = torch.arange(num_blocks)  # (blocks,)
    top = float(group) + 1.0  # above any summed probability
    rank = scores.masked_fill(block > own, float("-inf"))
    rank = rank.masked_fill(block < NUM_INITIAL, top)  # forced, in rising priority
    for back in reversed(range(NUM_LOCAL)):
        rank = rank.masked_fill(block == own - back, top + NUM_LOCAL - back)
    chosen = rank.topk(min(num_selected, num_blocks), dim=-1).indices
    selected = torch.zeros_like(rank, dtype=torch.bool).scatter(-1, chosen, True)
    return selected & (block <= own)  # a −inf block fills n only when too few are past


def nsa_select(
    query: Tensor,
    key: Tensor,
    compress_block: int = 32,
    compress_stride: int = 16,
    select_block: int = 64,
    num_selected: int = 16,
    heads_per_group: int = 1,
    scale: float | None = None,
) -> Tensor:
    """The selection blocks each query reads: bool (..., T, T/l′), the initial block,
    the two local blocks, and the best others by ``selection_scores``, n in all.
    ``heads_per_group`` query heads (dim −3) share one choice.

    >>> q = k = torch.zeros(1, 8, 1)
    >>> nsa_select(q, k, 2, 2, 2, num_selected=3)[0, -1].int().tolist()
    [1, 0, 1, 1]
    """
    sizes, scale = _check_sizes(
        query, key, compress_block, compress_stride, select_block, scale
    )
    num_selected = check_int("num_selected", num_selected, minimum=1, maximum=LIMIT)
    group = _check_group(query, heads_per_group)
    return _choose(_scores(query, key, sizes, scale), sizes[2], num_selected, group)


def _check_group(query: Tensor, heads_per_group: Any) -> int:
    group = check_int("heads_per_group", heads_per_group, minimum=1, maximum=4096)
    heads = query.shape[-3] if query.dim() >= 3 else 1
    if heads % group:
        raise ValueError(
            f"heads_per_group must divide the query's {heads} heads (dim −3), "
            f"got {group}"
        )
    return group
