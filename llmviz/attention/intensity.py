"""Arithmetic intensity of attention: FLOPs per byte moved, for prefill and decode.

This counts the attention *core* only: the scores q·k and the weighted sum of the
values, with 2 FLOPs per multiply-add; the projections W_q, W_k, W_v, W_o and the
softmax (a few FLOPs per score) are left out. The bytes are the least any kernel must
move: read Q, K and V once, write the output once (a fused kernel such as
FlashAttention [dao2022flashattention] keeps the scores on chip). With H query heads,
G KV heads, key width d_k, value width d_v, n tokens and b bytes per number:

    prefill of n tokens:     FLOPs = 2·H·n²·(d_k + d_v)   (every query × every key)
                             bytes = b·n·(H·d_k + G·d_k + G·d_v + H·d_v)
    decode, cache of n:      FLOPs = 2·H·n·(d_k + d_v)    (one query × n keys)
                             bytes = b·(H·d_k + G·n·(d_k + d_v) + H·d_v)

Decode reads the whole cache to do 2·(H/G) FLOPs per cached number, so its intensity
tends to 2·H/(G·b): MHA in bfloat16 does about 1 FLOP per byte. Prefill's grows with
n. Absorbed MLA [deepseekai2024v2] is MQA (G = 1) over the cached latent: keys of
d_c + d_rope = 576 numbers, values the first d_c = 512 of the same numbers, so the cache
is read once (``shared_kv``). The count is for a dense computation: a causal kernel
skips about half of prefill's scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_bool, check_int
from llmviz._tensor_checks import check_choice, check_tensor
from llmviz.attention.cache_size import _check_config, _field, cache_layout

MAX_TOKENS = 1 << 24  # no context is longer
PHASES = ("prefill", "decode")

# One attention layer each; plain numbers from the published configs.
EXAMPLE_LAYERS: dict[str, dict[str, Any]] = {
    "MHA (Llama-2-7B)": dict(heads=32, kv_heads=32, k_dim=128, v_dim=128),
    "GQA (Llama-3-8B)": dict(heads=32, kv_heads=8, k_dim=128, v_dim=128),
    "MQA (Llama-sized)": dict(heads=32, kv_heads=1, k_dim=128, v_dim=128),
    "MLA (DeepSeek-V3)": dict(heads=128, kv_heads=1, k_dim=576, v_dim=512,
                              shared_kv=True),
}  # fmt: skip
# DeepSeek-V3's layer without absorption: 128 heads, keys 128 + 64, values 128, cached.
EXPANDED_MLA = dict(heads=128, kv_heads=128, k_dim=192, v_dim=128)


def layer_shape(config: Any) -> dict[str, Any]:
    """The attention core's sizes from a model config (a dict or a Hugging Face
    config): MHA/GQA/MQA from its heads, MLA in its absorbed form.

    >>> layer_shape({"num_attention_heads": 128, "kv_lora_rank": 512,
    ...              "qk_rope_head_dim": 64, "num_hidden_layers": 61})
    {'heads': 128, 'kv_heads': 1, 'k_dim': 576, 'v_dim': 512, 'shared_kv': True}
    """
    _check_config(config)
    layout = cache_layout(config)
    heads = _field(config, "num_attention_heads")
    if "kv_lora_rank" in layout:  # absorbed MLA: MQA over [latent; RoPE key]
        latent = layout["kv_lora_rank"]
        k_dim = latent + layout["qk_rope_head_dim"]
        return dict(heads=heads, kv_heads=1, k_dim=k_dim, v_dim=latent, shared_kv=True)
    dim = layout["head_dim"]
    return dict(heads=heads, kv_heads=layout["kv_heads"], k_dim=dim, v_dim=dim)


def attention_cost(
    heads: int,
    kv_heads: int,
    k_dim: int,
    v_dim: int,
    seq_len: int,
    phase: str = "decode",
    bytes_per_value: int = 2,
    shared_kv: bool = False,
) -> dict[str, float]:
    """FLOPs, bytes and their ratio for one sequence through one layer's attention
    core (the equations above); ``shared_kv``: the values are the first ``v_dim``
    numbers of the keys, read once (absorbed MLA).

    >>> cost = attention_cost(32, 32, 128, 128, seq_len=4096)  # MHA decode, bfloat16
    >>> cost["flops"] == 2 * 32 * 4096 * 256, round(cost["intensity"], 3)
    (True, 1.0)
    """
    heads = check_int("heads", heads, 1, MAX_TOKENS)
    kv_heads = check_int("kv_heads", kv_heads, 1, heads)
    if heads % kv_heads:
        raise ValueError(f"kv_heads must divide heads={heads}, got {kv_heads}")
    k_dim = check_int("k_dim", k_dim, 1, MAX_TOKENS)
    v_dim = check_int(
        "v_dim", v_dim, 1, k_dim if check_bool("shared_kv", shared_kv) else MAX_TOKENS
    )
    n = check_int("seq_len", seq_len, 1, MAX_TOKENS)
    check_choice("phase", phase, list(PHASES))
    size = check_int("bytes_per_value", bytes_per_value, 1, 8)
    cached = kv_heads * (k_dim if shared_kv else k_dim + v_dim)  # numbers per token
    queries = 1 if phase == "decode" else n
    flops = 2 * heads * queries * n * (k_dim + v_dim)
    moved = size * (queries * heads * (k_dim + v_dim) + n * cached)  # Q, O; K, V
    return {"flops": float(flops), "bytes": float(moved), "intensity": flops / moved}


def intensity_table(
    layers: Mapping[str, Mapping[str, Any]] = EXAMPLE_LAYERS,
    seq_len: int = 4096,
    bytes_per_value: int = 2,
) -> list[dict[str, Any]]:
    """One row per named layer: its sizes and the intensity of prefill and decode.

    >>> row = intensity_table(seq_len=4096)[0]
    >>> row["layer"], round(row["decode FLOP/byte"], 2)
    ('MHA (Llama-2-7B)', 1.0)
    """
    seq_len = check_int("seq_len", seq_len, 1, MAX_TOKENS)
    bytes_per_value = check_int("bytes_per_value", bytes_per_value, 1, 8)
    rows = []
    for name, sizes in _layers(layers).items():
        cost = {phase: _layer_cost(name, sizes, seq_len, phase, bytes_per_value)
                for phase in PHASES}  # fmt: skip
        rows.append({
            "layer": name, "query heads": sizes["heads"], "KV heads": sizes["kv_heads"],
            "d_k / d_v": f"{sizes['k_dim']} / {sizes['v_dim']}",
            "prefill FLOP/byte": cost["prefill"]["intensity"],
            "decode FLOP/byte": cost["decode"]["intensity"],
        })  # fmt: skip
    return rows


def _layers(layers: Any) -> Mapping[str, Mapping[str, Any]]:
    """``layers`` if it is a non-empty dict of name → dict of sizes."""
    if not isinstance(layers, Mapping) or not layers:
        raise TypeError(f"layers must be a non-empty dict of sizes, got {layers!r:.60}")
    sizes = {"heads", "kv_heads", "k_dim", "v_dim"}
    for name, given in layers.items():
        if not isinstance(given, Mapping):
            raise TypeError(f"layers[{name!r}] must be a dict, got {given!r:.60}")
        if not sizes <= set(given) <= sizes | {"shared_kv"}:
            raise ValueError(
                f"layers[{name!r}] must give heads, kv_heads, k_dim and v_dim (and "
                f"shared_kv), got keys {sorted(map(str, given))}"
            )
    return layers


def _layer_cost(
    name: str, sizes: Mapping[str, Any], seq_len: int, phase: str, size: int
) -> dict[str, float]:
    """``attention_cost`` of ``layers[name]``, whose errors name the layer."""
    try:
        return attention_cost(
            **sizes, seq_len=seq_len, phase=phase, bytes_per_value=size
        )
    except (TypeError, ValueError) as error:
        raise type(error)(f"layers[{name!r}]: {error}") from None


def attention_core(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """softmax(q·kᵀ/√d_k)·v with each KV head serving H/G query heads, without
    copying it: q (B, H, T, d_k), k (B, G, n, d_k), v (B, G, n, d_v) → (B, H, T, d_v).
    No mask: decode needs none, and the dense prefill that we time computes every
    score anyway. Absorbed MLA passes ``v = k[..., :d_c]``.

    >>> q, k = torch.randn(1, 4, 1, 8), torch.randn(1, 2, 5, 8)
    >>> attention_core(q, k, k[..., :6]).shape
    torch.Size([1, 4, 1, 6])
    """
    check_tensor("q", q, ranks=(4,))
    check_tensor("k", k, ranks=(4,))
    check_tensor("v", v, ranks=(4,))
    batch, heads, tokens, k_dim = q.shape
    groups = k.shape[1]
    if k.shape[0] != batch or k.shape[3] != k_dim or heads % groups:
        raise ValueError(
            f"k must be (B={batch}, G, n, d_k={k_dim}) with G dividing H={heads}, to "
            f"match q of shape {tuple(q.shape)}, got {tuple(k.shape)}"
        )
    if v.shape[:3] != k.shape[:3] or v.dtype != q.dtype or k.dtype != q.dtype:
        raise ValueError(
            f"v must be (B, G, n, d_v) = {tuple(k.shape[:3])} + (d_v,) in q's dtype "
            f"{q.dtype}, got {tuple(v.shape)} {v.dtype} (k {k.dtype})"
        )
    return _attention_core(q, k, v)


def _attention_core(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """``attention_core`` without its checks, which read every number once more."""
    batch, heads, tokens, k_dim = q.shape
    groups = k.shape[1]
    grouped = q.reshape(
        batch, groups, heads // groups, tokens, k_dim
    )  # (B, G, R, T, d_k)
    scores = torch.einsum("bgrtd,bgnd->bgrtn", grouped, k) * k_dim**-0.5
    out = torch.einsum("bgrtn,bgnd->bgrtd", scores.softmax(-1), v)  # (B, G, R, T, d_v)
    return out.reshape(batch, heads, tokens, v.shape[-1])  # (B, H, T, d_v)
