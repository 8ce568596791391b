"""Multi-head attention with shared key/value heads: MHA, GQA and MQA in one module.

``num_attention_heads`` query heads share ``num_key_value_heads`` key/value heads, each
serving a group of consecutive query heads [ainslie2023gqa]: as many KV heads as query
heads is multi-head attention [vaswani2017attention], one is multi-query attention
[shazeer2019mqa], and anything between is grouped-query attention. Fewer KV heads mean
a smaller KV cache; the parameter names are those of Hugging Face's Llama.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import check_int, checking
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import (
    MAX_DIM,
    MAX_HEADS,
    check_bool,
    check_hidden,
    check_layer_idx,
    check_position_embeddings,
)
from llmviz.attention.kv_cache import KVCache, cached_keys_values, check_forward_mask
from llmviz.attention.sdpa import attend
from llmviz.positions.rope import apply_rotary_pos_emb

MAX_GROUP = 1024  # query heads per KV head


def repeat_kv(x: Tensor, n_rep: int) -> Tensor:
    """(B, H_kv, T, D) → (B, H_kv·n_rep, T, D): each KV head repeated for its group.

    >>> import torch
    >>> repeat_kv(torch.tensor([[[[1.0]], [[2.0]]]]), 2).flatten().tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    check_tensor("x", x, ranks=(4,))
    n_rep = check_int("n_rep", n_rep, minimum=1, maximum=MAX_GROUP)
    return _repeat_kv(x, n_rep)


def _repeat_kv(x: Tensor, n_rep: int) -> Tensor:
    return x.repeat_interleave(n_rep, dim=1)


def check_heads(num_attention_heads: int, num_key_value_heads: int | None) -> int:
    """The number of KV heads (None: one per query head, MHA); ``ValueError`` unless
    they divide the query heads into equal groups."""
    check_int("num_attention_heads", num_attention_heads, 1, MAX_HEADS)
    if num_key_value_heads is None:
        return num_attention_heads
    check_int("num_key_value_heads", num_key_value_heads, 1, MAX_HEADS)
    if num_attention_heads % num_key_value_heads:
        raise ValueError(
            f"num_key_value_heads must divide num_attention_heads={num_attention_heads}"
            f" into equal groups, got {num_key_value_heads}"
        )
    return num_key_value_heads


def head_groups(num_attention_heads: int, num_key_value_heads: int) -> Tensor:
    """Which KV head each query head reads: a bool (query heads, KV heads) matrix.

    >>> head_groups(4, 2).int().tolist()
    [[1, 0], [1, 0], [0, 1], [0, 1]]
    """
    if num_key_value_heads is None:
        raise TypeError("num_key_value_heads must be an integer, got None")
    check_heads(num_attention_heads, num_key_value_heads)
    group = num_attention_heads // num_key_value_heads
    kv_head_of = torch.arange(num_attention_heads) // group  # (H,)
    return kv_head_of[:, None] == torch.arange(num_key_value_heads)[None, :]


def resolve_head_dim(
    hidden_size: int, num_attention_heads: int, head_dim: int | None
) -> int:
    """``head_dim``, by default hidden_size / num_attention_heads, which must divide."""
    check_int("hidden_size", hidden_size, minimum=1, maximum=MAX_DIM)
    check_int("num_attention_heads", num_attention_heads, 1, MAX_HEADS)
    if head_dim is None and hidden_size % num_attention_heads:
        raise ValueError(
            f"num_attention_heads={num_attention_heads} must divide hidden_size="
            f"{hidden_size}, or head_dim must be given"
        )
    head_dim = hidden_size // num_attention_heads if head_dim is None else head_dim
    head_dim = check_int("head_dim", head_dim, minimum=1, maximum=MAX_DIM)
    if num_attention_heads * head_dim > MAX_DIM:
        raise ValueError(
            f"num_attention_heads × head_dim = {num_attention_heads} × {head_dim} must "
            f"be at most {MAX_DIM}, the widest projection allowed"
        )
    return head_dim


