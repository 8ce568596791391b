"""Chapter 4's checks on long-context attention accept right answers written in other
ways (loops, NumPy, lists, other dtypes, log-sum-exp forms), and turn every wrong one
(the usual mistakes, the notes' own S2-Attn shift, a wrong type, NaN, an exception, a
changed input, a hang) into ❌ and the sentence for it, never the answer. The checks'
references are held against llmviz's mechanisms and chapter 3's masks."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import masks
from llmviz.attention.sdpa import scaled_dot_product_attention
from llmviz.exercises import (
    check_longformer_mask,
    check_merge_tiles,
    check_select_blocks,
    check_shift_heads,
)
from llmviz.exercises.long_context import (
    LONGFORMER_CASES,
    LONGFORMER_MISTAKES,
    SHIFT_CASES,
    SHIFT_MISTAKES,
    longformer_reference,
    shift_reference,
)
from llmviz.exercises.long_context_blocks import (
    SELECT_CASES,
    SELECT_MISTAKES,
    select_reference,
)
from llmviz.exercises.long_context_tiles import (
    OUTPUT_MISTAKES,
    SUM_MISTAKES,
    merge_cases,
    merge_reference,
    tile_state,
)
from llmviz.long_context.longformer import longformer_mask as llmviz_longformer
from llmviz.long_context.moba import moba_gate
from llmviz.long_context.s2attn import s2_attention
from llmviz.long_context.splitkv import merge_attention
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

pytestmark = pytest.mark.usefixtures("short_time_limit")  # hangs fail fast

ANSWERS = ("roll(", "abs()", "topk(", "maximum(", "exp(m1", "<=", "logaddexp")
CHECKS = [
    check_longformer_mask,
    check_merge_tiles,
    check_select_blocks,
    check_shift_heads,
]

# --- longformer_mask ------------------------------------------------------------------


def longformer_loops(seq_len, window, global_indices, reach=None, look="both",
                     glob="both", self_=True):  # fmt: skip
    """A right answer in plain Python, with switches for the usual mistakes."""
    reach = window // 2 if reach is None else reach
    rows = []
    for i in range(seq_len):
        row = []
        for j in range(seq_len):
            near = abs(i - j) <= reach if look == "both" else 0 <= i - j <= reach
            near = near and (self_ or i != j)
            seen = (glob in ("both", "rows") and i in global_indices) or (
                glob in ("both", "columns") and j in global_indices
            )
            row.append(bool(near or seen))
        rows.append(row)
    return rows


def longformer_numpy(seq_len, window, global_indices):
    positions = np.arange(seq_len)
    mask = np.abs(np.subtract.outer(positions, positions)) <= window // 2
    mask[global_indices, :] = True
    mask[:, global_indices] = True
    return mask


def longformer_band(seq_len, window, global_indices):
    """A band of the all-True matrix, and global rows and columns by indexing."""
    half = window // 2
    mask = torch.ones(seq_len, seq_len, dtype=torch.bool).triu(-half).tril(half)
    index = torch.tensor(global_indices, dtype=torch.long)
    mask[index] = True
    mask[:, index] = True
    return mask


def longformer_mask_mod(seq_len, window, global_indices):
    """Chapter 3's way: a mask_mod, or-ed with its global tokens, materialised."""

    def symmetric(b, h, q_idx, kv_idx):
        return (q_idx - kv_idx).abs() <= window // 2

    if global_indices:  # global_tokens needs at least one
        symmetric = masks.or_masks(symmetric, masks.global_tokens(global_indices))
    return masks.materialize(symmetric, seq_len, seq_len)


def longformer_sorting(seq_len, window, global_indices):
    global_indices.sort()  # changes the reader's list: [8, 2] becomes [2, 8]
    return longformer_numpy(seq_len, window, global_indices)


