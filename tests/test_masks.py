"""Masks as predicates: each against its definition written out pair by pair, against
torch's own mask utilities, and driving SDPA and flex_attention to the same output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.attention import flex_attention as torch_flex
from transformers.masking_utils import (
    sliding_window_bidirectional_mask_function,
    sliding_window_causal_mask_function,
)

from llmviz.attention import (
    GALLERY,
    MASK_NAMES,
    block_mask,
    composed_mask,
    flex_attention,
    masks,
    named_mask,
    scaled_dot_product_attention,
)
from llmviz.attention.gallery import GalleryEntry

# The definitions from the papers, one (i, j) pair at a time: query i may see key j when...
REFERENCE = {
    "causal": lambda i, j: j <= i,
    "full": lambda i, j: True,
    "sliding_window": lambda i, j, window: i - window < j <= i,
    "dilated_sliding_window": lambda i, j, window, dilation: (
        j <= i and (i - j) % dilation == 0 and (i - j) // dilation < window
    ),
    "strided": lambda i, j, stride: j <= i and (i - j) % stride == 0,
    "global_tokens": lambda i, j, indices: i in indices or j in indices,
    "attention_sinks": lambda i, j, num_sinks, window: (
        j <= i and (j < num_sinks or i - j < window)
    ),
    "block_diagonal": lambda i, j, block_size: i // block_size == j // block_size,
    "prefix_lm": lambda i, j, prefix_len: j < prefix_len or j <= i,
    "padding": lambda i, j, length: j < length,
}


def _by_pairs(rule, q_len, kv_len, **params) -> torch.Tensor:
    return torch.tensor(
        [[bool(rule(i, j, **params)) for j in range(kv_len)] for i in range(q_len)]
    )


CASES = [
    ("causal", masks.causal, {}),
    ("full", masks.full, {}),
    ("sliding_window", masks.sliding_window(1), {"window": 1}),
    ("sliding_window", masks.sliding_window(3), {"window": 3}),
    (
        "dilated_sliding_window",
        masks.dilated_sliding_window(3, 2),
        {"window": 3, "dilation": 2},
    ),
    ("strided", masks.strided(3), {"stride": 3}),
    ("global_tokens", masks.global_tokens([0, 5]), {"indices": [0, 5]}),
    ("attention_sinks", masks.attention_sinks(2, 3), {"num_sinks": 2, "window": 3}),
    ("block_diagonal", masks.block_diagonal(4), {"block_size": 4}),
    ("prefix_lm", masks.prefix_lm(5), {"prefix_len": 5}),
    ("padding", masks.padding([7]), {"length": 7}),
]


@pytest.mark.parametrize(("name", "mask_mod", "params"), CASES, ids=lambda c: str(c))
@pytest.mark.parametrize(("q_len", "kv_len"), [(1, 1), (11, 11), (6, 13), (13, 6)])
def test_materialize_matches_the_pairwise_definition(
    name, mask_mod, params, q_len, kv_len
):
    expected = _by_pairs(REFERENCE[name], q_len, kv_len, **params)
    assert torch.equal(masks.materialize(mask_mod, q_len, kv_len), expected)


@pytest.mark.parametrize(("name", "mask_mod", "params"), CASES, ids=lambda c: str(c))
def test_materialize_matches_torch_create_mask(name, mask_mod, params):
    B = 1 if name == "padding" else 2  # padding([7]) describes one batch row
    reference = torch_flex.create_mask(
        mask_mod, B, 3, 9, 12, device="cpu"
    )  # (B, H, T_q, T_kv)
    ours = masks.materialize(mask_mod, 9, 12, batch_size=B, num_heads=3)
    assert torch.equal(ours, reference)


@settings(max_examples=80, deadline=None)
@given(
    q_len=st.integers(1, 20),
    window=st.integers(1, 24),
    dilation=st.integers(1, 5),
    stride=st.integers(1, 8),
    num_sinks=st.integers(0, 6),
    block_size=st.integers(1, 24),
    prefix_len=st.integers(0, 24),
)
def test_every_parameter_value_matches_the_definition(
    q_len, window, dilation, stride, num_sinks, block_size, prefix_len
):
    built = {
        "sliding_window": (masks.sliding_window(window), {"window": window}),
        "dilated_sliding_window": (
            masks.dilated_sliding_window(window, dilation),
            {"window": window, "dilation": dilation},
        ),
        "strided": (masks.strided(stride), {"stride": stride}),
        "attention_sinks": (
            masks.attention_sinks(num_sinks, window),
            {"num_sinks": num_sinks, "window": window},
        ),
        "block_diagonal": (
            masks.block_diagonal(block_size),
            {"block_size": block_size},
        ),
        "prefix_lm": (masks.prefix_lm(prefix_len), {"prefix_len": prefix_len}),
    }
    for name, (mask_mod, params) in built.items():
        expected = _by_pairs(REFERENCE[name], q_len, q_len, **params)
        assert torch.equal(masks.materialize(mask_mod, q_len, q_len), expected), name


def test_padding_uses_each_batch_rows_length():
    dense = masks.materialize(masks.padding([2, 5, 0]), 4, 6, batch_size=3, num_heads=2)
    assert dense.shape == (3, 2, 4, 6)
    for b, length in enumerate([2, 5, 0]):
        assert torch.equal(
            dense[b, 1], _by_pairs(REFERENCE["padding"], 4, 6, length=length)
        )


# --- the reductions that follow from the definitions --------------------------------------


def _same(first, second, q_len=17, kv_len=17) -> bool:
    return torch.equal(
        masks.materialize(first, q_len, kv_len),
        masks.materialize(second, q_len, kv_len),
    )


def test_special_cases_reduce_to_simpler_masks():
    assert _same(
        masks.sliding_window(17), masks.causal
    )  # a window as long as the sequence
    assert _same(masks.sliding_window(100), masks.causal)
    assert _same(masks.dilated_sliding_window(5, 1), masks.sliding_window(5))
    assert _same(masks.attention_sinks(0, 5), masks.sliding_window(5))
    assert _same(masks.attention_sinks(17, 1), masks.causal)
    assert _same(masks.strided(1), masks.causal)
    assert _same(masks.prefix_lm(0), masks.causal)
    assert _same(masks.prefix_lm(17), masks.full)
    assert _same(masks.block_diagonal(17), masks.full)
    assert _same(masks.padding([17]), masks.full)
    assert _same(masks.and_masks(masks.causal, masks.full), masks.causal)
    assert _same(masks.or_masks(masks.causal, masks.full), masks.full)


def test_and_or_match_torch_combinators():
    parts = (masks.sliding_window(4), masks.strided(3), masks.global_tokens([2]))
    for ours, theirs in (
        (masks.and_masks, torch_flex.and_masks),
        (masks.or_masks, torch_flex.or_masks),
    ):
        expected = torch_flex.create_mask(theirs(*parts), 1, 1, 19, 19, device="cpu")[
            0, 0
        ]
        assert torch.equal(masks.materialize(ours(*parts), 19, 19), expected)


def test_masks_have_readable_names():
    assert masks.sliding_window(4).__name__ == "sliding_window(4)"
    combined = masks.or_masks(masks.sliding_window(4), masks.strided(4))
    assert combined.__name__ == "sliding_window(4) or strided(4)"
    assert masks.global_tokens(range(2)).__name__ == "global_tokens([0, 1])"


# --- one mask_mod, three engines -----------------------------------------------------------

ENGINE_CASES = [name for name in MASK_NAMES if name != "padding"]


@pytest.mark.parametrize("name", ENGINE_CASES)
@pytest.mark.parametrize(("q_len", "kv_len"), [(37, 37), (20, 45)])
def test_flex_attention_equals_sdpa_with_the_dense_mask(name, q_len, kv_len):
    torch.manual_seed(0)
    q = torch.randn(2, 3, q_len, 16)
    k, v = torch.randn(2, 2, 3, kv_len, 16).unbind(0)
    mask_mod = named_mask(
        name, window=5, stride=3, num_sinks=2, block_size=8, prefix_len=6
    )
    dense = masks.materialize(mask_mod, q_len, kv_len)
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=dense)
    ours, _ = scaled_dot_product_attention(
        q, k, v, attn_mask=dense, return_weights=True
    )
    torch.testing.assert_close(
        flex_attention(q, k, v, mask_mod=mask_mod), reference, atol=1e-5, rtol=0
    )
    torch.testing.assert_close(ours, reference, atol=1e-5, rtol=0)


def test_flex_attention_with_per_batch_padding_and_an_empty_row():
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 3, 2, 10, 8).unbind(0)
    mask_mod = masks.padding([10, 4, 0])  # the last row of the batch has no real key
    dense = masks.materialize(mask_mod, 10, 10, batch_size=3, num_heads=2)
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=dense)
    torch.testing.assert_close(
        flex_attention(q, k, v, mask_mod=mask_mod), reference, atol=1e-5, rtol=0
    )
    assert torch.equal(reference[2], torch.zeros_like(reference[2]))


def test_flex_attention_without_a_mask_is_full_attention():
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 1, 2, 9, 8).unbind(0)
    reference = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(flex_attention(q, k, v), reference, atol=1e-5, rtol=0)


def test_block_mask_sparsity_counts_skipped_tiles():
    # 4 × 4 tiles of 128: causal skips the 6 above the diagonal; a 128 window skips 6 as well
    # (below the first sub-diagonal) and computes the diagonal and sub-diagonal tiles.
    assert block_mask(masks.causal, 512, 512).sparsity() == pytest.approx(100 * 6 / 16)
    assert block_mask(masks.sliding_window(128), 512, 512).sparsity() == pytest.approx(
        100 * 9 / 16
    )


# --- the gallery and the explorer's composition -------------------------------------------


@pytest.mark.parametrize("name", list(GALLERY))
def test_gallery_entries_materialise_their_own_masks(name):
    entry = GALLERY[name]
    for value in entry.values:
        mask_mod, q_len, kv_len = entry.build(value)
        dense = entry.compute(**{entry.param: value})
        assert torch.equal(dense, masks.materialize(mask_mod, q_len, kv_len))
    with pytest.raises(
        TypeError, match=f"this entry takes one keyword, '{entry.param}'"
    ):
        entry.compute(wrong=1)


def test_composed_mask_combines_named_masks():
    both = composed_mask(
        "sliding_window", "or", "strided", seq_len=12, window=3, stride=4
    )
    expected = masks.materialize(
        masks.or_masks(masks.sliding_window(3), masks.strided(4)), 12, 12
    )
    assert torch.equal(both, expected)
    for name in MASK_NAMES:
        assert composed_mask(name, "and", "full", seq_len=8).shape == (8, 8)


def test_composition_errors():
    with pytest.raises(
        ValueError,
        match=r"name must be one of \['causal', 'full', .*\], got 'diagonal'",
    ):
        named_mask("diagonal")
    with pytest.raises(
        ValueError, match=r"operation must be one of \['and', 'or'\], got 'xor'"
    ):
        composed_mask("causal", "xor", "full")


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: masks.sliding_window(0),
            ValueError,
            "window must be an integer >= 1, got 0",
        ),
        (
            lambda: masks.sliding_window(-3),
            ValueError,
            "window must be an integer >= 1, got -3",
        ),
        (
            lambda: masks.sliding_window(2.5),
            TypeError,
            "window must be an integer, got 2.5 of type float",
        ),
        (
            lambda: masks.sliding_window(True),
            TypeError,
            "window must be an integer, got True of type bool",
        ),
        (
            lambda: masks.dilated_sliding_window(3, 0),
            ValueError,
            "dilation must be an integer >= 1, got 0",
        ),
        (
            lambda: masks.strided(-2),
            ValueError,
            "stride must be an integer >= 1, got -2",
        ),
        (
            lambda: masks.attention_sinks(-1, 4),
            ValueError,
            "num_sinks must be an integer >= 0, got -1",
        ),
        (
            lambda: masks.attention_sinks(1, 0),
            ValueError,
            "window must be an integer >= 1, got 0",
        ),
        (
            lambda: masks.block_diagonal(0),
            ValueError,
            "block_size must be an integer >= 1, got 0",
        ),
        (
            lambda: masks.prefix_lm(-1),
            ValueError,
            "prefix_len must be an integer >= 0, got -1",
        ),
        (
            lambda: masks.global_tokens([]),
            ValueError,
            "indices must hold 1 to 4096 integers, got 0",
        ),
        (
            lambda: masks.global_tokens([0, -2]),
            ValueError,
            r"indices\[1\] must be an integer >= 0, got -2",
        ),
        (
            lambda: masks.global_tokens("01"),
            TypeError,
            "indices must be a sequence of integers, got '01'",
        ),
        (
            lambda: masks.global_tokens(3),
            TypeError,
            "indices must be a sequence of integers, got 3",
        ),
        (
            lambda: masks.padding([]),
            ValueError,
            "lengths must hold 1 to 4096 integers, got 0",
        ),
        (
            lambda: masks.padding([4, -1]),
            ValueError,
            r"lengths\[1\] must be an integer >= 0, got -1",
        ),
        (
            lambda: masks.and_masks(),
            ValueError,
            "and_masks needs at least one of mask_mods, got none",
        ),
        (
            lambda: masks.or_masks(masks.causal, 3),
            TypeError,
            r"mask_mods\[1\] must be callable, got 3",
        ),
        (
            lambda: masks.materialize("causal", 4, 4),
            TypeError,
            "mask_mod must be callable, got 'causal'",
        ),
        (
            lambda: masks.materialize(masks.causal, 0, 4),
            ValueError,
            "q_len must be an integer >= 1, got 0",
        ),
        (
            lambda: masks.materialize(masks.causal, 4, 4, batch_size=0),
            ValueError,
            "batch_size must be an integer >= 1, got 0",
        ),
        (
            lambda: masks.materialize(lambda b, h, i, j: i - j, 3, 3),
            TypeError,
            "mask_mod must return a bool tensor, got torch.int64",
        ),
        (
            lambda: masks.materialize(masks.padding([3]), 4, 4, batch_size=2),
            ValueError,
            r"padding\(\[3\]\) does not cover batch_size=2, num_heads=1",
        ),
        (
            lambda: block_mask(masks.causal, 128, 0),
            ValueError,
            "kv_len must be an integer >= 1, got 0",
        ),
        (
            lambda: flex_attention(
                torch.ones(3, 4), torch.ones(3, 4), torch.ones(3, 4)
            ),
            ValueError,
            r"query must have 4 dimensions, got shape \(3, 4\)",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("window", [1, 3, 8])
def test_the_causal_window_is_hf_sliding_window_not_a_symmetric_one(window):
    """i − w < j ≤ i is HF's (and Mistral's) sliding window; HF's bidirectional one,
    Longformer's kind, reaches both ways and is another mask."""
    T = 12
    q_idx, kv_idx, zero = (
        torch.arange(T)[:, None],
        torch.arange(T)[None, :],
        torch.tensor(0),
    )
    hf_causal = sliding_window_causal_mask_function(window)(zero, zero, q_idx, kv_idx)
    hf_symmetric = sliding_window_bidirectional_mask_function(window)(
        zero, zero, q_idx, kv_idx
    )
    ours = masks.materialize(masks.sliding_window(window), T, T)
    assert torch.equal(ours, hf_causal)
    assert not torch.equal(ours, hf_symmetric)


