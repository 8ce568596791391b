"""Multi-head latent attention and gated attention against Hugging Face transformers'
DeepseekV3Attention and Qwen3NextAttention, with the reference's own weights."""

import json
from pathlib import Path

import pytest
import torch
from transformers import DeepseekV3Config, DynamicCache, Qwen3NextConfig
from transformers.models.deepseek_v3.modeling_deepseek_v3 import (
    DeepseekV3Attention,
    DeepseekV3RotaryEmbedding,
)
from transformers.models.qwen3_next.modeling_qwen3_next import (
    Qwen3NextAttention,
    Qwen3NextRotaryEmbedding,
)

from llmviz.attention.gated import GatedAttention, apply_partial_rotary_pos_emb
from llmviz.attention.kv_cache import KVCache
from llmviz.attention.mla import (
    MultiHeadLatentAttention,
    apply_interleaved_rotary_pos_emb,
    deinterleave,
)
from llmviz.positions.rope import rope_cos_sin

ATOL = 1e-5
B, L = 2, 9
MLA_SIZES = dict(
    hidden_size=64,
    num_attention_heads=4,
    kv_lora_rank=16,
    qk_nope_head_dim=8,
    qk_rope_head_dim=4,
    v_head_dim=8,
)


def additive_causal(q_len, kv_len):
    """HF's eager mask: (B, 1, q_len, kv_len), the most negative float where hidden."""
    visible = torch.ones(q_len, kv_len, dtype=torch.bool).tril(kv_len - q_len)
    return torch.zeros(B, 1, q_len, kv_len).masked_fill(
        ~visible, torch.finfo(torch.float32).min
    )