@pytest.mark.parametrize(
    "solution",
    [
        longformer_loops,
        longformer_numpy,
        longformer_band,
        longformer_mask_mod,
        lambda t, w, g: longformer_band(t, w, g).numpy().tolist(),
        lambda t, w, g: longformer_numpy(t, w, sorted(g)),
    ],
)
def test_check_longformer_mask_accepts(solution, capsys):
    assert_accepts(check_longformer_mask, solution, capsys)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (
            lambda t, w, g: longformer_loops(t, w, g, look="back"),
            "For seq_len=10, window=4, global_indices=[0, 6]: It looks like your "
            "window only looks back",
        ),
        (
            lambda t, w, g: longformer_loops(t, w, g, reach=w - 1, look="back"),
            "your window is causal, like Mistral's",
        ),
        (lambda t, w, g: longformer_loops(t, w, g, reach=w), "twice too far"),
        (lambda t, w, g: longformer_loops(t, w, g, reach=w // 2 - 1), "one key short"),
        (
            lambda t, w, g: longformer_loops(t, w, g, self_=False),
            "a token does not see itself",
        ),
        (
            lambda t, w, g: longformer_loops(t, w, g, glob="rows"),
            "the global tokens see every token, but not every token sees them",
        ),
        (
            lambda t, w, g: longformer_loops(t, w, g, glob="columns"),
            "every token sees the global tokens, but they do not see every token",
        ),
        (
            lambda t, w, g: longformer_loops(t, w, g, glob="none"),
            "the global tokens are ignored",
        ),
        (
            lambda t, w, g: ~longformer_band(t, w, g),
            "Your mask is the wrong way round: True means *may attend*.",
        ),
        (
            lambda t, w, g: longformer_band(t, w, g) & (torch.arange(t) != 4),
            "Query 0 should see key 4.",
        ),
        (
            lambda t, w, g: longformer_band(t, w, g).int(),
            "global_indices=[0, 6]: your function returned a torch.int32 tensor; "
            "return a bool one (True = may attend).",
        ),
        (
            lambda t, w, g: longformer_band(t, w, g).float() * math.nan,
            "returned a torch.float32 tensor",
        ),
        (
            lambda t, w, g: longformer_band(t, w, g)[1:],
            "your mask has shape (9, 10), expected (10, 10).",
        ),
        (lambda t, w, g: [[True] * t, [True]], "rows of different lengths"),
        (lambda t, w, g: None, "returned NoneType, not a tensor."),
        (lambda t, w, g: "mask", "returned str, not a tensor."),
        (longformer_sorting, "Your function changed global_indices"),
        (lambda t, w, g: longformer_band(t, w, g)[t], "raised IndexError"),
        (not_written, "Your turn"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_longformer_mask_names_the_mistake(wrong, expected, capsys):
    assert_names_mistake(check_longformer_mask, wrong, expected, capsys, ANSWERS)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seq_len=st.integers(1, 24),
    half=st.integers(0, 14),
    data=st.data(),
)
def test_longformer_reference_is_chapter_3_s_masks(seq_len, half, data):
    """A symmetric window is a causal window of w/2 + 1 keys or its transpose, and
    Longformer adds chapter 3's global tokens to it; llmviz's Longformer agrees."""
    positions = st.lists(st.integers(0, seq_len - 1), unique=True, max_size=4)
    global_indices = data.draw(positions)
    back = masks.materialize(masks.sliding_window(half + 1), seq_len, seq_len)
    expected = back | back.T
    if global_indices:
        expected |= masks.materialize(
            masks.global_tokens(global_indices), seq_len, seq_len
        )
    got = longformer_reference(seq_len, 2 * half, global_indices)
    assert torch.equal(got, expected)
    if half:  # and it is the mask of llmviz's Longformer (window ≥ 2)
        mask_mod = llmviz_longformer(2 * half, global_indices=global_indices)
        assert torch.equal(got, masks.materialize(mask_mod, seq_len, seq_len))


# --- shift_heads ----------------------------------------------------------------------


def shift_loops(x, group_size, by=None, heads="second", within=False, wrap=True):
    """A right answer, token by token, with switches for the usual mistakes."""
    by = group_size // 2 if by is None else by
    batch, num_heads, seq_len, _ = x.shape
    out = x.clone()
    chosen = {
        "second": range(num_heads // 2, num_heads),
        "first": range(num_heads // 2),
        "all": range(num_heads),
        "odd": range(1, num_heads, 2),
    }[heads]
    for h in chosen:
        for t in range(seq_len):
            if within:  # the notes' code: each group rotated within itself
                start = t - t % group_size
                source = start + (t - start + by) % group_size
            else:
                source = (t + by) % seq_len if wrap else t + by
            out[:, h, t] = x[:, h, source] if source < seq_len else 0
    return out


def shift_gather(x, group_size):
    """Index the tokens with (t + G/2) mod T, on the second half of the heads."""
    half, seq_len = x.shape[1] // 2, x.shape[2]
    source = (torch.arange(seq_len) + group_size // 2) % seq_len
    return torch.cat([x[:, :half], x[:, half:, source]], dim=1)


def shift_numpy(x, group_size):
    y = x.numpy().copy()
    half = y.shape[1] // 2
    y[:, half:] = np.roll(y[:, half:], -(group_size // 2), axis=2)
    return y


def shift_in_place(x, group_size):
    """In place, on a copy: roll every head, then put the first half back."""
    y = torch.roll(x.clone(), shifts=-(group_size // 2), dims=-2)
    y[:, : x.shape[1] // 2] = x[:, : x.shape[1] // 2]
    return y


def shift_changing_x(x, group_size):
    half = x.shape[1] // 2
    x[:, half:] = shift_gather(x, group_size)[:, half:]
    return x


@pytest.mark.parametrize(
    "solution",
    [
        shift_loops,
        shift_gather,
        shift_numpy,
        shift_in_place,
        lambda x, g: shift_gather(x.double(), g),
        lambda x, g: shift_gather(x, g).half(),
        lambda x, g: shift_numpy(x, g).tolist(),
    ],
)
def test_check_shift_heads_accepts(solution, capsys):
    assert_accepts(check_shift_heads, solution, capsys)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (
            lambda x, g: shift_loops(x, g, within=True),
            "For x of shape (1, 4, 12, 3) and group_size=4: It looks like you rotate "
            "each group of group_size tokens within itself, as the notes' code does",
        ),
        (lambda x, g: shift_loops(x, g, by=-g // 2), "move the other way"),
        (lambda x, g: shift_loops(x, g, by=g), "you shift by a whole group"),
        (lambda x, g: shift_loops(x, g, heads="first"), "you shift the first half"),
        (lambda x, g: shift_loops(x, g, heads="all"), "you shift every head"),
        (lambda x, g: shift_loops(x, g, heads="odd"), "you shift every other head"),
        (lambda x, g: shift_loops(x, g, wrap=False), "a roll wraps around"),
        (
            lambda x, g: torch.cat([x[:, :2], x[:, 2:].roll(-g // 2, -1)], 1),
            "you roll the features (the last dimension), not the tokens",
        ),
        (lambda x, g: shift_loops(x, g, by=1), "follow by hand"),
        (
            lambda x, g: shift_gather(x, g)[:, x.shape[1] // 2 :],
            "the result should have the shape of x, got (1, 2, 12, 3). You return "
            "only the shifted heads.",
        ),
        (lambda x, g: shift_gather(x, g)[0], "got (4, 12, 3)."),
        (lambda x, g: shift_gather(x, g) * math.nan, "returned NaN or inf values"),
        (lambda x, g: shift_gather(x, g) > 0, "returned a torch.bool tensor"),
        (lambda x, g: None, "shift_heads returned NoneType, not a tensor."),
        (shift_changing_x, "changed its input x in place"),
        (lambda x, g: x.view(5, -1), "raised RuntimeError"),
        (not_written, "Your turn"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_shift_heads_names_the_mistake(wrong, expected, capsys):
    assert_names_mistake(check_shift_heads, wrong, expected, capsys, ANSWERS)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    groups=st.integers(1, 4),
    half_group=st.integers(1, 4),
    half_heads=st.integers(1, 3),
    fix_leak=st.booleans(),
)
def test_shift_reference_is_s2_attention_s_shift(
    groups, half_group, half_heads, fix_leak
):
    """Causal attention within groups of the shifted q, k, v, the shifted heads rolled
    back, is llmviz's S2-Attn (the leak fix: the causal mask over original positions)."""
    group_size, heads = 2 * half_group, 2 * half_heads
    seq_len = groups * group_size
    q, k, v = torch.randn(3, 2, heads, seq_len, 4, dtype=torch.float64)
    i = torch.arange(seq_len)
    tokens = i.double().view(1, 1, -1, 1).expand(1, 2, -1, 1)
    original = shift_reference(tokens, group_size)[0, 1, :, 0]  # token at each slot
    same_group = (i.unsqueeze(-1) // group_size == i // group_size) & (
        i.unsqueeze(-1) >= i
    )
    mask = same_group.expand(heads, seq_len, seq_len).clone()  # (H, T, T)
    if fix_leak:  # causal over the original positions too, on the shifted heads
        mask[half_heads:] &= original.unsqueeze(-1) >= original
    shifted = [shift_reference(t, group_size) for t in (q, k, v)]
    o = scaled_dot_product_attention(*shifted, attn_mask=mask)  # (B, H, T, D)
    back = o[:, half_heads:].roll(group_size // 2, dims=-2)  # rolled back
    expected = s2_attention(q, k, v, group_size, fix_leak=fix_leak)
    assert torch.allclose(torch.cat([o[:, :half_heads], back], 1), expected, atol=1e-10)


# --- merge_tiles ----------------------------------------------------------------------


def merge_written_out(m1, l1, o1, m2, l2, o2, mistake=""):
    """A right answer, with switches for the usual mistakes."""
    m = torch.where(m1 > m2, m1, m2)
    a1, a2 = torch.exp(m1 - m), torch.exp(m2 - m)
    if mistake == "inverted":
        a1, a2 = torch.exp(m - m1), torch.exp(m - m2)
    if mistake == "raw":
        a1, a2 = torch.exp(m1), torch.exp(m2)
    total = l1 + l2 if mistake == "added" else l1 * a1 + l2 * a2
    w1, w2 = (l1 * a1 / total)[..., None], (l2 * a2 / total)[..., None]
    out = {
        "average": (o1 + o2) / 2,
        "weighted_raw": (l1[..., None] * o1 + l2[..., None] * o2)
        / (l1 + l2)[..., None],
        "unnormalised": (l1 * a1)[..., None] * o1 + (l2 * a2)[..., None] * o2,
        "as_sums": (a1[..., None] * o1 + a2[..., None] * o2) / total[..., None],
    }.get(mistake, w1 * o1 + w2 * o2)
    return m, total, out


def merge_log_sum_exp(m1, l1, o1, m2, l2, o2):
    """Through log-sum-exps, as flash-decoding merges its splits."""
    lse1, lse2 = m1 + torch.log(l1), m2 + torch.log(l2)
    lse = torch.logaddexp(lse1, lse2)
    out = torch.exp(lse1 - lse)[..., None] * o1 + torch.exp(lse2 - lse)[..., None] * o2
    m = torch.maximum(m1, m2)
    return m, torch.exp(lse - m), out


def merge_numpy(m1, l1, o1, m2, l2, o2):
    m1, l1, o1, m2, l2, o2 = (
        t.numpy().astype(np.float64) for t in (m1, l1, o1, m2, l2, o2)
    )
    m = np.maximum(m1, m2)
    w1, w2 = l1 * np.exp(m1 - m), l2 * np.exp(m2 - m)
    return [
        m,
        w1 + w2,
        (w1[..., None] * o1 + w2[..., None] * o2) / (w1 + w2)[..., None],
    ]


def merge_unnormalised_first(m1, l1, o1, m2, l2, o2):
    """Back to unnormalised accumulators (FlashAttention-2's), add, normalise."""
    m = torch.maximum(m1, m2)
    acc = (l1 * torch.exp(m1 - m))[..., None] * o1 + (l2 * torch.exp(m2 - m))[
        ..., None
    ] * o2
    total = l1 * torch.exp(m1 - m) + l2 * torch.exp(m2 - m)
    return m, total, acc / total[..., None]


def merge_overflowing(m1, l1, o1, m2, l2, o2):
    """Right wherever exp(m) fits in float32, NaN (inf/inf) where it does not."""
    w1, w2 = l1 * torch.exp(m1), l2 * torch.exp(m2)
    out = (w1[..., None] * o1 + w2[..., None] * o2) / (w1 + w2)[..., None]
    return merge_written_out(m1, l1, o1, m2, l2, o2)[:2] + (out,)


def merge_changing_l1(m1, l1, o1, m2, l2, o2):
    l1.add_(0.5)  # in place; the merge itself is right
    return merge_written_out(m1, l1 - 0.5, o1, m2, l2, o2)


@pytest.mark.parametrize(
    "solution",
    [
        merge_written_out,
        merge_log_sum_exp,
        merge_numpy,
        merge_unnormalised_first,
        lambda *a: merge_written_out(*(t.double() for t in a)),
        lambda *a: [t.half() for t in merge_written_out(*(t.double() for t in a))],
        lambda *a: tuple(t.tolist() for t in merge_written_out(*a)),
    ],
)
def test_check_merge_tiles_accepts(solution, capsys):
    assert_accepts(check_merge_tiles, solution, capsys)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        *[
            (lambda *a, m=m: merge_written_out(*a, m), hint)
            for m, hint in {**SUM_MISTAKES, **OUTPUT_MISTAKES}.items()
        ],
        (
            lambda *a: merge_written_out(*a, "added"),
            "For tile outputs of shape (3, 2): It looks like your ℓ adds the two sums as "
            "they are",
        ),
        (
            merge_overflowing,
            "with scores near 100: merge_tiles (its out) returned "
            "NaN or inf values. exp(100) overflows float32",
        ),  # fmt: skip
        (
            lambda m1, l1, o1, m2, *a: (m2, *merge_written_out(m1, l1, o1, m2, *a)[1:]),
            "Your m keeps only one tile's maximum.",
        ),
        (
            lambda m1, *a: (m1 + a[2], *merge_written_out(m1, *a)[1:]),
            "Your m should be the largest score of either tile.",
        ),
        (
            lambda *a: (*merge_written_out(*a)[:2], merge_written_out(*a)[2] * 1.01),
            "Your output is wrong: merge two tiles of one key each by hand.",
        ),
        (
            lambda *a: merge_written_out(*a)[::-1],
            "merge_tiles (its m) returned shape (3, 2), expected (3,).",
        ),
        (lambda *a: merge_written_out(*a)[2], "got Tensor."),
        (lambda *a: merge_written_out(*a)[:2], "got tuple of length 2."),
        (lambda *a: (*merge_written_out(*a)[:2], None), "(its out) returned NoneType"),
        (
            lambda *a: (
                merge_written_out(*a)[0] * math.nan,
                *merge_written_out(*a)[1:],
            ),
            "(its m) returned NaN or inf values.",
        ),
        (merge_changing_l1, "changed its input l1 in place"),
        (lambda *a: merge_written_out(*a[:5]), "raised TypeError"),
        (not_written, "Your turn"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_merge_tiles_names_the_mistake(wrong, expected, capsys):
    assert_names_mistake(check_merge_tiles, wrong, expected, capsys, ANSWERS)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    queries=st.integers(1, 4),
    sizes=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    shift=st.floats(-30, 30),
)
def test_merge_reference_is_splitkv_merge_and_one_softmax(queries, sizes, shift):
    """The check's merge equals merge_attention on log-sum-exps (lse = m + log ℓ),
    and both equal the softmax over the two tiles at once."""
    s1, s2 = (
        torch.randn(queries, sizes[0]).double(),
        torch.randn(queries, sizes[1]).double(),
    )
    s2 = s2 + shift
    v1, v2 = torch.randn(sizes[0], 3).double(), torch.randn(sizes[1], 3).double()
    (m1, l1, o1), (m2, l2, o2) = tile_state(s1, v1), tile_state(s2, v2)
    m, total, out = merge_reference(m1, l1, o1, m2, l2, o2)
    merged, lse = merge_attention([o1, o2], [m1 + l1.log(), m2 + l2.log()])
    both = tile_state(torch.cat([s1, s2], -1), torch.cat([v1, v2]))
    assert torch.allclose(out, merged) and torch.allclose(m + total.log(), lse)
    assert all(torch.allclose(a, b) for a, b in zip((m, total, out), both, strict=True))


def test_the_merge_cases_hold_what_the_docstring_promises():
    cases = merge_cases()
    for case in cases:
        got = merge_reference(*case[:6])
        assert all(torch.allclose(a, b) for a, b in zip(got, case[6:], strict=True))
    assert any(bool((c[0] == -math.inf).all()) for c in cases)  # an empty tile
    assert any(bool((c[0] > 88.8).any()) for c in cases)  # exp(m) overflows float32
    m1, _, _, m2 = cases[0][:4]
    assert bool((m1 > m2).any()) and bool((m2 > m1).any())  # either tile may lead


# --- select_blocks --------------------------------------------------------------------


def select_loops(query, key, block_size, top_k, pool="mean", forced=True,
                 future=False, plus_own=False, fill=False, lowest=False):  # fmt: skip
    """A right answer, query by query, with switches for the usual mistakes."""
    seq_len, num_blocks = query.shape[0], query.shape[0] // block_size
    rows = []
    for i in range(seq_len):
        own = i // block_size
        scores = {}
        for b in range(num_blocks):
            keys = key[b * block_size : (b + 1) * block_size]
            dots = keys @ query[i]
            scores[b] = {"mean": float(dots.mean()), "sum": float(dots.sum()),
                         "max": float(dots.max()), "first": float(dots[0])}[pool]  # fmt: skip
        candidates = [b for b in range(num_blocks) if future or b <= own]
        if forced:
            candidates.remove(own)
        ranked = sorted(candidates, key=lambda b: scores[b], reverse=not lowest)
        room = top_k + plus_own - forced
        chosen = set(ranked[:room]) | ({own} if forced else set())
        if fill and len(chosen) < min(top_k, num_blocks):
            chosen |= set(
                range(own + 1, own + 1 + min(top_k, num_blocks) - len(chosen))
            )
        rows.append([b in chosen for b in range(num_blocks)])
    return torch.tensor(rows)


def select_numpy(query, key, block_size, top_k):
    """Sort each query's past blocks with argsort, as a NumPy bool array."""
    q, k = query.numpy(), key.numpy()
    centroids = k.reshape(-1, block_size, k.shape[1]).mean(1)
    scores = q @ centroids.T
    chosen = np.zeros(scores.shape, dtype=bool)
    for i, row in enumerate(scores):
        own = i // block_size
        past = np.argsort(-row[:own])[: top_k - 1]
        chosen[i, past], chosen[i, own] = True, True
    return chosen


def select_fill_bug(query, key, block_size, top_k):
    """Future blocks after the own one make up the count where few are past."""
    return select_loops(query, key, block_size, top_k, fill=True)


def select_topk_keeping_minus_inf(query, key, block_size, top_k):
    """Top-k over masked scores, keeping whatever −inf blocks topk takes."""
    scores = query @ key.unflatten(0, (-1, block_size)).mean(1).T
    own = torch.arange(len(query))[:, None] // block_size
    block = torch.arange(scores.shape[1])
    scores = scores.masked_fill(block > own, -math.inf)
    scores = scores.masked_fill(block == own, math.inf)
    chosen = scores.topk(min(top_k, scores.shape[1]), dim=-1).indices
    return torch.zeros(scores.shape, dtype=torch.bool).scatter(-1, chosen, True)


@pytest.mark.parametrize(
    "solution",
    [
        select_loops,
        lambda q, k, b, t: select_loops(q, k, b, t, pool="sum"),  # same ranking
        select_numpy,
        lambda q, k, b, t: select_numpy(q, k, b, t).tolist(),
        lambda q, k, b, t: select_loops(q.double(), k.double(), b, t),
    ],
)
def test_check_select_blocks_accepts(solution, capsys):
    assert_accepts(check_select_blocks, solution, capsys)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        (
            lambda q, k, b, t: select_loops(q, k, b, t, forced=False),
            "For T=16, block_size=2 and top_k=3: It looks like the query's own block "
            "is not always chosen",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t, future=True),
            "a query reads a block that starts after it",
        ),
        (select_fill_bug, "to make up the count: future blocks are never read"),
        (select_topk_keeping_minus_inf, "to make up the count: future blocks are"),
        (
            lambda q, k, b, t: select_loops(q, k, b, t, plus_own=True),
            "a query reads top_k + 1 blocks",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t, lowest=True),
            "you choose the blocks with the lowest scores",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t, pool="max"),
            "scored by their largest q·k",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t, pool="first"),
            "scored by their first key",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t) & (torch.arange(8) != 5),
            "Query 10 reads 2 blocks; it should read 3.",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t).roll(1, 1),
            "Query 0 should read block 0.",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t).int(),
            "your function returned a torch.int32 tensor; return a bool one (True = "
            "the query reads the block).",
        ),
        (
            lambda q, k, b, t: select_loops(q, k, b, t).T,
            "your mask has shape (8, 16), expected (16, 8).",
        ),
        (lambda q, k, b, t: None, "returned NoneType, not a tensor."),
        (
            lambda q, k, b, t: select_loops(q.mul_(2), k, b, t),
            "changed its input query",
        ),
        (lambda q, k, b, t: select_loops(q, k.T, b, t), "raised"),
        (not_written, "Your turn"),
        (hangs, "took longer than 0.5 s"),
    ],
)
def test_check_select_blocks_names_the_mistake(wrong, expected, capsys):
    assert_names_mistake(check_select_blocks, wrong, expected, capsys, ANSWERS)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    blocks=st.integers(1, 6),
    block_size=st.integers(1, 4),
    top_k=st.integers(1, 8),
    head_dim=st.integers(1, 5),
)
def test_select_reference_is_moba_gate(blocks, block_size, top_k, head_dim):
    q, k = torch.randn(2, blocks * block_size, head_dim)
    got = select_reference(q, k, block_size, top_k)
    assert torch.equal(got, moba_gate(q, k, block_size, top_k))


# --- every check ----------------------------------------------------------------------


def test_the_first_cases_tell_the_mistakes_apart():
    """Each check looks for the hint in the first case that fails, usually the first:
    there every mistake must give its own answer, different from the right one."""
    seq_len, window, global_indices = LONGFORMER_CASES[0]
    longformer = [longformer_reference(*LONGFORMER_CASES[0])] + [
        longformer_reference(seq_len, window, global_indices, m)
        for m in LONGFORMER_MISTAKES.values()
    ]
    shape, group_size = SHIFT_CASES[0]  # the checks' own first inputs, seeded alike
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    shifts = [shift_reference(x, group_size, m) for m in ["", *SHIFT_MISTAKES]]
    seq_len, head_dim, block_size, top_k = SELECT_CASES[0]
    generator = torch.Generator().manual_seed(0)
    q, k = (torch.randn(seq_len, head_dim, generator=generator) for _ in "qk")
    selects = [
        select_reference(q, k, block_size, top_k, m) for m in ["", *SELECT_MISTAKES]
    ]
    for outputs in (longformer, shifts, selects):
        assert all(not torch.equal(a, b) for a, b in combinations(outputs, 2))
    tiles = merge_cases()[0][:6]
    for index, mistakes in ((1, SUM_MISTAKES), (2, OUTPUT_MISTAKES)):
        values = [merge_reference(*tiles, m)[index] for m in ["", *mistakes]]
        assert min((a - b).abs().max() for a, b in combinations(values, 2)) > 1e-2


@pytest.mark.parametrize("check", CHECKS)
def test_a_check_given_no_function_says_so(check, capsys):
    assert not check("not a function")
    assert "Pass your function itself, not a str." in capsys.readouterr().out


@pytest.mark.parametrize("check", CHECKS)
def test_no_check_shows_a_solution_in_its_docstring(check):
    for code in (">>>", "lambda", "def ", "roll(", "topk(", "exp(m", "mean(1", "abs("):
        assert code not in check.__doc__
