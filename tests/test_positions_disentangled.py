"""Shaw et al.'s value term and DeBERTa's disentangled attention
(llmviz.positions.disentangled): against direct loops over every query and key, and
DeBERTa against Hugging Face's DisentangledSelfAttention (its attention probabilities).
"""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import DebertaConfig
from transformers.models.deberta.modeling_deberta import (
    DisentangledSelfAttention,
    build_relative_position,
)

from llmviz.positions.disentangled import deberta_buckets, deberta_terms, shaw_values


@settings(max_examples=25, deadline=None)
@given(
    length=st.integers(1, 9),
    dim=st.integers(1, 6),
    k=st.integers(0, 5),
    seed=st.integers(0, 2**16),
)
def test_shaw_values_against_a_loop(length, dim, k, seed):
    generator = torch.Generator().manual_seed(seed)
    weights = torch.softmax(torch.randn(2, length, length, generator=generator), -1)
    v = torch.randn(2, length, dim, generator=generator)
    table = torch.randn(2 * k + 1, dim, generator=generator)
    ours = shaw_values(weights, v, table, k)
    expected = torch.zeros_like(ours)
    for b in range(2):
        for i in range(length):
            for j in range(length):
                distance = max(-k, min(k, j - i))
                expected[b, i] += weights[b, i, j] * (v[b, j] + table[distance + k])
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)


def test_shaw_values_without_distances_is_attention():
    weights = torch.softmax(torch.randn(3, 5, 5), -1)
    v = torch.randn(3, 5, 4)
    torch.testing.assert_close(
        shaw_values(weights, v, torch.zeros(7, 4), 3), weights @ v
    )


@settings(max_examples=25, deadline=None)
@given(
    length=st.integers(1, 9),
    dim=st.integers(1, 6),
    k=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_deberta_terms_against_a_loop(length, dim, k, seed):
    generator = torch.Generator().manual_seed(seed)
    q, key = torch.randn(2, length, dim, generator=generator).unbind(0)
    q_r, k_r = torch.randn(2, 2 * k, dim, generator=generator).unbind(0)
    terms = deberta_terms(q, key, q_r, k_r, k)

    def delta(i, j):  # the paper's δ(i, j)
        if i - j <= -k:
            return 0
        if i - j >= k:
            return 2 * k - 1
        return i - j + k

    for i in range(length):
        for j in range(length):
            assert math.isclose(terms["c2c"][i, j], q[i] @ key[j], abs_tol=1e-5)
            assert math.isclose(
                terms["c2p"][i, j], q[i] @ k_r[delta(i, j)], abs_tol=1e-5
            )
            assert math.isclose(
                terms["p2c"][i, j], key[j] @ q_r[delta(j, i)], abs_tol=1e-5
            )
            assert deberta_buckets(length, k)[i, j] == delta(i, j)
    as_code = deberta_terms(q, key, q_r, k_r, k, p2c_as_code=True)["p2c"]
    for i in range(length):
        for j in range(length):
            assert math.isclose(as_code[i, j], key[j] @ q_r[delta(i, j)], abs_tol=1e-5)


def test_deberta_equals_hf_disentangled_attention():
    # HF's code reads the position→content row at δ(i, j), not the paper's δ(j, i)
    torch.manual_seed(0)
    heads, hidden, length, k = 2, 16, 10, 3
    config = DebertaConfig(
        hidden_size=hidden,
        num_attention_heads=heads,
        relative_attention=True,
        pos_att_type=["c2p", "p2c"],
        max_relative_positions=k,
        attention_probs_dropout_prob=0.0,
        hidden_dropout_prob=0.0,
    )
    attention = DisentangledSelfAttention(config).eval()
    with torch.no_grad():
        attention.q_bias.normal_()
        x, table = torch.randn(1, length, hidden), torch.randn(2 * k, hidden)
        _, hf_probs = attention(
            x,
            torch.ones(1, 1, length, length),
            output_attentions=True,
            relative_pos=build_relative_position(x, x),
            rel_embeddings=table,
        )

        def by_head(t):  # (..., T, heads·d) -> (..., heads, T, d)
            return t.view(*t.shape[:-1], heads, -1).transpose(-3, -2)

        q, key, _ = by_head(attention.in_proj(x)).chunk(3, dim=-1)  # HF's layout
        q = q + by_head(attention.q_bias[None])
        q_r = by_head(attention.pos_q_proj(table)[None])[0]  # (heads, 2k, d)
        k_r = by_head(attention.pos_proj(table)[None])[0]
        probs = torch.stack(
            [
                torch.softmax(
                    sum(
                        deberta_terms(
                            q[0, h], key[0, h], q_r[h], k_r[h], k, p2c_as_code=True
                        ).values()
                    )
                    / math.sqrt(3 * hidden // heads),
                    dim=-1,
                )
                for h in range(heads)
            ]
        )
    torch.testing.assert_close(probs[None], hf_probs, atol=1e-6, rtol=1e-5)
