"""Linear attention: a kernel φ(q)·φ(k) in place of exp(q·k/√d), so that the product
can be reassociated [katharopoulos2020transformers]:

    out_i = φ(q_i)ᵀ (Σ_j φ(k_j) v_jᵀ) / φ(q_i)ᵀ (Σ_j φ(k_j))

The sums over keys are computed once (non-causal), as prefix sums (causal: the state
S_i = S_{i−1} + φ(k_i) v_iᵀ of an RNN), or per chunk (causal, chunked: a masked
quadratic form inside each chunk plus the state carried from the chunks before).
``linear_attention_weights`` is the quadratic form that all three equal: the n × n
matrix φ(Q)φ(K)ᵀ, masked and normalised by its row sums.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_bool
from llmviz.long_context._validate import (
    check_dense,
    check_qk,
    check_qkv,
    check_self_attention,
    check_size,
)
from llmviz.long_context.features import apply_feature_map, resolve_feature_map


def _features(query: Tensor, key: Tensor, feature_map: Any) -> tuple[Tensor, Tensor]:
    phi, custom = resolve_feature_map(feature_map, query.shape[-1])
    if not custom:
        return phi(query), phi(key)
    return apply_feature_map(phi, query, "query"), apply_feature_map(phi, key, "key")


def _normalise(numerator: Tensor, denominator: Tensor) -> Tensor:
    """numerator / denominator per row; a row whose similarities are all 0 (so is its
    numerator, since φ ≥ 0) gives zeros, as SDPA does for a row with no key."""
    safe = denominator.masked_fill(denominator == 0, 1).unsqueeze(-1)
    return numerator / safe


def linear_attention_weights(
    query: Tensor, key: Tensor, causal: bool = False, feature_map: Any = "elu"
) -> Tensor:
    """The quadratic form: A = φ(Q)φ(K)ᵀ ⊙ M, each row divided by its sum, where M is
    all ones or (``causal``) lower-triangular. Shape (..., q_len, kv_len).

    >>> q, k = torch.zeros(2, 3), torch.zeros(2, 3)
    >>> linear_attention_weights(q, k, causal=True).tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    batch = check_qk(query, key)
    causal = check_bool("causal", causal)
    if causal:
        check_self_attention(query, key, "causal attention")
    check_dense("the weights", batch, q_len=query.shape[-2], kv_len=key.shape[-2])
    phi_q, phi_k = _features(query, key, feature_map)
    sim = phi_q @ phi_k.transpose(-2, -1)  # (..., q_len, kv_len)
    if causal:
        sim = sim.tril()
    return _normalise(sim, sim.sum(-1))


def linear_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    causal: bool = False,
    feature_map: Any = "elu",
) -> Tensor:
    """Linear attention in O(n·f·d_v): the kernel form, or if causal the prefix sums.

    Non-causal: φ(Q)(φ(K)ᵀV) / φ(Q)(φ(K)ᵀ1). Causal: S_i = Σ_{j≤i} φ(k_j)v_jᵀ and
    z_i = Σ_{j≤i} φ(k_j) as cumulative sums, out_i = φ(q_i)ᵀS_i / φ(q_i)ᵀz_i.
    ``feature_map``: "elu", "polynomial", "rbf" (see ``FEATURE_MAPS``) or a callable.

    >>> q = k = torch.zeros(3, 2)
    >>> v = torch.tensor([[3.0], [0.0], [6.0]])
    >>> linear_attention(q, k, v, causal=True).tolist()
    [[3.0], [1.5], [3.0]]
    """
    batch = check_qkv(query, key, value)
    causal = check_bool("causal", causal)
    if causal:
        check_self_attention(query, key, "causal attention")
    phi_q, phi_k = _features(query, key, feature_map)
    if not causal:
        state = phi_k.transpose(-2, -1) @ value  # (..., f, d_v)
        denominator = (phi_q @ phi_k.sum(-2).unsqueeze(-1))[..., 0]  # (..., q_len)
        return _normalise(phi_q @ state, denominator)
    width = phi_k.shape[-1] * value.shape[-1]
    check_dense("the states", batch, seq_len=key.shape[-2], f_times_d_v=width)
    outer = phi_k.unsqueeze(-1) * value.unsqueeze(-2)  # (..., T, f, d_v)
    states = outer.cumsum(-3)  # S_i, (..., T, f, d_v)
    norms = phi_k.cumsum(-2)  # z_i, (..., T, f)
    numerator = (phi_q.unsqueeze(-2) @ states).squeeze(-2)  # (..., T, d_v)
    return _normalise(numerator, (phi_q * norms).sum(-1))


