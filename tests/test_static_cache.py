"""The preallocated KV cache and the fast decoding loop: the same numbers as chapter
3's ``KVCache`` bit for bit, and the same as Hugging Face's ``StaticCache`` and
``generate``, for MHA, GQA and MQA."""

import pytest
import torch
from transformers import StaticCache

from llmviz.attention.cache_cost import CACHES, append_seconds
from llmviz.attention.heads import GroupedQueryAttention
from llmviz.attention.kv_cache import KVCache
from llmviz.attention.mla import MultiHeadLatentAttention
from llmviz.attention.static_cache import StaticKVCache, static_attention
from llmviz.models import TinyGPT, TinyGPTConfig
from llmviz.positions.rope import rope_cos_sin
from tests.test_tinygpt import SMALL, twins  # one TinyGPT/HF-Llama twin builder

ATOL = 1e-5
HEADS = pytest.mark.parametrize(
    "num_key_value_heads", [4, 2, 1], ids=["MHA", "GQA", "MQA"]
)


def decode(layer, cache, x, cos, sin, fast=False):
    """A prefill of 5 tokens, then one token a step, then 2 at once."""
    outputs = []
    for start, end in [(0, 5), (5, 6), (6, 7), (7, 8), (8, 10)]:
        cos_sin = (cos[:, start:end], sin[:, start:end])
        if fast:
            outputs.append(static_attention(layer, x[:, start:end], cos_sin, cache))
        else:
            outputs.append(layer(x[:, start:end], cos_sin, is_causal=True, cache=cache))
    return torch.cat(outputs, dim=1)


@HEADS
@pytest.mark.parametrize("output_gate", [False, True])
def test_static_attention_equals_the_simple_path_bit_for_bit(
    num_key_value_heads, output_gate
):
    torch.manual_seed(0)
    layer = GroupedQueryAttention(64, 4, num_key_value_heads, output_gate=output_gate)
    x = torch.randn(2, 10, 64)
    cos, sin = rope_cos_sin(torch.arange(10), 16)
    cos, sin = cos[None], sin[None]
    simple, static, fast = KVCache(), StaticKVCache(12), StaticKVCache(10)
    with torch.no_grad():
        expected = decode(layer, simple, x, cos, sin)
        full = layer(x, (cos, sin), is_causal=True)
        assert torch.equal(decode(layer, static, x, cos, sin), expected)
        assert torch.equal(decode(layer, fast, x, cos, sin, fast=True), expected)
    torch.testing.assert_close(expected, full, atol=ATOL, rtol=0)
    for cache in (static, fast):
        assert cache.seq_len(0) == 10
        assert torch.equal(cache.keys[0], simple.keys[0])
        assert torch.equal(cache.values[0], simple.values[0])
    assert static.nbytes == simple.nbytes * 12 // 10  # allocated for 12 tokens


def test_mla_reads_a_static_cache_as_it_reads_the_simple_one():
    torch.manual_seed(0)
    mla = MultiHeadLatentAttention(64, 4, None, 32, 16, 8, 16)
    x = torch.randn(1, 10, 64)
    cos, sin = rope_cos_sin(torch.arange(10), 8)
    with torch.no_grad():
        for absorb in (False, True):
            results = []
            for cache in (KVCache(), StaticKVCache(10)):
                steps = [
                    mla(x[:, a:b], (cos[None, a:b], sin[None, a:b]), is_causal=True,
                        cache=cache, absorb=absorb)
                    for a, b in [(0, 6), (6, 7), (7, 10)]
                ]  # fmt: skip
                results.append(torch.cat(steps, dim=1))
            assert torch.equal(*results)


@HEADS
def test_static_cache_holds_what_hf_static_cache_holds(num_key_value_heads):
    hf, ours = twins(num_key_value_heads)
    ids = torch.randint(0, 97, (2, 9))
    hf_cache = StaticCache(config=hf.config, max_cache_len=16)
    cache = StaticKVCache(16)
    with torch.no_grad():
        for start, end in [(0, 6), (6, 7), (7, 8), (8, 9)]:  # prefill, then steps
            position = torch.arange(start, end)
            expected = hf(
                ids[:, start:end],
                past_key_values=hf_cache,
                use_cache=True,
                cache_position=position,
            ).logits
            logits = ours(ids[:, start:end], cache=cache)
            torch.testing.assert_close(logits, expected, atol=ATOL, rtol=0)
    for layer in range(2):  # HF's buffers hold max_cache_len tokens, 9 of them filled
        hf_layer = hf_cache.layers[layer]
        for ours_t, theirs in (
            (cache.keys, hf_layer.keys),
            (cache.values, hf_layer.values),
        ):
            torch.testing.assert_close(
                ours_t[layer], theirs[:, :, :9], atol=ATOL, rtol=0
            )
    assert cache.seq_len(1) == 9