def _chapter_markdown() -> str:
    path = Path(__file__).parents[1] / "notebooks" / "03_attention.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join(
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
    )


def test_the_causal_window_is_credited_to_mistral_not_longformer():
    sliding = next(  # a paragraph, or an item of the gallery's list
        line.removeprefix("- ")
        for line in _chapter_markdown().split("\n")
        if line.removeprefix("- ").startswith("**Sliding window**")
    )
    assert sliding.startswith("**Sliding window** {footcite}`jiang2023mistral`:")
    paragraph = _chapter_markdown().split("**Sliding window**")[1].split("\n\n")[0]
    assert "beltagy2020longformer` is symmetric" in " ".join(paragraph.split())
    doc = masks.sliding_window.__doc__
    assert "jiang2023mistral" in doc and "symmetric" in doc
    assert "causal half" in masks.dilated_sliding_window.__doc__


@pytest.mark.parametrize("name", [name for name in GALLERY if name != "causal"])
def test_gallery_panels_show_a_telling_mask(name):
    # A panel at window 1, stride 1, sinks 0, prefix 0 ... would draw the diagonal, the
    # causal triangle or the full square, and hide what makes the mask different.
    dense = GALLERY[name].shown_mask()
    q_len, kv_len = dense.shape
    boring = {
        "causal": masks.materialize(masks.causal, q_len, kv_len),
        "full": torch.ones(q_len, kv_len, dtype=torch.bool),
        "diagonal": torch.eye(q_len, kv_len, dtype=torch.bool),
    }
    for kind, mask in boring.items():
        assert not torch.equal(dense, mask), f"{name} shows the {kind} mask"


def test_gallery_entry_shows_one_of_its_values():
    with pytest.raises(ValueError, match=r"shown must be one of \(1, 2\), got 3"):
        GalleryEntry(
            "window", (1, 2), lambda w: (masks.sliding_window(w), 4, 4), 3, "x"
        )
