"""TinyGPT against Hugging Face's Llama with the same weights, its KV cache against
DynamicCache, the shipped weights, and a short training run."""

import json
import pathlib

import pytest
import torch
import torch.nn.functional as F
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

from llmviz.attention.kv_cache import KVCache
from llmviz.models import (
    TinyGPT,
    TinyGPTConfig,
    load_tinygpt,
    pretrained,
    to_hf_llama,
    train,
    training_log,
)
from llmviz.models.probes import first_token_mass, gate_values

ATOL = 1e-5
SMALL = dict(
    vocab_size=97,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=96,
)


def twins(num_key_value_heads=2):
    """A random HF Llama and a TinyGPT holding the same weights."""
    torch.manual_seed(0)
    config = TinyGPTConfig(**SMALL, num_key_value_heads=num_key_value_heads)
    hf_config = LlamaConfig(
        **SMALL,
        num_key_value_heads=num_key_value_heads,
        rms_norm_eps=config.rms_norm_eps,
        rope_theta=config.rope_theta,
        tie_word_embeddings=True,
        attn_implementation="eager",
    )
    hf = LlamaForCausalLM(hf_config).eval()
    ours = TinyGPT(config).eval()
    weights = {k.removeprefix("model."): v for k, v in hf.state_dict().items()}
    ours.load_state_dict(weights)
    return hf, ours


@pytest.mark.parametrize("num_key_value_heads", [4, 2, 1], ids=["MHA", "GQA", "MQA"])
def test_tinygpt_equals_hf_llama(num_key_value_heads):
    hf, ours = twins(num_key_value_heads)
    ids = torch.randint(0, 97, (2, 12))
    with torch.no_grad():
        expected = hf(ids).logits
        logits, attentions = ours(ids, output_attentions=True)
        hf_attentions = hf(ids, output_attentions=True).attentions
    torch.testing.assert_close(logits, expected, atol=ATOL, rtol=0)
    for mine, theirs in zip(attentions, hf_attentions, strict=True):
        torch.testing.assert_close(mine, theirs, atol=ATOL, rtol=0)


def test_greedy_decoding_equals_hf_generate_with_and_without_cache():
    hf, ours = twins()
    prompt = torch.randint(0, 97, (1, 5))
    expected = hf.generate(
        prompt, max_new_tokens=20, do_sample=False, eos_token_id=None, pad_token_id=0
    )
    assert torch.equal(ours.generate(prompt, 20, use_cache=True), expected)
    assert torch.equal(ours.generate(prompt, 20, use_cache=False), expected)


def test_kv_cache_holds_what_hf_dynamic_cache_holds():
    hf, ours = twins()
    ids = torch.randint(0, 97, (2, 9))
    hf_cache, cache = DynamicCache(config=hf.config), KVCache()
    with torch.no_grad():
        for chunk in (ids[:, :6], ids[:, 6:7], ids[:, 7:]):  # prefill, then steps
            hf(chunk, past_key_values=hf_cache, use_cache=True)
            ours(chunk, cache=cache)
    for layer in range(2):
        torch.testing.assert_close(
            cache.keys[layer], hf_cache.layers[layer].keys, atol=ATOL, rtol=0
        )
        torch.testing.assert_close(
            cache.values[layer], hf_cache.layers[layer].values, atol=ATOL, rtol=0
        )


def test_a_closed_output_gate_halves_what_attention_adds():
    """A gate projection of zeros gives sigmoid(0) = 1/2 on every channel."""
    torch.manual_seed(0)
    plain = TinyGPT(TinyGPTConfig(**SMALL)).eval()
    gated = TinyGPT(TinyGPTConfig(**SMALL, output_gate=True)).eval()
    weights = dict(plain.state_dict())
    for i in range(len(plain.layers)):
        gate = gated.layers[i].self_attn.gate_proj.weight
        weights[f"layers.{i}.self_attn.gate_proj.weight"] = torch.zeros_like(gate)
    gated.load_state_dict(weights)
    ids = torch.randint(0, 97, (1, 8))
    with torch.no_grad():
        for layer in plain.layers:
            layer.self_attn.o_proj.weight /= 2
        torch.testing.assert_close(gated(ids), plain(ids), atol=ATOL, rtol=0)


