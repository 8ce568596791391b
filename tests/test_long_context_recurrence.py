"""Transformer-XL's segment recurrence (llmviz.long_context.recurrence) against chapter
3's scaled_dot_product_attention with the [memory; segment] mask written out, against
TinyGPT's own forward (a memory as long as the stream is the dense model; no memory is
the model on disjoint segments; one layer is the model on [memory; segment]), and the
stop-gradient: the memory's producer gets no gradient."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import scaled_dot_product_attention
from llmviz.long_context.recurrence import (
    SegmentMemory,
    evaluation_cost,
    memory_mask,
    recurrent_logits,
    segment_attention,
)
from llmviz.long_context.swap import forward_with_attention
from tests.test_long_context_streaming import MODELS, stream


def randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seg=st.integers(1, 9), mem=st.integers(0, 9), heads=st.integers(1, 3),
       dim=st.integers(1, 6), seed=st.integers(0, 2**16))  # fmt: skip
def test_segment_attention_is_masked_attention_over_memory_and_segment(
    seg, mem, heads, dim, seed
):
    q, k, v = (randn(2, heads, seg, dim, seed=seed + i) for i in range(3))
    mk, mv = (
        randn(2, heads, mem, dim, seed=seed + 3),
        randn(2, heads, mem, dim, seed=seed + 4),
    )
    mask = torch.cat([torch.ones(seg, mem, dtype=torch.bool),
                      torch.ones(seg, seg).tril().bool()], dim=1)  # fmt: skip
    expected = scaled_dot_product_attention(q, torch.cat([mk, k], -2),
                                            torch.cat([mv, v], -2), attn_mask=mask)  # fmt: skip
    torch.testing.assert_close(segment_attention(q, k, v, mk, mv), expected)
    assert torch.equal(memory_mask(seg, mem), mask)


def test_no_gradient_reaches_the_memory():
    q, k, v = (randn(1, 2, 4, 3, seed=i).requires_grad_() for i in range(3))
    mk, mv = (randn(1, 2, 5, 3, seed=9 + i).requires_grad_() for i in range(2))
    segment_attention(q, k, v, mk, mv).square().sum().backward()
    assert mk.grad is None and mv.grad is None
    assert k.grad.abs().sum() > 0 and v.grad.abs().sum() > 0
    # without the stop-gradient the memory would get one
    keys, values = torch.cat([mk, k], -2), torch.cat([mv, v], -2)
    scaled_dot_product_attention(q, keys, values).square().sum().backward()
    assert mk.grad.abs().sum() > 0


def test_the_next_segment_trains_as_if_the_memory_were_a_constant():
    model, ids = MODELS[2], stream(12, seed=3)
    grads = []
    for memory_without_grad in (False, True):
        model.zero_grad()
        memory = SegmentMemory(2, 6)
        with torch.set_grad_enabled(not memory_without_grad):
            forward_with_attention(model, ids[:, :6], memory)
        assert all(not t.requires_grad for pair in memory.memory for t in pair)
        forward_with_attention(model, ids[:, 6:], memory).square().mean().backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    for with_graph, constant in zip(*grads, strict=True):
        torch.testing.assert_close(with_graph, constant)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seg=st.integers(1, 8), length=st.integers(2, 16), seed=st.integers(0, 2**16))
def test_memory_as_long_as_the_stream_is_the_dense_model(seg, length, seed):
    model, ids = MODELS[2], stream(length, seed)
    with torch.no_grad():
        torch.testing.assert_close(recurrent_logits(model, ids, seg, length), model(ids),
                                   atol=1e-5, rtol=1e-5)  # fmt: skip
        disjoint = torch.cat(
            [model(ids[:, s : s + seg]) for s in range(0, length, seg)], 1
        )
        torch.testing.assert_close(recurrent_logits(model, ids, seg, 0), disjoint,
                                   atol=1e-5, rtol=1e-5)  # fmt: skip


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seg=st.integers(1, 6), mem=st.integers(0, 8), length=st.integers(2, 16),
       seed=st.integers(0, 2**16))  # fmt: skip
def test_one_layer_sees_exactly_memory_and_segment(seg, mem, length, seed):
    """One layer: keys depend only on tokens, so segment k equals TinyGPT run on the
    tokens [k·S − M, (k + 1)·S) from position 0."""
    model, ids = MODELS[1], stream(length, seed)
    with torch.no_grad():
        logits = recurrent_logits(model, ids, seg, mem)
        for start in range(0, length, seg):
            end = min(start + seg, length)
            explicit = model(ids[:, max(0, start - mem) : end])[:, -(end - start) :]
            torch.testing.assert_close(logits[:, start:end], explicit,
                                       atol=1e-5, rtol=1e-5)  # fmt: skip


@settings(max_examples=50, deadline=None, derandomize=True)
@given(length=st.integers(1, 300), context=st.integers(1, 64), seg=st.integers(1, 64))
def test_evaluation_cost_counts_the_masks(length, context, seg):
    seg = min(seg, context)
    full = max(0, length - context)  # predictions with a full window
    first = min(length, context)
    vanilla = evaluation_cost(length, context)
    assert vanilla["token_passes"] == first * (first + 1) // 2 + full * context
    assert vanilla["pairs"] == sum(
        n * (n + 1) // 2 for n in range(1, first + 1)
    ) + full * (context * (context + 1) // 2)
    pairs = sum(int(memory_mask(min(seg, length - s), min(s, context - seg)).sum())
                for s in range(0, length, seg))  # fmt: skip
    assert evaluation_cost(length, context, seg) == {
        "token_passes": length,
        "pairs": pairs,
    }
