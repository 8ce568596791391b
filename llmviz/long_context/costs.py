"""The notes' comparison table, computed instead of copied: for each long-context
method, the (query, key) pairs it scores, its FLOPs and the largest tensor it holds,
per head, as exact functions of n.

Costs count what the method itself does, with ``head_dim`` d: 4d FLOPs per scored
pair (2d for q·k, 2d for the weighted value), plus the gate, pooling or state
products where a method has them. Memory is the largest single tensor a blocked
implementation holds per head (scores, states), in numbers, beyond Q, K, V and the
output; ``dense`` is the textbook form that stores the n × n weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice
from llmviz.attention._validate import MAX_SEQ_LEN


class _Method(NamedTuple):
    label: str
    flops: str  # the formula, per head
    memory: str  # the largest tensor held, per head
    defaults: dict[str, int]  # at n = 16K: the papers' (NSA, LongLoRA's G = n/4,
    # Longformer's w, Sparse Transformer's l = √n, StreamingLLM's 4 sinks), else ours


METHODS: dict[str, _Method] = {
    "dense": _Method("dense causal (textbook)", "2dn(n+1)", "n²", {}),
    "flash": _Method("FlashAttention (tile)", "2dn(n+1)", "n(tile + d + 2)",
                     {"tile": 128}),
    "window": _Method("sliding window W", "4d(nW − W(W−1)/2)", "2nW", {"window": 1024}),
    "strided": _Method("strided, Sparse Transformer (l)", "≈ 4dn(l + n/2l)",
                       "n(l + n/l)", {"stride": 128}),
    "longformer": _Method("Longformer (w, g global)", "≈ 4dn(w + 1 + 2g)",
                          "n(w + 1 + 2g)", {"window": 512, "num_global": 1}),
    "linear": _Method("linear attention (chunks C)", "2dn(C + 1) + 4nd²",
                      "nC + (n/C)d²", {"chunk": 64}),
    "s2": _Method("S2-Attn, LongLoRA (G)", "2dn(G + 1)", "nG", {"group": 4096}),
    "streaming": _Method("StreamingLLM (s sinks + w)", "4d(nL − L(L−1)/2), L = s + w",
                         "n(s + 2w)",
                         {"num_sinks": 4, "window": 1020}),
    "dca": _Method("DCA, ChunkLlama (chunk s, trained c)", "2dn(n+1)", "sn",
                   {"chunk": 3072, "pretraining_length": 4096}),
    "nsa": _Method("NSA (l, σ, l′, k, w)", "≈ 4dn(n/2σ + (k−½)l′ + w)",
                   "n·max(n/σ, kl′, w)",
                   {"compress_block": 32, "compress_stride": 16, "select_block": 64,
                    "num_selected": 16, "window": 512}),
    "moba": _Method("MoBA (B, top-k)", "≈ 4dn(k−½)B + 2dn²/B", "n·max(n/B, kB)",
                    {"block": 512, "top_k": 3}),
}  # fmt: skip


def _settings(method: Any, settings: Any) -> tuple[str, dict[str, int]]:
    method = check_choice("method", method, tuple(METHODS))
    chosen = dict(METHODS[method].defaults)
    if settings is None:
        return method, chosen
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings must be a dict or None, got {settings!r:.60}")
    for name, value in settings.items():
        if name not in chosen:
            raise ValueError(
                f"settings[{name!r}] is not a setting of {method!r}; it takes "
                f"{sorted(chosen) or 'none'}"
            )
        low = 0 if name == "num_global" or name == "num_sinks" else 1
        chosen[name] = check_int(f"settings[{name!r}]", value, low, MAX_SEQ_LEN)
    return method, chosen


def _keys(method: str, t: Tensor, n: int, s: dict[str, int]) -> Tensor:
    if method in ("dense", "flash", "dca"):  # every causal pair
        return t + 1
    if method == "window":
        return (t + 1).clamp(max=s["window"])
    if method == "strided":  # distances 0..l−1, and l, 2l, … ≤ t
        return (t + 1).clamp(max=s["stride"]) + t // s["stride"]
    if method == "longformer":  # symmetric: w/2 each side, global rows read all
        half, g = s["window"] // 2, min(s["num_global"], n)
        local = t.clamp(max=half) + (n - 1 - t).clamp(max=half) + 1
        local = local + (t - half).clamp(min=0).clamp(max=g)  # globals beyond reach
        return torch.where(t < g, torch.full_like(t, n), local)
    if method == "linear":  # scored inside the query's chunk
        return t % s["chunk"] + 1
    if method == "s2":  # each head, shifted or not, reads its group causally
        return t % s["group"] + 1
    if method == "streaming":
        return (t + 1).clamp(max=s["num_sinks"] + s["window"])
    if method == "moba":
        block, own = s["block"], t // s["block"]
        return (own + 1).clamp(max=s["top_k"]) * block - block + t % block + 1
    size, stride = s["compress_block"], s["compress_stride"]  # nsa
    compressed = torch.where(t >= size - 1, (t - size + 1) // stride + 1, 0)
    sel = s["select_block"]
    selected = (t // sel + 1).clamp(max=s["num_selected"]) * sel - sel + t % sel + 1
    return compressed + selected + (t + 1).clamp(max=s["window"])


def keys_per_query(
    method: str, seq_len: int, settings: Mapping[str, int] | None = None
) -> Tensor:
    """How many keys each of ``seq_len`` queries scores under ``method`` (one head;
    S2-Attn's shifted heads score as many), (seq_len,) long. ``settings`` overrides
    ``METHODS[method].defaults``.

    >>> keys_per_query("window", 5, {"window": 2}).tolist()
    [1, 2, 2, 2, 2]
    """
    method, chosen = _settings(method, settings)
    seq_len = check_int("seq_len", seq_len, minimum=1, maximum=MAX_SEQ_LEN)
    return _keys(method, torch.arange(seq_len), seq_len, chosen)


def method_cost(
    method: str,
    seq_len: int,
    head_dim: int = 64,
    settings: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Scored pairs, FLOPs and the numbers in the largest tensor held, per head, for
    ``method`` over ``seq_len`` tokens; see ``METHODS[method]`` for the formulas.

    >>> method_cost("dense", 4, head_dim=1)
    {'pairs': 10, 'flops': 40, 'memory': 16}
    """
    method, s = _settings(method, settings)
    n = check_int("seq_len", seq_len, minimum=1, maximum=MAX_SEQ_LEN)
    d = check_int("head_dim", head_dim, minimum=1, maximum=1 << 16)
    pairs = int(_keys(method, torch.arange(n), n, s).sum())
    flops = 4 * d * pairs
    if method == "linear":  # φ(K_c)ᵀV_c per chunk and φ(Q)S, with f = d features
        flops += 4 * n * d * d
    if method == "moba":  # the gate: every query against every block's mean key
        flops += 2 * d * n * -(-n // s["block"])
    return {"pairs": pairs, "flops": flops, "memory": _memory(method, n, d, s)}


def _memory(method: str, n: int, d: int, s: dict[str, int]) -> int:
    if method == "flash":
        return n * (min(s["tile"], n) + d + 2)
    if method == "window":
        return n * 2 * min(s["window"], n)
    if method == "streaming":  # blocks of w queries: the sinks and 2w recent keys
        return n * min(s["num_sinks"] + 2 * s["window"], n)
    if method == "strided":
        return n * (min(s["stride"], n) + -(-n // s["stride"]))
    if method == "longformer":
        return n * (min(s["window"], n) + 1 + 2 * min(s["num_global"], n))
    if method == "linear":
        return n * min(s["chunk"], n) + -(-n // s["chunk"]) * d * d
    if method in ("s2", "dca"):
        return n * min(s["group" if method == "s2" else "chunk"], n)
    if method == "moba":
        return n * max(-(-n // s["block"]), min(s["top_k"] * s["block"], n))
    if method == "nsa":
        compressed = max(0, (n - s["compress_block"]) // s["compress_stride"] + 1)
        read = min(s["num_selected"] * s["select_block"], n)
        return n * max(compressed, read, min(s["window"], n))
    return n * n  # dense: the textbook form stores the weights
