"""The time-and-memory sweep behind §11's GPU figure (llmviz.long_context.device_sweep),
run on CPU with small n, float32 and flex_attention in eager mode (never compiled in
tests): each masked method's output equals SDPA with the dense mask, the sweep can tell
a method that reads the wrong keys, and times and shapes come back per method and n."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention.flex_attention import flex_attention

from llmviz.attention import masks
from llmviz.long_context.device_sweep import sweep
from llmviz.long_context.linear import chunked_linear_attention

LENGTHS = [64, 128]
pytestmark = pytest.mark.filterwarnings(
    "ignore:flex_attention called without torch.compile"  # eager, on purpose
)


def sdpa(q, k, v, _):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def flex(q, k, v, block_mask):
    return flex_attention(q, k, v, block_mask=block_mask)


def linear(q, k, v, _):
    return chunked_linear_attention(q, k, v, 16)


METHODS = {
    "sdpa, causal": (sdpa, None),
    "flex, causal": (flex, masks.causal),
    "flex, window 16": (flex, masks.sliding_window(16)),
    "linear, chunks of 16": (linear, None),
}


@pytest.fixture(scope="module")
def result():
    return sweep(METHODS, LENGTHS, device="cpu", dtype=torch.float32, heads=2,
                 head_dim=16, repeats=1)  # fmt: skip


def test_every_method_has_a_finite_time_per_length(result):
    assert set(result) == {"ms", "gib", "checks"}
    for name in METHODS:
        assert len(result["ms"][name]) == len(LENGTHS)
        assert all(math.isfinite(ms) and ms > 0 for ms in result["ms"][name])


def test_peak_memory_is_not_measured_off_cuda(result):
    for name in METHODS:
        assert len(result["gib"][name]) == len(LENGTHS)
        assert all(math.isnan(gib) for gib in result["gib"][name])


def test_masked_methods_equal_sdpa_with_the_dense_mask(result):
    assert set(result["checks"]) == {"flex, causal", "flex, window 16"}
    for out, reference in result["checks"].values():
        assert out.shape == reference.shape == (1, 2, LENGTHS[0], 16)
        assert out.dtype == reference.dtype == torch.float32
        torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)


def test_the_reference_tells_a_method_that_reads_the_wrong_keys():
    """Causal attention claiming to compute a window of 16 fails its check."""
    wrong = {"causal, called a window": (sdpa, masks.sliding_window(16))}
    checks = sweep(wrong, [64], device="cpu", dtype=torch.float32, heads=1,
                   head_dim=8, repeats=1)["checks"]  # fmt: skip
    out, reference = checks["causal, called a window"]
    assert (out - reference).abs().max() > 1e-2


def test_a_method_returning_the_wrong_shape_is_named():
    bad = {"half": (lambda q, k, v, _: q[..., ::2, :], None)}
    with pytest.raises(ValueError, match=r"methods\['half'\] must return"):
        sweep(bad, [8], device="cpu", dtype=torch.float32, heads=1, head_dim=4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="peak memory needs CUDA")
def test_peak_memory_on_cuda_counts_the_dense_scores():
    def textbook(q, k, v, _):  # stores the (n, n) weights of every head
        return torch.softmax(q @ k.mT, -1) @ v

    gib = sweep({"textbook": (textbook, None)}, [1024], device="cuda",
                dtype=torch.float32, heads=8, head_dim=64, repeats=1)["gib"]  # fmt: skip
    assert gib["textbook"][0] >= 8 * 1024**2 * 4 / 2**30  # at least the weights
