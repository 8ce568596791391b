"""Grouped-query attention, RoPE and the KV-cache calculator against Hugging Face
transformers, with the reference's own weights."""

import pytest
import torch
from transformers import (
    DeepseekV3Config,
    DeepseekV3ForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
)
from transformers.models.llama import modeling_llama

from llmviz.attention.heads import GroupedQueryAttention, head_groups, repeat_kv
from llmviz.attention.kv_cache import (
    MODEL_CONFIGS,
    KVCache,
    kv_cache_bytes_per_token,
    kv_cache_table,
)
from llmviz.positions.rope import apply_rotary_pos_emb, rope_cos_sin

ATOL = 1e-5


def tiny_llama(num_key_value_heads, num_hidden_layers=1):
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=97,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=4,
        num_key_value_heads=num_key_value_heads,
        attn_implementation="eager",
    )
    return LlamaForCausalLM(config).eval()


def test_repeat_kv_equals_hf():
    x = torch.randn(2, 3, 5, 8)
    assert torch.equal(repeat_kv(x, 4), modeling_llama.repeat_kv(x, 4))


def test_rope_equals_hf():
    model = tiny_llama(2)
    x = torch.randn(2, 7, 64)
    positions = torch.arange(7).expand(2, 7)
    hf_cos, hf_sin = model.model.rotary_emb(x, positions)
    cos, sin = rope_cos_sin(
        positions, head_dim=16, rope_theta=model.config.rope_parameters["rope_theta"]
    )
    torch.testing.assert_close(cos, hf_cos, atol=ATOL, rtol=0)
    torch.testing.assert_close(sin, hf_sin, atol=ATOL, rtol=0)
    q, k = torch.randn(2, 4, 7, 16), torch.randn(2, 2, 7, 16)
    ours, theirs = (
        apply_rotary_pos_emb(q, k, cos, sin),
        modeling_llama.apply_rotary_pos_emb(q, k, hf_cos, hf_sin),
    )
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, atol=ATOL, rtol=0)


def test_rope_scores_depend_only_on_the_offset():
    cos, sin = rope_cos_sin(torch.arange(40), head_dim=8)
    q, k = (
        torch.randn(1, 1, 1, 8).expand(1, 1, 40, 8),
        torch.randn(1, 1, 1, 8).expand(1, 1, 40, 8),
    )
    q_rot, k_rot = apply_rotary_pos_emb(q, k, cos[None], sin[None])
    scores = (q_rot @ k_rot.transpose(-1, -2))[0, 0]  # (40, 40)
    for offset in (0, 3, 11):
        diagonal = torch.diagonal(scores, offset=-offset)
        torch.testing.assert_close(
            diagonal, diagonal[0].expand_as(diagonal), atol=1e-4, rtol=0
        )


@pytest.mark.parametrize("num_key_value_heads", [4, 2, 1], ids=["MHA", "GQA", "MQA"])
def test_grouped_query_attention_equals_llama_attention(num_key_value_heads):
    model = tiny_llama(num_key_value_heads)
    hf = model.model.layers[0].self_attn
    ours = GroupedQueryAttention(64, 4, num_key_value_heads=num_key_value_heads)
    ours.load_state_dict(hf.state_dict())
    x = torch.randn(2, 9, 64)
    position_embeddings = model.model.rotary_emb(x, torch.arange(9).expand(2, 9))
    causal = torch.ones(9, 9, dtype=torch.bool).tril()
    additive = torch.zeros(2, 1, 9, 9).masked_fill(
        ~causal, torch.finfo(torch.float32).min
    )
    with torch.no_grad():
        expected, _ = hf(
            x, position_embeddings=position_embeddings, attention_mask=additive
        )
        torch.testing.assert_close(
            ours(x, position_embeddings, attn_mask=additive),
            expected,
            atol=ATOL,
            rtol=0,
        )
        torch.testing.assert_close(
            ours(x, position_embeddings, is_causal=True), expected, atol=ATOL, rtol=0
        )


def test_kv_cache_sizes_of_real_models():
    """The published figures: 512 KiB, 128 KiB and 67.5 KiB per token in bf16."""
    kib = {
        name: kv_cache_bytes_per_token(config) / 1024
        for name, config in MODEL_CONFIGS.items()
    }
    assert kib == {
        "Llama-2-7B": 512,
        "Llama-3-8B": 128,
        "Mistral-7B": 128,
        "DeepSeek-V2": 67.5,
    }
    assert (
        kv_cache_bytes_per_token(MODEL_CONFIGS["Llama-2-7B"], "float32")
        == 2 * 512 * 1024
    )


def test_the_cache_table_shows_what_each_model_caches():
    """MLA caches no KV heads, so DeepSeek-V2's row gives none (it used to say 128,
    its config's num_key_value_heads), and says what it caches instead."""
    context = 32_768
    rows = {row["model"]: row for row in kv_cache_table(MODEL_CONFIGS, context)}
    deepseek = rows["DeepSeek-V2"]
    assert not isinstance(deepseek["KV heads"], int) and "MLA" in deepseek["KV heads"]
    assert deepseek["cached per token and layer"] == "latent 512 + RoPE key 64"
    assert deepseek["KiB per token (bfloat16)"] == 60 * (512 + 64) * 2 / 1024 == 67.5
    assert rows["Llama-3-8B"]["KV heads"] == 8
    assert rows["Llama-3-8B"]["cached per token and layer"] == "K and V: 8 heads × 128"
    assert rows["Llama-2-7B"]["KV heads"] == 32
    for name, row in rows.items():
        per_token = kv_cache_bytes_per_token(MODEL_CONFIGS[name])
        assert row[f"GiB at {context:,} tokens"] == per_token * context / 2**30
        assert row["query heads"] == MODEL_CONFIGS[name]["num_attention_heads"]


