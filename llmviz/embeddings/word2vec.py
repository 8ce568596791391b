"""word2vec's two output layers as losses with closed-form gradients.

Both output layers are sums of binary logistic losses on dot products with a hidden
vector ``h`` (the centre word's input vector in skip-gram, the mean of the context's
input vectors in CBOW). A target ``w`` with label ``y`` (1: "this is the word", 0:
"this is noise" or "go right") costs ``−log σ(s·w·h)`` with ``s = 2y − 1``, and

    ∂L/∂h = Σ (σ(w·h) − y) w        ∂L/∂w = (σ(w·h) − y) h

which is what word2vec.c computes as ``g = (label − f)·alpha``
{footcite}`mikolov2013distributed`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import checking
from llmviz._tensor_checks import check_dim, check_same, check_tensor

MAX_ROWS = 1 << 24  # pairs in one batch, far above what fits in memory anyway


def _rows(name: str, tensor: Tensor, ranks: tuple[int, ...]) -> Tensor:
    check_tensor(name, tensor, ranks)
    if tensor.shape[0] > MAX_ROWS:
        raise ValueError(
            f"{name} must have at most {MAX_ROWS} rows, got {tensor.shape[0]}"
        )
    return tensor


def _check_ns(v_c: Tensor, u_o: Tensor, u_neg: Tensor) -> None:
    _rows("v_c", v_c, (2,))
    check_tensor("u_o", u_o, (2,))
    check_same("u_o", u_o, "v_c", v_c)
    check_tensor("u_neg", u_neg, (3,), nonempty=False)
    check_dim("u_neg", u_neg, 0, v_c.shape[0], "one row of negatives per pair")
    check_dim("u_neg", u_neg, 2, v_c.shape[1], "the vector size of v_c")


def _logistic(
    h: Tensor, w: Tensor, labels: Tensor, weight: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Loss (B,), ∂L/∂h (B, d) and ∂L/∂w (B, L, d) of Σ_j −log σ((2y_j − 1) w_j·h),
    the terms where ``weight`` (B, L) is False left out."""
    scores = torch.einsum("bld,bd->bl", w, h)  # (B, L)
    terms = -torch.nn.functional.logsigmoid((2 * labels - 1) * scores)
    err = torch.sigmoid(scores) - labels  # (B, L): σ(w·h) − y
    if weight is not None:
        terms, err = terms * weight, err * weight
    return (
        terms.sum(-1),
        torch.einsum("bl,bld->bd", err, w),
        err[..., None] * h[:, None],
    )


def _ns_targets(u_o: Tensor, u_neg: Tensor) -> tuple[Tensor, Tensor]:
    w = torch.cat([u_o[:, None], u_neg], dim=1)  # (B, 1 + k, d)
    labels = torch.zeros(w.shape[:2], dtype=w.dtype)
    labels[:, 0] = 1
    return w, labels


def sgns_loss(v_c: Tensor, u_o: Tensor, u_neg: Tensor) -> Tensor:
    """Skip-gram negative-sampling loss per pair {footcite}`mikolov2013distributed`:

        L = −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c)

    ``v_c`` (B, d) centre (input) vectors, ``u_o`` (B, d) the true context word's
    output vectors, ``u_neg`` (B, k, d) the k noise words' output vectors.

    >>> v = torch.zeros(1, 2)
    >>> round(float(sgns_loss(v, v, torch.zeros(1, 3, 2))[0]), 4)  # 4 · log 2
    2.7726
    """
    if checking():
        _check_ns(v_c, u_o, u_neg)
    return _logistic(v_c, *_ns_targets(u_o, u_neg))[0]


