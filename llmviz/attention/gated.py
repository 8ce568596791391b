"""Gated attention: each head's output scaled elementwise by a sigmoid gate.

    Y = softmax(Q Kᵀ / √d + M) V ⊙ σ(X W_gate)        [qiu2025gated]

The gate depends on the token, so a head can switch itself off for a token instead of
parking its attention on the first token (an "attention sink"), and it puts a
non-linearity between the value and output projections. As in Qwen3-Next, the gate comes
from the same projection as the query (each head's slice is [query | gate]); queries and
keys are normalised per head by a zero-centred RMSNorm, x̂·(1 + w); RoPE
[su2024roformer] turns only the first ``partial_rotary_factor`` of each head's
dimensions; and key/value heads are shared in groups [ainslie2023gqa]. Parameter names
are those of Hugging Face's Qwen3NextAttention.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import check_real
from llmviz.attention._validate import (
    check_bool,
    check_hidden,
    check_layer_idx,
    check_position_embeddings,
)
from llmviz.attention.heads import _repeat_kv, check_heads, resolve_head_dim
from llmviz.attention.kv_cache import KVCache, cached_keys_values, check_forward_mask
from llmviz.attention.sdpa import attend
from llmviz.positions.rope import apply_rotary_pos_emb


class _ZeroCentredRMSNorm(nn.Module):
    """x / √(mean(x²) + ε) · (1 + w), w starting at 0, computed in float32."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(dim))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x32 * (1.0 + self.weight.float())).type_as(x)


def apply_partial_rotary_pos_emb(
    q: Tensor, k: Tensor, cos: Tensor, sin: Tensor
) -> tuple[Tensor, Tensor]:
    """RoPE on the first cos.shape[-1] dimensions of q, k (B, H, T, D); the rest as is.

    >>> q = k = torch.ones(1, 1, 1, 4)
    >>> cos, sin = torch.zeros(1, 1, 2), torch.ones(1, 1, 2)
    >>> apply_partial_rotary_pos_emb(q, k, cos, sin)[0].flatten().tolist()
    [-1.0, 1.0, 1.0, 1.0]
    """
    rotary_dim = cos.shape[-1]
    q_rot, k_rot = apply_rotary_pos_emb(
        q[..., :rotary_dim], k[..., :rotary_dim], cos, sin
    )
    q = torch.cat([q_rot, q[..., rotary_dim:]], dim=-1)
    return q, torch.cat([k_rot, k[..., rotary_dim:]], dim=-1)


class GatedAttention(nn.Module):
    """Grouped-query attention with a per-head, per-dimension sigmoid output gate.

    After a call, ``last_gate`` holds the gate values σ(·), (B, T, H, head_dim).

    >>> import torch
    >>> attention = GatedAttention(32, 4, num_key_value_heads=2)
    >>> attention(torch.randn(1, 5, 32), is_causal=True).shape
    torch.Size([1, 5, 32])
    >>> attention.last_gate.shape
    torch.Size([1, 5, 4, 8])
    """

    def __init__(
        self,
        hidden_size: int,
        num_attention_heads: int,
        num_key_value_heads: int | None = None,
        head_dim: int | None = None,
        partial_rotary_factor: float = 0.25,
        rms_norm_eps: float = 1e-6,
        attention_bias: bool = False,
        layer_idx: int = 0,
    ) -> None:
        super().__init__()
        self.layer_idx = check_layer_idx(layer_idx)
        kv_heads = check_heads(num_attention_heads, num_key_value_heads)
        head_dim = resolve_head_dim(hidden_size, num_attention_heads, head_dim)
        self.head_dim, self.hidden_size = head_dim, hidden_size
        factor = check_real(
            "partial_rotary_factor", partial_rotary_factor, 0, 1, open_min=True
        )
        self.rotary_dim = int(head_dim * factor)  # as HF: rounded down
        if self.rotary_dim < 2 or self.rotary_dim % 2:
            raise ValueError(
                f"head_dim·partial_rotary_factor = {head_dim}·{factor} must round down"
                f" to an even number >= 2 of rotated dimensions, got {self.rotary_dim}"
            )
        eps = check_real("rms_norm_eps", rms_norm_eps, 0, 1, open_min=True)
        self.num_heads, self.num_kv_heads = num_attention_heads, kv_heads
        bias = check_bool("attention_bias", attention_bias)
        self.q_proj = nn.Linear(
            hidden_size, num_attention_heads * head_dim * 2, bias=bias
        )
        self.k_proj = nn.Linear(hidden_size, kv_heads * head_dim, bias=bias)
        self.v_proj = nn.Linear(hidden_size, kv_heads * head_dim, bias=bias)
        self.o_proj = nn.Linear(num_attention_heads * head_dim, hidden_size, bias=bias)
        self.q_norm = _ZeroCentredRMSNorm(head_dim, eps)  # per head
        self.k_norm = _ZeroCentredRMSNorm(head_dim, eps)
        self.last_gate: Tensor | None = None

    def forward(
        self,
        hidden_states: Tensor,
        position_embeddings: tuple[Tensor, Tensor] | None = None,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
        cache: KVCache | None = None,
    ) -> Tensor:
        """(B, T, hidden) → (B, T, hidden). ``position_embeddings`` is RoPE's (cos,
        sin), each (B, T, rotary_dim); ``attn_mask``, ``is_causal`` and ``cache`` work
        as in GroupedQueryAttention."""
        dtype = self.q_proj.weight.dtype
        check_hidden("hidden_states", hidden_states, self.hidden_size, dtype)
        batch, seq, _ = hidden_states.shape
        check_position_embeddings(
            position_embeddings, batch, seq, self.rotary_dim, "rotary_dim"
        )
        check_forward_mask(
            attn_mask,
            is_causal,
            cache,
            self.layer_idx,
            (batch, self.num_heads),
            seq,
            dtype,
        )
        per_head = self.q_proj(hidden_states).view(batch, seq, self.num_heads, -1)
        query, gate = per_head.chunk(2, dim=-1)  # each (B, T, H, D): [query | gate]
        q = self.q_norm(query).transpose(1, 2)  # (B, H, T, D)
        k = self.k_proj(hidden_states).view(batch, seq, self.num_kv_heads, -1)
        k = self.k_norm(k).transpose(1, 2)  # (B, H_kv, T, D)
        v = self.v_proj(hidden_states).view(batch, seq, self.num_kv_heads, -1)
        v = v.transpose(1, 2)
        if position_embeddings is not None:
            q, k = apply_partial_rotary_pos_emb(q, k, *position_embeddings)
        k, v, attn_mask, is_causal = cached_keys_values(
            cache, self.layer_idx, q.shape[-2], k, v, attn_mask, is_causal
        )
        group = self.num_heads // self.num_kv_heads
        k, v = _repeat_kv(k, group), _repeat_kv(v, group)  # (B, H, T, D)
        out = attend(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
        gate = torch.sigmoid(gate)
        self.last_gate = gate.detach()
        out = out.transpose(1, 2) * gate  # (B, T, H, D)
        return self.o_proj(out.reshape(batch, seq, -1))  # (B, T, H·D)
