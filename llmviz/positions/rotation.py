"""RoPE's two layouts: rotating queries and keys by given cos and sin.

Hugging Face's Llama pairs dimension i with i + d/2 (the ``rotate_half`` layout);
RoFormer, Meta's Llama and DeepSeek pair 2i with 2i + 1 (the interleaved layout, often
written with complex numbers). The two are the same rotation after permuting the
dimensions (``deinterleave``), which is why converted checkpoints permute the rows of
W_q and W_k. ``rope.rope_cos_sin`` computes the cos and sin.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int, checking
from llmviz._tensor_checks import check_same, check_tensor
from llmviz.positions._checks import check_pairs, check_rank_of


def _rotate_half(x: Tensor) -> Tensor:
    first, second = x.chunk(2, dim=-1)
    return torch.cat([-second, first], dim=-1)


def _deinterleave(x: Tensor) -> Tensor:
    return torch.cat([x[..., 0::2], x[..., 1::2]], dim=-1)


def _rotate_one(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x·cos + rotate_half(x)·sin, half by half, without building rotate_half(x):
    the first half gains −x₂·sin, the second +x₁·sin. Bit-identical to the formula
    (a − b is a + (−b) in floating point), with a third less memory traffic."""
    half = x.shape[-1] // 2
    out = x * cos
    out[..., :half] -= x[..., half:] * sin[..., :half]
    out[..., half:] += x[..., :half] * sin[..., half:]
    return out


def _rotate(q: Tensor, k: Tensor, cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor]:
    return _rotate_one(q, cos, sin), _rotate_one(k, cos, sin)


def rotate_half(x: Tensor) -> Tensor:
    """(x1, x2) → (−x2, x1) on the two halves of the last dimension, which is even.

    >>> rotate_half(torch.tensor([1.0, 2.0, 3.0, 4.0])).tolist()
    [-3.0, -4.0, 1.0, 2.0]
    """
    return _rotate_half(check_pairs("x", x))


def _check_rotary(
    q: Tensor, k: Tensor, cos: Tensor, sin: Tensor, unsqueeze_dim: int
) -> Tensor:
    """Errors naming the argument unless cos and sin, unsqueezed at ``unsqueeze_dim``,
    broadcast over q and k, all of one even width. Returns cos unsqueezed."""
    # q and k are not scanned for NaN: a full pass over each would double the cost of
    # RoPE in every layer (benchmarks/bench_positions.py), and NaN comes out as NaN
    check_tensor("q", q, ranks=(3, 4), finite=False)
    check_rank_of("k", k, "q", q, finite=False)
    check_tensor("cos", cos, ranks=(q.dim() - 1,))  # finite: one sum, for a small table
    check_tensor("sin", sin, ranks=(q.dim() - 1,))
    check_same("sin", sin, "cos", cos)
    rank = q.dim()
    unsqueeze_dim = check_int(
        "unsqueeze_dim", unsqueeze_dim, minimum=-rank, maximum=rank - 1
    )
    width, expanded = cos.shape[-1], cos.unsqueeze(unsqueeze_dim)
    if width % 2:
        raise ValueError(
            f"cos and sin must have an even last dimension (pairs of dimensions), "
            f"got shape {tuple(cos.shape)}"
        )
    for name, x in (("q", q), ("k", k)):
        if x.shape[-1] != width:
            raise ValueError(
                f"{name} of shape {tuple(x.shape)} must have the last dimension of cos "
                f"and sin, {tuple(cos.shape)} (head_dim = {width})"
            )
        pairs = zip(x.shape, expanded.shape, strict=True)  # ranks are equal here
        if not all(size == other or other == 1 for size, other in pairs):
            raise ValueError(
                f"cos and sin of shape {tuple(cos.shape)}, unsqueezed at unsqueeze_dim="
                f"{unsqueeze_dim}, must broadcast over {name}, got {name} of shape "
                f"{tuple(x.shape)}"
            )
    return expanded


def apply_rotary_pos_emb(
    q: Tensor, k: Tensor, cos: Tensor, sin: Tensor, unsqueeze_dim: int = 1
) -> tuple[Tensor, Tensor]:
    """Rotate q and k (B, H, T, D) by cos, sin (B, T, D): x·cos + rotate_half(x)·sin.

    ``unsqueeze_dim`` is the heads dimension that cos and sin are broadcast over; k may
    have fewer heads than q (before GQA repeats them). Rank 3, (H, T, D) with cos and
    sin (T, D), works too. Shapes, dtypes and a finite cos and sin are checked; q and
    k are not scanned for NaN, which would cost as much as the rotation.

    >>> q = torch.tensor([[[[1.0, 0.0]]]])  # (B, H, T, D) = (1, 1, 1, 2)
    >>> cos, sin = torch.zeros(1, 1, 2), torch.ones(1, 1, 2)  # a quarter turn
    >>> apply_rotary_pos_emb(q, q, cos, sin)[0].flatten().tolist()
    [0.0, 1.0]
    """
    if checking():  # skipped inside TinyGPT, which checked its own input
        cos = _check_rotary(q, k, cos, sin, unsqueeze_dim)
    else:
        cos = cos.unsqueeze(unsqueeze_dim)
    return _rotate(q, k, cos, sin.unsqueeze(unsqueeze_dim))


def deinterleave(x: Tensor) -> Tensor:
    """Pairs (x0, x1), (x2, x3), … → (x0, x2, …, x1, x3, …): the rotate_half layout.

    >>> deinterleave(torch.tensor([0.0, 1.0, 2.0, 3.0])).tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    return _deinterleave(check_pairs("x", x))


def interleave(x: Tensor) -> Tensor:
    """The inverse of ``deinterleave``: (x0, x2, …, x1, x3, …) → (x0, x1, x2, x3, …).

    >>> interleave(torch.tensor([0.0, 2.0, 1.0, 3.0])).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    first, second = check_pairs("x", x).chunk(2, dim=-1)  # (..., D/2) each
    return torch.stack([first, second], dim=-1).flatten(-2)  # (..., D)


def apply_interleaved_rotary_pos_emb(
    q: Tensor, k: Tensor, cos: Tensor, sin: Tensor
) -> tuple[Tensor, Tensor]:
    """RoPE on interleaved pairs, as DeepSeek-V3: de-interleave, then rotate_half RoPE.

    The outputs stay de-interleaved; q·k is unchanged, as both are permuted alike.
    Shapes as in ``apply_rotary_pos_emb``.

    >>> x = torch.tensor([[[[1.0, 0.0, 0.0, 1.0]]]])  # pairs (1, 0) and (0, 1)
    >>> cos, sin = torch.zeros(1, 1, 4), torch.ones(1, 1, 4)  # a quarter turn
    >>> interleave(apply_interleaved_rotary_pos_emb(x, x, cos, sin)[0]).flatten()
    tensor([ 0.,  1., -1.,  0.])
    """
    cos = _check_rotary(q, k, cos, sin, 1)
    return _rotate(_deinterleave(q), _deinterleave(k), cos, sin.unsqueeze(1))
