"""The comparison table's quality column: each long-context method of ``costs.METHODS``
as an ``attention(q, k, v, rotary)`` for ``forward_with_attention``, to measure
TinyGPT's loss with it at inference against dense attention's.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from llmviz.attention import masks
from llmviz.attention.mask_grid import materialize
from llmviz.attention.sdpa import attend
from llmviz.long_context.costs import METHODS, _settings
from llmviz.long_context.dca import dca_attention
from llmviz.long_context.linear import chunked_linear_attention
from llmviz.long_context.moba import moba_attention
from llmviz.long_context.nsa import nsa_attention
from llmviz.long_context.s2attn import s2_attention
from llmviz.long_context.streaming import sinks_window_attention
from llmviz.long_context.swap import (
    Attention,
    _check_model,
    dense_attention,
    forward_with_attention,
    next_token_losses,
)
from llmviz.long_context.tiling import online_softmax_attention
from llmviz.long_context.window import sliding_window_attention
from llmviz.models.tinygpt import TinyGPT


def method_attention(method: str, settings: Mapping[str, int] | None = None):
    """``method`` as an ``attention(q, k, v, rotary)`` for ``forward_with_attention``
    (queries and keys before RoPE), at ``settings``. Longformer by its causal half
    (w/2 keys back and the global tokens), since its own reads the future; NSA with
    its three branches averaged (its gates are learned, and TinyGPT has none).

    >>> attention = method_attention("window", {"window": 2})
    >>> callable(attention)
    True
    """
    method, s = _settings(method, settings)
    if method == "dense":
        return dense_attention
    if method == "streaming":
        return sinks_window_attention(s["num_sinks"], s["window"])
    heads = {"nsa": dict(heads_per_group=2), "s2": dict(fix_leak=True)}.get(method)

    def attention(q: Tensor, k: Tensor, v: Tensor, rotary) -> Tensor:
        if method == "dca":
            return dca_attention(q, k, v, rotary, s["chunk"], s["pretraining_length"])
        q, k, n = rotary(q), rotary(k), q.shape[-2]
        if method == "flash":
            return online_softmax_attention(q, k, v, s["tile"], is_causal=True)
        if method == "window":
            return sliding_window_attention(q, k, v, min(s["window"], n))
        if method == "linear":
            return chunked_linear_attention(q, k, v, s["chunk"])
        if method == "s2":
            return s2_attention(q, k, v, s["group"], **heads)
        if method == "moba":
            return moba_attention(q, k, v, s["block"], s["top_k"])[0]
        if method == "nsa":
            keep = {x: s[x] for x in METHODS["nsa"].defaults if x != "window"}
            gates = torch.full((3,), 1 / 3, dtype=q.dtype)  # untrained: the mean
            return nsa_attention(q, k, v, **keep, window=min(s["window"], n),
                                 gates=gates, **heads)[0]  # fmt: skip
        if method == "strided":
            rule = masks.or_masks(masks.sliding_window(s["stride"]),
                                  masks.strided(s["stride"]))  # fmt: skip
        else:  # Longformer's causal half: w/2 keys back and the global tokens
            rule = masks.attention_sinks(s["num_global"], s["window"] // 2 + 1)
        return attend(q, k, v, materialize(rule, n, n))

    return attention


@torch.no_grad()
def mean_loss(
    model: TinyGPT, input_ids: Tensor, attention: Attention = dense_attention
):
    """TinyGPT's mean next-token loss (nats) over ``input_ids`` (B, T) with its
    attention replaced by ``attention``.

    >>> from llmviz.models import load_tinygpt
    >>> model, _ = load_tinygpt()
    >>> ids = torch.tensor([[0, 5, 6, 7]])
    >>> mean_loss(model, ids) == mean_loss(model, ids, method_attention("dense"))
    True
    """
    _check_model(model)
    logits = forward_with_attention(model, input_ids, attention)
    return next_token_losses(logits, input_ids).mean().item()
