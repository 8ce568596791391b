"""LayerNorm, BatchNorm, InstanceNorm, GroupNorm and the RMSNorm variants against
torch's and Hugging Face's modules with copied weights (float32, atol 1e-5), the usual
mistakes shown to fail the same comparison, and the properties that make BatchNorm a
poor fit for language models."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from llmviz.layers.batch_norm import batch_norm, padding_shift, train_eval_gap
from llmviz.layers.normalization import (
    LayerNorm,
    group_norm,
    instance_norm,
    layer_norm,
    norm_axes,
    standardize,
    statistic_index,
)
from llmviz.layers.norms import RMSNorm
from llmviz.layers.rmsnorm_variants import OffsetRMSNorm, cast_order_gap, rms_norm

ATOL = 1e-5
SETTINGS = settings(max_examples=30, deadline=None)


def rand(*shape: int, seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g) * scale + 0.5


def randomize(module: nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g))


# --- LayerNorm ------------------------------------------------------------------------


@SETTINGS
@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=2),
    st.lists(st.integers(1, 4), min_size=0, max_size=2),
    st.sampled_from([1e-5, 1e-3, 0.1]),
    st.integers(0, 1000),
)
def test_layer_norm_equals_torch(normalized, lead, eps, seed):
    reference = nn.LayerNorm(normalized, eps=eps)
    randomize(reference, seed)
    ours = LayerNorm(tuple(normalized), eps=eps)
    ours.load_state_dict(reference.state_dict())
    x = rand(*lead, *normalized, seed=seed, scale=3.0)
    torch.testing.assert_close(ours(x), reference(x), atol=ATOL, rtol=0)


def unbiased_variant(x, eps):
    mean = x.mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(x.var(-1, keepdim=True, correction=1) + eps)


def eps_outside_variant(x, eps):
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)
    return (x - mean) / (torch.sqrt(var) + eps)


@pytest.mark.parametrize("variant", [unbiased_variant, eps_outside_variant])
def test_the_usual_mistakes_fail_the_comparison(variant):
    """Small hidden sizes and a small spread make both mistakes visible."""
    x, eps = rand(4, 8, scale=0.05), 1e-3
    reference = nn.LayerNorm(8, eps=eps, elementwise_affine=False)(x)
    assert (variant(x, eps) - reference).abs().max() > 100 * ATOL
    torch.testing.assert_close(
        layer_norm(x, (8,), eps=eps), reference, atol=ATOL, rtol=0
    )


@SETTINGS
@given(st.integers(2, 5), st.integers(1, 5), st.integers(0, 1000))
def test_layer_norm_of_a_token_ignores_the_rest_of_the_batch(batch, seq, seed):
    x, others = rand(batch, seq, 8, seed=seed), rand(3, seq, 8, seed=seed + 1)
    alone = layer_norm(x[:1], 8)
    together = layer_norm(torch.cat([x[:1], others]), 8)[:1]
    assert torch.equal(alone, together)
    assert padding_shift(x, 5, "layer") == 0.0


# --- BatchNorm ------------------------------------------------------------------------


@SETTINGS
@given(st.integers(1, 4), st.integers(2, 6), st.integers(1, 6),
       st.sampled_from([0.1, 0.5, 1.0]), st.integers(0, 1000))  # fmt: skip
def test_batch_norm_equals_torch_step_by_step(batch, seq, hidden, momentum, seed):
    reference = nn.BatchNorm1d(hidden, momentum=momentum)
    randomize(reference, seed)
    weight, bias = reference.weight.detach(), reference.bias.detach()
    mean, var = reference.running_mean.clone(), reference.running_var.clone()
    for step in range(3):
        x = rand(batch, seq, hidden, seed=seed + step, scale=2.0)
        y, mean, var = batch_norm(x, mean, var, weight, bias, momentum=momentum)
        expected = reference(x.transpose(1, 2)).transpose(1, 2)  # (B, C, T) for torch
        torch.testing.assert_close(y, expected, atol=ATOL, rtol=0)
        torch.testing.assert_close(mean, reference.running_mean, atol=ATOL, rtol=0)
        torch.testing.assert_close(var, reference.running_var, atol=ATOL, rtol=0)
    reference.eval()
    x = rand(batch, seq, hidden, seed=seed + 9)
    y = batch_norm(x, mean, var, weight, bias, training=False).output
    expected = reference(x.transpose(1, 2)).transpose(1, 2)
    # a tiny running variance makes outputs of ~60: float32's relative error shows
    torch.testing.assert_close(y, expected, atol=ATOL, rtol=1e-6)


def test_batch_norm_running_variance_is_unbiased():
    x = rand(1, 2, 1)  # two values: unbiased variance = 2 × the biased one
    out = batch_norm(x, torch.zeros(1), torch.zeros(1), momentum=1.0)
    assert torch.allclose(out.running_var, 2 * x.var(correction=0))


def test_one_value_per_unit_in_training_is_refused_like_torch():
    x = rand(1, 1, 4)
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(4)(x.transpose(1, 2))
    with pytest.raises(ValueError, match="x must hold more than 1 value"):
        batch_norm(x, torch.zeros(4), torch.ones(4))


def test_batch_size_one_uses_one_sequence_statistics():
    """With one sequence, each unit is standardised over that sequence alone: its
    outputs sum to 0 along the sequence, whatever the sentence."""
    x = rand(1, 5, 4, scale=3.0)
    y = batch_norm(x, torch.zeros(4), torch.ones(4)).output
    assert torch.allclose(y.sum(1), torch.zeros(4), atol=ATOL)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 8), st.integers(0, 1000))
def test_padding_moves_batch_norm_outputs(padding, seq, seed):
    x = rand(3, seq, 6, seed=seed, scale=2.0)
    assert padding_shift(x, padding) > 1e-3
    assert padding_shift(x, 0) == 0.0


def test_train_and_eval_outputs_differ():
    batches = rand(6, 4, 5, 3, scale=2.0)
    assert bool((train_eval_gap(batches) > 1e-2).all())
    assert bool((train_eval_gap(batches, momentum=0.0) > 1e-2).all())


# --- the family -----------------------------------------------------------------------


@SETTINGS
@given(st.integers(1, 4), st.integers(2, 6), st.sampled_from([1, 2, 3, 6]),
       st.integers(0, 1000))  # fmt: skip
def test_instance_and_group_norm_equal_torch(batch, seq, groups, seed):
    """In float64: with two close values per statistic, torch's float32 InstanceNorm
    is itself 1.4e-5 away from the exact result (ours 1.3e-7)."""
    x = rand(batch, seq, 6, seed=seed, scale=2.0).double()
    reference = nn.InstanceNorm1d(6)(x.transpose(1, 2)).transpose(1, 2)
    torch.testing.assert_close(instance_norm(x), reference, atol=ATOL, rtol=0)
    torch_gn = nn.GroupNorm(groups, 6).double()
    randomize(torch_gn, seed)
    w, b = torch_gn.weight.detach(), torch_gn.bias.detach()
    reference = torch_gn(x.transpose(1, 2)).transpose(1, 2)
    torch.testing.assert_close(
        group_norm(x, groups, w, b), reference, atol=ATOL, rtol=0
    )


@SETTINGS
@given(st.integers(1, 3), st.integers(2, 5), st.integers(0, 1000))
def test_group_norm_extremes_are_layer_and_instance_norm(batch, seq, seed):
    x = rand(batch, seq, 6, seed=seed)
    whole = layer_norm(x, (seq, 6))  # LayerNorm over (T, C)
    torch.testing.assert_close(group_norm(x, 1), whole, atol=ATOL, rtol=0)
    torch.testing.assert_close(group_norm(x, 6), instance_norm(x), atol=ATOL, rtol=0)


def test_axes_on_images_match_torch_modules():
    x = rand(2, 3, 4, 5, scale=2.0)  # (B, C, H, W)
    references = {
        "batch": nn.BatchNorm2d(3)(x),
        "layer": nn.GroupNorm(1, 3)(x),
        "instance": nn.InstanceNorm2d(3)(x),
    }
    for kind, reference in references.items():
        ours = standardize(x, norm_axes(kind, "BCHW"), 1e-5)
        torch.testing.assert_close(ours, reference, atol=ATOL, rtol=0)
    assert norm_axes("group", "BCHW") == (1, 2, 3)


def test_axes_on_sequences_match_the_functions():
    x = rand(3, 4, 6)
    for kind, reference in (
        ("layer", layer_norm(x, 6)),
        ("instance", instance_norm(x)),
    ):
        ours = standardize(x, norm_axes(kind), 1e-5)
        torch.testing.assert_close(ours, reference, atol=ATOL, rtol=0)
    bn = batch_norm(x, torch.zeros(6), torch.ones(6)).output
    torch.testing.assert_close(
        standardize(x, norm_axes("batch"), 1e-5), bn, atol=ATOL, rtol=0
    )


# --- RMSNorm and its variants ---------------------------------------------------------


@SETTINGS
@given(st.integers(1, 64), st.sampled_from([1e-6, 1e-5, 0.01]), st.integers(0, 1000))
def test_rms_norm_equals_torch_and_llama(hidden, eps, seed):
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    ours = RMSNorm(hidden, eps=eps)
    randomize(ours, seed)
    x = rand(2, 3, hidden, seed=seed, scale=3.0)
    for reference in (nn.RMSNorm(hidden, eps=eps), LlamaRMSNorm(hidden, eps=eps)):
        reference.load_state_dict(ours.state_dict())
        torch.testing.assert_close(ours(x), reference(x), atol=ATOL, rtol=0)
    functional = rms_norm(x, ours.weight.detach(), eps)
    torch.testing.assert_close(functional, ours(x).detach(), atol=ATOL, rtol=0)


@SETTINGS
@given(st.integers(1, 64), st.integers(0, 1000))
def test_offset_rms_norm_equals_gemma(hidden, seed):
    from transformers.models.gemma.modeling_gemma import GemmaRMSNorm

    reference, ours = GemmaRMSNorm(hidden), OffsetRMSNorm(hidden)
    randomize(reference, seed)
    ours.load_state_dict(reference.state_dict())
    x = rand(2, 3, hidden, seed=seed, scale=3.0)
    torch.testing.assert_close(ours(x), reference(x), atol=ATOL, rtol=0)
    low = x.to(torch.bfloat16)  # the same single cast at the end: bit for bit
    assert torch.equal(ours.to(torch.bfloat16)(low), reference.to(torch.bfloat16)(low))


def test_zero_initialised_offset_is_a_plain_rms_scaling():
    x = rand(4, 16, scale=3.0)
    plain = x / x.pow(2).mean(-1, keepdim=True).add(1e-6).sqrt()
    torch.testing.assert_close(OffsetRMSNorm(16)(x), plain, atol=ATOL, rtol=0)


def test_cast_order_matters_in_bfloat16():
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    x, w = rand(64, 256, scale=3.0).to(torch.bfloat16), rand(256, seed=1).abs() + 0.5
    llama = LlamaRMSNorm(256).to(torch.bfloat16)
    with torch.no_grad():
        llama.weight.copy_(w)
    before = rms_norm(x, w.to(torch.bfloat16), cast_before_weight=True)
    after = rms_norm(x, w.to(torch.bfloat16), cast_before_weight=False)
    assert torch.equal(before, llama(x))  # Llama's order, bit for bit
    assert not torch.equal(before, after)
    gaps = cast_order_gap(x, w)
    assert (
        gaps["cast after weight"] < gaps["cast before weight"]
    )  # one rounding, not two
    assert rms_norm(x.float(), w, cast_before_weight=False).dtype == torch.float32


@SETTINGS
@given(st.sampled_from(["batch", "layer", "instance", "group"]), st.integers(0, 1000))
def test_statistic_index_names_the_cells_each_norm_shares(kind, seed):
    """Adding a constant to all the cells of one statistic leaves the norm's output
    as it was, and to a single cell of a shared statistic does not."""
    x = rand(3, 4, 6, seed=seed)
    norms = {
        "batch": lambda v: batch_norm(v, torch.zeros(6), torch.ones(6)).output,
        "layer": lambda v: layer_norm(v, 6),
        "instance": instance_norm,
        "group": lambda v: group_norm(v, 3),
    }
    norm = norms[kind]
    index = statistic_index((3, 4, 6), norm_axes(kind), 3 if kind == "group" else 1)
    chosen = index == index[1, 2, 3]
    shifted = norm(x + 5.0 * chosen)
    torch.testing.assert_close(shifted, norm(x), atol=1e-4, rtol=0)
    one = torch.zeros_like(x)
    one[1, 2, 3] = 5.0
    assert (norm(x + one) - norm(x))[chosen].abs().max() > 1e-2