def chunked_linear_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    chunk_size: int = 64,
    feature_map: Any = "elu",
) -> Tensor:
    """Causal linear attention by chunks of ``chunk_size`` tokens.

    Inside a chunk: the masked quadratic form (φ(Q_c)φ(K_c)ᵀ ⊙ tril) V_c. From the
    chunks before: φ(Q_c) S_{<c}, where S_{<c} = Σ_{c′<c} φ(K_c′)ᵀV_c′ is an exclusive
    prefix sum over chunks. Matrix products instead of a token-by-token recurrence; a
    last partial chunk is padded with zero features. Chunk size 1 is the RNN, a chunk
    as long as the sequence the quadratic form.

    >>> q = k = torch.zeros(3, 2)
    >>> v = torch.tensor([[3.0], [0.0], [6.0]])
    >>> chunked_linear_attention(q, k, v, chunk_size=2).tolist()
    [[3.0], [1.5], [3.0]]
    """
    batch = check_qkv(query, key, value)
    seq_len = check_self_attention(query, key, "causal attention")
    chunk_size = min(check_size("chunk_size", chunk_size), seq_len)
    check_dense("the chunks' scores", batch, seq_len=seq_len, chunk_size=chunk_size)
    phi_q, phi_k = _features(query, key, feature_map)
    num_chunks = -(-seq_len // chunk_size)
    pad = num_chunks * chunk_size - seq_len
    # a column of ones after V: each product below then carries the denominator too,
    # φ(q)·Σφ(k) beside φ(q)·Σφ(k)vᵀ, in its last column
    ones = torch.ones(*value.shape[:-1], 1, dtype=value.dtype)

    def chunks(x: Tensor) -> Tensor:  # (..., T, e) -> (batch·N, C, e), for bmm
        x = x.expand(*batch, *x.shape[-2:])
        x = F.pad(x, (0, 0, 0, pad)) if pad else x
        return x.reshape(-1, chunk_size, x.shape[-1])

    q_c, k_c, v_c = chunks(phi_q), chunks(phi_k), chunks(torch.cat([value, ones], -1))
    future = torch.ones(chunk_size, chunk_size, dtype=torch.bool).triu(1)
    inside = torch.bmm(q_c, k_c.transpose(1, 2)).masked_fill_(future, 0)  # (·, C, C)
    states = torch.bmm(k_c.transpose(1, 2), v_c)  # each chunk's S_c, z_c: (·, f, d_v+1)
    # S_{<c} and z_{<c}: the sum over the chunks before, as a product with strictly
    # lower-triangular ones (torch's cumsum over the chunks: 1.3-5x slower)
    earlier = torch.ones(num_chunks, num_chunks, dtype=states.dtype).tril_(-1)
    before = earlier @ states.reshape(-1, num_chunks, states[0].numel())
    # numerator and denominator: within the chunk, plus from the chunks before
    both = torch.baddbmm(torch.bmm(q_c, before.view_as(states)), inside, v_c)
    out = _normalise(both[..., :-1], both[..., -1])  # (batch·N, C, d_v)
    return out.reshape(*batch, num_chunks * chunk_size, -1)[..., :seq_len, :]


def softmax_linear_attention(query: Tensor, key: Tensor, value: Tensor) -> Tensor:
    """The notes' form softmax₂(Q) softmax₁(K)ᵀ V, non-causal [shen2021efficient].

    Each query's features are a softmax over its d dimensions and each key feature a
    softmax over the n positions, so every row of softmax₂(Q)softmax₁(K)ᵀ sums to 1
    with no division. The softmax over positions mixes every key into every feature,
    so this form has no causal version. (The notes' code then multiplies Q by d^−½,
    after which the rows sum to d^−½, not 1.)

    >>> v = torch.tensor([[1.0], [3.0]])
    >>> softmax_linear_attention(torch.zeros(2, 4), torch.zeros(2, 4), v).tolist()
    [[2.0], [2.0]]
    """
    check_qkv(query, key, value)
    features = query.softmax(-1)  # softmax₂: over d, (..., q_len, d)
    mixing = key.softmax(-2)  # softmax₁: over positions, (..., kv_len, d)
    return features @ (mixing.transpose(-2, -1) @ value)  # (..., q_len, d_v)
