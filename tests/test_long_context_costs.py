"""The cost columns of the comparison table (llmviz.long_context.costs): each method's
keys per query against the masks that define it (chapter 3's, and each method's own
module), and the FLOPs formulas shown in the book against the exact counts."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import masks
from llmviz.attention.mask_grid import materialize
from llmviz.long_context.costs import METHODS, keys_per_query, method_cost
from llmviz.long_context.dca_positions import dca_parts
from llmviz.long_context.longformer import longformer_mask
from llmviz.long_context.moba import moba_attention
from llmviz.long_context.nsa import nsa_attention
from llmviz.long_context.nsa_blocks import compress_blocks
from llmviz.long_context.patterns import local_and_strided
from llmviz.long_context.s2attn import s2_mask_mod
from llmviz.long_context.streaming import kept_tokens
from llmviz.long_context.streaming_runs import policy_pairs

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
