"""TinyGPT's fast greedy loop: ``generate(..., cache_implementation="static")``.

The loop chapter 3 teaches (``TinyGPT._generate``) runs the model's ``forward`` on a
``KVCache``. This one computes exactly the same numbers, with less work around them:

* a ``StaticKVCache`` and ``static_attention``: no ``torch.cat`` of the whole cache at
  every step, and no copy of the shared KV heads;
* RoPE's cos and sin for every position computed once, when they do not depend on the
  length reached (all rope types but dynamic and longrope), and sliced at each step;
* the ids written in place, and the loop run under ``torch.inference_mode``, which
  skips autograd's bookkeeping on every small tensor;
* the layers' norms and feed-forward blocks called through ``forward``, skipping
  ``nn.Module.__call__`` (so module hooks do not run on this path).
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import checked_by_caller
from llmviz.attention.static_cache import StaticKVCache, static_attention

LENGTH_DEPENDENT = ("dynamic", "longrope")  # rope types whose inv_freq needs the length


def generate_static(model, input_ids: Tensor, max_new_tokens: int) -> Tensor:
    """Greedy decoding as ``model._generate(input_ids, max_new_tokens, True)``, fast."""
    batch, prompt_len = input_ids.shape
    total = prompt_len + max_new_tokens
    ids = input_ids.new_empty(batch, total)
    ids[:, :prompt_len] = input_ids
    if not max_new_tokens:
        return ids
    positions = torch.arange(total)
    with torch.inference_mode(), checked_by_caller():
        cache = StaticKVCache(total - 1)  # the last token is never run
        table = _position_table(model, positions)
        start, end = 0, prompt_len
        for _ in range(max_new_tokens):
            logits = static_forward(
                model, ids[:, start:end], cache, positions[start:end], table
            )
            ids[:, end : end + 1] = logits[:, -1].argmax(dim=-1, keepdim=True)
            start, end = end, end + 1
    return ids.clone()  # a normal tensor, not an inference one


def _position_table(model, positions: Tensor) -> tuple[Tensor, Tensor] | None:
    """RoPE's (cos, sin) for all ``positions`` at once, or None where they cannot be
    computed ahead (learned positions, or a length-dependent rope type)."""
    rope = model.config.rope_parameters or {}
    if model.config.position_embedding == "learned":
        return None
    if rope.get("rope_type", "default") in LENGTH_DEPENDENT:
        return None
    return model._rotary(positions)


def static_forward(
    model,
    input_ids: Tensor,
    cache: StaticKVCache,
    positions: Tensor,
    table: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """``model._forward(input_ids, cache)`` on the fast path: the same logits, bit for
    bit (tests/test_static_cache.py). ``table``: RoPE's cos and sin of every position,
    from ``_position_table``, sliced here at ``positions``."""
    x = model.embed_tokens.forward(input_ids)  # (B, T, hidden)
    if model.config.position_embedding == "learned":
        x, cos_sin = x + model._learned_positions(positions), None
    elif table is not None:
        start, end = int(positions[0]), int(positions[-1]) + 1
        cos_sin = (table[0][:, start:end], table[1][:, start:end])
    else:
        cos_sin = model._rotary(positions)
    for layer in model.layers:
        normed = layer.input_layernorm.forward(x)
        x = x + static_attention(layer.self_attn, normed, cos_sin, cache)
        mixed = layer.mlp.forward(layer.post_attention_layernorm.forward(x))
        if isinstance(mixed, tuple):
            mixed, layer.router_logits = mixed
        x = x + mixed
    return model.lm_head.forward(model.norm.forward(x))
