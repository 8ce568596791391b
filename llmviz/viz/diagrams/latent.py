"""Multi-head latent attention: what it caches, and its absorbed form."""

from __future__ import annotations

import plotly.graph_objects as go

from llmviz._checks import check_bool, check_int
from llmviz.viz.diagrams._canvas import Canvas
from llmviz.viz.theme import COLORS

MAX_DIM = 2**16
VECTORS, WEIGHTS, CACHED, FOLDED = COLORS[0], COLORS[1], COLORS[2], COLORS[4]


def mla_diagram(
    absorbed: bool = False,
    num_attention_heads: int = 128,
    kv_lora_rank: int = 512,
    qk_nope_head_dim: int = 128,
    qk_rope_head_dim: int = 64,
    v_head_dim: int = 128,
) -> go.Figure:
    """MLA [deepseekai2024v2]: h → W_DKV → c_KV (cached) → W_UK, W_UV → k_C, v per head,
    plus one RoPE key k_R (cached) that all heads share.

    ``absorbed``: the inference form, where W_UK folds into the query side (q_C W_UKᵀ
    scores c_KV directly) and W_UV into the output projection, so only c_KV and k_R
    are ever read. The defaults are DeepSeek-V3's sizes; the title compares the
    numbers cached per token and layer with full keys and values for every head.

    >>> mla_diagram().layout.title.text.count("576")
    1
    """
    check_bool("absorbed", absorbed)
    heads = check_int("num_attention_heads", num_attention_heads, 1, 1024)
    latent = check_int("kv_lora_rank", kv_lora_rank, 1, MAX_DIM)
    nope = check_int("qk_nope_head_dim", qk_nope_head_dim, 1, MAX_DIM)
    rope = check_int("qk_rope_head_dim", qk_rope_head_dim, 1, MAX_DIM)
    value = check_int("v_head_dim", v_head_dim, 1, MAX_DIM)
    cached, full = latent + rope, heads * (nope + rope + value)
    c = Canvas(height=434)
    c.box("h", 0.5, 20, 0.5, 34, "<b>h</b>: the token's hidden state", VECTORS)
    c.box("WQ", 0.17, 88, 0.3, 34, "W<sub>Q</sub>", WEIGHTS)
    c.box("WDKV", 0.5, 88, 0.3, 34, "W<sub>DKV</sub> (down)", WEIGHTS)
    c.box("WKR", 0.83, 88, 0.3, 34, "W<sub>KR</sub>, then RoPE", WEIGHTS)
    c.box("q", 0.17, 160, 0.3, 44,
          f"<b>q</b>: {heads} heads ×<br>({nope} + {rope})", VECTORS)  # fmt: skip
    c.box("c", 0.5, 160, 0.3, 44, f"<b>c<sub>KV</sub></b>: {latent}<br>cached", CACHED)
    c.box("kR", 0.83, 160, 0.3, 44, f"<b>k<sub>R</sub></b>: {rope}<br>cached", CACHED)
    for start, end in [("h", "WQ"), ("h", "WDKV"), ("h", "WKR"), ("WQ", "q"),
                       ("WDKV", "c"), ("WKR", "kR")]:  # fmt: skip
        c.arrow(start, end)
    (_absorbed if absorbed else _expanded)(c, heads, latent, nope, value)
    c.key("vectors", VECTORS)
    c.key("learned weights", WEIGHTS)
    c.key("cached per token", CACHED)
    if absorbed:
        c.key("absorbed W<sub>UK</sub>, W<sub>UV</sub>", FOLDED)
        return c.figure(
            f"Absorbed MLA: attention reads only the {cached} cached numbers",
            "W<sub>UK</sub> folds into the query, W<sub>UV</sub> into the output "
            "projection",
        )
    return c.figure(
        f"MLA caches {cached} numbers per token and layer, not the {full:,} of full "
        "keys and values",
        f"cached: c<sub>KV</sub> ({latent}) + k<sub>R</sub> ({rope}); full keys and "
        f"values: {heads} heads × ({nope} + {rope} + {value})",
    )


def _expanded(c: Canvas, heads: int, latent: int, nope: int, value: int) -> None:
    """As trained: c_KV is expanded into every head's key and value."""
    c.box("WUK", 0.38, 240, 0.22, 34, "W<sub>UK</sub> (up)", WEIGHTS)
    c.box("WUV", 0.62, 240, 0.22, 34, "W<sub>UV</sub> (up)", WEIGHTS)
    c.box("kC", 0.38, 316, 0.22, 44, f"<b>k<sub>C</sub></b>:<br>{heads} × {nope}",
          VECTORS)  # fmt: skip
    c.box("v", 0.62, 316, 0.22, 44, f"<b>v</b>:<br>{heads} × {value}", VECTORS)
    c.box("attention", 0.5, 406, 0.9, 44,
          "<b>attention</b>, each head: softmax(q · [k<sub>C</sub>, k<sub>R</sub>])"
          "<br>· v, then W<sub>O</sub>", VECTORS)  # fmt: skip
    for start, end in [("c", "WUK"), ("c", "WUV"), ("WUK", "kC"), ("WUV", "v")]:
        c.arrow(start, end)
    for start in ("q", "kC", "v", "kR"):
        c.arrow(start, "attention", vertical=True)


def _absorbed(c: Canvas, heads: int, latent: int, nope: int, value: int) -> None:
    """At inference: W_UK moves to the query, W_UV to the output; c_KV is read as is."""
    c.box("qt", 0.17, 246, 0.3, 44,
          f"q<sub>C</sub> W<sub>UK</sub><sup>T</sup>:<br>{heads} × {latent}",
          FOLDED)  # fmt: skip
    c.box("attention", 0.5, 326, 0.9, 44,
          "<b>scores</b>: q<sub>C</sub>W<sub>UK</sub><sup>T</sup> · c<sub>KV</sub> "
          "+ q<sub>R</sub> · k<sub>R</sub><br>weights · c<sub>KV</sub>, "
          "per head", VECTORS)  # fmt: skip
    c.box("out", 0.5, 406, 0.9, 44,
          f"<b>output</b>: ({heads} heads × {latent}) · "
          "W<sub>UV</sub>W<sub>O</sub><br>W<sub>UV</sub> folded into W<sub>O</sub>",
          FOLDED)  # fmt: skip
    c.arrow("q", "qt")
    for start in ("qt", "c", "kR"):
        c.arrow(start, "attention", vertical=True)
    c.arrow("attention", "out")