def sgns_grads(
    v_c: Tensor, u_o: Tensor, u_neg: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """The gradients of ``sgns_loss`` in closed form, per pair:

        ∂L/∂v_c = (σ(u_o·v_c) − 1) u_o + Σ_k σ(u_k·v_c) u_k
        ∂L/∂u_o = (σ(u_o·v_c) − 1) v_c      ∂L/∂u_k = σ(u_k·v_c) v_c

    >>> v, u = torch.ones(1, 2), torch.zeros(1, 2)
    >>> g_v, g_o, g_k = sgns_grads(v, u, torch.zeros(1, 1, 2))
    >>> g_o.tolist(), g_k.tolist()
    ([[-0.5, -0.5]], [[[0.5, 0.5]]])
    """
    if checking():
        _check_ns(v_c, u_o, u_neg)
    _, g_h, g_w = _logistic(v_c, *_ns_targets(u_o, u_neg))
    return g_h, g_w[:, 0], g_w[:, 1:]


def _check_hs(h: Tensor, nodes: Tensor, codes: Tensor, mask: Tensor | None) -> None:
    _rows("h", h, (2,))
    check_tensor("nodes", nodes, (3,))
    check_dim("nodes", nodes, 0, h.shape[0], "one path per row of h")
    check_dim("nodes", nodes, 2, h.shape[1], "the vector size of h")
    check_tensor("codes", codes, (2,), floating=False)
    if codes.shape != nodes.shape[:2]:
        raise ValueError(
            f"codes must have shape {tuple(nodes.shape[:2])}, got {tuple(codes.shape)}"
        )
    if bool(((codes != 0) & (codes != 1)).any()):
        raise ValueError("codes must hold only 0 and 1 (the Huffman bits)")
    if mask is not None:
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
            raise TypeError(
                f"mask must be a bool tensor or None, got {type(mask).__name__}"
            )
        if mask.shape != codes.shape:
            raise ValueError(
                f"mask must have shape {tuple(codes.shape)}, got {tuple(mask.shape)}"
            )


def _hs(h: Tensor, nodes: Tensor, codes: Tensor, mask: Tensor | None):
    labels = (1 - codes).to(h.dtype)  # word2vec.c: g = (1 − code − f)·alpha
    return _logistic(h, nodes, labels, mask)


def hs_loss(
    h: Tensor, nodes: Tensor, codes: Tensor, mask: Tensor | None = None
) -> Tensor:
    """Hierarchical-softmax loss along each word's Huffman path
    {footcite}`morin2005hierarchical`:

        L = −Σ_j log σ((1 − 2 c_j) n_j·h)

    ``h`` (B, d) hidden vectors, ``nodes`` (B, L, d) the output vectors of the inner
    nodes on the path (root first: gensim's ``point``), ``codes`` (B, L) the bits
    (gensim's ``code``: bit 0 means σ(n·h) → 1), ``mask`` (B, L) False on padding.

    >>> codes = torch.zeros(1, 3, dtype=torch.long)
    >>> round(float(hs_loss(torch.zeros(1, 2), torch.ones(1, 3, 2), codes)[0]), 4)
    2.0794
    """
    if checking():
        _check_hs(h, nodes, codes, mask)
    return _hs(h, nodes, codes, mask)[0]


def hs_grads(
    h: Tensor, nodes: Tensor, codes: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The gradients of ``hs_loss`` in closed form (zero on padded steps):

        ∂L/∂h = Σ_j (σ(n_j·h) − 1 + c_j) n_j      ∂L/∂n_j = (σ(n_j·h) − 1 + c_j) h

    >>> codes = torch.ones(1, 1, dtype=torch.long)
    >>> g_h, g_n = hs_grads(torch.ones(1, 2), torch.zeros(1, 1, 2), codes)
    >>> g_n.tolist()
    [[[0.5, 0.5]]]
    """
    if checking():
        _check_hs(h, nodes, codes, mask)
    return _hs(h, nodes, codes, mask)[1:]


def _check_context(context: Tensor, mask: Tensor) -> None:
    _rows("context", context, (3,))
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor, got {type(mask).__name__}")
    if mask.shape != context.shape[:2]:
        raise ValueError(
            f"mask must have shape {tuple(context.shape[:2])}, got {tuple(mask.shape)}"
        )
    if not bool(mask.any(-1).all()):
        raise ValueError("mask must keep at least one context word in every row")


def cbow_hidden(context: Tensor, mask: Tensor) -> Tensor:
    """CBOW's hidden vector, the mean of the context's input vectors (gensim's
    ``cbow_mean=1``) {footcite}`mikolov2013efficient`: h = (1/C) Σ_{j: mask} v_j.

    ``context`` (B, C, d), ``mask`` (B, C) True where a context word is present.

    >>> mask = torch.tensor([[True, True, False]])
    >>> cbow_hidden(torch.tensor([[[1.0], [3.0], [9.0]]]), mask).tolist()
    [[2.0]]
    """
    if checking():
        _check_context(context, mask)
    count = mask.sum(-1, keepdim=True).to(context.dtype)  # (B, 1)
    return torch.einsum("bcd,bc->bd", context, mask.to(context.dtype)) / count


def cbow_context_grads(grad_h: Tensor, mask: Tensor) -> Tensor:
    """The gradient reaching each context vector through the mean:
    ∂L/∂v_j = (1/C) ∂L/∂h for present words, 0 for padding. (word2vec.c and gensim
    add the whole ∂L/∂h to every context word instead, a step C times larger.)

    >>> mask = torch.tensor([[True, True, False]])
    >>> cbow_context_grads(torch.tensor([[4.0]]), mask).tolist()
    [[[2.0], [2.0], [0.0]]]
    """
    if checking():
        _rows("grad_h", grad_h, (2,))
        if not isinstance(mask, Tensor) or mask.dim() != 2:
            raise TypeError(
                f"mask must be a 2-D bool tensor, got {type(mask).__name__}"
            )
        _check_context(grad_h[:, None].expand(-1, mask.shape[1], -1), mask)
    weights = mask.to(grad_h.dtype) / mask.sum(-1, keepdim=True)  # (B, C)
    return weights[..., None] * grad_h[:, None]
