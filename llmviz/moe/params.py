"""How many parameters a Llama- or Mixtral-style model has, how many a token uses, and
what a token costs in FLOPs, from its config (a dict or a Hugging Face config object).

Per layer: attention q, k, v, o (no biases); a SwiGLU feed-forward layer of
3 · hidden · intermediate weights, or E of them (experts) and a router of hidden · E;
two RMSNorm weights. Then the embedding, the output head (once more unless tied) and
a final norm. A token passes through only k of the E experts, so

    active = total − num_hidden_layers · (E − k) · 3 · hidden · intermediate

``MODEL_CONFIGS`` holds the fields of real models, as their published ``config.json``
files give them [jiang2024mixtral, touvron2023llama2, grattafiori2024llama3].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmviz._checks import check_int

_LLAMA = {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32}
MODEL_CONFIGS: dict[str, dict[str, Any]] = {
    "Mixtral-8x7B": _LLAMA
    | {"vocab_size": 32000, "intermediate_size": 14336, "num_key_value_heads": 8}
    | {"num_local_experts": 8, "num_experts_per_tok": 2, "tie_word_embeddings": False},
    "Llama-2-7B": _LLAMA
    | {"vocab_size": 32000, "intermediate_size": 11008, "num_key_value_heads": 32}
    | {"tie_word_embeddings": False},
    "Llama-3-8B": _LLAMA
    | {"vocab_size": 128256, "intermediate_size": 14336, "num_key_value_heads": 8}
    | {"tie_word_embeddings": False},
}
_REQUIRED = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers")


def _field(config: Any, name: str, default: Any = None) -> Any:
    if isinstance(config, Mapping):
        value = config.get(name, default)
    else:
        value = getattr(config, name, default)
    return default if value is None else value


def _int_field(config: Any, name: str, default: Any = None) -> int:
    """The field ``name``, an integer >= 1; errors name it as ``config.name``."""
    return check_int(f"config.{name}", _field(config, name, default), 1)


def _sizes(config: Any) -> dict[str, Any]:
    """The config's sizes, checked; a dense model has one expert, always used."""
    if config is None or isinstance(config, (str, bytes, int, float, list, tuple)):
        raise TypeError(
            "config must be a dict or a Hugging Face config object, got "
            f"{type(config).__name__}"
        )
    for name in (*_REQUIRED, "num_attention_heads"):
        if _field(config, name) is None:
            raise ValueError(f"config is missing the field {name!r}")
    s = {name: _int_field(config, name) for name in _REQUIRED}
    heads = _int_field(config, "num_attention_heads")
    kv_heads = _int_field(config, "num_key_value_heads", heads)
    if heads % kv_heads:
        raise ValueError(
            f"config.num_attention_heads ({heads}) must be a multiple of "
            f"num_key_value_heads ({kv_heads})"
        )
    head_dim = _int_field(config, "head_dim", s["hidden_size"] // heads)
    s |= {"heads": heads, "kv_heads": kv_heads, "head_dim": head_dim}
    experts = _field(config, "num_local_experts", _field(config, "num_experts"))
    s["moe"] = experts is not None
    s["experts"] = _int_field(config, "num_local_experts", experts) if s["moe"] else 1
    k = _field(config, "num_experts_per_tok", 1 if not s["moe"] else None)
    if k is None:
        raise ValueError("config is missing the field 'num_experts_per_tok'")
    s["k"] = _int_field(config, "num_experts_per_tok", k)
    if s["k"] > s["experts"]:
        raise ValueError(
            f"config.num_experts_per_tok must be at most num_local_experts = "
            f"{s['experts']}, got {s['k']}"
        )
    s["tied"] = _field(config, "tie_word_embeddings", False)
    if not isinstance(s["tied"], bool):
        raise TypeError(
            f"config.tie_word_embeddings must be True or False, got {s['tied']!r}"
        )
    return s


def ffn_parameters(
    hidden_size: int,
    intermediate_size: int,
    num_experts: int = 1,
    num_experts_per_tok: int = 1,
) -> tuple[int, int]:
    """(total, active) weights of one SwiGLU layer or of E SwiGLU experts, k used per
    token: 3 · hidden · intermediate each; the router is not included.

    >>> ffn_parameters(4096, 14336, num_experts=8, num_experts_per_tok=2)
    (1409286144, 352321536)
    """
    per_expert = (
        3
        * check_int("hidden_size", hidden_size, 1)
        * check_int("intermediate_size", intermediate_size, 1)
    )
    num_experts = check_int("num_experts", num_experts, 1)
    k = check_int("num_experts_per_tok", num_experts_per_tok, 1)
    if k > num_experts:
        raise ValueError(
            f"num_experts_per_tok must be at most num_experts = {num_experts}, got {k}"
        )
    return num_experts * per_expert, k * per_expert


def parameter_counts(config: Any) -> dict[str, int]:
    """Parameters by part: total, active (per token), embedding (input embedding and
    output head), attention, experts (every feed-forward weight), router, norms.

    >>> counts = parameter_counts(MODEL_CONFIGS["Mixtral-8x7B"])
    >>> f"{counts['total'] / 1e9:.1f}B total, {counts['active'] / 1e9:.1f}B active"
    '46.7B total, 12.9B active'
    """
    s = _sizes(config)
    D, L = s["hidden_size"], s["num_hidden_layers"]
    q_width, kv_width = s["heads"] * s["head_dim"], s["kv_heads"] * s["head_dim"]
    ffn_total, ffn_active = ffn_parameters(
        D, s["intermediate_size"], s["experts"], s["k"]
    )
    counts = {
        "embedding": s["vocab_size"] * D * (1 if s["tied"] else 2),
        "attention": L * D * (2 * q_width + 2 * kv_width),  # q, o; k, v
        "experts": L * ffn_total,
        "router": L * D * s["experts"] if s["moe"] else 0,
        "norms": (2 * L + 1) * D,
    }
    total = sum(counts.values())
    return {"total": total, "active": total - L * (ffn_total - ffn_active)} | counts


def flops_per_token(config: Any, context_length: int = 0) -> int:
    """Forward FLOPs per token: 2 per weight it multiplies (a multiply and an add).

    Counted: attention's projections, the router, the k active experts and the output
    head (a matmul); not the input embedding (a lookup) nor norms and activations
    (elementwise, negligible). Attention's scores and weighted sum add
    2 · 2 · layers · context_length · heads · head_dim; ``context_length=0`` leaves
    them out, giving ≈ 2 · active parameters [kaplan2020scaling].

    >>> round(flops_per_token(MODEL_CONFIGS["Llama-2-7B"]) / 1e9, 1)
    13.2
    """
    s, counts = _sizes(config), parameter_counts(config)
    context_length = check_int("context_length", context_length, 0)
    matmul_weights = (
        counts["active"] - counts["norms"] - s["vocab_size"] * s["hidden_size"]
    )
    if s["tied"]:  # the one matrix is both the lookup and the head
        matmul_weights += s["vocab_size"] * s["hidden_size"]
    attention = 4 * s["num_hidden_layers"] * context_length * s["heads"] * s["head_dim"]
    return 2 * matmul_weights + attention


def dense_equivalent(config: Any) -> dict[str, Any]:
    """The dense model with the same feed-forward weights: one SwiGLU of intermediate
    size E · intermediate per layer, no router (so total = the MoE's minus its router).

    >>> dense_equivalent(MODEL_CONFIGS["Mixtral-8x7B"])["intermediate_size"]
    114688
    """
    s = _sizes(config)
    fields = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
    dense = {name: _field(config, name) for name in fields}
    return dense | {
        "intermediate_size": s["experts"] * s["intermediate_size"],
        "num_key_value_heads": s["kv_heads"],
        "head_dim": s["head_dim"],
        "tie_word_embeddings": s["tied"],
    }
