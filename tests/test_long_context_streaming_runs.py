"""StreamingLLM's policies run over a stream (llmviz.long_context.streaming_runs):
TinyGPT rerun on the last L tokens for recomputation, TinyGPT's own forward for the
dense cache, and the cost counts against their closed forms."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.long_context.streaming_runs import (
    policy_losses,
    policy_pairs,
    recompute_losses,
    stream_losses,
)
from llmviz.long_context.swap import next_token_losses
from llmviz.models import load_tinygpt
from tests.test_long_context_streaming import MODELS, policies, stream


@settings(max_examples=15, deadline=None, derandomize=True)
@given(p=policies)
def test_recompute_is_tinygpt_rerun_on_the_last_window(p):
    _, window, length, seed = p
    model, ids = MODELS[2], stream(max(length, window), seed)
    with torch.no_grad():
        logits = torch.stack([model(ids[:, max(0, t - window + 1) : t + 1])[0, -1]
                              for t in range(ids.shape[1])])  # fmt: skip
    expected = next_token_losses(logits[None], ids)[0]
    torch.testing.assert_close(recompute_losses(model, ids, window), expected,
                               atol=1e-5, rtol=1e-5)  # fmt: skip
    torch.testing.assert_close(policy_losses(model, ids, "recompute", window), expected,
                               atol=1e-5, rtol=1e-5)  # fmt: skip


def test_the_trained_model_streams_its_dense_cache_exactly():
    model, tokenizer = load_tinygpt()
    ids = torch.tensor(
        [[0, *tokenizer.encode("def stream(tokens):\n    return 注意力")]]
    )
    with torch.no_grad():
        full = next_token_losses(model(ids), ids)[0]
    torch.testing.assert_close(stream_losses(model, ids), full, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(policy_losses(model, ids, "dense"), full,
                               atol=1e-5, rtol=1e-5)  # fmt: skip
    evicting = stream_losses(model, ids, num_sinks=1, window=4)
    assert (evicting - full).abs().max() > 1e-3  # eviction changes the predictions


@settings(max_examples=50, deadline=None, derandomize=True)
@given(length=st.integers(1, 200), window=st.integers(1, 200), sinks=st.integers(0, 9))
def test_attended_pairs_match_the_closed_forms(length, window, sinks):
    window, sinks = min(window, length), min(sinks, length)
    assert policy_pairs(length, "dense") == length * (length + 1) // 2
    full = max(0, length - window)  # steps with a full window
    filling = (
        window * (window + 1) // 2 if length >= window else length * (length + 1) // 2
    )
    assert policy_pairs(length, "window", window) == filling + full * window
    reruns = sum(
        min(t + 1, window) * (min(t + 1, window) + 1) // 2 for t in range(length)
    )
    assert policy_pairs(length, "recompute", window) == reruns
    cap = sinks + window
    expected = sum(min(t + 1, cap) for t in range(length))
    assert policy_pairs(length, "sinks", window, sinks) == expected