def test_bad_input_is_refused_with_a_clear_message():
    model = TinyGPT(TinyGPTConfig(**SMALL)).eval()
    cache = KVCache()
    model(torch.tensor([[1, 2, 3]]), cache=cache)
    with pytest.raises(
        ValueError,
        match="position_ids must continue the cache, which holds 3 tokens: the next "
        "position is 3, got 5",
    ):
        model(torch.tensor([[4]]), cache=cache, position_ids=torch.tensor([5]))
    with pytest.raises(ValueError, match=r"position_ids must have shape \(1,\)"):
        model(torch.tensor([[4]]), position_ids=torch.tensor([5, 6]))
    with pytest.raises(ValueError, match=r"input_ids must have 2 dimensions"):
        model(torch.tensor([1, 2, 3]))
    with pytest.raises(
        ValueError,
        match=r"key of shape \(2, 2, 1, 16\).* does not fit the cached keys of shape "
        r"\(1, 2, 3, 16\).*: only dim -2 \(tokens\) may differ",
    ):
        cache.update(0, torch.zeros(2, 2, 1, 16), torch.zeros(2, 2, 1, 16))
    with pytest.raises(  # KVCache's own message, owned by its tests
        ValueError, match="key and value must hold the same number|value must match key"
    ):
        cache.update(0, torch.zeros(1, 2, 1, 16), torch.zeros(1, 2, 2, 16))
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1, got 0"):
        TinyGPTConfig(hidden_size=0)
    with pytest.raises(ValueError, match="name must be one of"):
        load_tinygpt("gpt-5")


@pytest.mark.parametrize("name", pretrained.MODEL_NAMES)
def test_shipped_weights_load_and_predict_better_than_chance(name):
    torch.load(pretrained.WEIGHTS_DIR / f"{name}.pt", weights_only=True)
    model, tokenizer = load_tinygpt(name)
    log = training_log(name)
    assert model.config == TinyGPTConfig(**log["config"])
    assert model.config.output_gate == (name == "tinygpt-gated")
    _, validation = train.corpus_texts()
    ids = torch.tensor(tokenizer.encode(validation[:20_000]))
    bos = tokenizer.ids[pretrained.BOS_TOKEN]
    loss = train.evaluate(model, ids, log["args"]["seq_len"], bos)
    uniform = torch.log(torch.tensor(float(tokenizer.vocab_size))).item()
    assert loss < uniform - 2  # e^2 ≈ 7 times likelier than chance per token
    assert log["steps"][-1]["validation_loss"] < log["steps"][0]["validation_loss"]


def test_shipped_files_are_small():
    for path in pretrained.WEIGHTS_DIR.iterdir():
        assert path.stat().st_size <= 5 * 2**20, path.name  # each model ≤ 5 MiB
    assert sum(p.stat().st_size for p in pretrained.WEIGHTS_DIR.iterdir()) < 10 * 2**20


def test_a_short_training_run_lowers_the_loss(tmp_path):
    args = train.parse_args(
        ["--out", str(tmp_path), "--steps", "30", "--batch-size", "4"]
        + ["--seq-len", "32", "--log-every", "29", "--vocab-size", "300"]
        + ["--retrain-tokenizer"]
    )
    log = train.train(args)
    first, last = log["steps"][0], log["steps"][-1]
    assert last["validation_loss"] < first["validation_loss"] - 0.5
    saved = json.loads((tmp_path / "tinygpt.log.json").read_text())
    assert saved["steps"] == log["steps"]
    model = pretrained.load_model(tmp_path / "tinygpt.pt")
    assert model.config.vocab_size == 300


def test_probes_of_an_untrained_model():
    """Tiny random weights give near-uniform attention: query i puts 1/(i+1) on
    position 0. The gates of a gated model are sigmoids, strictly between 0 and 1."""
    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(**SMALL, output_gate=True)).eval()
    rows = torch.randint(0, 97, (8, 16))
    mass = first_token_mass(model, rows)
    assert mass.shape == (2, 4, 16)
    uniform = 1 / torch.arange(1, 17)
    torch.testing.assert_close(mass, uniform.expand_as(mass), atol=0.01, rtol=0)
    gates = gate_values(model, rows)
    assert gates.shape == (2, 8, 16, 4, 16)
    assert ((gates > 0) & (gates < 1)).all()
    with pytest.raises(ValueError, match="rows must be .batch, seq. with seq >= 2"):
        first_token_mass(model, rows[:, :1])
    with pytest.raises(ValueError, match="model has no output gate"):
        gate_values(TinyGPT(TinyGPTConfig(**SMALL)), rows)


