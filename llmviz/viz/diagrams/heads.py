"""One attention head, step by step, and how grouped-query attention shares its keys."""

from __future__ import annotations

from fractions import Fraction

import plotly.graph_objects as go

from llmviz._checks import check_bool, check_int
from llmviz.viz.diagrams._canvas import Canvas
from llmviz.viz.theme import COLORS

MAX_SIZE = 10**9
MAX_HEADS = 16  # more query boxes than fit a 358 px phone column


def _size(name: str, value: int | None, symbol: str) -> str:
    return symbol if value is None else str(check_int(name, value, 1, MAX_SIZE))


def attention_head_diagram(
    seq_len: int | None = None,
    hidden_size: int | None = None,
    head_dim: int | None = None,
) -> go.Figure:
    """Q, K and V through one head: x → x·W_Q, x·W_K, x·W_V → q·kᵀ/√d_k → softmax →
    weights · v, with the shape of what each arrow carries.

    The sizes print as numbers when given, else as T, d and d_k (the chapter's names).

    >>> fig = attention_head_diagram(seq_len=6)
    >>> sorted(a.text for a in fig.layout.annotations if a.name.startswith("shape"))[0]
    '(6, 6)'
    """
    t = _size("seq_len", seq_len, "T")
    d = _size("hidden_size", hidden_size, "d")
    h = _size("head_dim", head_dim, "d<sub>k</sub>")
    vectors, weights, scores = COLORS[0], COLORS[1], COLORS[4]
    c = Canvas(height=440)
    c.box("x", 0.5, 22, 0.5, 36, "<b>x</b>: one vector per token", vectors)
    columns = {"q": 0.17, "k": 0.5, "v": 0.83}
    for name, x in columns.items():
        big = name.upper()
        c.box(f"W{name}", x, 98, 0.28, 36, f"W<sub>{big}</sub> ({d}, {h})", weights)
        c.box(name, x, 176, 0.28, 36, f"<b>{name}</b> = x W<sub>{big}</sub>", vectors)
        c.arrow("x", f"W{name}", f"({t}, {d})" if name == "k" else None)
        c.arrow(f"W{name}", name, f"({t}, {h})")
    c.box("scores", 0.3, 262, 0.5, 36,
          "<b>scores</b> = q k<sup>T</sup> / √d<sub>k</sub>", scores)  # fmt: skip
    c.box("weights", 0.3, 338, 0.5, 36,
          "<b>weights</b> = softmax(scores)", scores)  # fmt: skip
    c.box("output", 0.5, 414, 0.5, 36, "<b>output</b> = weights · v", vectors)
    c.arrow("q", "scores")
    c.arrow("k", "scores")
    c.arrow("scores", "weights", f"({t}, {t})")
    c.arrow("weights", "output", f"({t}, {t})", side="left")
    c.arrow("v", "output", f"({t}, {h})")
    c.key("token vectors", vectors)
    c.key("learned weights", weights)
    c.key("token × token", scores)
    return c.figure("One attention head: every token's output is a weighted mix "
                    "of the values")  # fmt: skip


def _band_name(heads: int, kv_heads: int) -> str:
    return "MHA" if kv_heads == heads else "MQA" if kv_heads == 1 else "GQA"


def gqa_diagram(
    num_attention_heads: int = 8, num_key_value_heads: int = 2, compare: bool = True
) -> go.Figure:
    """Query heads grouped onto shared key/value heads: query head i reads KV head
    i // (num_attention_heads / num_key_value_heads).

    With ``compare``, multi-head (as many KV heads as query heads) and multi-query
    attention (one KV head) are drawn above and below, the two extremes.

    >>> fig = gqa_diagram(4, 2, compare=False)
    >>> sorted(a.name for a in fig.layout.annotations if a.name.startswith("arrow"))
    ... # doctest: +NORMALIZE_WHITESPACE
    ['arrow:GQA-q0->GQA-kv0', 'arrow:GQA-q1->GQA-kv0', 'arrow:GQA-q2->GQA-kv1',
     'arrow:GQA-q3->GQA-kv1']
    """
    heads = check_int("num_attention_heads", num_attention_heads, 1, MAX_HEADS)
    kv = check_int("num_key_value_heads", num_key_value_heads, 1, MAX_HEADS)
    check_bool("compare", compare)
    if heads % kv:
        raise ValueError(
            f"num_attention_heads ({heads}) must be a multiple of num_key_value_heads "
            f"({kv}): each KV head serves a whole group of query heads"
        )
    counts = list(dict.fromkeys([heads, kv, 1])) if compare else [kv]
    band = 142
    c = Canvas(height=band * len(counts))
    for row, count in enumerate(counts):
        _band(c, row * band, heads, count)
    extremes = (
        "between the extremes: MHA above, MQA below" if len(counts) == 3 else None
    )
    return c.figure(_gqa_title(heads, kv), extremes)


def _gqa_title(heads: int, kv: int) -> str:
    name, share = _band_name(heads, kv), Fraction(kv, heads)
    if kv == heads:
        return f"MHA: each of the {heads} query heads has its own key/value head"
    return (
        f"{name}: {heads} query heads share {kv} key/value head{'s' * (kv > 1)}, "
        f"so its KV cache is {share} of MHA's"
    )


def _band(c: Canvas, top: float, heads: int, kv: int) -> None:
    """One configuration: a row of query heads above a row of KV heads."""
    name, group = _band_name(heads, kv), heads // kv
    c.note(0.0, top + 12, f"<b>{name}</b>: {kv} KV head{'s' * (kv > 1)}, "
           f"{group} quer{'ies' if group > 1 else 'y'} each · colour = group",
           name=f"note:{name}", align="left")  # fmt: skip
    small = heads > 8
    for i in range(heads):
        x, w = _slot(i, heads)
        c.box(f"{name}-q{i}", x, top + 48, w, 30, f"{'' if small else 'q'}{i}",
              COLORS[(i // group) % len(COLORS)], size=10 if small else 12)  # fmt: skip
    for j in range(kv):
        x, w = _slot(j, kv)
        text = f"{j}" if kv > 8 else f"KV {j}" if kv > 4 else f"K, V {j}"
        c.box(f"{name}-kv{j}", x, top + 118, w, 30, text, COLORS[j % len(COLORS)],
              size=10 if kv > 8 else 12)  # fmt: skip
    for i in range(heads):
        c.arrow(f"{name}-q{i}", f"{name}-kv{i // group}")


def _slot(index: int, count: int) -> tuple[float, float]:
    """Centre and width of box ``index`` of ``count`` spread across the figure."""
    pitch = 0.98 / count
    return 0.01 + pitch * (index + 0.5), min(pitch * 0.8, 0.3)
