"""Chapter 3's arithmetic intensity and roofline: the FLOP formula against torch's own
FLOP counter over the einsums we run, the bytes against the tensors' nbytes, the
attention core against torch's SDPA, the decode limit 2·H/(G·b) derived by hand, and
the roofline's measurements against sanity bounds only (they depend on the machine)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode
from transformers import DeepseekV3Config, LlamaConfig

from llmviz.attention.intensity import (
    EXAMPLE_LAYERS,
    EXPANDED_MLA,
    attention_core,
    attention_cost,
    intensity_table,
    layer_shape,
)
from llmviz.attention.kv_cache import MODEL_CONFIGS
from llmviz.attention.roofline import (
    _inputs,
    attainable,
    memory_bandwidth,
    peak_flops,
    time_layers,
)
from llmviz.viz.roofline import roofline_figure, roofline_title

SHAPES = st.fixed_dictionaries({
    "groups": st.integers(1, 3), "per_group": st.integers(1, 3),
    # sizes of 2 and up: einsum turns a contraction over 1 number into a plain product,
    # which torch's counter does not count (a multiply, no add)
    "k_dim": st.integers(2, 9), "v_dim": st.integers(2, 9), "n": st.integers(2, 7),
    "shared_kv": st.booleans(), "phase": st.sampled_from(["prefill", "decode"]),
})  # fmt: skip


def _sizes(shape: dict) -> dict:
    heads = shape["groups"] * shape["per_group"]
    k_dim = (
        max(shape["k_dim"], shape["v_dim"]) if shape["shared_kv"] else shape["k_dim"]
    )
    return dict(heads=heads, kv_heads=shape["groups"], k_dim=k_dim,
                v_dim=shape["v_dim"], shared_kv=shape["shared_kv"])  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(shape=SHAPES)
def test_flops_equal_torchs_count_of_the_einsums_we_run(shape):
    sizes, n, phase = _sizes(shape), shape["n"], shape["phase"]
    q, k, v = _inputs(sizes, 1, n if phase == "prefill" else 1, n, dtype=torch.float64)
    with FlopCounterMode(display=False) as counter:
        attention_core(q, k, v)
    cost = attention_cost(**sizes, seq_len=n, phase=phase, bytes_per_value=8)
    assert cost["flops"] == counter.get_total_flops()


@settings(max_examples=40, deadline=None)
@given(shape=SHAPES, dtype=st.sampled_from([torch.float16, torch.float32]))
def test_bytes_equal_what_the_kernel_reads_and_writes(shape, dtype):
    sizes, n, phase = _sizes(shape), shape["n"], shape["phase"]
    q, k, v = _inputs(sizes, 1, n if phase == "prefill" else 1, n, dtype=dtype)
    out = attention_core(q, k, v)
    read = q.nbytes + k.nbytes + (0 if sizes["shared_kv"] else v.nbytes)
    size = torch.finfo(dtype).bits // 8
    cost = attention_cost(**sizes, seq_len=n, phase=phase, bytes_per_value=size)
    assert cost["bytes"] == read + out.nbytes
    assert cost["intensity"] == cost["flops"] / cost["bytes"]


@pytest.mark.parametrize("name", list(EXAMPLE_LAYERS))
@pytest.mark.parametrize("tokens", [1, 5])
def test_the_core_equals_sdpa_with_shared_heads(name, tokens):
    sizes = {**EXAMPLE_LAYERS[name], "heads": 8}  # 8 query heads keep it small
    sizes["kv_heads"] = min(sizes["kv_heads"], 8)
    generator = torch.Generator().manual_seed(0)
    q, k, v = _inputs(sizes, 2, tokens, 9, dtype=torch.float64, generator=generator)
    expected = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    torch.testing.assert_close(attention_core(q, k, v), expected)


def test_decode_intensity_tends_to_twice_the_heads_per_kv_head_over_b():
    """One decode step multiplies each cached number by H/G query heads (a
    multiply-add, 2 FLOPs), so FLOPs/bytes → 2·(H/G)/b as the cache grows; absorbed MLA
    reads its 576 numbers once for keys and values: 2·H·(576 + 512)/(576·b)."""
    n, b = 10**6, 2
    limits = {"MHA (Llama-2-7B)": 2 * 1 / b, "GQA (Llama-3-8B)": 2 * 4 / b,
              "MQA (Llama-sized)": 2 * 32 / b,
              "MLA (DeepSeek-V3)": 2 * 128 * (576 + 512) / (576 * b)}  # fmt: skip
    for name, limit in limits.items():
        cost = attention_cost(**EXAMPLE_LAYERS[name], seq_len=n, bytes_per_value=b)
        assert cost["intensity"] == pytest.approx(limit, rel=1e-3)
    assert limits["MHA (Llama-2-7B)"] == 1.0  # "about one FLOP per byte"


def test_prefill_intensity_of_mha_is_n_over_b():
    """MHA prefill: 2·H·n²·(d_k + d_v) FLOPs over b·n·2·H·(d_k + d_v) bytes = n / b."""
    for n in (1, 100, 4096):
        for b in (1, 2, 4):
            cost = attention_cost(32, 32, 128, 128, n, "prefill", b)
            assert cost["intensity"] == pytest.approx(n / b, rel=1e-12)


def test_absorbed_mla_does_more_flops_and_moves_fewer_bytes_than_expanded():
    mla = attention_cost(**EXAMPLE_LAYERS["MLA (DeepSeek-V3)"], seq_len=4096)
    mha = attention_cost(**EXPANDED_MLA, seq_len=4096)
    # per head and cached token: 576 + 512 multiply-adds against 192 + 128
    assert mla["flops"] / mha["flops"] == (576 + 512) / (192 + 128)
    # cached numbers per token: 576 against 128 heads × (192 + 128); then q and o
    expanded, absorbed = 4096 * 128 * 320 + 128 * 320, 4096 * 576 + 128 * 1088
    assert mha["bytes"] / mla["bytes"] == expanded / absorbed


def test_layer_shapes_from_hugging_face_configs():
    v3 = DeepseekV3Config()  # DeepSeek-V3's published sizes are the defaults
    assert layer_shape(v3) == EXAMPLE_LAYERS["MLA (DeepSeek-V3)"]
    llama3 = LlamaConfig(
        num_attention_heads=32, num_key_value_heads=8, hidden_size=4096
    )
    assert layer_shape(llama3) == EXAMPLE_LAYERS["GQA (Llama-3-8B)"]
    assert (
        layer_shape(MODEL_CONFIGS["Llama-2-7B"]) == EXAMPLE_LAYERS["MHA (Llama-2-7B)"]
    )


def test_the_table_orders_decode_by_heads_per_kv_head():
    rows = intensity_table(seq_len=4096)
    decode = [row["decode FLOP/byte"] for row in rows]
    assert decode == sorted(decode)  # MHA < GQA < MQA < MLA
    assert all(
        row["prefill FLOP/byte"] > 100 * rows[0]["decode FLOP/byte"] for row in rows
    )


@settings(max_examples=60, deadline=None)
@given(
    i=st.floats(1e-3, 1e4), peak=st.floats(1e6, 1e15), bandwidth=st.floats(1e6, 1e13)
)
def test_the_roof_is_the_lower_of_its_two_lines(i, peak, bandwidth):
    roof = attainable(i, peak, bandwidth)
    assert roof == min(peak, bandwidth * i)
    assert roof <= attainable(i * 2, peak, bandwidth)  # never falls to the right
    ridge = peak / bandwidth
    assert attainable(ridge * 1.5, peak, bandwidth) == peak


def test_measurements_are_sane():
    """Printed, never asserted beyond sanity: the numbers depend on the machine and its load."""
    peak = max(peak_flops(size=512, repeats=2) for _ in range(2))
    bandwidth = memory_bandwidth(megabytes=32, repeats=2)
    assert 1e8 < peak < 1e15 and 1e8 < bandwidth < 1e13
    layers = {"GQA": dict(heads=8, kv_heads=2, k_dim=32, v_dim=32),
              "MLA": dict(heads=8, kv_heads=1, k_dim=36, v_dim=32, shared_kv=True)}  # fmt: skip
    rows = time_layers(
        layers, prefill_len=64, decode_len=256, cache_megabytes=4, repeats=2
    )
    assert [(r["layer"], r["phase"]) for r in rows] == [
        ("GQA", "prefill"), ("GQA", "decode"), ("MLA", "prefill"), ("MLA", "decode")]  # fmt: skip
    for row in rows:
        assert row["bytes"] >= 4 * 2**20 or row["phase"] == "prefill"
        # achieved FLOP/s against the peak is a timing, which a busy machine can tip
        # either way (the peak was measured at another moment): only its sign is checked
        assert 0 < row["achieved"] < math.inf
        assert math.isclose(row["intensity"], row["flops"] / row["bytes"])


def test_the_title_says_which_side_of_the_ridge_each_point_is():
    rows = [{"layer": f"{name} (a model)", "phase": phase, "intensity": i,
             "achieved": 1e9}
            for name, phase, i in [("A", "decode", 1), ("B", "decode", 20),
                                   ("A", "prefill", 50), ("B", "prefill", 60)]]  # fmt: skip
    title = roofline_title(rows, peak=1e11, bandwidth=1e10)  # ridge 10
    assert title == (
        "Memory-bound: A decode<br>Compute-bound: B decode<br>and all prefill"
    )
    assert roofline_title(rows[1:], 1e11, 1e10) == (
        "Compute-bound: B decode<br>and all prefill"
    )
    assert roofline_title(rows[1:2], 1e11, 1e10) == "Compute-bound: B decode"
    assert roofline_title(rows[:1], 1e11, 1e10) == "Memory-bound: A decode"
    fig = roofline_figure(rows, peak=1e11, bandwidth=1e10)
    assert fig.layout.title.text == title and len(fig.data) == 1 + 4 + 2 + 2
    assert [trace.name for trace in fig.data[1:5]] == [
        "A decode", "B decode", "A prefill", "B prefill"]  # fmt: skip
    legend = [trace.name for trace in fig.data if trace.showlegend is not False]
    assert legend == ["roof", "A", "B", "decode", "prefill"]
    roof = fig.data[0]
    assert list(roof.x)[1] == 10 and max(roof.y) == 100  # the ridge, peak in GFLOP/s
    assert len(fig.to_json()) < 60_000
