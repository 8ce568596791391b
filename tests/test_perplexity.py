"""Perplexity (llmviz.attention.perplexity) against torch's cross-entropy, Hugging
Face's recipe (exp of ``LlamaForCausalLM``'s loss with ``labels``) and the invariants
of its definition."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention.perplexity import perplexity
from llmviz.models import TinyGPT, TinyGPTConfig, to_hf_llama


@settings(max_examples=25, deadline=None)
@given(
    batch=st.integers(1, 3),
    seq=st.integers(1, 9),
    vocab=st.integers(2, 40),
    seed=st.integers(0, 2**16),
)
def test_equals_exp_of_torch_cross_entropy(batch, seq, vocab, seed):
    generator = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(batch, seq, vocab, generator=generator)
    targets = torch.randint(vocab, (batch, seq), generator=generator)
    reference = torch.exp(F.cross_entropy(logits.flatten(0, 1), targets.flatten()))
    assert torch.allclose(perplexity(logits, targets), reference, rtol=1e-5)


def test_ignore_index_skips_tokens_as_torch_does():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 6, 11, generator=generator)
    targets = torch.randint(11, (2, 6), generator=generator)
    targets[0, :3] = -100  # a prompt that is not scored
    targets[1, -1] = -100  # padding
    reference = torch.exp(F.cross_entropy(logits.transpose(1, 2), targets))
    assert torch.allclose(perplexity(logits, targets), reference, rtol=1e-5)
    targets = targets.masked_fill(targets == -100, 0)
    for ignore_index in (5, 0):  # any id can be the one ignored, as in torch
        assert torch.allclose(
            perplexity(logits, targets, ignore_index=ignore_index),
            torch.exp(F.cross_entropy(logits.transpose(1, 2), targets,
                                      ignore_index=ignore_index)),
            rtol=1e-5,
        )  # fmt: skip


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 50), extra=st.integers(0, 20), seq=st.integers(1, 8))
def test_uniform_choice_among_k_tokens_has_perplexity_k(k, extra, seq):
    # k equally likely tokens, the other `extra` impossible in float32 (-1e4 logits)
    logits = torch.cat([torch.zeros(seq, k), torch.full((seq, extra), -1e4)], dim=-1)
    targets = torch.arange(seq) % k
    assert math.isclose(perplexity(logits, targets).item(), k, rel_tol=1e-5)


@settings(max_examples=20, deadline=None)
@given(seq=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_geometric_mean_of_inverse_probabilities(seq, seed):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(seq, 7, generator=generator, dtype=torch.float64)
    targets = torch.randint(7, (seq,), generator=generator)
    p = logits.softmax(-1)[torch.arange(seq), targets]
    geometric = torch.prod(1 / p) ** (1 / seq)
    assert math.isclose(
        perplexity(logits, targets).item(), geometric.item(), rel_tol=1e-5
    )


def test_hugging_face_recipe_on_tinygpt():
    """HF's usual recipe: exp(model(ids, labels=ids).loss); the model shifts labels."""
    torch.manual_seed(0)
    config = TinyGPTConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2,
                           intermediate_size=64)  # fmt: skip
    model = TinyGPT(config).eval()
    llama = to_hf_llama(model).eval()
    ids = torch.randint(64, (2, 12))
    with torch.no_grad():
        ours = perplexity(model(ids)[:, :-1], ids[:, 1:])
        hf = torch.exp(llama(ids, labels=ids).loss)
    assert torch.allclose(ours, hf, rtol=1e-4)


def test_leaves_inputs_alone_and_accepts_half_precision():
    logits = torch.randn(3, 5, dtype=torch.float16)
    targets = torch.tensor([0, 4, 2])
    before = logits.clone(), targets.clone()
    value = perplexity(logits, targets)
    assert torch.equal(logits, before[0]) and torch.equal(targets, before[1])
    reference = torch.exp(F.cross_entropy(logits.float(), targets))
    assert value.dtype == torch.float32 and torch.allclose(value, reference)
