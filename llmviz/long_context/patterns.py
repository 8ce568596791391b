"""Fixed sparse patterns: the notes' "local within k, plus every k-th", and the Sparse
Transformer's two factorisations [child2019sparse], built from chapter 3's masks.

A factorisation is a *pair* of masks (A1, A2): Sparse Transformer gives them to
different heads or layers, or lets one head attend to their union. Neither is learned:
both are fixed by the positions alone.

- strided(l): A1 = the last l keys (a sliding window), A2 = every l-th key back.
- fixed(l, c): A1 = the query's own block of l tokens, A2 = the last c positions of
  every block (its "summary" columns).

Either union lets any token reach any earlier one in two steps, and at l = √n each
query attends to about 2√n keys (strided) or √n keys (fixed, c = 1): O(n√n) pairs.
``attended_pairs`` counts pairs exactly, one block of rows at a time.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.attention import masks
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.attention.mask_grid import MaskMod, _named, check_mask_mod

ROWS = 256  # rows of the mask evaluated at once when counting
MAX_COUNT = 1 << 17  # the longest sequence attended_pairs counts


def _stride(stride: int) -> int:
    return check_int("stride", stride, minimum=1, maximum=MAX_SEQ_LEN)


def strided_factorization(stride: int) -> tuple[MaskMod, MaskMod]:
    """Sparse Transformer's strided pair: (the last ``stride`` keys, every
    ``stride``-th key back), chapter 3's sliding_window and strided masks.

    >>> a1, a2 = strided_factorization(2)
    >>> masks.materialize(masks.or_masks(a1, a2), 4, 4).int().tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]]
    """
    stride = _stride(stride)
    return masks.sliding_window(stride), masks.strided(stride)


def local_and_strided(k: int) -> MaskMod:
    """The notes' pattern: keys at distance ≤ k, plus distances k, 2k, 3k, ….

    It is the union of strided_factorization(k): distance k is already a multiple of k,
    so the window of k keys (distances 0..k−1) and one of k + 1 give the same union.

    >>> masks.materialize(local_and_strided(2), 5, 5)[4].int().tolist()
    [1, 0, 1, 1, 1]
    """
    k = check_int("k", k, minimum=1, maximum=MAX_SEQ_LEN)
    return _named(masks.or_masks(*strided_factorization(k)), f"local_and_strided({k})")


def summary_columns(stride: int, summary: int = 1) -> MaskMod:
    """Causal keys among the last ``summary`` positions of each block of ``stride``.

    >>> masks.materialize(summary_columns(2), 4, 4).int().tolist()
    [[0, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 1]]
    """
    stride = _stride(stride)
    summary = check_int("summary", summary, minimum=1, maximum=stride)

    def mask_mod(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        return (kv_idx <= q_idx) & (kv_idx % stride >= stride - summary)

    return _named(mask_mod, f"summary_columns({stride}, {summary})")


def fixed_factorization(stride: int, summary: int = 1) -> tuple[MaskMod, MaskMod]:
    """Sparse Transformer's fixed pair: (causal attention inside the query's block of
    ``stride`` tokens, the last ``summary`` columns of every block).

    >>> a1, a2 = fixed_factorization(2)
    >>> masks.materialize(masks.or_masks(a1, a2), 4, 4).int().tolist()
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 1, 1, 1]]
    """
    stride = _stride(stride)
    own_block = masks.and_masks(masks.causal, masks.block_diagonal(stride))
    return _named(own_block, f"own_block({stride})"), summary_columns(stride, summary)


def attended_pairs(mask_mod: MaskMod, seq_len: int) -> int:
    """The number of (query, key) pairs ``mask_mod`` allows on a seq_len × seq_len
    grid, counted exactly ``ROWS`` rows at a time (memory O(ROWS·n), not O(n²)).

    >>> attended_pairs(masks.causal, 4)
    10
    """
    check_mask_mod(mask_mod)
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_COUNT)
    zero = torch.zeros(1, 1, 1, 1, dtype=torch.long)  # batch row 0, head 0
    kv_idx = torch.arange(seq_len).view(1, seq_len)  # (1, T)
    total = 0
    for start in range(0, seq_len, ROWS):
        q_idx = torch.arange(start, min(start + ROWS, seq_len)).view(-1, 1)  # (R, 1)
        rows = mask_mod(zero, zero, q_idx, kv_idx)  # broadcasts to (1, 1, R, T)
        total += int(rows.expand(1, 1, q_idx.shape[0], seq_len).sum())
    return total


def sqrt_stride(seq_len: int) -> int:
    """The stride Sparse Transformer takes for n tokens, l = ⌈√n⌉, which makes both
    factors about √n keys wide.

    >>> sqrt_stride(1000)
    32
    """
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_SEQ_LEN)
    return math.isqrt(seq_len - 1) + 1
