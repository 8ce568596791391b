"""MQA by mean-pooling KV heads (llmviz.models.uptrain.mean_pool_kv), the GQA paper's
conversion: pooling to as many heads is the identity; heads that were already equal
pool to the same model (so its logits do not move); pooled projections are the mean of
their group's, with the query heads' grouping of repeat_kv."""

from __future__ import annotations

import torch

from llmviz.models import TinyGPT, TinyGPTConfig, mean_pool_kv

CONFIG = TinyGPTConfig(vocab_size=40, hidden_size=32, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=4,
                       intermediate_size=48)  # fmt: skip
IDS = torch.randint(0, 40, (2, 9), generator=torch.Generator().manual_seed(0))


def model() -> TinyGPT:
    torch.manual_seed(0)
    return TinyGPT(CONFIG).eval()


def test_same_number_of_heads_is_the_identity():
    m = model()
    with torch.no_grad():
        assert torch.equal(mean_pool_kv(m, 4)(IDS), m(IDS))


def test_equal_heads_in_a_group_pool_to_the_same_model():
    m, head_dim = model(), CONFIG.hidden_size // CONFIG.num_attention_heads
    with torch.no_grad():
        for layer in m.layers:
            for proj in (layer.self_attn.k_proj, layer.self_attn.v_proj):
                heads = proj.weight.view(4, head_dim, -1)
                heads[1], heads[3] = heads[0], heads[2]  # groups {0, 1} and {2, 3}
        pooled = mean_pool_kv(m, 2)
        assert torch.allclose(pooled(IDS), m(IDS), atol=1e-6)
        assert not torch.allclose(mean_pool_kv(m, 1)(IDS), m(IDS), atol=1e-3)


def test_pooled_weights_are_group_means():
    m, head_dim = model(), CONFIG.hidden_size // CONFIG.num_attention_heads
    pooled = mean_pool_kv(m, 2)
    for old, new in zip(m.layers, pooled.layers, strict=True):
        for name in ("k_proj", "v_proj"):
            w = getattr(old.self_attn, name).weight.view(4, head_dim, -1)
            expected = torch.cat([(w[0] + w[1]) / 2, (w[2] + w[3]) / 2])
            assert torch.allclose(getattr(new.self_attn, name).weight, expected)
    assert pooled.config.num_key_value_heads == 2
    assert m.config.num_key_value_heads == 4  # the input is not changed