def test_learned_positions_and_rope_scaling():
    """A learned table refuses positions past it; rescaled RoPE changes nothing up to
    the training length for dynamic NTK, and linear scaling by s at position s·m
    equals no scaling at m (position interpolation)."""
    learned = TinyGPT(TinyGPTConfig(**SMALL, position_embedding="learned")).eval()
    assert learned(torch.randint(0, 97, (1, 256))).shape == (1, 256, 97)
    with pytest.raises(ValueError, match="no row past max_position_embeddings=256"):
        learned(torch.randint(0, 97, (1, 257)))
    torch.manual_seed(0)
    plain = TinyGPT(TinyGPTConfig(**SMALL, max_position_embeddings=16)).eval()
    ids = torch.randint(0, 97, (2, 16))
    for rope_parameters, positions in [
        ({"rope_type": "dynamic", "factor": 4.0}, torch.arange(16)),
        ({"rope_type": "linear", "factor": 2.0}, 2 * torch.arange(16)),
    ]:
        twin = TinyGPT(
            TinyGPTConfig(
                **SMALL, max_position_embeddings=16, rope_parameters=rope_parameters
            )
        ).eval()
        twin.load_state_dict(plain.state_dict())
        with torch.no_grad():
            torch.testing.assert_close(
                twin(ids, position_ids=positions), plain(ids), atol=ATOL, rtol=0
            )
    with pytest.raises(ValueError, match="position_embedding must be one of"):
        TinyGPTConfig(position_embedding="alibi")


def test_mixture_of_experts_tinygpt_equals_hf_mixtral():
    """With num_experts, TinyGPT is Mixtral: same logits, router logits and
    load-balancing loss as MixtralForCausalLM holding the same weights."""
    from transformers import MixtralConfig, MixtralForCausalLM

    from llmviz.models.train import load_balancing

    torch.manual_seed(0)
    sizes = dict(SMALL, intermediate_size=32)
    config = TinyGPTConfig(**sizes, num_experts=4, num_experts_per_tok=2)
    hf = MixtralForCausalLM(
        MixtralConfig(
            **sizes,
            num_key_value_heads=2,
            num_local_experts=4,
            num_experts_per_tok=2,
            rms_norm_eps=config.rms_norm_eps,
            rope_parameters={"rope_type": "default", "rope_theta": config.rope_theta},
            tie_word_embeddings=True,
            output_router_logits=True,
            attn_implementation="eager",
        )
    ).eval()
    ours = TinyGPT(config).eval()
    ours.load_state_dict(
        {k.removeprefix("model."): v for k, v in hf.state_dict().items()}
    )
    ids = torch.randint(0, 97, (2, 12))
    with torch.no_grad():
        expected = hf(ids, labels=ids)
        logits = ours(ids)
    torch.testing.assert_close(logits, expected.logits, atol=ATOL, rtol=0)
    for layer, theirs in zip(ours.layers, expected.router_logits, strict=True):
        torch.testing.assert_close(layer.router_logits, theirs, atol=ATOL, rtol=0)
    coefficient = hf.config.router_aux_loss_coef
    torch.testing.assert_close(
        coefficient * load_balancing(ours),
        expected.loss
        - F.cross_entropy(expected.logits[:, :-1].flatten(0, 1), ids[:, 1:].flatten()),
        atol=ATOL,
        rtol=0,
    )


def test_expert_weights_route_each_token_to_k_experts():
    from llmviz.models.probes import expert_weights

    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(**SMALL, num_experts=4, num_experts_per_tok=2))
    weights = expert_weights(model.eval(), torch.randint(0, 97, (3, 7)))
    assert weights.shape == (2, 21, 4)
    assert ((weights > 0).sum(-1) == 2).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 21))
    with pytest.raises(ValueError, match="model has no experts"):
        expert_weights(TinyGPT(TinyGPTConfig(**SMALL)), torch.randint(0, 97, (1, 3)))


def test_the_hf_llama_twin_of_the_shipped_model_gives_the_same_logits():
    model, _ = load_tinygpt("tinygpt")
    twin = to_hf_llama(model, attn_implementation="eager")
    assert twin.config._attn_implementation == "eager"
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (2, 20), generator=generator)
    with torch.no_grad():  # trained logits reach ~10: float32 agrees to ~1e-6 of that
        torch.testing.assert_close(twin(ids).logits, model(ids), atol=ATOL, rtol=1e-5)


