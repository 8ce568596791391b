"""The KV cache: ``KVCache`` holds the keys and values of past tokens while a model
decodes, and ``kv_cache_bytes_per_token`` says how big it gets, from a model's config.

Every layer caches, for each past token, one key and one value per KV head:
2 · num_hidden_layers · num_key_value_heads · head_dim numbers. MLA (DeepSeek-V2/V3)
caches instead one compressed latent of ``kv_lora_rank`` numbers and one shared RoPE
key of ``qk_rope_head_dim`` numbers per layer [deepseekai2024v2].

``MODEL_CONFIGS`` holds the attention fields of real models, as their published
``config.json`` files give them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float8": 1, "int8": 1}

MODEL_CONFIGS: dict[str, dict[str, int]] = {
    "Llama-2-7B": {
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
    },
    "Llama-3-8B": {
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
    },
    "Mistral-7B": {
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
    },
    "DeepSeek-V2": {
        "hidden_size": 5120,
        "num_hidden_layers": 60,
        "num_attention_heads": 128,
        "num_key_value_heads": 128,
        "kv_lora_rank": 512,
        "qk_rope_head_dim": 64,
        "qk_nope_head_dim": 128,
        "v_head_dim": 128,
    },
}


def _field(config: Any, name: str, default: Any = None) -> Any:
    if isinstance(config, Mapping):
        return config.get(name, default)
    return getattr(config, name, default)


def kv_cache_bytes_per_token(config: Any, dtype: str = "bfloat16") -> int:
    """Bytes of KV cache per token, over all layers, for a config (a dict or an HF
    config object).

    MHA/GQA/MQA: 2 · layers · num_key_value_heads · head_dim · bytes;
    MLA: layers · (kv_lora_rank + qk_rope_head_dim) · bytes.

    >>> kv_cache_bytes_per_token(MODEL_CONFIGS["Llama-3-8B"]) / 1024
    128.0
    """
    if dtype not in DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {sorted(DTYPE_BYTES)}, got {dtype!r}")
    layers = check_int("num_hidden_layers", _field(config, "num_hidden_layers"), 1)
    if _field(config, "kv_lora_rank") is not None:  # MLA: a latent and a RoPE key
        latent = check_int("kv_lora_rank", _field(config, "kv_lora_rank"), 1)
        rope = check_int("qk_rope_head_dim", _field(config, "qk_rope_head_dim"), 0)
        return layers * (latent + rope) * DTYPE_BYTES[dtype]
    heads = check_int("num_attention_heads", _field(config, "num_attention_heads"), 1)
    kv_heads = _field(config, "num_key_value_heads") or heads
    head_dim = _field(config, "head_dim")
    if head_dim is None:
        head_dim = check_int("hidden_size", _field(config, "hidden_size"), 1) // heads
    return (
        2
        * layers
        * check_int("num_key_value_heads", kv_heads, 1)
        * head_dim
        * (DTYPE_BYTES[dtype])
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
        """Append the new tokens' key and value; return all of them so far."""
        if key.shape[-2] != value.shape[-2]:
            raise ValueError(
                "key and value must hold the same number of tokens (dim -2), got key "
                f"{tuple(key.shape)} and value {tuple(value.shape)}"
            )
        if layer_idx in self.keys:
            _check_like("key", key, self.keys[layer_idx])
            _check_like("value", value, self.values[layer_idx])
            key = torch.cat([self.keys[layer_idx], key], dim=-2)  # (B, H_kv, T, D)
            value = torch.cat([self.values[layer_idx], value], dim=-2)
        self.keys[layer_idx], self.values[layer_idx] = key, value
        return key, value

    def seq_len(self, layer_idx: int = 0) -> int:
        """How many tokens layer ``layer_idx`` has cached."""
        return self.keys[layer_idx].shape[-2] if layer_idx in self.keys else 0

    @property
    def nbytes(self) -> int:
        """The memory the cache holds, over all layers."""
        tensors = [*self.keys.values(), *self.values.values()]
        return sum(t.numel() * t.element_size() for t in tensors)


def _check_like(name: str, new: Tensor, cached: Tensor) -> None:
    """The new tokens must match the cached ones in batch, heads and head_dim."""
    if new.shape[:-2] != cached.shape[:-2] or new.shape[-1] != cached.shape[-1]:
        raise ValueError(
            f"{name} of shape {tuple(new.shape)} does not fit the cached {name}s of "
            f"shape {tuple(cached.shape)}: only dim -2 (tokens) may differ"
        )


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
    key, value = cache.update(layer_idx, key, value)
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
    check_int("num_layers", num_layers, minimum=1)
    check_int("prompt_len", prompt_len, minimum=1)
    check_int("total_len", total_len, minimum=prompt_len)
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