@HEADS
def test_fast_greedy_decoding_equals_the_simple_loop_and_hf(num_key_value_heads):
    hf, ours = twins(num_key_value_heads)
    prompt = torch.randint(0, 97, (2, 5))
    expected = hf.generate(
        prompt, max_new_tokens=30, do_sample=False, eos_token_id=None, pad_token_id=0
    )
    simple = ours.generate(prompt, 30, cache_implementation="dynamic")
    for threads in (None, 1, 2):
        fast = ours.generate(prompt, 30, cache_implementation="static", threads=threads)
        assert torch.equal(fast, simple)
    assert torch.equal(simple, expected)
    assert torch.equal(ours.generate(prompt, 30, use_cache=False), expected)
    assert ours.generate(prompt, 0, cache_implementation="static").equal(prompt)


@pytest.mark.parametrize(
    "options",
    [
        {"output_gate": True},
        {"position_embedding": "learned"},
        {"rope_parameters": {"rope_type": "dynamic", "factor": 4.0},
         "max_position_embeddings": 16},
        {"num_experts": 4, "num_experts_per_tok": 2},
        {"tie_word_embeddings": False},
    ],
    ids=["gated", "learned", "dynamic-ntk", "moe", "untied"],
)  # fmt: skip
def test_fast_decoding_equals_the_simple_loop_for_every_option(options):
    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(**SMALL, **options)).eval()
    prompt = torch.randint(0, 97, (2, 4))
    simple = model.generate(prompt, 24, cache_implementation="dynamic", threads=1)
    assert torch.equal(
        model.generate(prompt, 24, cache_implementation="static"), simple
    )


def test_generate_restores_the_callers_threads():
    model = TinyGPT(TinyGPTConfig(**SMALL)).eval()
    before = torch.get_num_threads()
    model.generate(torch.tensor([[1, 2]]), 3, cache_implementation="static")
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="cache_implementation must be one of"):
        model.generate(torch.tensor([[1, 2]]), 3, cache_implementation="paged")
    with pytest.raises(ValueError, match="threads must be"):
        model.generate(torch.tensor([[1, 2]]), 3, threads=0)
    assert torch.get_num_threads() == before


def test_a_full_static_cache_refuses_more_tokens():
    cache = StaticKVCache(4)
    cache.update(0, torch.ones(1, 2, 3, 8), torch.ones(1, 2, 3, 8))
    with pytest.raises(
        ValueError, match="max_len=4 cannot take 2 more tokens after the 3"
    ):
        cache.update(0, torch.ones(1, 2, 2, 8), torch.ones(1, 2, 2, 8))
    with pytest.raises(ValueError, match="only dim -2"):
        cache.update(0, torch.ones(1, 1, 1, 8), torch.ones(1, 1, 1, 8))
    assert cache.seq_len(0) == 3 and cache.seq_len(1) == 0
    cache.update(1, torch.ones(1, 2, 0, 8), torch.ones(1, 2, 0, 8))  # none is fine
    with pytest.raises(ValueError, match="only dim -2"):  # then the shape is set
        cache.update(1, torch.ones(1, 1, 1, 8), torch.ones(1, 1, 1, 8))


def test_append_seconds_times_each_cache_at_each_fill():
    """One finite, positive time per cache and fill; the numbers themselves are the
    machine's, printed by the book, never asserted."""
    times = append_seconds([3, 5, 9], num_kv_heads=2, head_dim=4, repeats=2)
    assert list(times) == list(CACHES)
    for seconds in times.values():
        assert len(seconds) == 3 and all(0 < s < 10 for s in seconds)


def test_append_seconds_refuses_a_cache_too_big_to_allocate():
    with pytest.raises(ValueError, match=r"max\(fills\)=65536"):
        append_seconds([4, 65_536], num_kv_heads=8, head_dim=128)
