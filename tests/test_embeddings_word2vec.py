"""word2vec's losses and closed-form gradients (llmviz.embeddings.word2vec): each
gradient equals torch.autograd on the same loss, and one SGD step equals word2vec.c's
update loop as written there (transcribed below, read not run: gensim's own random
numbers make its runs incomparable with ours)."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.word2vec import (
    cbow_context_grads,
    cbow_hidden,
    hs_grads,
    hs_loss,
    sgns_grads,
    sgns_loss,
)

ATOL = 1e-6  # gradients
LOSS_ATOL = 1e-5  # a loss of ~10 in float32: its rounding alone is ~1e-6
SIZES = dict(batch=st.integers(1, 6), d=st.integers(1, 12), seed=st.integers(0, 10**6))


def randn(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return 0.5 * torch.randn(*shape, generator=gen)


def autograd(loss_fn, *tensors: torch.Tensor) -> list[torch.Tensor]:
    leaves = [t.clone().requires_grad_(True) for t in tensors]
    loss_fn(*leaves).sum().backward()
    return [leaf.grad for leaf in leaves]


@settings(max_examples=40, deadline=None)
@given(k=st.integers(0, 8), **SIZES)
def test_sgns_gradients_equal_autograd(batch, d, k, seed):
    gen = torch.Generator().manual_seed(seed)
    v, u, neg = randn(gen, batch, d), randn(gen, batch, d), randn(gen, batch, k, d)

    def loss(v, u, neg):  # the objective as the paper writes it, not our code
        positive = torch.log(torch.sigmoid((u * v).sum(-1)))
        noise = torch.log(torch.sigmoid(-(neg * v[:, None]).sum(-1))).sum(-1)
        return -(positive + noise)

    torch.testing.assert_close(
        sgns_loss(v, u, neg), loss(v, u, neg), atol=LOSS_ATOL, rtol=0
    )
    for ours, ref in zip(sgns_grads(v, u, neg), autograd(loss, v, u, neg), strict=True):
        torch.testing.assert_close(ours, ref, atol=ATOL, rtol=0)


def path(gen: torch.Generator, batch: int, length: int):
    codes = torch.randint(0, 2, (batch, length), generator=gen)
    lengths = torch.randint(1, length + 1, (batch,), generator=gen)
    mask = torch.arange(length)[None] < lengths[:, None]  # (B, L): Huffman paths differ
    return codes, mask


def hs_reference(h, nodes, codes, mask):
    """Σ over the path of −log p(turn), p(left) = σ(n·h): the product of the
    binary decisions of Morin & Bengio, written with explicit probabilities."""
    p_left = torch.sigmoid((nodes * h[:, None]).sum(-1))
    p = torch.where(codes == 0, p_left, 1 - p_left)
    return -(torch.log(p) * mask).sum(-1)


@settings(max_examples=40, deadline=None)
@given(length=st.integers(1, 10), **SIZES)
def test_hierarchical_softmax_gradients_equal_autograd(batch, d, length, seed):
    gen = torch.Generator().manual_seed(seed)
    h, nodes = randn(gen, batch, d), randn(gen, batch, length, d)
    codes, mask = path(gen, batch, length)
    ref = hs_reference(h, nodes, codes, mask)
    torch.testing.assert_close(
        hs_loss(h, nodes, codes, mask), ref, atol=LOSS_ATOL, rtol=0
    )
    grads = autograd(lambda h, n: hs_reference(h, n, codes, mask), h, nodes)
    for ours, want in zip(hs_grads(h, nodes, codes, mask), grads, strict=True):
        torch.testing.assert_close(ours, want, atol=ATOL, rtol=0)


def test_a_path_of_all_words_is_a_distribution():
    """Over the leaves of a complete tree the hierarchical probabilities sum to 1."""
    gen = torch.Generator().manual_seed(0)
    depth, d = 3, 5
    h = randn(gen, 1, d)
    node_vectors = randn(
        gen, 2**depth - 1, d
    )  # heap order: node i has children 2i+1, 2i+2
    total = 0.0
    for leaf in range(2**depth):
        bits = [(leaf >> (depth - 1 - j)) & 1 for j in range(depth)]
        points, node = [], 0
        for bit in bits:
            points.append(node)
            node = 2 * node + 1 + bit
        codes = torch.tensor([bits])
        total += math.exp(-float(hs_loss(h, node_vectors[points][None], codes)))
    assert abs(total - 1) < 1e-5


@settings(max_examples=30, deadline=None)
@given(
    context=st.integers(1, 8), k=st.integers(0, 5), length=st.integers(1, 6), **SIZES
)
def test_cbow_gradients_through_the_mean_equal_autograd(
    batch, d, context, k, length, seed
):
    gen = torch.Generator().manual_seed(seed)
    vectors = randn(gen, batch, context, d)
    counts = torch.randint(1, context + 1, (batch,), generator=gen)
    mask = torch.arange(context)[None] < counts[:, None]
    u, neg, nodes = (
        randn(gen, batch, d),
        randn(gen, batch, k, d),
        randn(gen, batch, length, d),
    )
    codes, path_mask = path(gen, batch, length)

    def mean(v):  # the mean written out, not our cbow_hidden
        return (v * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)

    for loss, grads in (
        (lambda v: sgns_loss(mean(v), u, neg), lambda h: sgns_grads(h, u, neg)[0]),
        (lambda v: hs_reference(mean(v), nodes, codes, path_mask),
         lambda h: hs_grads(h, nodes, codes, path_mask)[0]),
    ):  # fmt: skip
        h = cbow_hidden(vectors, mask)
        torch.testing.assert_close(h, mean(vectors), atol=ATOL, rtol=0)
        ours = cbow_context_grads(grads(h), mask)
        torch.testing.assert_close(ours, autograd(loss, vectors)[0], atol=ATOL, rtol=0)


def word2vec_c_negative_step(syn0, syn1neg, word, last_word, negatives, alpha):
    """word2vec.c's skip-gram negative-sampling update for one (word, last_word) pair,
    transcribed loop for loop (with the exact σ in place of its 1000-entry table)."""
    l1 = last_word
    neu1e = [0.0] * len(syn0[0])
    for d in range(len(negatives) + 1):
        target, label = (word, 1) if d == 0 else (negatives[d - 1], 0)
        f = sum(a * b for a, b in zip(syn0[l1], syn1neg[target], strict=True))
        g = (label - 1 / (1 + math.exp(-f))) * alpha
        for c in range(len(neu1e)):
            neu1e[c] += g * syn1neg[target][c]
        for c in range(len(neu1e)):
            syn1neg[target][c] += g * syn0[l1][c]
    for c in range(len(neu1e)):
        syn0[l1][c] += neu1e[c]


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 8), k=st.integers(0, 6), seed=st.integers(0, 10**6))
def test_one_sgd_step_equals_word2vec_c(d, k, seed):
    gen = torch.Generator().manual_seed(seed)
    vocab, alpha = k + 3, 0.025
    syn0, syn1neg = randn(gen, vocab, d).double(), randn(gen, vocab, d).double()
    word, last_word, negatives = 0, 1, list(range(2, 2 + k))  # distinct targets
    c_syn0, c_syn1 = syn0.tolist(), syn1neg.tolist()
    word2vec_c_negative_step(c_syn0, c_syn1, word, last_word, negatives, alpha)

    v, u, neg = syn0[[last_word]], syn1neg[[word]], syn1neg[negatives][None]
    g_v, g_u, g_neg = sgns_grads(v, u, neg)
    ours_syn0, ours_syn1 = syn0.clone(), syn1neg.clone()
    ours_syn0[last_word] -= alpha * g_v[0]
    ours_syn1[word] -= alpha * g_u[0]
    ours_syn1[negatives] -= alpha * g_neg[0]
    torch.testing.assert_close(ours_syn0, torch.tensor(c_syn0, dtype=torch.double))
    torch.testing.assert_close(ours_syn1, torch.tensor(c_syn1, dtype=torch.double))


def test_functions_leave_their_inputs_alone():
    gen = torch.Generator().manual_seed(1)
    v, u, neg = randn(gen, 2, 3), randn(gen, 2, 3), randn(gen, 2, 4, 3)
    before = [t.clone() for t in (v, u, neg)]
    sgns_grads(v, u, neg)
    for t, b in zip((v, u, neg), before, strict=True):
        assert torch.equal(t, b)
