"""One-hot vectors and the lookup (llmviz.embeddings.onehot), against torch's own
one_hot, nn.Embedding and cosine_similarity, and the invariants of one-hot geometry."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from llmviz.embeddings.onehot import (
    cosine_matrix,
    lookup_by_matmul,
    nearest_rows,
    one_hot,
)

SETTINGS = settings(max_examples=40, deadline=None)


def _ids(seed: int, vocab: int, shape: tuple[int, ...]) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, shape, generator=generator)


@SETTINGS
@given(
    seed=st.integers(0, 2**31),
    vocab=st.integers(1, 60),
    shape=st.sampled_from([(1,), (7,), (2, 5), (3, 1)]),
)
def test_one_hot_equals_torch(seed, vocab, shape):
    ids = _ids(seed, vocab, shape)
    ours = one_hot(ids, vocab)
    assert ours.dtype == torch.float32 and ours.shape == (*shape, vocab)
    assert torch.equal(ours, F.one_hot(ids, vocab).float())


@SETTINGS
@given(seed=st.integers(0, 2**31), vocab=st.integers(2, 50), dim=st.integers(1, 16))
def test_lookup_by_matmul_equals_nn_embedding_exactly(seed, vocab, dim):
    torch.manual_seed(seed)
    table = nn.Embedding(vocab, dim)
    ids = _ids(seed, vocab, (2, 6))
    with torch.no_grad():
        assert torch.equal(lookup_by_matmul(ids, table.weight), table(ids))


@SETTINGS
@given(vocab=st.integers(2, 80))
def test_one_hot_vectors_are_orthonormal_so_hold_no_similarity(vocab):
    vectors = one_hot(torch.arange(vocab), vocab)
    assert torch.equal(vectors @ vectors.T, torch.eye(vocab))
    assert torch.equal(cosine_matrix(vectors), torch.eye(vocab))


@SETTINGS
@given(seed=st.integers(0, 2**31), rows=st.integers(2, 30), dim=st.integers(1, 12))
def test_cosine_matrix_equals_torch(seed, rows, dim):
    x = torch.randn(rows, dim, generator=torch.Generator().manual_seed(seed))
    reference = F.cosine_similarity(x[:, None, :], x[None, :, :], dim=-1, eps=0)
    torch.testing.assert_close(cosine_matrix(x), reference, atol=1e-5, rtol=0)


@SETTINGS
@given(
    seed=st.integers(0, 2**31),
    rows=st.integers(3, 40),
    k=st.integers(1, 5),
    scale=st.floats(0.1, 10.0),
)
def test_nearest_rows_against_brute_force_and_scale_free(seed, rows, k, scale):
    x = torch.randn(rows, 6, generator=torch.Generator().manual_seed(seed))
    k = min(k, rows - 1)
    index = seed % rows
    ids, cos = nearest_rows(x, index, k)
    reference = F.cosine_similarity(x, x[index : index + 1], dim=-1, eps=0)
    others = [i for i in range(rows) if i != index]
    expected = sorted(others, key=lambda i: -float(reference[i]))[:k]
    torch.testing.assert_close(cos, reference[expected], atol=1e-5, rtol=0)
    assert index not in ids.tolist()
    assert bool((cos[:-1] >= cos[1:]).all())  # most similar first
    scaled = x * torch.linspace(scale, 1.0, rows)[:, None]  # row lengths change
    torch.testing.assert_close(
        nearest_rows(scaled, index, k)[1], cos, atol=1e-5, rtol=0
    )
