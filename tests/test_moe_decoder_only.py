"""TinyGPT run layer by layer, with and without its causal mask: with it, the states
give the model's own logits and an appended token leaves every earlier state bit for
bit; without it, the earlier states change, as an encoder's would."""

from __future__ import annotations

import pytest
import torch

from llmviz.models import TinyGPT, TinyGPTConfig
from llmviz.moe.decoder_only import tinygpt_attention, tinygpt_states


@pytest.fixture(scope="module", params=["rope", "learned"])
def model(request) -> TinyGPT:
    torch.manual_seed(0)
    config = TinyGPTConfig(
        vocab_size=40,
        hidden_size=16,
        num_hidden_layers=2,
        intermediate_size=32,
        position_embedding=request.param,
    )
    return TinyGPT(config).eval()


IDS = torch.randint(40, (2, 9), generator=torch.Generator().manual_seed(1))


def test_causal_states_give_the_models_logits(model):
    states = tinygpt_states(model, IDS)
    with torch.no_grad():
        logits = model.lm_head(model.norm(states[-1]))
        torch.testing.assert_close(logits, model(IDS), atol=1e-5, rtol=0)


def test_appending_a_token_leaves_earlier_causal_states_exactly(model):
    before = tinygpt_states(model, IDS[:, :-1])
    after = tinygpt_states(model, IDS)[:, :, :-1]
    assert torch.equal(before, after)


def test_without_the_mask_every_layer_above_the_embedding_changes(model):
    before = tinygpt_states(model, IDS[:, :-1], causal=False)
    after = tinygpt_states(model, IDS, causal=False)[:, :, :-1]
    change = (before - after).abs().amax(dim=(1, 2, 3))
    assert change[0] == 0 and (change[1:] > 1e-4).all()


def test_causal_attention_equals_the_models_and_is_triangular(model):
    weights = tinygpt_attention(model, IDS)  # (L, B, H, T, T)
    with torch.no_grad():
        _, reference = model(IDS, output_attentions=True)
    torch.testing.assert_close(weights, torch.stack(reference), atol=1e-6, rtol=0)
    upper = torch.triu(torch.ones(9, 9, dtype=torch.bool), diagonal=1)
    assert (weights[..., upper] == 0).all()
    diagonal = weights.diagonal(dim1=-2, dim2=-1)
    assert (diagonal > 0).all()  # so det = the product of the diagonal > 0


def test_unmasked_attention_reads_later_tokens(model):
    weights = tinygpt_attention(model, IDS, causal=False)
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))
    upper = torch.triu(torch.ones(9, 9, dtype=torch.bool), diagonal=1)
    assert (weights[..., upper] > 0).all()
