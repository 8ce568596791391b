"""The comparison table (llmviz.long_context.compare): each method's keys per query
against the masks that define it (chapter 3's, and each method's own module), the
FLOPs formulas shown in the book against the exact counts, and the quality harness:
TinyGPT's loss with a method at settings that make it exact equals dense attention's,
and TinyGPT's own forward is the reference for the loss itself."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import masks
from llmviz.attention.mask_grid import materialize
from llmviz.long_context.compare import (
    METHODS,
    keys_per_query,
    mean_loss,
    method_attention,
    method_cost,
)
from llmviz.long_context.dca_positions import dca_parts
from llmviz.long_context.longformer import longformer_mask
from llmviz.long_context.moba import moba_attention
from llmviz.long_context.nsa import nsa_attention
from llmviz.long_context.nsa_blocks import compress_blocks
from llmviz.long_context.patterns import local_and_strided
from llmviz.long_context.s2attn import s2_mask_mod
from llmviz.long_context.streaming import kept_tokens, policy_pairs
from llmviz.long_context.swap import next_token_losses
from llmviz.models import TinyGPT, TinyGPTConfig, load_tinygpt

EXAMPLES = settings(max_examples=30, deadline=None)


def row_sums(mask_mod, n: int) -> list[int]:
    return materialize(mask_mod, n, n).sum(-1).tolist()


@EXAMPLES
@given(n=st.integers(1, 40), window=st.integers(1, 48), stride=st.integers(1, 12))
def test_fixed_patterns_count_their_masks_keys(n, window, stride):
    keys = {m: keys_per_query(m, n, s).tolist() for m, s in [
        ("dense", None), ("flash", None), ("window", {"window": window}),
        ("strided", {"stride": stride})]}  # fmt: skip
    assert keys["dense"] == keys["flash"] == row_sums(masks.causal, n)
    assert keys["window"] == row_sums(masks.sliding_window(window), n)
    assert keys["strided"] == row_sums(local_and_strided(stride), n)


@EXAMPLES
@given(n=st.integers(1, 40), half=st.integers(1, 20), num_global=st.integers(0, 5))
def test_longformer_counts_its_symmetric_window_and_global_tokens(n, half, num_global):
    g = min(num_global, n)
    mask = longformer_mask(2 * half, 1, tuple(range(g)))
    settings_ = {"window": 2 * half, "num_global": num_global}
    assert keys_per_query("longformer", n, settings_).tolist() == row_sums(mask, n)


@EXAMPLES
@given(groups=st.integers(1, 6), half_group=st.integers(1, 6), chunk=st.integers(1, 9))
def test_grouped_and_chunked_methods_count_their_blocks(groups, half_group, chunk):
    group = 2 * half_group
    n = groups * group
    s2 = materialize(s2_mask_mod(n, group, 2), n, n, num_heads=2)[0]  # (2, T, T)
    keys = keys_per_query("s2", n, {"group": group})
    assert keys.tolist() == s2[0].sum(-1).tolist()  # the unshifted head
    assert int(keys.sum()) == int(s2[1].sum())  # the shifted head, rolled
    inside = masks.and_masks(masks.causal, masks.block_diagonal(chunk))
    assert keys_per_query("linear", n, {"chunk": chunk}).tolist() == row_sums(inside, n)


@EXAMPLES
@given(n=st.integers(1, 40), num_sinks=st.integers(0, 5), window=st.integers(1, 12))
def test_streaming_counts_its_cache(n, num_sinks, window):
    window = min(window, n)
    keys = keys_per_query("streaming", n, {"num_sinks": num_sinks, "window": window})
    assert keys.tolist() == [len(kept_tokens(t, num_sinks, window)) for t in range(n)]
    assert int(keys.sum()) == policy_pairs(n, "sinks", window, min(num_sinks, n))


@EXAMPLES
@given(n=st.integers(1, 40), chunk=st.integers(1, 10))
def test_dca_scores_every_causal_pair(n, chunk):
    parts = dca_parts(n, chunk)
    keys = keys_per_query("dca", n, {"chunk": chunk, "pretraining_length": chunk + 1})
    assert keys.tolist() == (parts >= 0).sum(-1).tolist()


def _qk(n: int, seed: int) -> tuple[torch.Tensor, ...]:
    return torch.randn(3, 1, 2, n, 4, generator=torch.Generator().manual_seed(seed))


@EXAMPLES
@given(blocks=st.integers(1, 6), block=st.integers(1, 5), top_k=st.integers(1, 7),
       seed=st.integers(0, 99))  # fmt: skip
def test_moba_counts_the_tokens_its_gate_opens(blocks, block, top_k, seed):
    n = blocks * block
    q, k, v = _qk(n, seed)
    _, chosen = moba_attention(q, k, v, block, top_k)  # (1, 2, T, blocks)
    read = chosen.repeat_interleave(block, -1) & materialize(masks.causal, n, n)
    keys = keys_per_query("moba", n, {"block": block, "top_k": top_k})
    assert (read.sum(-1) == keys).all()  # every head and query, whatever it chose


@EXAMPLES
@given(blocks=st.integers(1, 6), stride=st.sampled_from([1, 2, 4]),
       size=st.sampled_from([1, 2, 4]), num_selected=st.integers(1, 7),
       window=st.integers(1, 30), seed=st.integers(0, 99))  # fmt: skip
def test_nsa_counts_its_three_branches(
    blocks, stride, size, num_selected, window, seed
):
    compress_block, select_block = max(size, stride), 4
    n = blocks * select_block
    window = min(window, n)
    q, k, v = _qk(n, seed)
    _, chosen = nsa_attention(q, k, v, compress_block, stride, select_block,
                              num_selected, window)  # fmt: skip
    causal = materialize(masks.causal, n, n)
    selected = (chosen.repeat_interleave(select_block, -1) & causal).sum(-1)
    pooled = compress_blocks(torch.zeros(n, 1), compress_block, stride).shape[0]
    ends = torch.arange(pooled) * stride + compress_block - 1  # each pooled block's
    compressed = (ends <= torch.arange(n)[:, None]).sum(-1)  # last key, seen once whole
    in_window = torch.tensor(row_sums(masks.sliding_window(window), n))
    nsa = {
        "compress_block": compress_block,
        "compress_stride": stride,
        "select_block": select_block,
        "num_selected": num_selected,
        "window": window,
    }
    assert (keys_per_query("nsa", n, nsa) == selected + compressed + in_window).all()


EXACT = {  # the FLOPs formulas the book prints, for n a multiple of the block sizes
    "dense": lambda n, d, s: 2 * d * n * (n + 1),
    "flash": lambda n, d, s: 2 * d * n * (n + 1),
    "dca": lambda n, d, s: 2 * d * n * (n + 1),
    "window": lambda n, d, s: 4 * d * (n * s["window"] - s["window"] * (s["window"] - 1) // 2),
    "linear": lambda n, d, s: 2 * d * n * (s["chunk"] + 1) + 4 * n * d * d,
    "s2": lambda n, d, s: 2 * d * n * (s["group"] + 1),
    "streaming": lambda n, d, s: EXACT["window"](
        n, d, {"window": s["num_sinks"] + s["window"]}),
}  # fmt: skip
LEADING = {  # the "≈" formulas: their leading terms
    "strided": lambda n, d, s: 4 * d * n * (s["stride"] + n / (2 * s["stride"])),
    "longformer": lambda n, d, s: 4 * d * n * (s["window"] + 1 + 2 * s["num_global"]),
    "nsa": lambda n, d, s: 4 * d * n * (n / (2 * s["compress_stride"])
                                        + (s["num_selected"] - 0.5) * s["select_block"]
                                        + s["window"]),
    "moba": lambda n, d, s: 4 * d * n * (s["top_k"] - 0.5) * s["block"] + 2 * d * n * n / s["block"],
}  # fmt: skip


@pytest.mark.parametrize("method", list(METHODS))
def test_the_printed_formulas_match_the_counts_at_16k(method):
    n, d, defaults = 16384, 64, METHODS[method].defaults
    flops = method_cost(method, n, d)["flops"]
    if method in EXACT:
        assert flops == EXACT[method](n, d, defaults)
    else:  # the terms dropped (the first tokens, the own block's future) are small
        assert math.isclose(flops, LEADING[method](n, d, defaults), rel_tol=0.05)
    assert set(EXACT) | set(LEADING) == set(METHODS)


@pytest.mark.parametrize("method", [m for m in METHODS if m not in ("longformer",)])
def test_causal_methods_score_at_most_the_causal_pairs(method):
    n = 4096
    causal = method_cost("dense", n)
    cost = method_cost(method, n)
    assert cost["pairs"] <= causal["pairs"] and cost["memory"] <= causal["memory"]


# --- quality: TinyGPT with a method in place of its attention ----------------------

TINY = TinyGPT(TinyGPTConfig(vocab_size=40, hidden_size=32, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2,
                             intermediate_size=48, max_position_embeddings=64)).eval()  # fmt: skip


def _ids(n: int, seed: int) -> torch.Tensor:
    return torch.randint(40, (2, n), generator=torch.Generator().manual_seed(seed))


def exact_settings(method: str, n: int, tile: int) -> dict | None:
    """Settings at which each method reads every causal pair at its true distance."""
    return {"dense": None, "flash": {"tile": tile}, "window": {"window": n},
            "strided": {"stride": n}, "longformer": {"window": 2 * n, "num_global": 1},
            "streaming": {"num_sinks": 2, "window": n - 2},
            "dca": {"chunk": n // 2, "pretraining_length": n},
            "moba": {"block": 4, "top_k": n // 4}}[method]  # fmt: skip


EXACT_METHODS = ["flash", "window", "strided", "longformer", "streaming", "dca", "moba"]


@settings(max_examples=25, deadline=None)
@given(method=st.sampled_from(EXACT_METHODS), quarter=st.integers(1, 8),
       tile=st.integers(1, 40), seed=st.integers(0, 99))  # fmt: skip
def test_a_method_at_exact_settings_has_dense_attentions_loss(
    method, quarter, tile, seed
):
    n = 4 * quarter
    ids = _ids(n, seed)
    attention = method_attention(method, exact_settings(method, n, tile))
    reference = next_token_losses(TINY(ids), ids).mean().item()  # TinyGPT's own
    assert math.isclose(mean_loss(TINY, ids, attention), reference, abs_tol=1e-5)


def test_the_trained_model_at_exact_settings_and_at_sparse_ones():
    model, _ = load_tinygpt()
    ids = _ids(128, 0) * 50  # tokens from the whole vocabulary of 2,048
    dense = next_token_losses(model(ids), ids).mean().item()
    for method in EXACT_METHODS:
        exact = method_attention(method, exact_settings(method, 128, 16))
        assert math.isclose(mean_loss(model, ids, exact), dense, abs_tol=1e-4), method
    for method, sparse in [("window", {"window": 4}), ("moba", {"block": 16, "top_k": 1}),
                           ("linear", {"chunk": 16}), ("s2", {"group": 32})]:  # fmt: skip
        loss = mean_loss(model, ids, method_attention(method, sparse))
        assert not math.isclose(loss, dense, abs_tol=1e-3), method  # it is used


@settings(max_examples=25, deadline=None)
@given(blocks=st.integers(1, 6), seed=st.integers(0, 99))
def test_nsa_averages_its_branches(blocks, seed):
    n, size = 4 * blocks, 2  # every block selected, a window over the whole sequence
    q, k, v = _qk(n, seed)
    nsa = method_attention("nsa", {"compress_block": size, "compress_stride": size,
                                   "select_block": 4, "num_selected": blocks,
                                   "window": n})  # fmt: skip
    ours = nsa(q, k, v, lambda x, positions=None: x)  # no rotation
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    pooled_k, pooled_v = compress_blocks(k, size, size), compress_blocks(v, size, size)
    seen = (
        torch.arange(pooled_k.shape[-2]) * size + size - 1 <= torch.arange(n)[:, None]
    )
    scores = (q @ pooled_k.mT / 2.0).masked_fill(~seen, -torch.inf)  # √d = 2
    compressed = scores.softmax(-1).nan_to_num(0.0) @ pooled_v  # no block yet: 0
    assert torch.allclose(ours, (compressed + 2 * causal) / 3, atol=1e-5)


def test_s2_and_linear_follow_their_definitions_on_rotated_queries():
    q, k, v = _qk(16, 1)
    rotate = lambda x, positions=None: x.flip(-1)  # noqa: E731  any rotation will do
    rq, rk = rotate(q), rotate(k)
    s2 = method_attention("s2", {"group": 8})(q, k, v, rotate)
    mask = materialize(s2_mask_mod(16, 8, 2, fix_leak=True), 16, 16, num_heads=2)
    assert torch.allclose(
        s2, F.scaled_dot_product_attention(rq, rk, v, mask), atol=1e-5
    )
    linear = method_attention("linear", {"chunk": 4})(q, k, v, rotate)
    phi_q, phi_k = F.elu(rq) + 1, F.elu(rk) + 1
    weights = (phi_q @ phi_k.mT).tril()
    assert torch.allclose(
        linear, weights / weights.sum(-1, keepdim=True) @ v, atol=1e-5
    )


def test_settings_are_checked_by_name():
    with pytest.raises(ValueError, match="settings\\['stride'\\] is not a setting"):
        keys_per_query("window", 8, {"stride": 2})
    with pytest.raises(ValueError, match="settings\\['window'\\]"):
        method_cost("window", 8, settings={"window": 0})
    with pytest.raises(ValueError, match="method must be one of"):
        method_attention("sparse")
