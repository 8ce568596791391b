"""How big the KV cache gets, from a model's config.

Every layer of a MHA/GQA/MQA model caches, for each past token, one key and one value
per KV head: 2 · num_hidden_layers · num_key_value_heads · head_dim numbers. MLA
(DeepSeek-V2/V3) caches no heads at all: one compressed latent of ``kv_lora_rank``
numbers and one shared RoPE key of ``qk_rope_head_dim`` numbers per layer
[deepseekai2024v2].

``MODEL_CONFIGS`` holds the attention fields of real models, as their published
``config.json`` files give them. DeepSeek-V2's file gives ``num_key_value_heads`` too,
but MLA never caches those heads, so ``kv_cache_table`` does not show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmviz._checks import check_int
from llmviz._tensor_checks import check_choice

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

MAX_FIELD = 1 << 20  # no real config has a size, head or layer count above this


def _field(config: Any, name: str, minimum: int = 1, required: bool = True) -> Any:
    """``config``'s integer field ``name`` (a dict key or an attribute), checked."""
    if isinstance(config, Mapping):
        value, label = config.get(name), f"config[{name!r}]"
    else:
        value, label = getattr(config, name, None), f"config.{name}"
    if value is None:
        if required:
            raise ValueError(f"config must give {name}: {label} is missing or None")
        return None
    return check_int(label, value, minimum=minimum, maximum=MAX_FIELD)


def _check_config(config: Any) -> None:
    if not isinstance(config, Mapping) and not hasattr(config, "num_hidden_layers"):
        raise TypeError(
            "config must be a dict or a Hugging Face config with num_hidden_layers, "
            f"got {type(config).__name__}"
        )


def cache_layout(config: Any) -> dict[str, int]:
    """What one layer caches per token: ``{"kv_heads", "head_dim"}`` for MHA, GQA and
    MQA, ``{"kv_lora_rank", "qk_rope_head_dim"}`` for MLA. Checks every field used.

    >>> cache_layout(MODEL_CONFIGS["DeepSeek-V2"])
    {'kv_lora_rank': 512, 'qk_rope_head_dim': 64}
    """
    _check_config(config)
    if _field(config, "kv_lora_rank", required=False) is not None:  # MLA
        return {
            "kv_lora_rank": _field(config, "kv_lora_rank"),
            "qk_rope_head_dim": _field(config, "qk_rope_head_dim", minimum=0),
        }
    heads = _field(config, "num_attention_heads")
    kv_heads = _field(config, "num_key_value_heads", required=False) or heads
    if kv_heads > heads:
        raise ValueError(
            f"config's num_key_value_heads must be at most num_attention_heads="
            f"{heads}, got {kv_heads}"
        )
    head_dim = _field(config, "head_dim", required=False)
    if head_dim is None:
        hidden = _field(config, "hidden_size")
        if hidden % heads:
            raise ValueError(
                f"config's hidden_size={hidden} must be a multiple of "
                f"num_attention_heads={heads} when it gives no head_dim"
            )
        head_dim = hidden // heads
    return {"kv_heads": kv_heads, "head_dim": head_dim}


def kv_cache_bytes_per_token(config: Any, dtype: str = "bfloat16") -> int:
    """Bytes of KV cache per token, over all layers, for a config (a dict or an HF
    config object).

    MHA/GQA/MQA: 2 · layers · num_key_value_heads · head_dim · bytes;
    MLA: layers · (kv_lora_rank + qk_rope_head_dim) · bytes.

    >>> kv_cache_bytes_per_token(MODEL_CONFIGS["Llama-3-8B"]) / 1024
    128.0
    """
    check_choice("dtype", dtype, list(DTYPE_BYTES))
    _check_config(config)
    layers = _field(config, "num_hidden_layers")
    layout = cache_layout(config)
    if "kv_lora_rank" in layout:  # MLA: a latent and a RoPE key
        numbers = layout["kv_lora_rank"] + layout["qk_rope_head_dim"]
    else:
        numbers = 2 * layout["kv_heads"] * layout["head_dim"]  # keys and values
    return layers * numbers * DTYPE_BYTES[dtype]


def kv_cache_table(
    configs: Mapping[str, Any] = MODEL_CONFIGS,
    context: int = 32_768,
    dtype: str = "bfloat16",
) -> list[dict[str, Any]]:
    """One row per named config: what a layer caches per token, and the bytes.

    An MLA model has no KV heads to show ("—"): it caches a latent and a RoPE key.

    >>> kv_cache_table({"DeepSeek-V2": MODEL_CONFIGS["DeepSeek-V2"]})[0]["KV heads"]
    '— (MLA)'
    """
    if not isinstance(configs, Mapping):
        raise TypeError(
            f"configs must be a dict of name → config, got {type(configs).__name__}"
        )
    if not configs:
        raise ValueError("configs must name at least one config, got an empty dict")
    context = check_int("context", context, minimum=1)
    check_choice("dtype", dtype, list(DTYPE_BYTES))
    rows = []
    for name, config in configs.items():
        try:
            layout = cache_layout(config)
            per_token = kv_cache_bytes_per_token(config, dtype)
        except (TypeError, ValueError) as error:
            raise type(error)(f"configs[{name!r}]: {error}") from None
        if "kv_lora_rank" in layout:
            kv_heads: Any = "— (MLA)"
            cached = (
                f"latent {layout['kv_lora_rank']} + RoPE key "
                f"{layout['qk_rope_head_dim']}"
            )
        else:
            kv_heads = layout["kv_heads"]
            cached = f"K and V: {kv_heads} heads × {layout['head_dim']}"
        rows.append(
            {
                "model": name,
                "layers": _field(config, "num_hidden_layers"),
                "query heads": _field(config, "num_attention_heads"),
                "KV heads": kv_heads,
                "cached per token and layer": cached,
                f"KiB per token ({dtype})": per_token / 1024,
                f"GiB at {context:,} tokens": per_token * context / 2**30,
            }
        )
    return rows
