"""Relative positions on the value side and in both directions: Shaw et al.'s value term
[shaw2018relative] and DeBERTa's disentangled attention [he2021deberta].

Shaw et al. add a learned a^V_{clip(j−i)} to every value as well as a^K to every key, so
the output of query i also learns from how far back each key is. DeBERTa keeps content
and relative position as two vectors and scores content→content, content→position and
position→content. Queries and keys share the positions 0 … T − 1 here (self-attention).
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int
from llmviz._tensor_checks import check_tensor
from llmviz.positions._checks import MAX_LENGTH
from llmviz.positions.relative import relative_positions


def _check_table(name: str, table: Tensor, rows: int, width: int, what: str) -> None:
    check_tensor(name, table, ranks=(2,))
    if table.shape != (rows, width):
        raise ValueError(
            f"{name} must be ({what}, d) = {(rows, width)}, got {tuple(table.shape)}"
        )


def shaw_values(
    weights: Tensor, v: Tensor, relative_values: Tensor, max_relative_position: int
) -> Tensor:
    """Shaw et al.'s output z_i = Σ_j α_ij (v_j + a^V_{clip(j−i, −k, k)}), (..., T, d).

    weights α (..., T, T), each row summing to 1 as softmax gives it; v (..., T, d);
    relative_values a^V (2k + 1, d), k = ``max_relative_position`` [shaw2018relative].
    The second term is a weighted mean of distance vectors: it says how far back the
    attended tokens are, whatever they hold.

    >>> shaw_values(torch.eye(2), torch.zeros(2, 1), torch.tensor([[-1.], [0.], [1.]]),
    ...             1).tolist()  # each query attends to itself: a^V_0
    [[0.0], [0.0]]
    """
    check_tensor("weights", weights, ranks=(2, 3, 4))
    check_tensor("v", v, ranks=(2, 3, 4))
    if v.dim() != weights.dim():
        raise ValueError(
            f"v must have as many dimensions as weights, {weights.dim()}, got shape "
            f"{tuple(v.shape)}"
        )
    length = weights.shape[-1]
    if weights.shape[-2] != length or v.shape[:-1] != weights.shape[:-1]:
        raise ValueError(
            f"weights must be (..., T, T) and v (..., T, d) with the same T and "
            f"leading dimensions, got weights {tuple(weights.shape)} and v "
            f"{tuple(v.shape)}"
        )
    k = check_int("max_relative_position", max_relative_position, 0, MAX_LENGTH)
    _check_table(
        "relative_values",
        relative_values,
        2 * k + 1,
        v.shape[-1],
        "2·max_relative_position + 1",
    )
    index = relative_positions(length, length, k)  # (T, T): rows of the table
    content = weights @ v  # (..., T, d)
    distance = torch.einsum("...ij,ijd->...id", weights, relative_values[index])
    return content + distance


def deberta_buckets(length: int, max_relative_position: int) -> Tensor:
    """δ(i, j) = clamp(i − j + k, 0, 2k − 1), (T, T): DeBERTa's row of the distance
    table for query i and key j [he2021deberta].

    >>> deberta_buckets(3, 1).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    length = check_int("length", length, minimum=1, maximum=4096)
    k = check_int("max_relative_position", max_relative_position, 1, MAX_LENGTH)
    position = torch.arange(length)
    return (position[:, None] - position[None, :] + k).clamp(0, 2 * k - 1)


def deberta_terms(
    q: Tensor,
    k: Tensor,
    relative_queries: Tensor,
    relative_keys: Tensor,
    max_relative_position: int,
    p2c_as_code: bool = False,
) -> dict[str, Tensor]:
    """DeBERTa's three scores, each (..., T, T) [he2021deberta]:

    c2c = Q^c_i·K^c_j, c2p = Q^c_i·K^r_{δ(i,j)}, p2c = K^c_j·Q^r_{δ(j,i)};
    attention is softmax((c2c + c2p + p2c)/√(3d)).

    q and k (..., T, d): the content projections. relative_queries Q^r and
    relative_keys K^r (2k, d): the shared distance embeddings P projected by W_{q,r}
    and W_{k,r}. Content→position asks "is a key at this distance what I look for";
    position→content asks "is a query at this distance one I answer".
    ``p2c_as_code``: read Q^r at δ(i, j) instead, as Microsoft's and Hugging Face's
    code do (the paper's equation 4 says δ(j, i)).

    >>> terms = deberta_terms(torch.ones(3, 2), torch.ones(3, 2), torch.zeros(2, 2),
    ...                       torch.zeros(2, 2), 1)
    >>> sorted(terms), terms["c2c"][0].tolist()
    (['c2c', 'c2p', 'p2c'], [2.0, 2.0, 2.0])
    """
    check_tensor("q", q, ranks=(2, 3, 4))
    check_tensor("k", k, ranks=(2, 3, 4))
    if k.shape != q.shape:
        raise ValueError(
            f"k must have the shape of q, {tuple(q.shape)} (self-attention), got "
            f"{tuple(k.shape)}"
        )
    span = check_int("max_relative_position", max_relative_position, 1, MAX_LENGTH)
    width = q.shape[-1]
    _check_table(
        "relative_queries", relative_queries, 2 * span, width, "2·max_relative_position"
    )
    _check_table(
        "relative_keys", relative_keys, 2 * span, width, "2·max_relative_position"
    )
    delta = deberta_buckets(q.shape[-2], span)  # (T, T): δ(i, j)
    c2p = torch.einsum("...id,ijd->...ij", q, relative_keys[delta])
    rows = delta if check_bool("p2c_as_code", p2c_as_code) else delta.T  # δ(j, i)
    p2c = torch.einsum("...jd,ijd->...ij", k, relative_queries[rows])
    return {"c2c": q @ k.transpose(-2, -1), "c2p": c2p, "p2c": p2c}
