"""StreamingLLM's cache (llmviz.long_context.streaming) against references computed
without it: TinyGPT's own forward on all tokens while nothing is evicted; TinyGPT run on
the explicit key set {0..s−1} ∪ {t−w+1..t} with explicit position ids 0..n−1 (a one-layer
model, where the cached keys depend only on their tokens). Running the policies over a
stream is tests/test_long_context_streaming_runs.py."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.long_context.streaming import (
    StreamingCache,
    kept_tokens,
    sinks_window_attention,
)
from llmviz.long_context.swap import forward_with_attention
from llmviz.models import TinyGPT, TinyGPTConfig

VOCAB = 40


def small_model(layers: int, seed: int = 0) -> TinyGPT:
    """A random TinyGPT whose attention is far from uniform (weights ~ N(0, 0.3²))."""
    torch.manual_seed(seed)
    config = TinyGPTConfig(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=layers,
                           num_attention_heads=4, num_key_value_heads=2,
                           intermediate_size=32)  # fmt: skip
    model = TinyGPT(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3) if p.dim() > 1 else None
    return model


def stream(length: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, VOCAB, (1, length), generator=generator)


def stream_logits(model, ids, num_sinks, window) -> torch.Tensor:
    cache = StreamingCache(len(model.layers), num_sinks, window)
    with torch.no_grad():
        return torch.cat([forward_with_attention(model, ids[:, t : t + 1], cache)
                          for t in range(ids.shape[1])], dim=1)  # fmt: skip


MODELS = {layers: small_model(layers) for layers in (1, 2)}
policies = st.tuples(st.integers(0, 4), st.integers(1, 8), st.integers(2, 16),
                     st.integers(0, 2**16))  # fmt: skip


@settings(max_examples=50, deadline=None, derandomize=True)
@given(step=st.integers(0, 60), num_sinks=st.integers(0, 8), window=st.integers(1, 20))
def test_kept_tokens_are_the_sinks_and_the_window(step, num_sinks, window):
    expected = [i for i in range(step + 1) if i < num_sinks or i > step - window]
    assert kept_tokens(step, num_sinks, window).tolist() == expected
    assert kept_tokens(step).tolist() == list(range(step + 1))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(p=policies)
def test_the_cache_holds_the_kept_tokens_at_every_step(p):
    num_sinks, window, length, seed = p
    model, ids = MODELS[2], stream(length, seed)
    cache = StreamingCache(2, num_sinks, window)
    for t in range(length):
        forward_with_attention(model, ids[:, t : t + 1], cache)
        for layer in range(2):
            assert (
                cache.tokens[layer].tolist()
                == kept_tokens(t, num_sinks, window).tolist()
            )
            assert cache.keys[layer].shape[-2] == min(t + 1, num_sinks + window)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(p=policies)
def test_before_any_eviction_the_cache_is_full_attention(p):
    num_sinks, window, _, seed = p
    model, ids = MODELS[2], stream(num_sinks + window, seed)
    with torch.no_grad():
        full = model(ids)
    torch.testing.assert_close(stream_logits(model, ids, num_sinks, window), full,
                               atol=1e-5, rtol=1e-5)  # fmt: skip


@settings(max_examples=15, deadline=None, derandomize=True)
@given(p=policies)
def test_after_eviction_it_is_full_attention_over_the_explicit_key_set(p):
    """One layer: a cached key and value depend only on their token, so rerunning
    TinyGPT on the kept tokens at positions 0..n−1 must give the step's logits."""
    num_sinks, window, length, seed = p
    model, ids = MODELS[1], stream(length, seed)
    logits = stream_logits(model, ids, num_sinks, window)
    for t in range(length):
        keys = [i for i in range(t + 1) if i < num_sinks or i > t - window]
        with torch.no_grad():
            explicit = model(ids[:, keys], position_ids=torch.arange(len(keys)))
        torch.testing.assert_close(logits[:, t], explicit[:, -1], atol=1e-5, rtol=1e-5)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(p=policies, layers=st.sampled_from([1, 2]))
def test_the_one_pass_form_equals_the_token_by_token_cache(p, layers):
    num_sinks, window, length, seed = p
    model, ids = MODELS[layers], stream(length, seed)
    with torch.no_grad():
        fast = forward_with_attention(
            model, ids, sinks_window_attention(num_sinks, window)
        )
    torch.testing.assert_close(fast, stream_logits(model, ids, num_sinks, window),
                               atol=1e-5, rtol=1e-5)  # fmt: skip
