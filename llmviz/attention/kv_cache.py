"""The KV cache: ``KVCache`` holds the keys and values of past tokens while a model
decodes; ``cache_size`` says how big it gets (its names are re-exported here).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_SEQ_LEN, check_layer_idx, check_mask
from llmviz.attention.cache_size import (  # noqa: F401 - re-exported
    DTYPE_BYTES,
    MODEL_CONFIGS,
    cache_layout,
    kv_cache_bytes_per_token,
    kv_cache_table,
)


class KVCache:
    """The keys and values of past tokens, each (B, H_kv, T_past, D), per layer.

    Decoding one token then computes only its own query, key and value, and attends
    over the cached keys and values instead of recomputing them.
    """

    def __init__(self) -> None:
        self.keys: dict[int, Tensor] = {}
        self.values: dict[int, Tensor] = {}

    def update(
        self, layer_idx: int, key: Tensor, value: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Append the new tokens' key and value, each (B, H_kv, T_new, D); return all
        of them so far. The value's last dimension may differ from the key's."""
        layer_idx = check_layer_idx(layer_idx)
        for name, tensor in (("key", key), ("value", value)):  # 0 new tokens is fine
            check_tensor(name, tensor, ranks=(4,), nonempty=False)
            if 0 in (tensor.shape[0], tensor.shape[1], tensor.shape[3]):
                raise ValueError(
                    f"{name} must have a batch, heads and head_dim of at least 1, got "
                    f"shape {tuple(tensor.shape)}"
                )
        if key.shape[:-1] != value.shape[:-1] or key.dtype != value.dtype:
            raise ValueError(
                "value must match key in batch, heads, tokens and dtype (only the last"
                f" dimension may differ), got key {tuple(key.shape)} {key.dtype} and "
                f"value {tuple(value.shape)} {value.dtype}"
            )
        return self._update(layer_idx, key, value)

    def _update(
        self, layer_idx: int, key: Tensor, value: Tensor
    ) -> tuple[Tensor, Tensor]:
        """``update`` once its arguments are checked: append along the tokens."""
        if layer_idx in self.keys:
            _check_like("key", key, self.keys[layer_idx])
            _check_like("value", value, self.values[layer_idx])
            key = torch.cat([self.keys[layer_idx], key], dim=-2)  # (B, H_kv, T, D)
            value = torch.cat([self.values[layer_idx], value], dim=-2)
        self.keys[layer_idx], self.values[layer_idx] = key, value
        return key, value

    def seq_len(self, layer_idx: int = 0) -> int:
        """How many tokens layer ``layer_idx`` has cached."""
        return self._seq_len(check_layer_idx(layer_idx))

    def _seq_len(self, layer_idx: int) -> int:
        return self.keys[layer_idx].shape[-2] if layer_idx in self.keys else 0

    @property
    def nbytes(self) -> int:
        """The memory the cache holds, over all layers."""
        tensors = [*self.keys.values(), *self.values.values()]
        return sum(t.numel() * t.element_size() for t in tensors)


def _check_like(name: str, new: Tensor, cached: Tensor) -> None:
    """The new tokens must match the cached ones in batch, heads, head_dim, dtype."""
    same_shape = (
        new.shape[:-2] == cached.shape[:-2] and new.shape[-1] == cached.shape[-1]
    )
    if not same_shape or new.dtype != cached.dtype:
        raise ValueError(
            f"{name} of shape {tuple(new.shape)} and dtype {new.dtype} does not fit "
            f"the cached {name}s of shape {tuple(cached.shape)} and dtype "
            f"{cached.dtype}: only dim -2 (tokens) may differ"
        )


def check_forward_mask(
    attn_mask: Any,
    is_causal: Any,
    cache: Any,
    layer_idx: int,
    batch: tuple[int, ...],
    q_len: int,
    dtype: torch.dtype,
) -> None:
    """A module forward's ``cache`` (a KVCache or None) and its mask over the cached
    keys and the q_len new ones, checked before the cache changes."""
    if cache is not None and not isinstance(cache, KVCache):
        raise TypeError(f"cache must be a KVCache or None, got {type(cache).__name__}")
    past = 0 if cache is None else cache._seq_len(layer_idx)
    check_mask(attn_mask, is_causal, batch, q_len, past + q_len, dtype)


def _causal_after_past(q_len: int, kv_len: int, device: torch.device) -> Tensor:
    """Query i, at absolute position kv_len − q_len + i, sees keys 0..that position."""
    offset = kv_len - q_len
    rows = torch.arange(q_len, device=device)[:, None] + offset
    return torch.arange(kv_len, device=device)[None, :] <= rows  # (q_len, kv_len)


def cached_keys_values(
    cache: KVCache | None,
    layer_idx: int,
    q_len: int,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None,
    is_causal: bool,
) -> tuple[Tensor, Tensor, Tensor | None, bool]:
    """Add the new keys and values to ``cache``, if any, and return all of them with
    the mask to use: after cached tokens, causal means aligned to the last key."""
    if cache is None:
        return key, value, attn_mask, is_causal
    key, value = cache._update(layer_idx, key, value)
    if is_causal and attn_mask is None and key.shape[-2] != q_len:
        return key, value, _causal_after_past(q_len, key.shape[-2], key.device), False
    return key, value, attn_mask, is_causal


EMPTY, PROMPT, GENERATED, NEW = range(4)  # the states of a cache slot in ``cache_fill``


def cache_fill(num_layers: int, prompt_len: int, total_len: int, step: int) -> Tensor:
    """Which cache slots (layers, total_len) hold a token after decoding step ``step``.

    Step 0 is the prefill, which writes the ``prompt_len`` prompt tokens at once
    (``NEW``); step s writes the key and value of generated token s in every layer.
    Earlier slots are ``PROMPT`` or ``GENERATED``, later ones ``EMPTY``.

    >>> cache_fill(1, prompt_len=2, total_len=5, step=1).tolist()
    [[1, 1, 3, 0, 0]]
    """
    check_int("num_layers", num_layers, minimum=1, maximum=1 << 16)
    check_int("prompt_len", prompt_len, minimum=1, maximum=MAX_SEQ_LEN)
    check_int("total_len", total_len, minimum=prompt_len, maximum=MAX_SEQ_LEN)
    check_int("step", step, minimum=0)
    if prompt_len + step > total_len:
        raise ValueError(
            f"step must be at most total_len - prompt_len = {total_len - prompt_len}, "
            f"got {step}"
        )
    filled = prompt_len + step  # tokens cached after this step
    row = torch.full((total_len,), EMPTY)
    row[:prompt_len] = PROMPT
    row[prompt_len:filled] = GENERATED
    row[0 if step == 0 else filled - 1 : filled] = NEW
    return row.expand(num_layers, total_len)
