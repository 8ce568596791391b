"""Longformer's attention (llmviz.long_context.longformer) against Hugging Face's
``LongformerSelfAttention`` with copied weights (local and global tokens, padding), and
with dilation (which Hugging Face lacks) against a query-by-query loop written from the
paper's definition [beltagy2020longformer]."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import LongformerConfig
from transformers.models.longformer.modeling_longformer import LongformerSelfAttention

from llmviz.attention.masks import materialize
from llmviz.long_context.longformer import (
    LongformerAttention,
    longformer_mask,
    symmetric_window,
)

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)


@st.composite
def cases(draw, dilations=(1,)):
    window = 2 * draw(st.integers(2, 4))  # HF fails for a window of 2
    seq_len = window * draw(st.integers(1, 4))  # HF: a multiple of the window
    heads, head_dim = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    batch = draw(st.integers(1, 2))
    flags = st.lists(st.booleans(), min_size=seq_len, max_size=seq_len)
    glob = torch.tensor([draw(flags) for _ in range(batch)])
    pads = [draw(st.integers(0, seq_len - 1)) for _ in range(batch)]  # trailing pads
    real = (
        torch.arange(seq_len)[None, :]
        < torch.tensor([seq_len - p for p in pads])[:, None]
    )
    return {"window": window, "seq_len": seq_len, "heads": heads,
            "hidden": heads * head_dim, "batch": batch, "glob": glob & real,
            "real": real, "dilation": draw(st.sampled_from(dilations)),
            "seed": draw(st.integers(0, 2**16))}  # fmt: skip


def hugging_face(c):
    config = LongformerConfig(hidden_size=c["hidden"], num_attention_heads=c["heads"],
                              attention_window=[c["window"]],
                              attention_probs_dropout_prob=0.0)  # fmt: skip
    torch.manual_seed(c["seed"])
    return LongformerSelfAttention(config, layer_id=0).double().eval()


def inputs(c):
    generator = torch.Generator().manual_seed(c["seed"])
    shape = (c["batch"], c["seq_len"], c["hidden"])
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def hf_forward(hf, x, real, glob):
    # LongformerModel's convention: -10000 padding, 0 local, +10000 global
    mask = torch.zeros(real.shape, dtype=x.dtype).masked_fill(~real, -10000.0)
    mask = mask.masked_fill(glob, 10000.0)
    with torch.no_grad():
        return hf(x, attention_mask=mask, is_index_masked=mask < 0,
                  is_index_global_attn=mask > 0,
                  is_global_attn=bool((mask > 0).any()))[0]  # fmt: skip


@SETTINGS
@given(c=cases())
def test_equals_hugging_face_with_copied_weights(c):
    hf = hugging_face(c)
    ours = LongformerAttention(c["hidden"], c["heads"], c["window"]).double()
    ours.load_state_dict(hf.state_dict())  # the same parameter names
    x = inputs(c)
    expected = hf_forward(hf, x, c["real"], c["glob"])
    with torch.no_grad():
        out = ours(x, c["real"].long(), c["glob"].long())
    # HF takes its softmax in float32 even for float64 inputs
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)


def test_hugging_face_sees_global_keys_and_the_window_only():
    c = {"window": 4, "seq_len": 16, "heads": 2, "hidden": 8, "batch": 1, "seed": 3,
         "real": torch.ones(1, 16, dtype=torch.bool)}  # fmt: skip
    c["glob"] = torch.zeros(1, 16, dtype=torch.bool)
    c["glob"][0, 11] = True
    hf = hugging_face(c)
    x = inputs(c)
    base = hf_forward(hf, x, c["real"], c["glob"])
    far = x.clone()
    far[0, 0] += 1.0  # token 0 is in the window of tokens 0..2 and of the global 11
    moved = (hf_forward(hf, far, c["real"], c["glob"]) - base).abs().amax(-1)[0] > 0
    assert moved.nonzero().flatten().tolist() == [0, 1, 2, 11]


def by_definition(module, x, real, glob):
    """Query by query: the keys each may see, one softmax each."""
    project = {name: module._heads(getattr(module, name)(x)) for name in
               ("query", "key", "value", "query_global", "key_global", "value_global")}  # fmt: skip
    batch, seq_len, _ = x.shape
    half, d = module.attention_window // 2, module.dilation
    out = torch.zeros(batch, module.num_heads, seq_len, module.head_dim, dtype=x.dtype)
    for b in range(batch):
        for i in range(seq_len):
            if not real[b, i]:
                continue
            if glob[b, i]:
                keys = [j for j in range(seq_len) if real[b, j]]
                q, k, v = (project[n + "_global"] for n in ("query", "key", "value"))
            else:
                keys = [j for j in range(seq_len) if real[b, j] and (glob[b, j] or (
                    abs(i - j) <= half * d and (i - j) % d == 0))]  # fmt: skip
                q, k, v = (project[n] for n in ("query", "key", "value"))
            kept_k, kept_v = k[b][:, keys], v[b][:, keys]  # (H, keys, D)
            scores = q[b, :, i : i + 1] @ kept_k.transpose(-2, -1)  # (H, 1, keys)
            weights = (scores / module.head_dim**0.5).softmax(-1)
            out[b, :, i] = (weights @ kept_v).squeeze(-2)
    return out.transpose(1, 2).flatten(2)


@SETTINGS
@given(c=cases(dilations=(1, 2, 3)))
def test_dilated_windows_and_globals_follow_the_definition(c):
    torch.manual_seed(c["seed"])
    module = LongformerAttention(c["hidden"], c["heads"], c["window"],
                                 dilation=c["dilation"]).double()  # fmt: skip
    x = inputs(c)
    with torch.no_grad():
        out = module(x, c["real"].long(), c["glob"].long())
        expected = by_definition(module, x, c["real"], c["glob"])
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)


@SETTINGS
@given(half=st.integers(1, 5), dilation=st.integers(1, 3), seq_len=st.integers(1, 30),
       globals_=st.lists(st.integers(0, 29), max_size=3, unique=True))  # fmt: skip
def test_the_mask_is_window_or_global_row_or_column(half, dilation, seq_len, globals_):
    globals_ = [g for g in globals_ if g < seq_len]
    mask = materialize(longformer_mask(2 * half, dilation, globals_), seq_len, seq_len)
    window = materialize(symmetric_window(2 * half, dilation), seq_len, seq_len)
    assert torch.equal(window, window.T)  # symmetric
    for i in range(seq_len):
        for j in range(seq_len):
            near = abs(i - j) <= half * dilation and (i - j) % dilation == 0
            assert mask[i, j] == (near or i in globals_ or j in globals_)
