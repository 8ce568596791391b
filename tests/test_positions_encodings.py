"""Chapter 6's position encodings (sinusoidal, Shaw, Transformer-XL, T5, ALiBi) against
Hugging Face transformers where it has them, and against each paper's invariant or an
explicit loop where it does not."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import T5Config
from transformers.models.bloom.modeling_bloom import build_alibi_tensor
from transformers.models.distilbert.modeling_distilbert import (
    create_sinusoidal_embeddings,
)
from transformers.models.t5.modeling_t5 import T5Attention

from llmviz.positions.alibi import alibi_bias, alibi_slopes
from llmviz.positions.relative import (
    relative_distances,
    relative_positions,
    shaw_scores,
    transformer_xl_terms,
)
from llmviz.positions.sinusoidal import (
    position_shift,
    sinusoidal_embeddings,
    sinusoidal_encoding,
)
from llmviz.positions.t5 import t5_bucket_bias, t5_relative_position_bucket

ATOL = 1e-5


# --- sinusoidal ----------------------------------------------------------------------


@pytest.mark.parametrize("num_positions, dim", [(1, 2), (50, 16), (512, 64), (9, 6)])
def test_sinusoidal_equals_distilbert(num_positions, dim):
    expected = create_sinusoidal_embeddings(
        num_positions, dim, torch.empty(num_positions, dim)
    )
    ours = sinusoidal_embeddings(num_positions, dim)
    assert ours.shape == (num_positions, dim) and ours.dtype == torch.float32
    assert (ours - expected).abs().max() < 1e-6


def test_sinusoidal_encoding_of_any_position_follows_the_formula():
    positions = torch.tensor([-7.0, -1.0, 0.0, 2.5, 1000.0])
    ours = sinusoidal_encoding(positions, dim=8, base=100.0)
    for row, p in zip(ours.tolist(), positions.tolist(), strict=True):
        for i in range(4):
            omega = 100.0 ** (-2 * i / 8)
            assert row[2 * i] == pytest.approx(math.sin(p * omega), abs=1e-6)
            assert row[2 * i + 1] == pytest.approx(math.cos(p * omega), abs=1e-6)


@pytest.mark.parametrize("dim, base", [(16, 10000.0), (64, 10000.0), (6, 50.0)])
def test_a_shift_is_one_linear_map_for_every_position(dim, base):
    table = sinusoidal_embeddings(400, dim, base)  # (P, dim)
    for offset in [-37, -1, 0, 1, 5, 64, 199]:
        shift = position_shift(offset, dim, base)  # (dim, dim)
        p = torch.arange(max(0, -offset), min(400, 400 - offset))
        moved = table[p] @ shift.T  # row p: M_k · PE[p]
        assert (moved - table[p + offset]).abs().max() < ATOL


@settings(max_examples=30, deadline=None)
@given(
    a=st.integers(-500, 500),
    b=st.integers(-500, 500),
    half_dim=st.integers(1, 16),
    base=st.floats(2.0, 1e5),
)
def test_shifts_are_rotations_that_compose(a, b, half_dim, base):
    dim = 2 * half_dim
    m_a, m_b = position_shift(a, dim, base), position_shift(b, dim, base)
    assert torch.allclose(m_a @ m_a.T, torch.eye(dim), atol=ATOL)
    assert torch.allclose(m_a @ m_b, position_shift(a + b, dim, base), atol=1e-4)


def test_dot_products_depend_only_on_the_distance():
    dim, base = 32, 10000.0
    table = sinusoidal_embeddings(300, dim, base).double()
    gram = table @ table.T  # (P, P)
    p, q = torch.meshgrid(torch.arange(300), torch.arange(300), indexing="ij")
    omegas = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    # sin(pω)sin(qω) + cos(pω)cos(qω) = cos((p − q)ω), summed over the pairs
    expected = torch.cos((p - q)[..., None] * omegas).sum(-1)
    assert (gram - expected).abs().max() < ATOL
    assert (gram[:-5, :-5] - gram[5:, 5:]).abs().max() < ATOL


# --- Shaw et al. -----------------------------------------------------------------------


def shaw_loop(q, k, relative_keys, max_k):
    """e_ij = q_i · (k_j + a_{clip(j − i)}) / √d, one pair at a time."""
    q_len, kv_len, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = torch.empty(*q.shape[:-2], q_len, kv_len)
    for q_idx in range(q_len):
        i = kv_len - q_len + q_idx
        for j in range(kv_len):
            a = relative_keys[min(max(j - i, -max_k), max_k) + max_k]
            scores[..., q_idx, j] = (q[..., q_idx, :] * (k[..., j, :] + a)).sum(-1)
    return scores / math.sqrt(d)


@pytest.mark.parametrize("q_len, kv_len, max_k", [(7, 7, 2), (3, 9, 3), (5, 5, 0)])
def test_shaw_scores_equal_a_double_loop(q_len, kv_len, max_k):
    torch.manual_seed(0)
    q, k = torch.randn(2, 3, q_len, 8), torch.randn(2, 3, kv_len, 8)
    relative_keys = torch.randn(2 * max_k + 1, 8)
    ours = shaw_scores(q, k, relative_keys, max_k)
    assert (ours - shaw_loop(q, k, relative_keys, max_k)).abs().max() < ATOL
    indices = relative_positions(q_len, kv_len, max_k)
    assert indices.dtype == torch.long and indices.shape == (q_len, kv_len)
    assert 0 <= indices.min() and indices.max() <= 2 * max_k


def test_shaw_scores_stop_changing_beyond_the_clip_distance():
    torch.manual_seed(1)
    max_k, length = 3, 12
    q = torch.randn(length, 16)
    k = torch.randn(16).expand(length, 16)  # the same key everywhere
    scores = shaw_scores(q, k, torch.randn(2 * max_k + 1, 16), max_k)
    distance = relative_distances(length, length)  # j − i
    for i in range(length):
        for side in (distance[i] >= max_k, distance[i] <= -max_k):
            far = scores[i][side]
            if far.numel():
                assert (far - far[0]).abs().max() == 0
        near = scores[i][distance[i].abs() <= max_k]
        assert near.unique().numel() == near.numel()  # inside: all differ


# --- Transformer-XL --------------------------------------------------------------------


def xl_weights(d_model=12, d_head=8, d_r=10, seed=0):
    generator = torch.Generator().manual_seed(seed)
    shapes = [(d_head, d_model), (d_head, d_model), (d_head, d_r), (d_head,), (d_head,)]
    return [torch.randn(shape, generator=generator) for shape in shapes]


def test_transformer_xl_terms_sum_to_the_papers_score():
    memory, segment, d_r = 5, 4, 10
    w_q, w_ke, w_kr, u, v = xl_weights(d_r=d_r)
    x_key = torch.randn(memory + segment, 12)
    x_query = x_key[memory:]
    terms = transformer_xl_terms(
        x_query,
        x_key,
        -relative_distances(segment, memory + segment),
        w_q,
        w_ke,
        w_kr,
        u,
        v,
    )
    total = sum(terms.values())
    for q_idx in range(segment):
        i = memory + q_idx
        for j in range(memory + segment):
            angles = [(i - j) * 10000.0 ** (-2 * n / d_r) for n in range(d_r // 2)]
            pairs = [[math.sin(angle), math.cos(angle)] for angle in angles]
            r = torch.tensor(pairs).flatten()  # R_{i−j}: sin, cos, sin, cos, …
            q = w_q @ x_key[i]
            expected = (q + u) @ (w_ke @ x_key[j]) + (q + v) @ (w_kr @ r)
            assert total[q_idx, j].item() == pytest.approx(expected.item(), abs=1e-4)


def is_toeplitz(matrix):
    return (matrix[1:, 1:] - matrix[:-1, :-1]).abs().max() < ATOL


def test_transformer_xl_position_terms_depend_on_the_distance_only():
    w_q, w_ke, w_kr, u, v = xl_weights(seed=2)
    distances = -relative_distances(6, 10)
    terms = transformer_xl_terms(
        torch.randn(6, 12), torch.randn(10, 12), distances, w_q, w_ke, w_kr, u, v
    )
    assert all(term.shape == (6, 10) for term in terms.values())
    assert is_toeplitz(terms["d"])  # vᵀ W_kR R_{i−j}
    assert not is_toeplitz(terms["a"]) and not is_toeplitz(terms["b"])
    assert (terms["c"] - terms["c"][0]).abs().max() == 0  # uᵀ k_j: same in every row
    same = torch.randn(12).expand(10, 12)  # identical content: b then depends on i − j
    terms = transformer_xl_terms(same[4:], same, distances, w_q, w_ke, w_kr, u, v)
    assert is_toeplitz(terms["b"])


# --- T5 ---------------------------------------------------------------------------------

T5_SETTINGS = [
    (32, 128),
    (16, 64),
    (8, 20),
    (64, 256),
    (6, 10),
    (5, 3),
    (4, 3),
    (33, 70),
]


@pytest.mark.parametrize("num_buckets, max_distance", T5_SETTINGS)
@pytest.mark.parametrize("bidirectional", [True, False])
def test_t5_buckets_equal_hf(num_buckets, max_distance, bidirectional):
    distance = torch.arange(-300, 301)
    expected = T5Attention._relative_position_bucket(
        distance, bidirectional, num_buckets, max_distance
    )
    ours = t5_relative_position_bucket(
        distance, bidirectional, num_buckets, max_distance
    )
    assert ours.dtype == torch.long and torch.equal(ours, expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=30), st.booleans())
def test_t5_buckets_equal_hf_far_away(distances, bidirectional):
    distance = torch.tensor(distances).reshape(-1, 1)
    expected = T5Attention._relative_position_bucket(distance, bidirectional)
    assert torch.equal(t5_relative_position_bucket(distance, bidirectional), expected)


@pytest.mark.parametrize(
    "is_decoder, q_len, kv_len", [(False, 9, 9), (True, 9, 9), (True, 3, 40)]
)
def test_t5_bias_equals_hf_compute_bias(is_decoder, q_len, kv_len):
    torch.manual_seed(0)
    config = T5Config(
        d_model=16,
        d_kv=4,
        num_heads=4,
        is_decoder=is_decoder,
        relative_attention_num_buckets=12,
        relative_attention_max_distance=20,
    )
    attention = T5Attention(config, has_relative_attention_bias=True)
    expected = attention.compute_bias(q_len, kv_len, past_seen_tokens=kv_len - q_len)
    ours = t5_bucket_bias(
        attention.relative_attention_bias.weight.detach(),
        q_len,
        kv_len,
        bidirectional=not is_decoder,
        max_distance=20,
    )
    assert ours.shape == (4, q_len, kv_len) and torch.equal(ours, expected[0].detach())


# --- ALiBi ------------------------------------------------------------------------------


@pytest.mark.parametrize("num_heads", [*range(1, 17), 24, 40, 64, 96])
def test_alibi_slopes_equal_bloom(num_heads):
    hf = build_alibi_tensor(torch.ones(1, 2), num_heads, torch.float32)  # (H, 1, 2)
    ours = alibi_slopes(num_heads)
    assert ours.shape == (num_heads,)
    assert torch.allclose(ours, hf[:, 0, 1], rtol=1e-6, atol=0)  # key 1: slope · 1


def masked_softmax(scores, allowed):
    return scores.masked_fill(~allowed, float("-inf")).softmax(-1)


@pytest.mark.parametrize("num_heads", [8, 12, 6, 1])
def test_alibi_attention_equals_bloom(num_heads):
    torch.manual_seed(num_heads)
    length = 11
    scores = torch.randn(num_heads, length, length)
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    hf = build_alibi_tensor(torch.ones(1, length), num_heads, torch.float32)
    expected = masked_softmax(scores + hf, causal)  # (H, 1, L) broadcast over queries
    ours = masked_softmax(scores + alibi_bias(num_heads, length, length), causal)
    assert (ours - expected).abs().max() < 1e-6


def test_alibi_equals_bloom_on_a_left_padded_row():
    num_heads, pad, real = 6, 3, 7
    mask = torch.tensor([[0] * pad + [1] * real])  # (1, L)
    hf = build_alibi_tensor(mask, num_heads, torch.float32)[:, :, pad:]  # (H, 1, real)
    scores = torch.randn(num_heads, real, real)
    causal = torch.ones(real, real, dtype=torch.bool).tril()
    expected = masked_softmax(scores + hf, causal)
    ours = masked_softmax(scores + alibi_bias(num_heads, real, real), causal)
    assert (ours - expected).abs().max() < 1e-6


def test_alibi_bias_is_minus_slope_times_distance_queries_bottom_right():
    slopes, bias = alibi_slopes(5).tolist(), alibi_bias(5, 3, 8).tolist()
    for h in range(5):
        for q_idx in range(3):
            for j in range(8):
                i = 8 - 3 + q_idx
                assert bias[h][q_idx][j] == pytest.approx(
                    -slopes[h] * (i - j), abs=1e-7
                )


# --- bad input ---------------------------------------------------------------------------

ONE = torch.ones(3, 4)
W = xl_weights()
BAD_INPUTS = [
    (
        lambda: sinusoidal_embeddings(0, 4),
        ValueError,
        "num_positions must be an integer >= 1, got 0",
    ),
    (
        lambda: sinusoidal_embeddings(2.5, 4),
        TypeError,
        "num_positions must be an integer, got 2.5",
    ),
    (
        lambda: sinusoidal_embeddings(4, 5),
        ValueError,
        "dim must be even (sin and cos pairs), got 5",
    ),
    (
        lambda: sinusoidal_embeddings(4, 0),
        ValueError,
        "dim must be an integer >= 2, got 0",
    ),
    (
        lambda: sinusoidal_embeddings(4, 4, base=-1.0),
        ValueError,
        "base must be a finite number > 0, got -1.0",
    ),
    (
        lambda: sinusoidal_encoding([1, 2], 4),
        TypeError,
        "positions must be a torch.Tensor, got list",
    ),
    (lambda: position_shift(1.5, 4), TypeError, "offset must be an integer, got 1.5"),
    (
        lambda: position_shift(1, 3),
        ValueError,
        "dim must be even (sin and cos pairs), got 3",
    ),
    (
        lambda: relative_distances(3, 2),
        ValueError,
        "q_len must be <= kv_len=2 (queries are the last q_len positions), got 3",
    ),
    (
        lambda: relative_distances(0, 2),
        ValueError,
        "q_len must be an integer >= 1, got 0",
    ),
    (
        lambda: relative_positions(2, 2, -1),
        ValueError,
        "max_relative_position must be an integer >= 0, got -1",
    ),
    (
        lambda: shaw_scores(ONE, ONE, torch.ones(3, 4), -1),
        ValueError,
        "max_relative_position must be an integer >= 0, got -1",
    ),
    (
        lambda: shaw_scores(ONE, ONE, torch.ones(5, 4), 1),
        ValueError,
        "relative_keys must be (2·max_relative_position + 1, d) = (3, 4), got (5, 4)",
    ),
    (
        lambda: shaw_scores(ONE, torch.ones(3, 5), torch.ones(3, 4), 1),
        ValueError,
        "k must be (..., T_k, d) with the leading dimensions and d of q, (3, 4), "
        "got (3, 5)",
    ),
    (
        lambda: transformer_xl_terms(
            torch.ones(2, 12), torch.ones(3, 12), torch.ones(3, 3), *W
        ),
        ValueError,
        "relative must be (T_q, T_k) = (2, 3), the lengths of x_query and x_key, "
        "got (3, 3)",
    ),
    (
        lambda: transformer_xl_terms(
            torch.ones(2, 12),
            torch.ones(2, 12),
            torch.ones(2, 2),
            W[0],
            W[1],
            torch.ones(8, 5),
            W[3],
            W[4],
        ),
        ValueError,
        "W_kR's width d_R must be even (sin and cos pairs), got 5",
    ),
    (
        lambda: t5_relative_position_bucket(torch.ones(3)),
        TypeError,
        "relative_position must be an integer tensor",
    ),
    (
        lambda: t5_relative_position_bucket(
            torch.ones(3, dtype=torch.long), num_buckets=1
        ),
        ValueError,
        "num_buckets must be an integer >= 2, got 1",
    ),
    (
        lambda: t5_relative_position_bucket(
            torch.ones(3, dtype=torch.long), num_buckets=3
        ),
        ValueError,
        "num_buckets must be >= 4 when bidirectional (two per direction), got 3",
    ),
    (
        lambda: t5_relative_position_bucket(
            torch.ones(3, dtype=torch.long), max_distance=8
        ),
        ValueError,
        "max_distance must be > 8, where the logarithmic buckets start for num_buckets=32, got 8",
    ),
    (
        lambda: t5_relative_position_bucket(
            torch.ones(3, dtype=torch.long), bidirectional="yes"
        ),
        TypeError,
        "bidirectional must be a bool, got 'yes' of type str",
    ),
    (
        lambda: t5_bucket_bias(torch.ones(32), 2, 2),
        ValueError,
        "bucket_table must have 2 dimensions, got shape (32,)",
    ),
    (lambda: alibi_slopes(0), ValueError, "num_heads must be an integer >= 1, got 0"),
    (lambda: alibi_slopes(2.0), TypeError, "num_heads must be an integer, got 2.0"),
    (lambda: alibi_bias(4, 5, 3), ValueError, "q_len must be <= kv_len=3"),
    # issue 13: these raised AttributeError or RuntimeError from inside
    (
        lambda: shaw_scores(None, ONE, torch.ones(3, 4), 1),
        TypeError,
        "q must be a torch.Tensor, got NoneType",
    ),
    (
        lambda: shaw_scores(ONE, ONE.long(), torch.ones(3, 4), 1),
        TypeError,
        "k must be a floating-point tensor, got torch.int64",
    ),
    (
        lambda: transformer_xl_terms(
            torch.ones(2, 12), torch.ones(3, 12), torch.ones(2, 3), *W[:3], None, W[4]
        ),
        TypeError,
        "u must be a torch.Tensor, got NoneType",
    ),
    (
        lambda: transformer_xl_terms(
            torch.ones(2, 12), torch.ones(3, 13), torch.ones(2, 3), *W
        ),
        ValueError,
        "x_key must have the width d_model of x_query, 12, got shape (3, 13)",
    ),
    (
        lambda: alibi_slopes(10**12),
        ValueError,
        "num_heads must be an integer <= 4096, got 1000000000000",
    ),
    (
        lambda: relative_distances(1, 10**12),
        ValueError,
        "kv_len must be an integer <= 1048576",
    ),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUTS)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)