class GroupedQueryAttention(nn.Module):
    """Self-attention whose query heads share key/value heads in groups.

    >>> import torch
    >>> attention = GroupedQueryAttention(32, 4, num_key_value_heads=2)
    >>> attention(torch.randn(1, 5, 32), is_causal=True).shape
    torch.Size([1, 5, 32])
    """

    def __init__(
        self,
        hidden_size: int,
        num_attention_heads: int,
        num_key_value_heads: int | None = None,
        head_dim: int | None = None,
        bias: bool = False,
        layer_idx: int = 0,
        output_gate: bool = False,
    ) -> None:
        super().__init__()
        self.layer_idx = check_layer_idx(layer_idx)
        kv_heads = check_heads(num_attention_heads, num_key_value_heads)
        head_dim = resolve_head_dim(hidden_size, num_attention_heads, head_dim)
        bias = check_bool("bias", bias)
        output_gate = check_bool("output_gate", output_gate)
        self.head_dim, self.hidden_size = head_dim, hidden_size
        self.num_heads, self.num_kv_heads = num_attention_heads, kv_heads
        self.q_proj = nn.Linear(hidden_size, num_attention_heads * head_dim, bias=bias)
        self.k_proj = nn.Linear(hidden_size, kv_heads * head_dim, bias=bias)
        self.v_proj = nn.Linear(hidden_size, kv_heads * head_dim, bias=bias)
        self.o_proj = nn.Linear(num_attention_heads * head_dim, hidden_size, bias=bias)
        # a sigmoid gate per head and channel, from the query token [qiu2025gated]
        self.gate_proj = (
            nn.Linear(hidden_size, num_attention_heads * head_dim, bias=bias)
            if output_gate
            else None
        )

    def _heads(self, x: Tensor, num_heads: int) -> Tensor:
        batch, seq, _ = x.shape
        return x.view(batch, seq, num_heads, self.head_dim).transpose(1, 2)  # (B,H,T,D)

    def _check(self, hidden_states, position_embeddings, attn_mask, is_causal, cache):
        weight = self.q_proj.weight
        check_hidden("hidden_states", hidden_states, self.hidden_size, weight.dtype)
        batch, seq, _ = hidden_states.shape
        check_position_embeddings(
            position_embeddings, batch, seq, self.head_dim, "head_dim"
        )
        shape = (batch, self.num_heads)
        check_forward_mask(
            attn_mask, is_causal, cache, self.layer_idx, shape, seq, weight.dtype
        )

    def forward(
        self,
        hidden_states: Tensor,
        position_embeddings: tuple[Tensor, Tensor] | None = None,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
        cache: KVCache | None = None,
        return_weights: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """(B, T, hidden) → (B, T, hidden). ``position_embeddings`` is RoPE's (cos,
        sin) for these T tokens, each (B, T, head_dim); ``attn_mask`` is a bool or
        additive mask over all keys; with a ``cache``, the T tokens follow the cached
        ones, and ``is_causal`` lets each see every cached token.
        ``return_weights=True`` also returns the attention weights (B, H, T, T_kv)."""
        if checking():  # skipped inside TinyGPT, which checked its own input
            self._check(hidden_states, position_embeddings, attn_mask, is_causal, cache)
            return_weights = check_bool("return_weights", return_weights)
        q = self._heads(self.q_proj(hidden_states), self.num_heads)
        k = self._heads(self.k_proj(hidden_states), self.num_kv_heads)
        v = self._heads(self.v_proj(hidden_states), self.num_kv_heads)
        if position_embeddings is not None:
            q, k = apply_rotary_pos_emb(q, k, *position_embeddings)
        k, v, attn_mask, is_causal = cached_keys_values(
            cache, self.layer_idx, q.shape[-2], k, v, attn_mask, is_causal
        )
        group = self.num_heads // self.num_kv_heads
        k, v = _repeat_kv(k, group), _repeat_kv(v, group)  # (B, H, T, D)
        out = attend(q, k, v, attn_mask, is_causal, return_weights=return_weights)
        out, weights = out if return_weights else (out, None)
        batch, _, seq, _ = out.shape
        out = out.transpose(1, 2).reshape(batch, seq, -1)  # (B, T, H·D)
        if self.gate_proj is not None:
            out = out * torch.sigmoid(self.gate_proj(hidden_states))
        out = self.o_proj(out)
        return (out, weights) if return_weights else out
