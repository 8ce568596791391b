"""DeepSeek-MoE's parameter arithmetic: shared and fine-grained experts, and MLA.

DeepSeekMoE [dai2024deepseekmoe] splits each expert into m smaller ones (intermediate
size / m) and routes each token to m · k of them, so the compute per token stays the
same while the number of expert combinations grows from C(N, k) to C(mN, mk); and it
adds shared experts that every token passes through, for the knowledge all tokens
need. DeepSeek-V3 [deepseekai2024v3] has 1 shared and 256 routed experts, 8 per token,
after ``first_k_dense_replace`` dense layers, and MLA attention: queries and keys and
values each pass through a low-rank latent (``q_lora_rank``, ``kv_lora_rank``).

Per MoE layer: routed experts n_routed · 3 · D · I_moe (k of them active), shared
n_shared · 3 · D · I_moe, the router n_routed · D (its bias is a buffer, not a
parameter, and is not counted).
"""

from __future__ import annotations

import math
from typing import Any

from llmviz._checks import check_int
from llmviz.moe.params import _field, _int_field

_FIELDS = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "moe_intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "n_routed_experts",
    "num_experts_per_tok",
    "kv_lora_rank",
    "qk_nope_head_dim",
    "qk_rope_head_dim",
    "v_head_dim",
)


def expert_combinations(num_experts: int, k: int, split: int = 1) -> int:
    """C(m·N, m·k): the sets of experts a token can use when each of N experts is
    split into m = ``split`` and the token takes m·k of them [dai2024deepseekmoe].

    >>> expert_combinations(16, 2), expert_combinations(16, 2, split=4)
    (120, 4426165368)
    """
    num_experts = check_int("num_experts", num_experts, 1, 2**16)
    k = check_int("k", k, 1, num_experts)
    split = check_int("split", split, 1, 64)
    return math.comb(split * num_experts, split * k)


def _mla(config: Any, D: int) -> int:
    """One MLA layer's weights: q (direct or through q_lora_rank), the joint k/v
    latent with its rotary key, the up-projection to heads, the output; their norms."""
    s = {name: _int_field(config, name) for name in _FIELDS[5:] if "expert" not in name}
    H, rope = s["num_attention_heads"], s["qk_rope_head_dim"]
    q_head = s["qk_nope_head_dim"] + rope
    q_rank = _field(config, "q_lora_rank")
    if q_rank is None:
        q = D * H * q_head
    else:
        q_rank = _int_field(config, "q_lora_rank")
        q = D * q_rank + q_rank + q_rank * H * q_head  # down, norm, up
    kv_rank = s["kv_lora_rank"]
    kv = D * (kv_rank + rope) + kv_rank  # down (latent and shared rotary key), norm
    kv += kv_rank * H * (s["qk_nope_head_dim"] + s["v_head_dim"])  # up to k, v
    return q + kv + H * s["v_head_dim"] * D  # + the output projection


def deepseek_parameter_counts(config: Any) -> dict[str, int]:
    """Parameters of a DeepSeek-V3-style model by part (a dict or an HF config):
    total, active (per token), embedding (input and output head), attention,
    dense_ffn, routed_experts, shared_experts, router, norms. Multi-token-prediction
    modules are not counted, as HF's model has none.

    >>> from transformers import DeepseekV3Config
    >>> counts = deepseek_parameter_counts(DeepseekV3Config())
    >>> f"{counts['total'] / 1e9:.0f}B total, {counts['active'] / 1e9:.1f}B active"
    '671B total, 37.6B active'
    """
    if config is None or isinstance(config, (str, bytes, int, float, list, tuple)):
        raise TypeError(
            "config must be a dict or a Hugging Face config object, got "
            f"{type(config).__name__}"
        )
    for name in _FIELDS:
        if _field(config, name) is None:
            raise ValueError(f"config is missing the field {name!r}")
    D, L = _int_field(config, "hidden_size"), _int_field(config, "num_hidden_layers")
    dense = check_int(
        "config.first_k_dense_replace", _field(config, "first_k_dense_replace", 0), 0, L
    )
    routed, k = (
        _int_field(config, "n_routed_experts"),
        _int_field(config, "num_experts_per_tok"),
    )
    if k > routed:
        raise ValueError(
            f"config.num_experts_per_tok must be at most n_routed_experts = {routed}, "
            f"got {k}"
        )
    shared = check_int(
        "config.n_shared_experts", _field(config, "n_shared_experts", 0), 0
    )
    expert = 3 * D * _int_field(config, "moe_intermediate_size")
    tied = _field(config, "tie_word_embeddings", False) is True
    counts = {
        "embedding": _int_field(config, "vocab_size") * D * (1 if tied else 2),
        "attention": L * _mla(config, D),
        "dense_ffn": dense * 3 * D * _int_field(config, "intermediate_size"),
        "routed_experts": (L - dense) * routed * expert,
        "shared_experts": (L - dense) * shared * expert,
        "router": (L - dense) * routed * D,
        "norms": (2 * L + 1) * D,
    }
    total = sum(counts.values())
    unused = (L - dense) * (routed - k) * expert
    return {"total": total, "active": total - unused} | counts
