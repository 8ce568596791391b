"""Multi-head latent attention (MLA): all heads' keys and values from one latent.

DeepSeek-V2 and V3 [deepseekai2024v2] project each token down to a latent c of
``kv_lora_rank`` dimensions, and per head back up to a key part k_nope = W_UK·c and a
value v = W_UV·c. Only c is cached, with one extra key k_rope of ``qk_rope_head_dim``
dimensions that all heads share: RoPE [su2024roformer] depends on the position, so it
cannot pass through the shared up-projection and travels on this separate "decoupled"
key. A head scores q_nope·k_nope + q_rope·k_rope. At inference W_UK can be absorbed into
the query and W_UV into the output, so that keys and values are never expanded per head
(``absorb=True``). Parameter names are those of Hugging Face's DeepseekV3Attention; the
queries go through a low-rank bottleneck too when ``q_lora_rank`` is set.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from llmviz._checks import check_int, check_real
from llmviz.attention._validate import (
    MAX_DIM,
    MAX_HEADS,
    check_bool,
    check_hidden,
    check_layer_idx,
    check_position_embeddings,
)
from llmviz.attention.kv_cache import KVCache, cached_keys_values, check_forward_mask
from llmviz.attention.sdpa import _causal, attend
from llmviz.layers.norms import RMSNorm
from llmviz.positions.rope import (  # deinterleave: re-exported for older imports
    apply_interleaved_rotary_pos_emb,
    apply_rotary_pos_emb,
    deinterleave,  # noqa: F401
)


def _dim(name: str, value: int, minimum: int = 1) -> int:
    return check_int(name, value, minimum, MAX_DIM)


class MultiHeadLatentAttention(nn.Module):
    """Self-attention whose keys and values are decompressed from a cached latent.

    >>> import torch
    >>> attention = MultiHeadLatentAttention(
    ...     32, 4, q_lora_rank=16, kv_lora_rank=8, qk_nope_head_dim=8,
    ...     qk_rope_head_dim=4, v_head_dim=8)
    >>> x = torch.randn(1, 5, 32)
    >>> attention(x, is_causal=True).shape
    torch.Size([1, 5, 32])
    >>> absorbed = attention(x, is_causal=True, absorb=True)
    >>> torch.allclose(absorbed, attention(x, is_causal=True), atol=1e-6)
    True
    """

    def __init__(
        self,
        hidden_size: int,
        num_attention_heads: int,
        q_lora_rank: int | None,
        kv_lora_rank: int,
        qk_nope_head_dim: int,
        qk_rope_head_dim: int,
        v_head_dim: int,
        rope_interleave: bool = True,
        rms_norm_eps: float = 1e-6,
        attention_bias: bool = False,
        layer_idx: int = 0,
    ) -> None:
        super().__init__()
        hidden = _dim("hidden_size", hidden_size)
        heads = check_int("num_attention_heads", num_attention_heads, 1, MAX_HEADS)
        self.q_lora_rank = (
            None if q_lora_rank is None else _dim("q_lora_rank", q_lora_rank)
        )
        latent = _dim("kv_lora_rank", kv_lora_rank)
        nope = _dim("qk_nope_head_dim", qk_nope_head_dim)
        rope = _dim("qk_rope_head_dim", qk_rope_head_dim, minimum=2)
        if rope % 2:
            raise ValueError(f"qk_rope_head_dim must be even for RoPE, got {rope}")
        value = _dim("v_head_dim", v_head_dim)
        for name, width in (("qk_nope_head_dim", nope + rope), ("v_head_dim", value)):
            if heads * width > MAX_DIM:
                raise ValueError(
                    f"num_attention_heads × {name} = {heads} × {width} must be at most"
                    f" {MAX_DIM}, the widest projection allowed"
                )
        eps = check_real("rms_norm_eps", rms_norm_eps, 0, 1, open_min=True)
        rope_interleave = check_bool("rope_interleave", rope_interleave)
        attention_bias = check_bool("attention_bias", attention_bias)
        self.layer_idx = check_layer_idx(layer_idx)
        self.hidden_size = hidden
        self.num_heads, self.kv_lora_rank = heads, latent
        self.qk_nope_head_dim, self.qk_rope_head_dim = nope, rope
        self.v_head_dim, self.rope_interleave = value, rope_interleave
        self.scaling = (nope + rope) ** -0.5  # q·k sums dn + dr products
        if self.q_lora_rank is None:
            self.q_proj = nn.Linear(hidden, heads * (nope + rope), bias=False)
        else:
            self.q_a_proj = nn.Linear(hidden, self.q_lora_rank, bias=attention_bias)
            self.q_a_layernorm = RMSNorm(self.q_lora_rank, eps)
            self.q_b_proj = nn.Linear(q_lora_rank, heads * (nope + rope), bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(hidden, latent + rope, bias=attention_bias)
        self.kv_a_layernorm = RMSNorm(latent, eps)
        self.kv_b_proj = nn.Linear(latent, heads * (nope + value), bias=False)
        self.o_proj = nn.Linear(heads * value, hidden, bias=attention_bias)

    def _queries(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, T, hidden) → q_nope (B, H, T, dn) and q_rope (B, H, T, dr), unrotated."""
        if self.q_lora_rank is None:
            q = self.q_proj(x)
        else:
            q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        batch, seq, _ = x.shape
        q = q.view(batch, seq, self.num_heads, -1).transpose(1, 2)  # (B, H, T, dn+dr)
        return q.split([self.qk_nope_head_dim, self.qk_rope_head_dim], dim=-1)

    def _latents(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, T, hidden) → normalised latent c (B, 1, T, dc), k_rope (B, 1, T, dr)."""
        latent, k_rope = self.kv_a_proj_with_mqa(x).split(
            [self.kv_lora_rank, self.qk_rope_head_dim], dim=-1
        )
        return self.kv_a_layernorm(latent)[:, None], k_rope[:, None]  # one "head"

    def _rotate(
        self, q: Tensor, k: Tensor, cos: Tensor, sin: Tensor
    ) -> tuple[Tensor, Tensor]:
        if self.rope_interleave:
            return apply_interleaved_rotary_pos_emb(q, k, cos, sin)
        return apply_rotary_pos_emb(q, k, cos, sin)

    def _expanded(self, q_nope, q_rope, latent, k_rope, attn_mask, is_causal) -> Tensor:
        """Each head's k = [W_UK·c | k_rope] and v = W_UV·c, then ordinary attention."""
        batch, _, kv_len, _ = latent.shape
        kv = self.kv_b_proj(latent[:, 0]).view(batch, kv_len, self.num_heads, -1)
        k_nope, v = kv.transpose(1, 2).split(
            [self.qk_nope_head_dim, self.v_head_dim], dim=-1
        )  # (B, H, S, dn), (B, H, S, dv)
        k = torch.cat([k_nope, k_rope.expand(-1, self.num_heads, -1, -1)], dim=-1)
        q = torch.cat([q_nope, q_rope], dim=-1)  # (B, H, T, dn+dr)
        return attend(
            q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=self.scaling
        )  # (B, H, T, dv)

    def _absorbed(self, q_nope, q_rope, latent, k_rope, attn_mask, is_causal) -> Tensor:
        """q_nope·k_nope = (q_nope·W_UK)·c: attend over [c | k_rope] in latent space,
        then map the weighted latents through W_UV; no per-head keys or values.

        Every head now reads the same keys [c | k_rope] and values c, so this is
        multi-query attention: the H·T queries are stacked against one KV head."""
        weight = self.kv_b_proj.weight.view(self.num_heads, -1, self.kv_lora_rank)
        w_uk, w_uv = weight.split([self.qk_nope_head_dim, self.v_head_dim], dim=1)
        q = torch.cat([q_nope @ w_uk, q_rope], dim=-1)  # (B, H, T, dc+dr)
        batch, heads, q_len, width = q.shape
        k = torch.cat([latent, k_rope], dim=-1)  # (B, 1, S, dc+dr)
        kv_len = k.shape[-2]
        if is_causal:
            attn_mask, is_causal = _causal(q_len, kv_len, q.device), False
        if attn_mask is not None:  # one row per (head, query), like the queries
            attn_mask = attn_mask.expand(batch, heads, q_len, kv_len)
            attn_mask = attn_mask.reshape(batch, 1, heads * q_len, kv_len)
        out = attend(
            q.reshape(batch, 1, heads * q_len, width),
            k,
            latent,
            attn_mask,
            scale=self.scaling,
        )  # (B, 1, H·T, dc)
        out = out.view(batch, heads, q_len, -1)  # (B, H, T, dc)
        return out @ w_uv.transpose(1, 2)  # (B, H, T, dv)

    def forward(
        self,
        hidden_states: Tensor,
        position_embeddings: tuple[Tensor, Tensor] | None = None,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
        cache: KVCache | None = None,
        absorb: bool = False,
    ) -> Tensor:
        """(B, T, hidden) → (B, T, hidden). ``position_embeddings`` is RoPE's (cos,
        sin), each (B, T, qk_rope_head_dim). A ``cache`` holds, per layer, the latent c
        as its keys (B, 1, T, dc) and the rotated shared key as its values (B, 1, T,
        dr), as in HF. ``absorb=True`` gives the same output in the absorbed form."""
        dtype = self.kv_a_proj_with_mqa.weight.dtype
        check_hidden("hidden_states", hidden_states, self.hidden_size, dtype)
        batch, seq, _ = hidden_states.shape
        check_position_embeddings(
            position_embeddings, batch, seq, self.qk_rope_head_dim, "qk_rope_head_dim"
        )
        scores = (batch, self.num_heads)  # the leading dims of the scores
        check_forward_mask(
            attn_mask, is_causal, cache, self.layer_idx, scores, seq, dtype
        )
        absorb = check_bool("absorb", absorb)
        q_nope, q_rope = self._queries(hidden_states)
        latent, k_rope = self._latents(hidden_states)
        if position_embeddings is not None:
            q_rope, k_rope = self._rotate(q_rope, k_rope, *position_embeddings)
        q_len = q_nope.shape[-2]
        latent, k_rope, attn_mask, is_causal = cached_keys_values(
            cache, self.layer_idx, q_len, latent, k_rope, attn_mask, is_causal
        )
        attention = self._absorbed if absorb else self._expanded
        out = attention(q_nope, q_rope, latent, k_rope, attn_mask, is_causal)
        batch, _, seq, _ = out.shape
        return self.o_proj(out.transpose(1, 2).reshape(batch, seq, -1))  # (B, T, H·dv)
