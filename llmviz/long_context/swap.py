"""TinyGPT with its attention replaced: the bench on which chapter 4 measures quality.

Every long-context method changes only which keys a query reads, or at which positions.
``forward_with_attention`` runs TinyGPT's own layers (norms, projections, SwiGLU, the
output head) but hands each layer's attention to a callable

    attention(q, k, v, rotary) -> out        all (B, H, T, D)

where q and k come *before* RoPE (the KV heads already repeated for their query heads)
and ``rotary(x)`` applies the model's RoPE at the tokens' positions, or
``rotary(x, positions)`` at any others: StreamingLLM and DCA move positions, sparse
patterns keep them. ``dense_attention`` is the causal reference that reproduces
``model(input_ids)``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_callable, checked_by_caller, checking
from llmviz._tensor_checks import check_tensor
from llmviz.attention.heads import _repeat_kv
from llmviz.attention.sdpa import attend
from llmviz.long_context._validate import check_qkv, check_self_attention
from llmviz.models.tinygpt import TinyGPT
from llmviz.positions.rotation import rotate_half

Attention = Callable[[Tensor, Tensor, Tensor, "Rotary"], Tensor]


class Rotary:
    """The model's RoPE: ``rotary(x)`` rotates x (..., T, D) at the tokens' positions,
    ``rotary(x, positions)`` at the given (T,) positions.

    The (cos, sin) tables of the last ``CACHED`` position vectors are kept per device
    (float32, the model's own), so a forward pass computes them once, not twice a layer.
    They are the model's ``_rotary(positions)`` for those very positions: its RoPE
    scaling may depend on the largest position, so a table for longer positions would
    not do."""

    CACHED = 8  # position vectors remembered: a forward pass needs one, a cache two

    def __init__(self, model: TinyGPT, positions: Tensor) -> None:
        _check_model(model)
        check_tensor("positions", positions, ranks=(1,), floating=False)
        self.model, self.positions = model, positions
        self._tables: OrderedDict[tuple, tuple[Tensor, Tensor]] = OrderedDict()

    def __call__(self, x: Tensor, positions: Tensor | None = None) -> Tensor:
        check_tensor("x", x, ranks=(3, 4), finite=False)
        if x.shape[-1] != self.model.head_dim:
            raise ValueError(
                f"x must have the model's head_dim {self.model.head_dim} as its last "
                f"dimension, got shape {tuple(x.shape)}"
            )
        positions = self.positions if positions is None else positions
        check_tensor("positions", positions, ranks=(1,), floating=False)
        if positions.shape[0] != x.shape[-2] or int(positions.min()) < 0:
            raise ValueError(
                f"positions must be {x.shape[-2]} non-negative integers, one per row of"
                f" x, got {tuple(positions.shape)} from {int(positions.min())}"
            )
        cos, sin = self._cos_sin(positions, x.device)  # each (1, T, D)
        return x * cos + rotate_half(x) * sin

    def _cos_sin(self, positions: Tensor, device: torch.device) -> tuple[Tensor, ...]:
        key = (str(device), str(positions.dtype), positions.cpu().numpy().tobytes())
        if key in self._tables:
            self._tables.move_to_end(key)
        else:
            cos, sin = self.model._rotary(positions)
            self._tables[key] = (cos.to(device), sin.to(device))
            if len(self._tables) > self.CACHED:
                self._tables.popitem(last=False)  # the least recently used
        return self._tables[key]


def _check_model(model: TinyGPT) -> None:
    if not isinstance(model, TinyGPT):
        raise TypeError(f"model must be a TinyGPT, got {type(model).__name__}")
    if model.config.position_embedding != "rope":
        raise ValueError(
            "model must use RoPE (position_embedding='rope'), got "
            f"position_embedding={model.config.position_embedding!r}"
        )


def dense_attention(
    query: Tensor, key: Tensor, value: Tensor, rotary: Rotary
) -> Tensor:
    """Causal softmax attention with RoPE at the tokens' positions: TinyGPT's own."""
    if checking():  # skipped inside forward_with_attention, which built the inputs
        check_qkv(query, key, value, ranks=(4,))
        check_self_attention(query, key, "causal self-attention")
        if not isinstance(rotary, Rotary):
            raise TypeError(f"rotary must be a Rotary, got {type(rotary).__name__}")
    return attend(rotary(query), rotary(key), value, None, True)


def forward_with_attention(
    model: TinyGPT, input_ids: Tensor, attention: Attention = dense_attention
) -> Tensor:
    """TinyGPT's logits (B, T, vocab) with each layer's attention done by ``attention``.

    >>> from llmviz.models import TinyGPTConfig
    >>> model = TinyGPT(TinyGPTConfig(vocab_size=50, hidden_size=16,
    ...                               num_hidden_layers=1, intermediate_size=32))
    >>> ids = torch.tensor([[1, 2, 3, 4]])
    >>> torch.allclose(forward_with_attention(model, ids), model(ids), atol=1e-6)
    True
    """
    _check_model(model)
    model._check_ids(input_ids)
    check_callable("attention", attention)
    batch, seq = input_ids.shape
    rotary = Rotary(model, torch.arange(seq))
    x = model.embed_tokens(input_ids)
    with checked_by_caller():
        for layer in model.layers:
            x = x + _attention_block(layer, x, attention, rotary, (batch, seq))
            mixed = layer.mlp(layer.post_attention_layernorm(x))
            x = x + (mixed[0] if isinstance(mixed, tuple) else mixed)
    return model.lm_head(model.norm(x))


def _attention_block(layer, x: Tensor, attention: Attention, rotary, shape) -> Tensor:
    attn, hidden = layer.self_attn, layer.input_layernorm(x)
    group = attn.num_heads // attn.num_kv_heads
    q = attn._heads(attn.q_proj(hidden), attn.num_heads)
    k = _repeat_kv(attn._heads(attn.k_proj(hidden), attn.num_kv_heads), group)
    v = _repeat_kv(attn._heads(attn.v_proj(hidden), attn.num_kv_heads), group)
    out = attention(q, k, v, rotary)
    if not isinstance(out, Tensor) or out.shape != q.shape:
        raise ValueError(
            f"attention must return a tensor of the queries' shape {tuple(q.shape)} "
            f"(B, H, T, D), got {getattr(out, 'shape', type(out).__name__)}"
        )
    out = out.transpose(1, 2).reshape(*shape, -1)  # (B, T, H·D)
    if attn.gate_proj is not None:
        out = out * torch.sigmoid(attn.gate_proj(hidden))
    return attn.o_proj(out)


def next_token_losses(logits: Tensor, input_ids: Tensor) -> Tensor:
    """The loss (nats) of predicting each next token: (B, T − 1), position t scoring
    token t + 1.

    >>> logits = torch.zeros(1, 3, 4)  # uniform over 4 tokens
    >>> next_token_losses(logits, torch.tensor([[0, 1, 2]])).tolist()  # ln 4
    [[1.3862943649291992, 1.3862943649291992]]
    """
    check_tensor("logits", logits, ranks=(3,))
    check_tensor("input_ids", input_ids, ranks=(2,), floating=False)
    if logits.shape[:2] != input_ids.shape or input_ids.shape[1] < 2:
        raise ValueError(
            f"logits (B, T, vocab) must match input_ids (B, T) with T >= 2, got "
            f"{tuple(logits.shape)} and {tuple(input_ids.shape)}"
        )
    if int(input_ids.min()) < 0 or int(input_ids.max()) >= logits.shape[-1]:
        raise ValueError(
            f"input_ids must lie in [0, {logits.shape[-1]}) (the vocabulary of logits),"
            f" got ids from {int(input_ids.min())} to {int(input_ids.max())}"
        )
    targets = input_ids[:, 1:]
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), targets, reduction="none")
