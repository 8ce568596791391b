"""One-hot vectors, the embedding lookup as a matrix product, and cosine similarity.

A vocabulary of V words gives word ``i`` the one-hot vector e_i in R^V: 1 at place i,
0 elsewhere. Any two distinct one-hot vectors are orthogonal, e_i · e_j = 0, so their
cosine similarity is 0 whatever the words: one-hot vectors carry no similarity. An
embedding table W (V, d) maps word i to its row, W[i] = e_iᵀ W, which is what
``torch.nn.Embedding`` returns without forming e_i [mikolov2013efficient].
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor

MAX_VOCAB = 1 << 20  # no tokenizer here comes near a million entries
MAX_ONE_HOT = 1 << 26  # numbers in a one-hot tensor: 256 MB of float32 at most


def _check_ids(ids: Tensor, vocab_size: int, bound: str) -> Tensor:
    """Integer ids of rank 1 or 2, each in [0, vocab_size); ``bound`` names the size."""
    check_tensor("ids", ids, ranks=(1, 2), floating=False)
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= vocab_size:
        raise ValueError(
            f"ids must lie in [0, {vocab_size}) ({bound}), got values from {low} "
            f"to {high}"
        )
    return ids


def one_hot(ids: Tensor, vocab_size: int) -> Tensor:
    """The one-hot vectors of ``ids`` (shape (N,) or (B, T)): e_i, float32, with one
    more dimension of size ``vocab_size``.

    >>> one_hot(torch.tensor([2, 0]), 3)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    vocab_size = check_int("vocab_size", vocab_size, 1, MAX_VOCAB)
    _check_ids(ids, vocab_size, "vocab_size")
    if ids.numel() * vocab_size > MAX_ONE_HOT:
        raise ValueError(
            f"ids.numel() · vocab_size must be at most {MAX_ONE_HOT:,} numbers, got "
            f"{ids.numel()} · {vocab_size}"
        )
    out = torch.zeros(*ids.shape, vocab_size)  # (..., V)
    return out.scatter_(-1, ids.unsqueeze(-1), 1.0)


def lookup_by_matmul(ids: Tensor, weight: Tensor) -> Tensor:
    """The embedding lookup written as the product of one-hot vectors and the table:
    e_iᵀ W = W[i], for a table ``weight`` of shape (V, d) [mikolov2013efficient].

    >>> weight = torch.arange(6.0).view(3, 2)
    >>> lookup_by_matmul(torch.tensor([2, 0]), weight)
    tensor([[4., 5.],
            [0., 1.]])
    """
    check_tensor("weight", weight, ranks=(2,))
    _check_ids(ids, weight.shape[0], "weight.shape[0], the vocabulary size")
    return one_hot(ids, weight.shape[0]).to(weight.dtype) @ weight  # (..., d)


def cosine_matrix(vectors: Tensor) -> Tensor:
    """Cosine similarity of every pair of rows of ``vectors`` (N, d):
    cos(u, v) = u · v / (‖u‖ ‖v‖), an (N, N) matrix with 1 on the diagonal.

    >>> rows = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    >>> cosine_matrix(rows).round(decimals=3)
    tensor([[1.0000, 0.7070, 0.0000],
            [0.7070, 1.0000, 0.7070],
            [0.0000, 0.7070, 1.0000]])
    """
    check_tensor("vectors", vectors, ranks=(2,))
    norms = vectors.norm(dim=-1, keepdim=True)  # (N, 1)
    if bool((norms == 0).any()):
        row = int((norms[:, 0] == 0).nonzero()[0])
        raise ValueError(
            f"vectors must have no zero row (its cosine is undefined), got row {row}"
        )
    unit = vectors / norms  # (N, d)
    return (unit @ unit.T).clamp(-1.0, 1.0)  # (N, N)


def nearest_rows(vectors: Tensor, index: int, k: int = 5) -> tuple[Tensor, Tensor]:
    """The ``k`` rows of ``vectors`` (N, d) most similar to row ``index`` by cosine,
    itself excluded: (their indices, their cosines), most similar first.

    >>> rows = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    >>> ids, cos = nearest_rows(rows, 0, k=2)
    >>> ids.tolist()
    [1, 2]
    """
    check_tensor("vectors", vectors, ranks=(2,))
    count = vectors.shape[0]
    if count < 2:
        raise ValueError(f"vectors must have at least 2 rows, got {count}")
    norms = vectors.norm(dim=-1)  # (N,)
    if bool((norms == 0).any()):
        raise ValueError("vectors must have no zero row (its cosine is undefined)")
    index = check_int("index", index, 0, count - 1)
    k = check_int("k", k, 1, count - 1)
    cos = (vectors @ vectors[index]) / (norms * norms[index])  # (N,)
    cos = cos.clamp(-1.0, 1.0)
    cos[index] = float("-inf")  # never itself
    best = cos.topk(k)
    return best.indices, best.values
