"""How many bytes the KV cache holds per token, computed from a model's config.

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