def test_only_a_plain_tinygpt_has_a_llama_twin():
    with pytest.raises(
        ValueError, match="model must be a TinyGPT with RoPE, no output gate"
    ):
        to_hf_llama(load_tinygpt("tinygpt-gated")[0])
    with pytest.raises(TypeError, match="model must be a TinyGPT, got Linear"):
        to_hf_llama(torch.nn.Linear(2, 2))


def test_batches_can_draw_every_window_the_last_included():
    """Five tokens hold three windows of three; the old bound never drew the last."""
    ids = torch.arange(5)
    generator = torch.Generator().manual_seed(0)
    rows = train.batches(ids, 3, 200, bos_id=-1, generator=generator)
    assert (rows[:, 0] == -1).all()
    starts = {int(row[1]) for row in rows}
    assert starts == {0, 1, 2}
    for row in rows:  # each row is a contiguous window of ids
        assert torch.equal(row[1:], ids[int(row[1]) : int(row[1]) + 3])
    only = train.batches(ids, 5, 4, bos_id=-1, generator=generator)
    assert torch.equal(only[:, 1:], ids.expand(4, 5))  # the one window there is
    with pytest.raises(ValueError, match="seq_len must be at most the 5 tokens"):
        train.batches(ids, 6, 4, bos_id=-1, generator=generator)


def untied_twins():
    """A random HF Llama with an untied lm_head and the TinyGPT holding its weights."""
    torch.manual_seed(0)
    config = TinyGPTConfig(**SMALL, tie_word_embeddings=False)
    hf_config = LlamaConfig(
        **SMALL,
        num_key_value_heads=2,
        rms_norm_eps=config.rms_norm_eps,
        rope_theta=config.rope_theta,
        tie_word_embeddings=False,
        attn_implementation="eager",
    )
    hf = LlamaForCausalLM(hf_config).eval()
    ours = TinyGPT(config).eval()
    ours.load_state_dict(
        {k.removeprefix("model."): v for k, v in hf.state_dict().items()}
    )
    return hf, ours


def test_untied_tinygpt_equals_hf_llama_with_untied_embeddings():
    hf, ours = untied_twins()
    assert not torch.equal(ours.lm_head.weight, ours.embed_tokens.weight)
    assert ours.lm_head.weight.data_ptr() != ours.embed_tokens.weight.data_ptr()
    ids = torch.randint(0, 97, (2, 12))
    with torch.no_grad():
        torch.testing.assert_close(ours(ids), hf(ids).logits, atol=ATOL, rtol=0)
        twin = to_hf_llama(ours)
        assert twin.config.tie_word_embeddings is False
        torch.testing.assert_close(twin(ids).logits, ours(ids), atol=ATOL, rtol=0)
    tied = TinyGPT(TinyGPTConfig(**SMALL))
    assert tied.lm_head.weight is tied.embed_tokens.weight
    assert to_hf_llama(tied).config.tie_word_embeddings is True


def test_untied_tinygpt_trains_saves_and_loads(tmp_path):
    _, model = untied_twins()
    model.train()
    embed, head = model.embed_tokens.weight.clone(), model.lm_head.weight.clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    rows = torch.randint(0, 97, (4, 9))
    train.loss_on(model, rows).backward()
    optimizer.step()  # both matrices learn, each its own way
    assert not torch.equal(model.lm_head.weight, head)
    assert not torch.equal(model.embed_tokens.weight, embed)
    assert not torch.equal(model.lm_head.weight, model.embed_tokens.weight)
    pretrained.save_model(model, tmp_path / "untied.pt")
    saved = torch.load(tmp_path / "untied.pt", weights_only=True)
    assert "lm_head.weight" in saved["state_dict"]
    loaded = pretrained.load_model(tmp_path / "untied.pt")
    assert loaded.config.tie_word_embeddings is False
    for name, weight in model.state_dict().items():
        expected = weight.to(torch.float16).float()
        assert torch.equal(loaded.state_dict()[name], expected), name
    args = train.parse_args(["--untie-word-embeddings"])
    assert args.untie_word_embeddings