def randomise(module):
    """Every weight random, norm weights included (Qwen3Next's start at 0)."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0, 0.3)


def deepseek(q_lora_rank=32, rope_interleave=True, attention_bias=False):
    torch.manual_seed(0)
    config = DeepseekV3Config(
        num_key_value_heads=4,
        q_lora_rank=q_lora_rank,
        rope_interleave=rope_interleave,
        attention_bias=attention_bias,
        attn_implementation="eager",
        **MLA_SIZES,
    )
    hf = DeepseekV3Attention(config, layer_idx=0).eval()
    randomise(hf)
    ours = MultiHeadLatentAttention(
        **MLA_SIZES,
        q_lora_rank=q_lora_rank,
        rope_interleave=rope_interleave,
        attention_bias=attention_bias,
    )
    ours.load_state_dict(hf.state_dict())  # strict: the same names and shapes
    x = torch.randn(B, L, 64)
    rope = DeepseekV3RotaryEmbedding(config)(x, torch.arange(L).expand(B, L))
    return config, hf, ours, x, rope


@pytest.mark.parametrize(
    "q_lora_rank, rope_interleave, attention_bias",
    [(32, True, False), (None, True, False), (32, False, False), (32, True, True)],
    ids=["low-rank-q", "plain-q", "rotate-half", "bias"],
)
def test_mla_equals_deepseek_v3_attention(q_lora_rank, rope_interleave, attention_bias):
    _, hf, ours, x, rope = deepseek(q_lora_rank, rope_interleave, attention_bias)
    with torch.no_grad():
        expected, _ = hf(
            x, position_embeddings=rope, attention_mask=additive_causal(L, L)
        )
        for absorb in (False, True):
            torch.testing.assert_close(
                ours(x, rope, attn_mask=additive_causal(L, L), absorb=absorb),
                expected,
                atol=ATOL,
                rtol=0,
            )
            torch.testing.assert_close(
                ours(x, rope, is_causal=True, absorb=absorb),
                expected,
                atol=ATOL,
                rtol=0,
            )


def test_interleaved_rope_is_rotate_half_after_deinterleaving():
    """Rotating pairs (x0, x1), (x2, x3) by θ_0, θ_1 is rotate_half on the permutation."""
    cos, sin = rope_cos_sin(torch.arange(5), head_dim=4)
    x = torch.randn(5, 4)
    angles = torch.atan2(sin[:, :2], cos[:, :2])  # (5, 2): one angle per pair
    pairs = torch.view_as_complex(x.view(5, 2, 2).contiguous())
    rotated = torch.view_as_real(pairs * torch.polar(torch.ones(5, 2), angles))
    ours, _ = apply_interleaved_rotary_pos_emb(
        x[None, None], x[None, None], cos[None], sin[None]
    )
    expected = deinterleave(rotated.flatten(1))  # as complex numbers, as DeepSeek-V2
    torch.testing.assert_close(ours[0, 0], expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("absorb", [False, True], ids=["expanded", "absorbed"])
def test_mla_cache_holds_the_latent_and_matches_hf(absorb):
    config, hf, ours, x, (cos, sin) = deepseek()
    with torch.no_grad():
        full = ours(x, (cos, sin), is_causal=True)
        cache, hf_cache = KVCache(), DynamicCache(config=config)
        outputs, hf_outputs = [], []
        for start, stop in [(0, 5), *((t, t + 1) for t in range(5, L))]:
            part = (x[:, start:stop], (cos[:, start:stop], sin[:, start:stop]))
            outputs.append(ours(*part, is_causal=True, cache=cache, absorb=absorb))
            mask = additive_causal(stop - start, stop)
            hf_outputs.append(
                hf(*part, attention_mask=mask, past_key_values=hf_cache)[0]
            )
    torch.testing.assert_close(torch.cat(outputs, dim=1), full, atol=ATOL, rtol=0)
    torch.testing.assert_close(torch.cat(hf_outputs, dim=1), full, atol=ATOL, rtol=0)
    # the cache holds the normalised latent c and the rotated shared key, not per head k, v
    assert cache.keys[0].shape == (B, 1, L, 16) and cache.values[0].shape == (
        B,
        1,
        L,
        4,
    )
    layer = hf_cache.layers[0]
    torch.testing.assert_close(cache.keys[0], layer.keys, atol=ATOL, rtol=0)
    torch.testing.assert_close(cache.values[0], layer.values, atol=ATOL, rtol=0)
    assert cache.nbytes == B * L * (16 + 4) * 4  # float32


def qwen3_next(num_key_value_heads=2, partial_rotary_factor=0.25, attention_bias=False):
    torch.manual_seed(0)
    config = Qwen3NextConfig(
        hidden_size=64,
        num_attention_heads=4,
        num_key_value_heads=num_key_value_heads,
        head_dim=16,
        partial_rotary_factor=partial_rotary_factor,
        attention_bias=attention_bias,
        num_hidden_layers=1,
        attn_implementation="eager",
    )
    hf = Qwen3NextAttention(config, layer_idx=0).eval()
    randomise(hf)
    ours = GatedAttention(
        64,
        4,
        num_key_value_heads=num_key_value_heads,
        head_dim=16,
        partial_rotary_factor=partial_rotary_factor,
        attention_bias=attention_bias,
    )
    ours.load_state_dict(hf.state_dict())
    x = torch.randn(B, L, 64)
    rope = Qwen3NextRotaryEmbedding(config)(x, torch.arange(L).expand(B, L))
    return hf, ours, x, rope


@pytest.mark.parametrize(
    "num_key_value_heads, partial_rotary_factor, attention_bias",
    [(2, 0.25, False), (4, 0.25, False), (1, 0.5, True), (2, 1.0, False)],
    ids=["GQA", "MHA", "MQA-half-rope-bias", "full-rope"],
)
def test_gated_attention_equals_qwen3_next_attention(
    num_key_value_heads, partial_rotary_factor, attention_bias
):
    hf, ours, x, rope = qwen3_next(
        num_key_value_heads, partial_rotary_factor, attention_bias
    )
    assert rope[0].shape == (B, L, ours.rotary_dim)
    with torch.no_grad():
        expected, _ = hf(
            x, position_embeddings=rope, attention_mask=additive_causal(L, L)
        )
        torch.testing.assert_close(
            ours(x, rope, attn_mask=additive_causal(L, L)), expected, atol=ATOL, rtol=0
        )
        torch.testing.assert_close(
            ours(x, rope, is_causal=True), expected, atol=ATOL, rtol=0
        )
    gate = ours.last_gate
    assert gate.shape == (B, L, 4, 16) and 0 < gate.min() and gate.max() < 1
    assert gate.std() > 0.05  # random weights give a gate that really varies


def test_gate_multiplies_each_output_elementwise():
    """With the gate's logits fixed by its bias, σ(0) = ½ halves what σ(30) = 1 gives."""
    _, ours, x, rope = qwen3_next(attention_bias=True)
    gate_rows = torch.arange(4 * 32).view(4, 32)[:, 16:].flatten()  # [query | gate]
    with torch.no_grad():
        ours.q_proj.weight[gate_rows] = 0.0
        ours.q_proj.bias[gate_rows] = 0.0
        half = ours(x, rope, is_causal=True) - ours.o_proj.bias
        assert torch.equal(ours.last_gate, torch.full((B, L, 4, 16), 0.5))
        ours.q_proj.bias[gate_rows] = 30.0
        whole = ours(x, rope, is_causal=True) - ours.o_proj.bias
        assert torch.equal(ours.last_gate, torch.ones(B, L, 4, 16))
    torch.testing.assert_close(2 * half, whole, atol=ATOL, rtol=0)


