"""NSA (llmviz.long_context.nsa, nsa_blocks) against chapter 3's
scaled_dot_product_attention and a query-by-query reading of the paper's rules: every
block selected with the other gates off is causal attention; g_cmp = g_slc = 0 is the
sliding window; the compression branch is attention over mean-pooled whole blocks;
the chosen blocks follow the rule (initial and local blocks forced, then the highest
summed compressed probabilities, shared across a GQA group); the gated sum of the
three references is the output; and no query reads a future key through any branch."""

from __future__ import annotations

import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from llmviz.attention import masks, scaled_dot_product_attention
from llmviz.attention.masks import materialize
from llmviz.long_context.nsa import nsa_attention
from llmviz.long_context.nsa_blocks import compress_blocks, nsa_select, selection_scores


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


@st.composite
def settings_and_qkv(draw, group: int = 1):
    stride = draw(st.integers(1, 3), label="d")
    select = stride * draw(st.integers(1, 3), label="l′/d")
    block = draw(st.integers(stride, select), label="l")
    length = select * draw(st.integers(max(1, -(-block // select)), 5), label="T/l′")
    heads = group * draw(st.integers(1, 2), label="H/g")
    shape = (draw(st.integers(1, 2)), heads, length, draw(st.integers(1, 5)))
    seed = draw(st.integers(0, 2**16))
    q, k, v = (randn(*shape, seed=seed + i) for i in range(3))
    sizes = {"compress_block": block, "compress_stride": stride, "select_block": select}
    return sizes, q, k, v


def rule_scores(q, k, block, stride, select, scale):
    """p_slc for one (T, d) head, one query at a time from the paper's definitions."""
    length = q.shape[0]
    starts = range(0, length - block + 1, stride)
    pooled = [k[s : s + block].mean(0) for s in starts]
    scores = torch.zeros(length, length // select, dtype=q.dtype)
    for t in range(length):
        seen = [i for i, s in enumerate(starts) if s + block - 1 <= t]
        if not seen:
            continue
        probs = torch.softmax(torch.stack([q[t] @ pooled[i] * scale for i in seen]), 0)
        for p, i in zip(probs, seen, strict=True):
            for j in range(length // select):  # the selection blocks it overlaps
                if starts[i] < (j + 1) * select and starts[i] + block > j * select:
                    scores[t, j] += p
    return scores


def rule_choice(scores, select, num_selected):
    """Own block, the one before, the initial block, then the best past blocks."""
    length, num_blocks = scores.shape
    chosen = torch.zeros(length, num_blocks, dtype=torch.bool)
    for t in range(length):
        own = t // select
        forced = list(dict.fromkeys(b for b in (own, own - 1, 0) if b >= 0))
        rest = sorted(set(range(own)) - set(forced), key=lambda b: -float(scores[t, b]))
        chosen[t, (forced + rest)[:num_selected]] = True
    return chosen


def token_mask(chosen, select):
    length = chosen.shape[-2]
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    return chosen.repeat_interleave(select, dim=-1) & causal


def compressed_reference(q, k, v, block, stride):
    """SDPA over the pooled keys, each whole block visible; a query before any: 0."""
    length = q.shape[-2]
    starts = range(0, length - block + 1, stride)
    kc = torch.stack([k[..., s : s + block, :].mean(-2) for s in starts], -2)
    vc = torch.stack([v[..., s : s + block, :].mean(-2) for s in starts], -2)
    seen = torch.tensor([[s + block - 1 <= t for s in starts] for t in range(length)])
    out = scaled_dot_product_attention(q[..., block - 1 :, :], kc, vc,
                                       attn_mask=seen[block - 1 :])  # fmt: skip
    return torch.cat([torch.zeros_like(q[..., : block - 1, :]), out], -2)


GATES = {"cmp": torch.tensor([1.0, 0, 0]), "slc": torch.tensor([0, 1.0, 0]),
         "win": torch.tensor([0, 0, 1.0])}  # fmt: skip


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=settings_and_qkv(), extra=st.integers(0, 2))
def test_every_block_selected_with_only_the_selection_gate_is_causal(case, extra):
    sizes, q, k, v = case
    num_blocks = q.shape[-2] // sizes["select_block"]
    out, chosen = nsa_attention(q, k, v, **sizes, num_selected=num_blocks + extra,
                                window=1, gates=GATES["slc"])  # fmt: skip
    expected = scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    own = torch.arange(q.shape[-2]) // sizes["select_block"]
    assert torch.equal(
        chosen, (torch.arange(num_blocks) <= own[:, None]).expand_as(chosen)
    )


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=settings_and_qkv(), data=st.data())
def test_only_the_window_gate_is_the_sliding_window(case, data):
    sizes, q, k, v = case
    window = data.draw(st.integers(1, q.shape[-2]), label="w")
    out, _ = nsa_attention(q, k, v, **sizes, num_selected=1, window=window,
                           gates=GATES["win"])  # fmt: skip
    mask = materialize(masks.sliding_window(window), q.shape[-2], q.shape[-2])
    expected = scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=settings_and_qkv(), data=st.data())
def test_the_gated_sum_of_the_three_references(case, data):
    sizes, q, k, v = case
    block, stride, select = sizes.values()
    length = q.shape[-2]
    n = data.draw(st.integers(1, length // select + 1), label="n")
    window = data.draw(st.integers(1, length), label="w")
    gates = torch.rand(q.shape[0], 1, length, 3, dtype=q.dtype,
                       generator=torch.Generator().manual_seed(length))  # fmt: skip
    out, chosen = nsa_attention(q, k, v, **sizes, num_selected=n, window=window,
                                gates=gates)  # fmt: skip
    scale = q.shape[-1] ** -0.5
    rule = torch.zeros_like(chosen)
    for b in range(q.shape[0]):
        for h in range(q.shape[1]):
            scores = rule_scores(q[b, h], k[b, h], block, stride, select, scale)
            rule[b, h] = rule_choice(scores, select, n)
    assert torch.equal(chosen, rule)
    assert torch.equal(chosen, nsa_select(q, k, **sizes, num_selected=n))
    slc = scaled_dot_product_attention(q, k, v, attn_mask=token_mask(rule, select))
    win_mask = materialize(masks.sliding_window(window), length, length)
    win = scaled_dot_product_attention(q, k, v, attn_mask=win_mask)
    cmp = compressed_reference(q, k, v, block, stride)
    g = gates.unbind(-1)
    expected = g[0][..., None] * cmp + g[1][..., None] * slc + g[2][..., None] * win
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(case=settings_and_qkv(), data=st.data())
def test_no_query_reads_a_future_key_through_any_branch(case, data):
    sizes, q, k, v = case
    length = q.shape[-2]
    assume(length >= 2)
    now = data.draw(st.integers(0, length - 2), label="last unchanged query")
    window = data.draw(st.integers(1, length), label="w")
    kwargs = sizes | {"num_selected": data.draw(st.integers(1, 4)), "window": window}
    out, chosen = nsa_attention(q, k, v, **kwargs)
    k2, v2 = k.clone(), v.clone()
    k2[..., now + 1 :, :] = 100 * randn(*k2[..., now + 1 :, :].shape, seed=7)
    v2[..., now + 1 :, :] = 100 * randn(*v2[..., now + 1 :, :].shape, seed=8)
    out2, chosen2 = nsa_attention(q, k2, v2, **kwargs)
    torch.testing.assert_close(out2[..., : now + 1, :], out[..., : now + 1, :],
                               rtol=0, atol=1e-12)  # fmt: skip
    assert torch.equal(chosen2[..., : now + 1, :], chosen[..., : now + 1, :])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(case=settings_and_qkv(group=2), data=st.data())
def test_heads_of_a_group_share_one_choice_from_their_summed_scores(case, data):
    sizes, q, k, v = case
    select = sizes["select_block"]
    n = data.draw(st.integers(1, q.shape[-2] // select + 1), label="n")
    chosen = nsa_select(q, k, **sizes, num_selected=n, heads_per_group=2)
    summed = selection_scores(q, k, **sizes).unflatten(1, (-1, 2)).sum(2)
    for b in range(q.shape[0]):
        for g in range(q.shape[1] // 2):
            rule = rule_choice(summed[b, g], select, n)
            assert torch.equal(chosen[b, 2 * g], rule)
            assert torch.equal(chosen[b, 2 * g + 1], rule)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(size=st.integers(1, 4), blocks=st.integers(1, 6), seed=st.integers(0, 99))
def test_equal_blocking_makes_the_selection_scores_the_compressed_probabilities(
    size, blocks, seed
):
    q, k = randn(2, size * blocks, 3, seed=seed), randn(2, size * blocks, 3, seed=1)
    scores = selection_scores(q, k, size, size, size)
    pooled = compress_blocks(k, size, size)
    ends = torch.arange(blocks) * size + size - 1
    seen = ends <= torch.arange(size * blocks)[:, None]
    logits = (q @ pooled.transpose(-2, -1)) * 3**-0.5
    probs = logits.masked_fill(~seen, float("-inf")).softmax(-1).nan_to_num(0.0)
    torch.testing.assert_close(scores, probs, rtol=0, atol=1e-12)


def test_compress_blocks_are_means_of_overlapping_windows():
    x = randn(2, 10, 3)
    pooled = compress_blocks(x, 4, 2)  # blocks at 0, 2, 4, 6
    assert pooled.shape == (2, 4, 3)
    for i, start in enumerate(range(0, 7, 2)):
        torch.testing.assert_close(pooled[:, i], x[:, start : start + 4].mean(1))


def test_paper_settings_read_16_blocks_of_64_and_a_window_of_512():
    q, k, v = randn(1, 1, 2048, 8), randn(1, 1, 2048, 8, seed=1), randn(1, 1, 2048, 8)
    out, chosen = nsa_attention(q, k, v)  # l=32, d=16, l′=64, n=16, w=512
    counts = chosen.sum(-1)[0, 0]
    own = torch.arange(2048) // 64
    assert torch.equal(counts, torch.clamp(own + 1, max=16))
    assert chosen[0, 0, :, 0].all()  # the initial block, always
    assert chosen[0, 0, torch.arange(2048), own].all()  # the own block, always