def test_the_cache_table_reads_hf_config_objects():
    config = LlamaConfig(num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, hidden_size=64)  # fmt: skip
    (row,) = kv_cache_table({"tiny": config}, context=10, dtype="float32")
    assert row["KV heads"] == 2 and row["cached per token and layer"] == (
        "K and V: 2 heads × 16"
    )


def _cache_bytes_per_token(model, seq_len):
    ids = torch.randint(0, model.config.vocab_size, (1, seq_len))
    with torch.no_grad():
        cache = model(ids, use_cache=True).past_key_values
    total = sum(layer.keys.nbytes + layer.values.nbytes for layer in cache.layers)
    return total / seq_len


@pytest.mark.parametrize("num_key_value_heads", [4, 2, 1])
def test_kv_cache_calculator_equals_hf_dynamic_cache(num_key_value_heads):
    model = tiny_llama(num_key_value_heads, num_hidden_layers=3)
    assert _cache_bytes_per_token(model, 11) == kv_cache_bytes_per_token(
        model.config, "float32"
    )


def test_mla_calculator_equals_hf_deepseek_cache():
    torch.manual_seed(0)
    config = DeepseekV3Config(
        vocab_size=97,
        hidden_size=64,
        intermediate_size=128,
        moe_intermediate_size=32,
        num_hidden_layers=2,
        first_k_dense_replace=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        q_lora_rank=32,
        kv_lora_rank=16,
        qk_nope_head_dim=8,
        qk_rope_head_dim=4,
        v_head_dim=8,
        attn_implementation="eager",
    )
    model = DeepseekV3ForCausalLM(config).eval()
    assert _cache_bytes_per_token(model, 7) == kv_cache_bytes_per_token(
        config, "float32"
    )


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(
        ValueError,
        match="num_key_value_heads must divide num_attention_heads=8 into equal groups, got 3",
    ):
        GroupedQueryAttention(64, 8, num_key_value_heads=3)
    with pytest.raises(
        ValueError, match="num_attention_heads=6 must divide hidden_size=64"
    ):
        GroupedQueryAttention(64, 6)
    with pytest.raises(
        ValueError, match="num_attention_heads must be an integer >= 1, got 0"
    ):
        GroupedQueryAttention(64, 0)
    with pytest.raises(ValueError, match="head_dim must be even"):
        rope_cos_sin(torch.arange(3), head_dim=7)
    with pytest.raises(
        ValueError, match="rope_theta must be a finite number > 0, got -1"
    ):
        rope_cos_sin(torch.arange(3), head_dim=8, rope_theta=-1)
    with pytest.raises(
        ValueError, match=r"dtype must be one of \[.*'bfloat16'.*\], got 'fp4'"
    ):
        kv_cache_bytes_per_token(MODEL_CONFIGS["Llama-2-7B"], "fp4")
    with pytest.raises(
        ValueError,
        match=r"config must give num_hidden_layers: config\['num_hidden_layers'\] is missing",
    ):
        kv_cache_bytes_per_token({"num_attention_heads": 4})


@pytest.mark.parametrize("num_key_value_heads", [4, 2, 1], ids=["MHA", "GQA", "MQA"])
def test_cached_decoding_equals_full_recomputation(num_key_value_heads):
    model = tiny_llama(num_key_value_heads)
    attention = GroupedQueryAttention(64, 4, num_key_value_heads=num_key_value_heads)
    attention.load_state_dict(model.model.layers[0].self_attn.state_dict())
    x = torch.randn(2, 10, 64)
    cos, sin = model.model.rotary_emb(x, torch.arange(10).expand(2, 10))
    with torch.no_grad():
        full = attention(x, (cos, sin), is_causal=True)
        cache = KVCache()
        prefill = attention(
            x[:, :6], (cos[:, :6], sin[:, :6]), is_causal=True, cache=cache
        )
        steps = [
            attention(
                x[:, t : t + 1],
                (cos[:, t : t + 1], sin[:, t : t + 1]),
                is_causal=True,
                cache=cache,
            )
            for t in range(6, 10)
        ]
    torch.testing.assert_close(
        torch.cat([prefill, *steps], dim=1), full, atol=ATOL, rtol=0
    )
    assert cache.seq_len() == 10
    # what the cache holds is what the calculator says, for this one-layer config in float32
    per_token = kv_cache_bytes_per_token(
        dict(model.config.to_dict(), num_hidden_layers=1), "float32"
    )
    assert cache.nbytes == 2 * 10 * per_token  # batch of 2, 10 tokens


@pytest.mark.parametrize("num_key_value_heads", [8, 4, 2, 1])
def test_head_groups_match_repeat_kv(num_key_value_heads):
    groups = head_groups(8, num_key_value_heads)
    assert groups.shape == (8, num_key_value_heads) and (groups.sum(1) == 1).all()
    # the KV head that repeat_kv hands to query head h is the one head_groups marks
    kv = torch.arange(num_key_value_heads, dtype=torch.float32).view(1, -1, 1, 1)
    handed = repeat_kv(kv, 8 // num_key_value_heads).flatten().long()
    assert torch.equal(groups.float().argmax(1), handed)
    with pytest.raises(
        ValueError, match="num_key_value_heads must divide num_attention_heads=8"
    ):
        head_groups(8, 3)
