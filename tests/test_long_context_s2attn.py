"""LongLoRA's S2-Attn (llmviz.long_context.s2attn) against chapter 3's
scaled_dot_product_attention: block-diagonal causal attention on the rolled sequence,
rolled back (LongLoRA's forward_noflashattn); its mask against the definition written
pair by pair; the wrap-around leak where it must be, and the fix that removes it."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention import flex_attention, masks, scaled_dot_product_attention
from llmviz.attention.masks import materialize
from llmviz.long_context import s2_attention, s2_mask_mod, wraparound_leak


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def block_causal(length: int, group_size: int) -> torch.Tensor:
    grouped = masks.and_masks(masks.causal, masks.block_diagonal(group_size))
    return materialize(grouped, length, length)


def reference(query, key, value, group_size):
    """Roll the second half of the heads by −G/2, block-diagonal causal SDPA, roll back."""
    half, shift = query.shape[1] // 2, group_size // 2
    mask = block_causal(query.shape[-2], group_size)
    outs = []
    for heads, roll in ((slice(None, half), 0), (slice(half, None), shift)):
        q, k, v = (x[:, heads].roll(-roll, dims=-2) for x in (query, key, value))
        out = scaled_dot_product_attention(q, k, v, attn_mask=mask)
        outs.append(out.roll(roll, dims=-2))
    return torch.cat(outs, dim=1)


def by_pairs(length, group_size, shifted, fix_leak):
    """Query i sees key j: same group and not later, after rolling by G/2 if shifted."""
    shift = group_size // 2 if shifted else 0
    where = [(p - shift) % length for p in range(length)]
    rows = []
    for i in range(length):
        row = []
        for j in range(length):
            same = where[i] // group_size == where[j] // group_size
            visible = same and where[j] <= where[i]
            row.append(visible and (j <= i or not fix_leak))
        rows.append(row)
    return torch.tensor(rows)


settings_ = settings(max_examples=50, deadline=None, derandomize=True)
groups = st.tuples(st.integers(1, 4), st.integers(1, 4)).map(
    lambda t: (2 * t[0], 2 * t[0] * t[1])  # (group_size, seq_len): G even, G | T
)


@settings_
@given(
    sizes=groups,
    batch=st.integers(1, 2),
    heads=st.sampled_from([2, 4, 6]),
    head_dim=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_s2_attention_is_block_diagonal_attention_on_the_rolled_sequence(
    sizes, batch, heads, head_dim, seed
):
    group_size, length = sizes
    query, key, value = (
        randn(batch, heads, length, head_dim, seed=seed + i) for i in range(3)
    )
    expected = reference(query, key, value, group_size)
    ours = s2_attention(query, key, value, group_size)
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-12)


@settings_
@given(
    sizes=groups,
    heads=st.sampled_from([2, 4]),
    fix_leak=st.booleans(),
    seed=st.integers(0, 99),
)
def test_s2_attention_is_sdpa_with_its_mask(sizes, heads, fix_leak, seed):
    group_size, length = sizes
    mod = s2_mask_mod(length, group_size, heads, fix_leak)
    mask = materialize(mod, length, length, num_heads=heads)  # (1, H, T, T)
    for h in range(heads):
        assert torch.equal(
            mask[0, h], by_pairs(length, group_size, h >= heads // 2, fix_leak)
        )
    query, key, value = (randn(2, heads, length, 3, seed=seed + i) for i in range(3))
    expected = scaled_dot_product_attention(query, key, value, attn_mask=mask)
    ours = s2_attention(query, key, value, group_size, fix_leak=fix_leak)
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("length", "group_size"), [(8, 2), (8, 4), (12, 4), (6, 6)])
def test_the_leak_is_the_first_half_group_seeing_the_last(length, group_size):
    shift = group_size // 2
    expected = torch.zeros(length, length, dtype=torch.bool)
    expected[:shift, length - shift :] = True  # every one of the (G/2)² pairs
    assert torch.equal(wraparound_leak(length, group_size), expected)
    future = torch.ones(length, length, dtype=torch.bool).triu(1)
    shifted = by_pairs(length, group_size, shifted=True, fix_leak=False)
    assert torch.equal(shifted & future, expected)


def test_the_leak_lets_the_future_change_the_past_and_the_fix_stops_it():
    query, key, value = (randn(1, 2, 8, 4, seed=i) for i in range(3))
    later_value = value.clone()
    later_value[:, :, -1] += 10.0  # change only the last token
    for fix_leak in (False, True):
        before = s2_attention(query, key, value, 4, fix_leak=fix_leak)
        after = s2_attention(query, key, later_value, 4, fix_leak=fix_leak)
        torch.testing.assert_close(before[:, 0, :7], after[:, 0, :7])  # unshifted
        torch.testing.assert_close(before[:, 1, 2:7], after[:, 1, 2:7])
        # the first G/2 = 2 queries of the shifted head read token 7 unless fixed
        assert torch.allclose(before[:, 1, :2], after[:, 1, :2]) == fix_leak


def test_the_fix_gives_groups_offset_by_half_a_group():
    # LongLoRA's flash-attention path: groups [0, G/2), [G/2, 3G/2), ..., [T - G/2, T)
    length, group_size = 12, 4
    offset = torch.arange(length) + group_size // 2
    same = offset.unsqueeze(-1) // group_size == offset.unsqueeze(0) // group_size
    expected = same & torch.ones(length, length, dtype=torch.bool).tril()
    fixed = materialize(
        s2_mask_mod(length, group_size, 2, fix_leak=True), length, length, num_heads=2
    )
    assert torch.equal(fixed[0, 1], expected)


def test_one_group_is_causal_attention_for_the_unshifted_heads():
    query, key, value = (randn(1, 4, 6, 3, seed=i) for i in range(3))
    out = s2_attention(query, key, value, group_size=6, fix_leak=True)
    expected = scaled_dot_product_attention(query, key, value, is_causal=True)
    torch.testing.assert_close(out[:, :2], expected[:, :2])


def test_the_mask_mod_drives_torch_flex_attention_to_the_same_output():
    # torch's flex_attention evaluates the predicate itself (vmapped over h, q, kv)
    query, key, value = (randn(2, 4, 16, 8, seed=20 + i).float() for i in range(3))
    for fix_leak in (False, True):
        mod = s2_mask_mod(16, 4, num_heads=4, fix_leak=fix_leak)
        expected = flex_attention(query, key, value, mask_mod=mod)
        ours = s2_attention(query, key, value, 4, fix_leak=fix_leak)
        torch.testing.assert_close(ours, expected, rtol=0, atol=1e-5)
