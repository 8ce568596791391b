"""A preallocated KV cache, beside the simple one, and attention that reads it fast.

``KVCache.update`` appends with ``torch.cat``, which copies the whole cache at every
step, and ``GroupedQueryAttention`` copies each shared KV head out to its query heads
with ``repeat_kv``. ``StaticKVCache`` allocates each layer's keys and values once, for
``max_len`` tokens, as Hugging Face's ``StaticCache`` does, writes each step's tokens
in place, and hands out views of the filled prefix. ``static_attention`` runs a
``GroupedQueryAttention`` on it and lets torch's SDPA read the shared heads in place
(``enable_gqa=True``). Both give the simple path's outputs bit for bit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int, checking
from llmviz.attention._validate import MAX_SEQ_LEN
from llmviz.attention.heads import GroupedQueryAttention
from llmviz.attention.kv_cache import KVCache, _causal_after_past, _check_like
from llmviz.positions.rope import apply_rotary_pos_emb


class StaticKVCache(KVCache):
    """A ``KVCache`` whose keys and values live in tensors of ``max_len`` tokens.

    Each layer's two tensors, (B, H_kv, max_len, D), are allocated at its first update;
    later updates copy only the new tokens in. ``keys`` and ``values`` hold views of the
    filled prefix, so everything that reads a ``KVCache`` reads this one too.

    >>> cache = StaticKVCache(max_len=4)
    >>> k = torch.ones(1, 2, 3, 8)
    >>> cache.update(0, k, k)[0].shape, cache.seq_len(0), cache.nbytes
    (torch.Size([1, 2, 3, 8]), 3, 512)
    """

    def __init__(self, max_len: int) -> None:
        super().__init__()
        self.max_len = check_int("max_len", max_len, minimum=1, maximum=MAX_SEQ_LEN)
        self._key_buffers: dict[int, Tensor] = {}
        self._value_buffers: dict[int, Tensor] = {}

    def _update(
        self, layer_idx: int, key: Tensor, value: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Copy the new tokens into the buffers, after the filled ones; return views of
        everything filled so far."""
        start = self._seq_len(layer_idx)
        end = start + key.shape[-2]
        if end > self.max_len:
            raise ValueError(
                f"a StaticKVCache of max_len={self.max_len} cannot take {key.shape[-2]}"
                f" more tokens after the {start} it holds"
            )
        if layer_idx in self._key_buffers:
            _check_like("key", key, self._key_buffers[layer_idx])
            _check_like("value", value, self._value_buffers[layer_idx])
        else:
            self._key_buffers[layer_idx] = _buffer(key, self.max_len)
            self._value_buffers[layer_idx] = _buffer(value, self.max_len)
        keys, values = self._key_buffers[layer_idx], self._value_buffers[layer_idx]
        keys[:, :, start:end].copy_(key)
        values[:, :, start:end].copy_(value)
        self.keys[layer_idx] = keys[:, :, :end]
        self.values[layer_idx] = values[:, :, :end]
        return self.keys[layer_idx], self.values[layer_idx]

    @property
    def nbytes(self) -> int:
        """The memory the cache has allocated, filled or not, over all layers."""
        tensors = [*self._key_buffers.values(), *self._value_buffers.values()]
        return sum(t.numel() * t.element_size() for t in tensors)


def _buffer(like: Tensor, max_len: int) -> Tensor:
    batch, heads, _, dim = like.shape
    return like.new_empty(batch, heads, max_len, dim)


def static_attention(
    attention: GroupedQueryAttention,
    hidden_states: Tensor,
    position_embeddings: tuple[Tensor, Tensor] | None,
    cache: KVCache,
) -> Tensor:
    """``attention(hidden_states, position_embeddings, is_causal=True, cache=cache)``
    with no copy of the shared KV heads: SDPA reads each once for its query heads.

    ``GroupedQueryAttention.forward`` with ``repeat_kv`` stays the readable path, and
    this gives the same numbers. The decoding loop's fast path (``TinyGPT.generate``)
    calls it with arguments that it built itself, and skips the checks.

    >>> attention = GroupedQueryAttention(16, 4, num_key_value_heads=2)
    >>> x, cache = torch.randn(1, 3, 16), StaticKVCache(max_len=3)
    >>> fast = static_attention(attention, x, None, cache)
    >>> torch.equal(fast, attention(x, is_causal=True, cache=KVCache()))
    True
    """
    if checking():
        if not isinstance(attention, GroupedQueryAttention):
            raise TypeError(
                "attention must be a GroupedQueryAttention, got "
                f"{type(attention).__name__}"
            )
        if cache is None:
            raise TypeError("cache must be a KVCache, got None")
        attention._check(hidden_states, position_embeddings, None, True, cache)
    q = attention._heads(attention.q_proj(hidden_states), attention.num_heads)
    k = attention._heads(attention.k_proj(hidden_states), attention.num_kv_heads)
    v = attention._heads(attention.v_proj(hidden_states), attention.num_kv_heads)
    if position_embeddings is not None:
        q, k = apply_rotary_pos_emb(q, k, *position_embeddings)
    q_len = q.shape[-2]
    k, v = cache._update(attention.layer_idx, k, v)
    mask, is_causal = None, q_len > 1  # one new token sees every key: no mask
    if is_causal and k.shape[-2] != q_len:  # after cached tokens: aligned to the end
        mask, is_causal = _causal_after_past(q_len, k.shape[-2], k.device), False
    out = F.scaled_dot_product_attention(
        q,
        k,
        v,
        attn_mask=mask,
        is_causal=is_causal,
        enable_gqa=attention.num_kv_heads != attention.num_heads,
    )
    batch, _, seq, _ = out.shape
    out = out.transpose(1, 2).reshape(batch, seq, -1)  # (B, T, H·D)
    if attention.gate_proj is not None:
        out = out * torch.sigmoid(attention.gate_proj(hidden_states))
    return attention.o_proj(out)
