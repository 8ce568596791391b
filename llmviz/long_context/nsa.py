"""Native Sparse Attention, NSA [yuan2025nsa]: three branches over the same causal
keys, mixed by gates per query,

    o_t = g_cmp · Attn(q_t, K̃_cmp, Ṽ_cmp) + g_slc · Attn(q_t, K_slc, V_slc)
        + g_win · Attn(q_t, K_win, V_win).

The compression branch reads one pooled key per block of l keys (stride d); the
selection branch reads the tokens of the n blocks of l′ keys that the compressed
scores rank highest (``nsa_blocks``); the window branch reads the last w keys. The
paper's settings are l = 32, d = 16, l′ = 64, n = 16, w = 512. With every block
selected and the other gates 0 this is causal attention; with g_cmp = g_slc = 0 it
is sliding-window attention.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_SEQ_LEN as LIMIT
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import check_dense, check_fits, check_qkv, check_size
from llmviz.long_context.nsa_blocks import (
    _check_group,
    _check_sizes,
    _choose,
    _pool,
    _scores,
    _visible,
)


def _check_gates(gates: Any, batch: tuple[int, ...], seq_len: int, dtype) -> Tensor:
    if gates is None:
        return torch.ones(3, dtype=dtype)
    check_tensor("gates", gates, ranks=None)
    if gates.dim() == 0 or gates.shape[-1] != 3:
        raise ValueError(
            "gates must end in 3 (g_cmp, g_slc, g_win), broadcasting to "
            f"{(*batch, seq_len, 3)}, got shape {tuple(gates.shape)}"
        )
    try:
        torch.broadcast_shapes(gates.shape, (*batch, seq_len, 3))
    except RuntimeError:
        raise ValueError(
            f"gates must broadcast to {(*batch, seq_len, 3)}, got shape "
            f"{tuple(gates.shape)}"
        ) from None
    if bool((gates < 0).any() or (gates > 1).any()):
        raise ValueError(
            f"gates must lie in [0, 1] (sigmoid outputs), got values from "
            f"{gates.min().item():.3g} to {gates.max().item():.3g}"
        )
    return gates.to(dtype)


def _compressed(q: Tensor, k: Tensor, v: Tensor, block: int, stride: int, scale):
    visible = _visible(q.shape[-2], block, stride)  # (T, N_cmp)
    kc, vc = _pool(k, block, stride), _pool(v, block, stride)  # (..., N_cmp, d)
    weights = (q @ kc.transpose(-2, -1) * scale).masked_fill(~visible, float("-inf"))
    return weights.softmax(-1).nan_to_num(0.0) @ vc  # a query before any block: 0


def nsa_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    compress_block: int = 32,
    compress_stride: int = 16,
    select_block: int = 64,
    num_selected: int = 16,
    window: int = 512,
    gates: Tensor | None = None,
    heads_per_group: int = 1,
    scale: float | None = None,
) -> tuple[Tensor, Tensor]:
    """NSA's gated sum of compressed, selected and sliding-window attention. Returns
    the output (..., T, d_v) and the selection blocks each query read (..., T, T/l′).
    ``gates`` (..., T, 3) holds g_cmp, g_slc, g_win in [0, 1] (None: all 1).

    >>> q = k = v = torch.eye(4)
    >>> gates = torch.tensor([0.0, 0.0, 1.0])  # the window only
    >>> out, blocks = nsa_attention(q, k, v, 2, 2, 2, 1, window=1, gates=gates)
    >>> torch.equal(out, v), blocks.int().tolist()
    (True, [[1, 0], [1, 0], [0, 1], [0, 1]])
    """
    batch = check_qkv(query, key, value)
    sizes, scale = _check_sizes(
        query, key, compress_block, compress_stride, select_block, scale
    )
    num_selected = check_int("num_selected", num_selected, minimum=1, maximum=LIMIT)
    seq_len = query.shape[-2]
    window = check_size("window", window)
    check_fits("window", window, seq_len, divides=False)
    group = _check_group(query, heads_per_group)
    gates = _check_gates(gates, batch, seq_len, query.dtype)
    check_dense("the token masks", batch, q_len=seq_len, kv_len=seq_len)
    block, stride, select = sizes
    selected = _choose(_scores(query, key, sizes, scale), select, num_selected, group)
    causal = torch.ones(seq_len, seq_len, dtype=torch.bool).tril()
    in_window = causal.triu(-(window - 1))  # i − w < j ≤ i
    slc_mask = selected.repeat_interleave(select, dim=-1) & causal  # (..., T, T)
    o_cmp = _compressed(query, key, value, block, stride, scale)
    o_slc = attend(query, key, value, slc_mask, scale=scale)
    o_win = attend(query, key, value, in_window, scale=scale)
    g = gates.unsqueeze(-1)  # (..., T, 3, 1)
    out = g[..., 0, :] * o_cmp + g[..., 1, :] * o_slc + g[..., 2, :] * o_win
    return out, selected
