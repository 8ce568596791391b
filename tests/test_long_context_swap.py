"""TinyGPT with a replaced attention (llmviz.long_context.swap): with TinyGPT's own
causal attention it reproduces the model; any attention that computes the same thing
another way gives the same logits; the per-token loss is the cross-entropy's."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import masks, scaled_dot_product_attention
from llmviz.attention.mask_grid import materialize
from llmviz.long_context.swap import (
    Rotary,
    dense_attention,
    forward_with_attention,
    next_token_losses,
)
from llmviz.models import TinyGPT, TinyGPTConfig, load_tinygpt
from llmviz.positions.rope import apply_rotary_pos_emb
from llmviz.positions.rotation import rotate_half


def small_model(seed: int, **config) -> TinyGPT:
    torch.manual_seed(seed)
    sizes = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, intermediate_size=24)  # fmt: skip
    return TinyGPT(TinyGPTConfig(**(sizes | config))).eval()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    seq=st.integers(1, 24),
    kv_heads=st.sampled_from([1, 2, 4]),
    gate=st.booleans(),
)
def test_dense_attention_reproduces_the_model(seed, seq, kv_heads, gate):
    model = small_model(seed, num_key_value_heads=kv_heads, output_gate=gate)
    ids = torch.randint(0, 40, (2, seq), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        torch.testing.assert_close(
            forward_with_attention(model, ids, dense_attention),
            model(ids),
            atol=1e-5,
            rtol=1e-5,
        )


def test_the_trained_tinygpt_and_its_moe_twin_are_reproduced():
    ids = torch.randint(0, 2048, (1, 96), generator=torch.Generator().manual_seed(0))
    for name in ("tinygpt", "tinymoe"):
        model, _ = load_tinygpt(name)
        with torch.no_grad():
            torch.testing.assert_close(
                forward_with_attention(model, ids), model(ids), atol=1e-4, rtol=1e-4
            )


def test_an_attention_written_as_a_masked_sdpa_gives_the_same_logits():
    """Any exact rewrite of causal attention (here: an explicit boolean mask and RoPE
    applied through apply_rotary_pos_emb) leaves the logits unchanged."""
    model, seq = small_model(3), 12
    ids = torch.randint(0, 40, (1, seq), generator=torch.Generator().manual_seed(1))
    mask = materialize(masks.causal, seq, seq)

    def masked(q, k, v, rotary):
        cos, sin = model._rotary(torch.arange(seq))
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        return scaled_dot_product_attention(q, k, v, attn_mask=mask)

    with torch.no_grad():
        torch.testing.assert_close(
            forward_with_attention(model, ids, masked), model(ids), atol=1e-5, rtol=0
        )


def test_a_different_attention_changes_the_logits():
    model, seq = small_model(4), 10
    ids = torch.randint(0, 40, (1, seq), generator=torch.Generator().manual_seed(2))

    def own_token_only(q, k, v, rotary):
        return v

    with torch.no_grad():
        changed = forward_with_attention(model, ids, own_token_only)
        assert not torch.allclose(changed, model(ids), atol=1e-3)
        # the first token sees only itself in both: its logits agree
        torch.testing.assert_close(changed[:, 0], model(ids)[:, 0], atol=1e-5, rtol=0)


def test_rotary_at_shifted_positions_keeps_relative_scores():
    """RoPE scores depend on the distance only: shifting every position by 7 keeps
    q·k, which is why StreamingLLM may renumber positions inside its cache."""
    model = small_model(5)
    x = torch.randn(1, 4, 6, model.head_dim, generator=torch.Generator().manual_seed(3))
    rotary = Rotary(model, torch.arange(6))
    near = rotary(x) @ rotary(x).transpose(-1, -2)
    far = rotary(x, torch.arange(7, 13)) @ rotary(x, torch.arange(7, 13)).transpose(
        -1, -2
    )
    torch.testing.assert_close(near, far, atol=1e-4, rtol=1e-4)


def test_next_token_losses_are_minus_the_log_probability_of_the_next_token():
    logits = torch.randn(2, 5, 7, generator=torch.Generator().manual_seed(4))
    ids = torch.randint(0, 7, (2, 5), generator=torch.Generator().manual_seed(5))
    losses = next_token_losses(logits, ids)
    for b in range(2):
        for t in range(4):
            expected = -torch.log_softmax(logits[b, t], -1)[ids[b, t + 1]]
            assert math.isclose(losses[b, t].item(), expected.item(), rel_tol=1e-5)


def test_a_wrong_attention_output_is_named():
    model = small_model(6)
    ids = torch.tensor([[1, 2, 3]])
    with pytest.raises(ValueError, match="attention must return"):
        forward_with_attention(model, ids, lambda q, k, v, rotary: v[..., :-1])


@pytest.mark.parametrize(
    "rope", [None, {"rope_type": "dynamic", "factor": 2.0}], ids=["plain", "dynamic"]
)
def test_rotary_caches_its_tables_without_changing_a_bit(rope):
    """The cached (cos, sin) give exactly the uncached rotation, call after call and
    across more position vectors than the cache keeps, and the model's own RoPE
    (apply_rotary_pos_emb); dynamic scaling depends on the largest position, so each
    vector needs its own table."""
    model = small_model(6, rope_parameters=rope, max_position_embeddings=16)
    x = torch.randn(
        1, 4, 12, model.head_dim, generator=torch.Generator().manual_seed(4)
    )
    rotary = Rotary(model, torch.arange(12))
    vectors = [torch.arange(12), torch.arange(12) + 20, torch.arange(12).clamp(max=5)]
    vectors += [torch.arange(12) + s for s in range(1, Rotary.CACHED + 2)]
    for positions in vectors + vectors[::-1] + vectors:  # hits, misses, evictions
        cos, sin = model._rotary(positions)  # uncached, as before the cache
        expected = x * cos + rotate_half(x) * sin
        assert torch.equal(rotary(x, positions), expected)
        own, _ = apply_rotary_pos_emb(x, x, cos, sin)
        torch.testing.assert_close(rotary(x, positions), own, atol=1e-6, rtol=0)
    assert torch.equal(rotary(x), rotary(x, torch.arange(12)))
    assert len(rotary._tables) == Rotary.CACHED
