"""The four structures' attention patterns: the invariants that define them, and which
layer's states each layer reads, checked on Hugging Face's T5 and Llama."""

import pytest
import torch
from transformers import LlamaConfig, LlamaModel, T5Config, T5Model

from llmviz.moe.architectures import KINDS, STRUCTURES, key_depth, structure_mask


@pytest.mark.parametrize("source_len, target_len", [(0, 5), (3, 4), (6, 1)])
def test_structures(source_len, target_len):
    n = source_len + target_len
    lower = torch.ones(n, n, dtype=torch.long).tril()
    assert torch.equal(
        structure_mask("encoder-only", source_len, target_len),
        torch.ones(n, n, dtype=torch.long),
    )
    assert torch.equal(structure_mask("decoder-only", source_len, target_len), lower)
    prefix = structure_mask("prefix-LM", source_len, target_len)
    both = structure_mask("encoder-decoder", source_len, target_len)
    # in one layer the same pairs meet in both; only the kind of attention differs
    assert torch.equal(prefix, (both > 0).long())
    source, target = slice(0, source_len), slice(source_len, n)
    assert (both[source, source] == KINDS.index("encoder self-attention")).all()
    assert (both[source, target] == 0).all()  # the encoder never reads the output
    assert (both[target, source] == KINDS.index("cross-attention")).all()
    decoder = KINDS.index("decoder self-attention")
    assert torch.equal(both[target, target], decoder * lower[:target_len, :target_len])
    # prefix-LM: causal plus a bidirectional input block
    assert (prefix[source, source] == 1).all() and (prefix >= lower).all()


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match=r"name must be one of \['encoder-only'"):
        structure_mask("decoder-encoder", 2, 2)
    with pytest.raises(ValueError, match="source_len must be an integer >= 0, got -1"):
        structure_mask("prefix-LM", -1, 2)
    with pytest.raises(
        ValueError, match="source_len \\+ target_len must be at least 1"
    ):
        structure_mask("prefix-LM", 0, 0)
    assert set(STRUCTURES) == {
        "encoder-only",
        "decoder-only",
        "prefix-LM",
        "encoder-decoder",
    }


@pytest.mark.parametrize("name", STRUCTURES)
@pytest.mark.parametrize("source_len, target_len", [(0, 3), (3, 2), (4, 0)])
def test_each_layer_of_key_depth_has_the_structure_mask(name, source_len, target_len):
    depth = key_depth(name, source_len, target_len, num_layers=3)
    mask = structure_mask(name, source_len, target_len)
    assert depth.shape == (3, *mask.shape)
    for layer in range(3):
        assert torch.equal(depth[layer] >= 0, mask > 0)


def test_prefix_lm_reads_its_own_layer_and_the_decoder_the_final_encoder():
    layers, source, target = 4, 3, 2
    prefix = key_depth("prefix-LM", source, target, layers)
    both = key_depth("encoder-decoder", source, target, layers)
    out, inp = slice(source, None), slice(0, source)
    for layer in range(layers):
        # one stack: layer ℓ + 1 reads every visible key after ℓ layers
        assert set(prefix[layer][prefix[layer] >= 0].tolist()) == {layer}
        # the decoder reads the input as the encoder left it, whatever its layer
        assert (both[layer, out, inp] == layers).all()
        # its self-attention and the encoder's read their own stack's layer ℓ
        assert (both[layer, inp, inp] == layer).all()
        decoder = both[layer, out, out]
        assert set(decoder[decoder >= 0].tolist()) == {layer}
    # so the two differ on exactly the output-to-input pairs, by L − ℓ layers
    differ = prefix != both
    assert differ[:, out, inp].all() and differ.sum() == layers * source * target


def _inputs(model, name):
    """Capture the hidden states each named submodule receives, per call."""
    seen = []

    def hook(module, args, kwargs):
        seen.append(kwargs.get("key_value_states", args[0] if args else None))

    handles = [
        m.register_forward_pre_hook(hook, with_kwargs=True)
        for n, m in model.named_modules()
        if n.endswith(name)
    ]
    return seen, handles


def test_t5_decoder_layers_read_the_encoders_final_states():
    """key_depth's encoder-decoder row, on Hugging Face's T5: every decoder layer's
    cross-attention keys come from the encoder's last hidden state, none from the
    encoder's layer of the same index."""
    layers = 3
    config = T5Config(
        d_model=16,
        d_kv=4,
        d_ff=32,
        num_heads=4,
        num_layers=layers,
        vocab_size=50,
        dropout_rate=0.0,
    )
    torch.manual_seed(0)
    model = T5Model(config).eval()
    seen, handles = _inputs(model, "EncDecAttention")
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor([[3, 4, 5]]),
            decoder_input_ids=torch.tensor([[0, 6]]),
            output_hidden_states=True,
        )
    for handle in handles:
        handle.remove()
    encoder_states = out.encoder_hidden_states  # layers + 1 entries
    depth = key_depth("encoder-decoder", 3, 2, layers)
    assert len(seen) == layers
    for layer, keys in enumerate(seen):
        read = [j for j, h in enumerate(encoder_states) if torch.equal(keys, h)]
        assert read == [int(depth[layer, 3, 0])] == [layers]


def test_a_single_stack_reads_the_states_entering_each_layer():
    """key_depth's single-stack rows, on Hugging Face's Llama: layer ℓ + 1's keys are
    projected from the hidden states after ℓ layers, of input and output alike."""
    layers = 3
    config = LlamaConfig(
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        vocab_size=50,
    )
    torch.manual_seed(0)
    model = LlamaModel(config).eval()
    seen, handles = _inputs(model, "k_proj")
    with torch.no_grad():
        out = model(input_ids=torch.tensor([[3, 4, 5, 6]]), output_hidden_states=True)
    for handle in handles:
        handle.remove()
    depth = key_depth("prefix-LM", 2, 2, layers)
    for layer, keys in enumerate(seen):
        normed = model.layers[layer].input_layernorm(out.hidden_states[layer])
        assert torch.allclose(keys, normed)
        assert int(depth[layer, 3, 0]) == layer  # an output token reads the input
        assert not torch.allclose(
            keys, model.layers[layer].input_layernorm(out.hidden_states[layer + 1])
        )