def test_shipped_configs_have_no_tie_field_and_load_tied():
    saved = torch.load(pretrained.WEIGHTS_DIR / "tinygpt.pt", weights_only=True)
    assert "tie_word_embeddings" not in saved["config"]
    assert "lm_head.weight" not in saved["state_dict"]
    model, _ = load_tinygpt()
    assert model.lm_head.weight is model.embed_tokens.weight


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("num_attention_heads", -1, ValueError, "num_attention_heads must be an integer >= 1, got -1"),
        ("num_attention_heads", "8", TypeError, "num_attention_heads must be an integer, got '8'"),
        ("num_attention_heads", 3, ValueError, "num_attention_heads must divide hidden_size=128, got 3"),
        ("num_attention_heads", 256, ValueError, "num_attention_heads must be an integer <= 128"),
        ("num_key_value_heads", 3, ValueError, "num_key_value_heads must divide num_attention_heads=4, got 3"),
        ("num_key_value_heads", 0, ValueError, "num_key_value_heads must be an integer >= 1"),
        ("num_key_value_heads", 8, ValueError, "num_key_value_heads must be an integer <= 4"),
        ("rope_parameters", {"rope_type": "bogus"}, ValueError, "rope_parameters .*rope_type must be one of"),
        ("rope_parameters", {"rope_type": "linear"}, ValueError, "rope_parameters .*needs factor"),
        ("rope_parameters", {"rope_type": "linear", "factr": 2.0}, ValueError, "rope_parameters holds keys .*'factr'"),
        ("rope_parameters", {"rope_theta": 1e4}, ValueError, "rope_parameters must not hold 'rope_theta'"),
        ("rope_parameters", "linear", TypeError, "rope_parameters must be a dict or None"),
        ("position_embedding", "alibi", ValueError, "position_embedding must be one of"),
        ("output_gate", 1, TypeError, "output_gate must be a bool, got 1"),
        ("tie_word_embeddings", "no", TypeError, "tie_word_embeddings must be a bool"),
        ("vocab_size", 10**12, ValueError, "vocab_size must be an integer <="),
    ],
)  # fmt: skip
def test_config_refuses_bad_fields_naming_them(field, value, error, message):
    with pytest.raises(error, match=message):
        TinyGPTConfig(**{field: value})


def test_config_refuses_an_odd_head_dim_for_rope_only():
    with pytest.raises(ValueError, match="num_attention_heads must leave an even"):
        TinyGPTConfig(hidden_size=12, num_attention_heads=4, num_key_value_heads=2)
    learned = TinyGPTConfig(
        hidden_size=12, num_attention_heads=4, num_key_value_heads=2,
        position_embedding="learned",
    )  # fmt: skip
    assert learned.hidden_size // learned.num_attention_heads == 3


@pytest.mark.parametrize("bad", [97, -1, 10**6])
def test_forward_and_generate_refuse_ids_outside_the_vocabulary(bad):
    model = TinyGPT(TinyGPTConfig(**SMALL)).eval()
    ids = torch.tensor([[1, bad, 3]])
    message = r"input_ids must lie in \[0, vocab_size=97\), got ids from"
    with pytest.raises(ValueError, match=message):
        model(ids)
    with pytest.raises(ValueError, match=message):
        model.generate(ids, max_new_tokens=2)
    with pytest.raises(TypeError, match="input_ids must be int64 token ids"):
        model(ids.int())
    with pytest.raises(ValueError, match="max_new_tokens must be an integer <="):
        model.generate(torch.tensor([[1]]), max_new_tokens=10**12)


@pytest.mark.parametrize("path_type", [str, pathlib.Path])
def test_load_tokenizer_takes_a_str_or_a_path(path_type):
    tokenizer = pretrained.load_tokenizer(
        path_type(pretrained.WEIGHTS_DIR / "tokenizer.json")
    )
    assert tokenizer.vocab_size == 2048
    assert tokenizer.decode(tokenizer.encode("def f(x):")) == "def f(x):"


def test_load_tokenizer_refuses_what_is_not_a_tokenizer_file(tmp_path):
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got int"):
        pretrained.load_tokenizer(3)
    with pytest.raises(ValueError, match="path must be an existing tokenizer file"):
        pretrained.load_tokenizer(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="path must be a tokenizer file written by"):
        pretrained.load_tokenizer(tmp_path / "bad.json")
