"""Relative positions: Shaw et al.'s clipped relative embeddings [shaw2018relative] and
the four-term score of Transformer-XL [dai2019transformerxl].

Both make the score of query i and key j depend on the distance between them instead of
on where each one is. Queries are aligned bottom-right: with q_len queries and kv_len
keys, query q_idx sits at position i = kv_len − q_len + q_idx, as when the keys hold a
cache (or Transformer-XL's memory) followed by the current tokens. With q_len == kv_len
this is simply i = q_idx.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.positions.sinusoidal import sinusoidal_encoding


def relative_distances(q_len: int, kv_len: int) -> Tensor:
    """j − i (q_len, kv_len), key position minus query position, queries bottom-right.

    >>> relative_distances(2, 3).tolist()
    [[-1, 0, 1], [-2, -1, 0]]
    """
    q_len = check_int("q_len", q_len, minimum=1)
    kv_len = check_int("kv_len", kv_len, minimum=1)
    if q_len > kv_len:
        raise ValueError(
            f"q_len must be <= kv_len={kv_len} (queries are the last q_len positions)"
            f", got {q_len}"
        )
    query_positions = torch.arange(kv_len - q_len, kv_len)  # (q_len,)
    key_positions = torch.arange(kv_len)  # (kv_len,)
    return key_positions[None, :] - query_positions[:, None]  # (q_len, kv_len)


def relative_positions(q_len: int, kv_len: int, max_relative_position: int) -> Tensor:
    """Rows of a table of 2k+1 embeddings: clip(j − i, −k, k) + k, (q_len, kv_len).

    k = ``max_relative_position``; farther keys share the embedding of ±k
    [shaw2018relative].

    >>> relative_positions(1, 4, max_relative_position=2).tolist()
    [[0, 0, 1, 2]]
    """
    k = check_int("max_relative_position", max_relative_position, minimum=0)
    return relative_distances(q_len, kv_len).clamp(-k, k) + k


def shaw_scores(
    q: Tensor, k: Tensor, relative_keys: Tensor, max_relative_position: int
) -> Tensor:
    """Scores e_ij = q_i · (k_j + a^K_{clip(j−i, −k, k)}) / √d, (..., T_q, T_k).

    q (..., T_q, d), k (..., T_k, d), relative_keys (2k+1, d): the learned a^K, one per
    clipped distance [shaw2018relative]. (Shaw et al. also add a^V to the values; that
    part is left out here.)

    >>> shaw_scores(torch.ones(2, 4), torch.ones(3, 4), torch.zeros(3, 4), 1).shape
    torch.Size([2, 3])
    """
    d = q.shape[-1]
    for name, tensor in (("q", q), ("k", k)):
        if tensor.dim() < 2 or tensor.shape[-1] != d:
            raise ValueError(f"{name} must be (..., T, {d}), got {tuple(tensor.shape)}")
    max_k = check_int("max_relative_position", max_relative_position, minimum=0)
    if relative_keys.shape != (2 * max_k + 1, d):
        raise ValueError(
            f"relative_keys must be (2·max_relative_position + 1, d) = "
            f"{(2 * max_k + 1, d)}, got {tuple(relative_keys.shape)}"
        )
    index = relative_positions(q.shape[-2], k.shape[-2], max_relative_position)
    a_key = relative_keys[index]  # (T_q, T_k, d): a^K for each pair
    content = q @ k.transpose(-2, -1)  # (..., T_q, T_k)
    position = torch.einsum("...id,ijd->...ij", q, a_key)  # (..., T_q, T_k)
    return (content + position) / math.sqrt(d)


def _check_transformer_xl_shapes(
    x_query: Tensor, x_key: Tensor, relative: Tensor, W_kR: Tensor
) -> None:
    """``ValueError`` unless relative is (T_q, T_k) and W_kR is (d_head, even d_R)."""
    if relative.shape != (x_query.shape[-2], x_key.shape[-2]):
        raise ValueError(
            f"relative must be (T_q, T_k) = {(x_query.shape[-2], x_key.shape[-2])}, "
            f"got {tuple(relative.shape)}"
        )
    if W_kR.dim() != 2 or W_kR.shape[-1] % 2:
        raise ValueError(
            "W_kR must be (d_head, d_R) with d_R even (the sinusoid's dimension), "
            f"got {tuple(W_kR.shape)}"
        )


def transformer_xl_terms(
    x_query: Tensor,
    x_key: Tensor,
    relative: Tensor,
    W_q: Tensor,
    W_kE: Tensor,
    W_kR: Tensor,
    u: Tensor,
    v: Tensor,
    base: float = 10000.0,
) -> dict[str, Tensor]:
    """Transformer-XL's score A^rel = a + b + c + d, each term (T_q, T_k).

    With q_i = W_q x_i, k_{E,j} = W_kE x_j and R_{i−j} the sinusoidal encoding of the
    distance i − j [dai2019transformerxl]: a = q_iᵀ k_{E,j} (content–content),
    b = q_iᵀ W_kR R_{i−j} (content–position), c = uᵀ k_{E,j} (global content bias),
    d = vᵀ W_kR R_{i−j} (global position bias).

    Shapes: x_query (T_q, d_model); x_key (T_k, d_model), memory then segment;
    relative (T_q, T_k), the distances i − j, usually ``-relative_distances(T_q, T_k)``;
    W_q and W_kE (d_head, d_model); W_kR (d_head, d_R), d_R even; u and v (d_head,).
    No 1/√d_head here (the paper's equation; its code scales). R is built for every
    pair, the readable version of the paper's "relative shift" trick.

    >>> x, w, r = torch.ones(3, 2), torch.eye(2), -relative_distances(3, 3)
    >>> terms = transformer_xl_terms(x, x, r, w, w, w, torch.zeros(2), torch.ones(2))
    >>> sorted(terms), terms["a"].shape
    (['a', 'b', 'c', 'd'], torch.Size([3, 3]))
    """
    _check_transformer_xl_shapes(x_query, x_key, relative, W_kR)
    q = x_query @ W_q.T  # (T_q, d_head)
    k_content = x_key @ W_kE.T  # (T_k, d_head)
    r = sinusoidal_encoding(relative, W_kR.shape[-1], base).to(x_query.dtype)
    k_position = r @ W_kR.T  # (T_q, T_k, d_head): W_kR R_{i−j}
    terms = {
        "a": q @ k_content.transpose(-2, -1),
        "b": torch.einsum("...id,ijd->...ij", q, k_position),
        "c": (k_content @ u)[..., None, :],  # (1, T_k): the same for every query
        "d": k_position @ v,  # (T_q, T_k)
    }
    shape = torch.broadcast_shapes(*(term.shape for term in terms.values()))
    return {name: term.expand(shape) for name, term in terms.items()}
