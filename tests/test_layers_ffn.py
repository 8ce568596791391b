"""The feed-forward layers against Hugging Face's (GPTNeoXMLP, LlamaMLP) with copied
weights, their per-token property, and the parameter arithmetic against numel() of
modules built at those sizes and against published configs (llmviz.layers.ffn_classic,
.ffn, .ffn_params)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention.heads import GroupedQueryAttention
from llmviz.layers.ffn import SwiGLU
from llmviz.layers.ffn_classic import (
    ClassicFFN,
    other_tokens_change,
    per_token_change,
)
from llmviz.layers.ffn_params import (
    classic_ffn_parameters,
    ffn_share,
    llama_intermediate_size,
    module_ffn_share,
    swiglu_parameters,
)
from llmviz.models import TinyGPT, TinyGPTConfig
from llmviz.moe.params import MODEL_CONFIGS

transformers = pytest.importorskip("transformers")
from transformers import GPTNeoXConfig, LlamaConfig, MixtralConfig  # noqa: E402
from transformers.models.gpt_neox.modeling_gpt_neox import GPTNeoXMLP  # noqa: E402
from transformers.models.llama.modeling_llama import LlamaMLP  # noqa: E402

sizes = st.integers(1, 48)
HF_ACT = {"relu": "relu", "gelu": "gelu", "gelu_tanh": "gelu_new", "silu": "silu"}


def _neox(d: int, i: int, act: str = "gelu") -> GPTNeoXMLP:
    """GPTNeoXMLP at these sizes; one attention head, as its config demands that the
    heads divide hidden_size."""
    config = GPTNeoXConfig(
        hidden_size=d, intermediate_size=i, hidden_act=act, num_attention_heads=1
    )
    return GPTNeoXMLP(config)


def _llama(d: int, i: int) -> LlamaMLP:
    config = LlamaConfig(
        hidden_size=d, intermediate_size=i, num_attention_heads=1, head_dim=2
    )
    return LlamaMLP(config)


def _x(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", list(HF_ACT))
@settings(max_examples=25, deadline=None)
@given(d=sizes, i=sizes, t=st.integers(1, 6), seed=st.integers(0, 99))
def test_classic_ffn_equals_gpt_neox_mlp(name, d, i, t, seed):
    hf = _neox(d, i, HF_ACT[name])
    ours = ClassicFFN(d, i, activation=name)
    ours.load_state_dict(hf.state_dict())  # same names, strict
    x = _x(2, t, d, seed=seed)
    torch.testing.assert_close(ours(x), hf(x), atol=1e-5, rtol=0)


@settings(max_examples=25, deadline=None)
@given(d=sizes, i=sizes, t=st.integers(1, 6), seed=st.integers(0, 99))
def test_swiglu_equals_llama_mlp(d, i, t, seed):
    hf = _llama(d, i)
    ours = SwiGLU(d, i)
    ours.load_state_dict(hf.state_dict())
    x = _x(2, t, d, seed=seed)
    torch.testing.assert_close(ours(x), hf(x), atol=1e-6, rtol=0)


@pytest.mark.parametrize("make", [lambda: ClassicFFN(8, 32), lambda: SwiGLU(8, 24)])
@settings(max_examples=25, deadline=None)
@given(t=st.integers(2, 9), seed=st.integers(0, 99), data=st.data())
def test_ffn_works_on_each_token_alone(make, t, seed, data):
    torch.manual_seed(seed)
    layer, x = make(), _x(3, t, 8, seed=seed)
    order = torch.tensor(data.draw(st.permutations(range(t))))
    with torch.no_grad():  # permuting the tokens permutes the output
        torch.testing.assert_close(layer(x[:, order]), layer(x)[:, order])
    position = data.draw(st.integers(0, t - 1))
    assert other_tokens_change(layer, x, position, seed) == 0.0


def test_attention_mixes_tokens_the_ffn_does_not():
    torch.manual_seed(0)
    x = _x(1, 5, 8)
    assert other_tokens_change(GroupedQueryAttention(8, 2), x, 2) > 1e-3
    assert other_tokens_change(ClassicFFN(8, 32), x, 2) == 0.0


def test_per_token_change_is_zero_away_from_the_changed_token():
    torch.manual_seed(0)
    x = _x(2, 6, 8)
    change = per_token_change(SwiGLU(8, 16), x, position=4)
    assert change.shape == (6,) and change[4] > 0
    assert torch.equal(change[[0, 1, 2, 3, 5]], torch.zeros(5))
    mixed = per_token_change(GroupedQueryAttention(8, 2), x, position=4)
    assert (mixed > 1e-4).all()


def test_other_tokens_change_leaves_the_input():
    x = _x(1, 4, 8)
    before = x.clone()
    other_tokens_change(ClassicFFN(8, 16), x, 1)
    assert torch.equal(x, before)


@settings(max_examples=30, deadline=None)
@given(d=sizes, i=sizes)
def test_counts_equal_numel(d, i):
    neox = _neox(d, i)
    assert classic_ffn_parameters(d, i) == sum(p.numel() for p in neox.parameters())
    assert classic_ffn_parameters(d, i, bias=False) == 2 * d * i
    llama = _llama(d, i)
    assert swiglu_parameters(d, i) == sum(p.numel() for p in llama.parameters())
    assert swiglu_parameters(d, i) == sum(p.numel() for p in SwiGLU(d, i).parameters())


@settings(max_examples=50, deadline=None)
@given(d=st.integers(1, 4096))
def test_eight_thirds_keeps_the_parameters(d):
    """3·d·(8/3)d = 2·d·4d: exact where 3 divides d, else short by under 3·d."""
    i = llama_intermediate_size(d, multiple_of=1)
    same = classic_ffn_parameters(d, 4 * d, bias=False)
    if d % 3 == 0:
        assert swiglu_parameters(d, i) == same
    assert 0 <= same - swiglu_parameters(d, i) < 3 * d


@pytest.mark.parametrize(
    ("d", "multiple_of", "multiplier", "published"),
    [  # the intermediate_size of each model's published config.json
        (4096, 256, None, 11008),  # Llama-2-7B
        (5120, 256, None, 13824),  # Llama-2-13B
        (8192, 4096, 1.3, 28672),  # Llama-2-70B
        (4096, 1024, 1.3, 14336),  # Llama-3-8B
        (16384, 4096, 1.2, 53248),  # Llama-3.1-405B
    ],
)
def test_llama_rounding_gives_published_sizes(d, multiple_of, multiplier, published):
    assert llama_intermediate_size(d, multiple_of, multiplier) == published


def _counted_share(model: torch.nn.Module, part: str) -> float:
    total = sum(p.numel() for p in model.parameters())
    ffn = sum(p.numel() for n, p in model.named_parameters() if part in n)
    return ffn / total


def test_share_equals_a_built_llama():
    from transformers import LlamaForCausalLM

    fields = dict(vocab_size=97, hidden_size=24, intermediate_size=40,
                  num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                  tie_word_embeddings=False)  # fmt: skip
    model = LlamaForCausalLM(LlamaConfig(**fields))
    share = ffn_share(fields)
    assert share["total"] == pytest.approx(_counted_share(model, ".mlp."), abs=1e-12)
    assert share["active"] == share["total"]


def test_share_equals_a_built_mixtral():
    from transformers import MixtralForCausalLM

    fields = dict(vocab_size=97, hidden_size=16, intermediate_size=24,
                  num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                  num_local_experts=4, num_experts_per_tok=2,
                  tie_word_embeddings=False)  # fmt: skip
    model = MixtralForCausalLM(MixtralConfig(**fields))
    total = sum(p.numel() for p in model.parameters())
    experts = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
    share = ffn_share(fields)
    assert share["total"] == pytest.approx(experts / total, abs=1e-12)
    unused = 2 * (4 - 2) * 3 * 16 * 24  # layers · unused experts · one SwiGLU
    used = (experts - unused) / (total - unused)
    assert share["active"] == pytest.approx(used, abs=1e-12)


@pytest.mark.parametrize("name", ["Llama-2-7B", "Mixtral-8x7B"])
def test_real_configs_share_equals_hf_on_the_meta_device(name):
    """Full-size models built on the meta device (no memory): their feed-forward
    weights over all weights equal ffn_share's."""
    from transformers import LlamaForCausalLM, MixtralForCausalLM

    fields = MODEL_CONFIGS[name]
    moe = "num_local_experts" in fields
    make = (
        (MixtralForCausalLM, MixtralConfig) if moe else (LlamaForCausalLM, LlamaConfig)
    )
    with torch.device("meta"):
        model = make[0](make[1](**fields))
    part = ".experts." if moe else ".mlp."
    assert ffn_share(fields)["total"] == pytest.approx(_counted_share(model, part))


def test_tinygpt_share_counted_from_the_model():
    config = TinyGPTConfig()
    model = TinyGPT(config)
    ffn = config.num_hidden_layers * swiglu_parameters(
        config.hidden_size, config.intermediate_size
    )
    total = sum(p.numel() for p in model.parameters())
    assert module_ffn_share(model) == pytest.approx(ffn / total, abs=1e-12)
    assert module_ffn_share(model) == pytest.approx(_counted_share(model, ".mlp."))