def test_gated_cached_decoding_equals_full_recomputation():
    _, ours, x, (cos, sin) = qwen3_next()
    with torch.no_grad():
        full = ours(x, (cos, sin), is_causal=True)
        cache = KVCache()
        steps = [
            ours(x[:, a:b], (cos[:, a:b], sin[:, a:b]), is_causal=True, cache=cache)
            for a, b in [(0, 4), *((t, t + 1) for t in range(4, L))]
        ]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=ATOL, rtol=0)
    assert cache.keys[0].shape == (B, 2, L, 16)


def test_partial_rope_leaves_the_other_dimensions_alone():
    cos, sin = rope_cos_sin(torch.arange(3), head_dim=4)
    q, k = torch.randn(1, 2, 3, 16), torch.randn(1, 2, 3, 16)
    q_rot, k_rot = apply_partial_rotary_pos_emb(q, k, cos[None], sin[None])
    assert torch.equal(q_rot[..., 4:], q[..., 4:])
    assert torch.equal(k_rot[..., 4:], k[..., 4:])
    assert not torch.allclose(q_rot[..., 1:, :4], q[..., 1:, :4])


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(
        ValueError,
        match="num_key_value_heads must divide num_attention_heads=8 into equal groups, got 3",
    ):
        GatedAttention(64, 8, num_key_value_heads=3)
    with pytest.raises(
        ValueError, match=r"partial_rotary_factor must be in \(0, 1\], got 1.5"
    ):
        GatedAttention(64, 4, partial_rotary_factor=1.5)
    with pytest.raises(
        ValueError, match=r"partial_rotary_factor must be in \(0, 1\], got 0.0"
    ):
        GatedAttention(64, 4, partial_rotary_factor=0)
    with pytest.raises(
        ValueError, match=r"must round down to an even number >= 2.*got 3"
    ):
        GatedAttention(64, 4, head_dim=12, partial_rotary_factor=0.25)
    with pytest.raises(
        ValueError,
        match=r"position_embeddings must be \(cos, sin\), each of shape \(1, 3, 4\) "
        r"with 4 = rotary_dim, got \(1, 3, 16\)",
    ):
        cos, sin = rope_cos_sin(torch.arange(3), 16)
        GatedAttention(64, 4)(torch.randn(1, 3, 64), (cos[None], sin[None]))
    with pytest.raises(
        ValueError, match="qk_rope_head_dim must be even for RoPE, got 5"
    ):
        MultiHeadLatentAttention(64, 4, 32, 16, 8, 5, 8)
    with pytest.raises(ValueError, match="kv_lora_rank must be an integer >= 1, got 0"):
        MultiHeadLatentAttention(64, 4, 32, 0, 8, 4, 8)
    with pytest.raises(ValueError, match="q_lora_rank must be an integer >= 1, got 0"):
        MultiHeadLatentAttention(64, 4, 0, 16, 8, 4, 8)
    with pytest.raises(
        ValueError, match=r"\(1, 3, 4\) with 4 = qk_rope_head_dim, got \(1, 3, 8\)"
    ):
        cos, sin = rope_cos_sin(torch.arange(3), 8)
        MultiHeadLatentAttention(64, 4, 32, 16, 8, 4, 8)(
            torch.randn(1, 3, 64), (cos[None], sin[None])
        )


def _chapter_markdown() -> str:
    path = Path(__file__).parents[1] / "notebooks" / "03_attention.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join(
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
    )


def test_the_sink_text_claims_only_what_its_test_can_show():
    """Every training sequence began with <|endoftext|>: dropping it cannot tell the
    token from the position, and the chapter must not say it does."""
    text = " ".join(_chapter_markdown().split())
    assert "the sink is the special token, not the position" not in text
    assert "rather than on position 0" not in text
    assert "cannot say whether the sink belongs to the token or to the position" in text
    assert "a twin trained on windows whose first token varies" in text
    assert (
        "our test cannot say whether the sink belongs to the token or to position 0"
        in text
    )
