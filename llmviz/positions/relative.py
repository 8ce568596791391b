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

from llmviz._checks import check_int, check_positive_number
from llmviz._tensor_checks import check_tensor
from llmviz.positions._checks import (
    MAX_LENGTH,
    check_elements,
    check_even,
    check_positions,
    check_rank_of,
)
from llmviz.positions.sinusoidal import sinusoidal_encoding


def relative_distances(q_len: int, kv_len: int) -> Tensor:
    """j − i (q_len, kv_len), key position minus query position, queries bottom-right.

    >>> relative_distances(2, 3).tolist()
    [[-1, 0, 1], [-2, -1, 0]]
    """
    q_len = check_int("q_len", q_len, minimum=1, maximum=MAX_LENGTH)
    kv_len = check_int("kv_len", kv_len, minimum=1, maximum=MAX_LENGTH)
    if q_len > kv_len:
        raise ValueError(
            f"q_len must be <= kv_len={kv_len} (queries are the last q_len positions)"
            f", got {q_len}"
        )
    check_elements("q_len or kv_len", q_len * kv_len, f"({q_len}, {kv_len})")
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


def _check_shaw(
    q: Tensor, k: Tensor, relative_keys: Tensor, max_relative_position: int
) -> None:
    """q (..., T_q, d) and k (..., T_k, d) with the same leading dimensions and
    T_q <= T_k; relative_keys (2·max_relative_position + 1, d)."""
    check_tensor("q", q, ranks=(2, 3, 4))
    check_rank_of("k", k, "q", q)
    check_tensor("relative_keys", relative_keys, ranks=(2,))
    if k.shape[:-2] != q.shape[:-2] or k.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"k must be (..., T_k, d) with the leading dimensions and d of q, "
            f"{tuple(q.shape)}, got {tuple(k.shape)}"
        )
    if q.shape[-2] > k.shape[-2]:
        raise ValueError(
            f"q must have at most as many positions as k (queries are the last "
            f"T_q keys), got q {tuple(q.shape)} and k {tuple(k.shape)}"
        )
    max_k = check_int("max_relative_position", max_relative_position, minimum=0)
    if relative_keys.shape != (2 * max_k + 1, q.shape[-1]):
        raise ValueError(
            f"relative_keys must be (2·max_relative_position + 1, d) = "
            f"{(2 * max_k + 1, q.shape[-1])}, got {tuple(relative_keys.shape)}"
        )


def shaw_scores(
    q: Tensor, k: Tensor, relative_keys: Tensor, max_relative_position: int
) -> Tensor:
    """Scores e_ij = q_i · (k_j + a^K_{clip(j−i, −k, k)}) / √d, (..., T_q, T_k).

    q (..., T_q, d), k (..., T_k, d) with T_q <= T_k, relative_keys (2k+1, d): the
    learned a^K, one per clipped distance [shaw2018relative]. (Shaw et al. also add
    a^V to the values; that part is left out here.)

    >>> shaw_scores(torch.ones(2, 4), torch.ones(3, 4), torch.zeros(3, 4), 1).shape
    torch.Size([2, 3])
    """
    _check_shaw(q, k, relative_keys, max_relative_position)  # shapes must agree
    index = relative_positions(q.shape[-2], k.shape[-2], max_relative_position)
    a_key = relative_keys[index]  # (T_q, T_k, d): a^K for each pair
    content = q @ k.transpose(-2, -1)  # (..., T_q, T_k)
    position = torch.einsum("...id,ijd->...ij", q, a_key)  # (..., T_q, T_k)
    return (content + position) / math.sqrt(q.shape[-1])


def _check_transformer_xl(
    x_query: Tensor,
    x_key: Tensor,
    relative: Tensor,
    weights: dict[str, Tensor],
    u: Tensor,
    v: Tensor,
) -> None:
    """``ValueError``/``TypeError`` naming the argument unless the shapes agree."""
    check_tensor("x_query", x_query, ranks=(2,))
    check_tensor("x_key", x_key, ranks=(2,))
    d_model, (t_q, t_k) = x_query.shape[-1], (x_query.shape[0], x_key.shape[0])
    if x_key.shape[-1] != d_model:
        raise ValueError(
            f"x_key must have the width d_model of x_query, {d_model}, "
            f"got shape {tuple(x_key.shape)}"
        )
    check_positions("relative", relative, ranks=(2,))
    if relative.shape != (t_q, t_k):
        raise ValueError(
            f"relative must be (T_q, T_k) = {(t_q, t_k)}, the lengths of x_query and "
            f"x_key, got {tuple(relative.shape)}"
        )
    for name, weight in weights.items():
        check_tensor(name, weight, ranks=(2,))
    d_head = weights["W_q"].shape[0]
    for name, width in (("W_q", d_model), ("W_kE", d_model), ("W_kR", None)):
        shape, rows = tuple(weights[name].shape), weights[name].shape[0]
        if rows != d_head or (width is not None and shape[1] != width):
            raise ValueError(
                f"{name} must be (d_head, {'d_model' if width else 'd_R'}) = "
                f"({d_head}, {width or 'd_R'}), d_head from W_q and d_model from "
                f"x_query, got {shape}"
            )
    check_even("W_kR's width d_R", weights["W_kR"].shape[1], what="sin and cos pairs")
    for name, vector in (("u", u), ("v", v)):
        check_tensor(name, vector, ranks=(1,))
        if vector.shape != (d_head,):
            raise ValueError(
                f"{name} must have shape (d_head,) = ({d_head},), d_head from W_q, "
                f"got {tuple(vector.shape)}"
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
    weights = {"W_q": W_q, "W_kE": W_kE, "W_kR": W_kR}
    _check_transformer_xl(x_query, x_key, relative, weights, u, v)
    base = check_positive_number("base", base)
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
