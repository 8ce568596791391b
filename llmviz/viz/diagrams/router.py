"""The MoE router: one token, its router's probabilities, the top-k experts it runs."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import torch

from llmviz._checks import check_bool, check_int
from llmviz.moe.routing import route
from llmviz.viz._args import _array
from llmviz.viz.diagrams._canvas import GREY, Canvas
from llmviz.viz.theme import COLORS

MAX_EXPERTS = 10  # more expert boxes than fit a 358 px phone column
EXAMPLE_LOGITS = (0.8, -0.6, 2.1, 0.3, -1.2, 1.0, -0.2, 1.7)  # one token, 8 experts


def moe_router_diagram(
    router_logits: Any = EXAMPLE_LOGITS,
    top_k: int = 2,
    norm_topk_prob: bool = True,
) -> go.Figure:
    """One token through a mixture-of-experts layer: router logits → softmax → the
    ``top_k`` most probable experts (the others greyed) → their outputs, weighted.

    ``router_logits`` (E,) are the router's scores for one token (a list, NumPy or
    torch), E ≤ 10. The weights are ``llmviz.moe.route``'s: the top-k probabilities,
    renormalised to sum to one when ``norm_topk_prob`` (Mixtral) [jiang2024mixtral].

    >>> fig = moe_router_diagram([0.0, 2.0, 1.0], top_k=1)
    >>> [s.name for s in fig.layout.shapes if s.line.dash == "solid"][-2:]
    ['box:expert1', 'box:sum']
    """
    logits = _array(router_logits, "router_logits", 1)
    experts = len(logits)
    if not 2 <= experts <= MAX_EXPERTS:
        raise ValueError(
            f"router_logits must score 2 to {MAX_EXPERTS} experts, got {experts}"
        )
    k = check_int("top_k", top_k, 1, experts)
    check_bool("norm_topk_prob", norm_topk_prob)
    scores = torch.tensor(logits, dtype=torch.float32)[None]  # (1, E): one token
    probs = scores.softmax(-1)[0].tolist()
    weights, chosen = route(scores, k, norm_topk_prob)
    weight = dict(zip(chosen[0].tolist(), weights[0].tolist(), strict=True))
    c = Canvas(height=330)
    c.box("token", 0.5, 20, 0.46, 34, "<b>x</b>: one token's vector", COLORS[0])
    c.box("router", 0.5, 88, 0.8, 44,
          "<b>router</b>: logits = x W<sub>router</sub><br>"
          "p = softmax(logits), under each expert",
          COLORS[1])  # fmt: skip
    c.arrow("token", "router")
    pitch = 0.98 / experts
    for e in range(experts):
        used = e in weight
        c.box(f"expert{e}", 0.01 + pitch * (e + 0.5), 190, pitch * 0.86, 52,
              f"<b>E{e}</b><br>{probs[e]:.2f}".replace("0.", "."), COLORS[2],
              muted=not used, size=11 if experts > 8 else 12)  # fmt: skip
        c.arrow("router", f"expert{e}", muted=not used)
    terms = " + ".join(f"{weight[e]:.2f}·E{e}(x)" for e in chosen[0].tolist())
    c.box("sum", 0.5, 300, 0.8, 44, f"<b>output</b> = {terms}", COLORS[0])
    for e in chosen[0].tolist():
        c.arrow(f"expert{e}", "sum")
    c.key("vectors", COLORS[0])
    c.key("learned weights", COLORS[1])
    c.key(f"runs (top {k})", COLORS[2])
    c.key("not run", GREY, muted=True)
    rule = ", renormalised to sum to 1" if norm_topk_prob else ""
    return c.figure(
        f"The router runs only {k} of {experts} experts for this token",
        f"their outputs weighted by their probabilities{rule}",
    )
