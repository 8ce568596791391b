"""The quality harness of the comparison table (llmviz.long_context.compare): TinyGPT's
loss with a method at settings that make it exact equals dense attention's, and
TinyGPT's own forward is the reference for the loss itself."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.attention.mask_grid import materialize
from llmviz.long_context.compare import mean_loss, method_attention
from llmviz.long_context.costs import keys_per_query, method_cost
from llmviz.long_context.nsa_blocks import compress_blocks
from llmviz.long_context.s2attn import s2_mask_mod
from llmviz.long_context.swap import next_token_losses
from llmviz.models import TinyGPT, TinyGPTConfig, load_tinygpt
from tests.test_long_context_costs import _qk

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
