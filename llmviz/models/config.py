"""TinyGPT's sizes and options, named as in Hugging Face's ``LlamaConfig``, each checked
when the config is made: a bad field is refused here, naming it, not at the first
forward."""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass

from llmviz._checks import check_bool, check_int, check_positive_number
from llmviz._tensor_checks import check_choice
from llmviz.moe.routing import check_top_k
from llmviz.positions.rope_scaling import rope_parameters

POSITION_EMBEDDINGS = ("rope", "learned")
_SIZES = {  # field: the largest value accepted, far above any model that fits in RAM
    "vocab_size": 2**22,
    "hidden_size": 2**16,
    "num_hidden_layers": 1024,
    "intermediate_size": 2**18,
    "max_position_embeddings": 2**24,
}


@dataclass(frozen=True)
class TinyGPTConfig:
    """The sizes of a TinyGPT, named as in Hugging Face's ``LlamaConfig``."""

    vocab_size: int = 2048
    hidden_size: int = 128
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 384
    max_position_embeddings: int = 256  # the training length; RoPE itself has no limit
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    output_gate: bool = False
    position_embedding: str = "rope"  # or "learned": a table of absolute positions
    rope_parameters: dict | None = None  # rope_type and its scaling, as in HF
    num_experts: int = 0  # > 0: each feed-forward layer is a mixture of experts
    num_experts_per_tok: int = 2
    tie_word_embeddings: bool = True  # lm_head shares embed_tokens' weight, as in HF

    def __post_init__(self) -> None:
        for name, maximum in _SIZES.items():
            check_int(name, getattr(self, name), minimum=1, maximum=maximum)
        heads = check_int(
            "num_attention_heads", self.num_attention_heads, 1, self.hidden_size
        )
        if self.hidden_size % heads:
            raise ValueError(
                f"num_attention_heads must divide hidden_size={self.hidden_size}, "
                f"got {heads}"
            )
        kv_heads = check_int("num_key_value_heads", self.num_key_value_heads, 1, heads)
        if heads % kv_heads:
            raise ValueError(
                f"num_key_value_heads must divide num_attention_heads={heads}, got "
                f"{kv_heads}"
            )
        check_positive_number("rope_theta", self.rope_theta)
        check_positive_number("rms_norm_eps", self.rms_norm_eps)
        check_bool("output_gate", self.output_gate)
        check_bool("tie_word_embeddings", self.tie_word_embeddings)
        check_choice("position_embedding", self.position_embedding, POSITION_EMBEDDINGS)
        check_int("num_experts", self.num_experts, minimum=0, maximum=1024)
        if self.num_experts:
            check_top_k(
                "num_experts_per_tok", self.num_experts_per_tok, self.num_experts
            )
        self._check_rope()

    def _check_rope(self) -> None:
        """RoPE needs an even head_dim, and ``rope_parameters`` must be a dict of
        keywords that ``llmviz.positions.rope_parameters`` accepts."""
        head_dim = self.hidden_size // self.num_attention_heads
        if self.position_embedding == "rope" and head_dim % 2:
            raise ValueError(
                "num_attention_heads must leave an even head_dim for RoPE, got "
                f"hidden_size={self.hidden_size} / {self.num_attention_heads} heads = "
                f"{head_dim}"
            )
        if self.rope_parameters is None:
            return
        if not isinstance(self.rope_parameters, dict):
            raise TypeError(
                "rope_parameters must be a dict or None, got "
                f"{type(self.rope_parameters).__name__}"
            )
        if self.position_embedding != "rope":
            raise ValueError(
                "rope_parameters need position_embedding='rope', got "
                f"{self.position_embedding!r}"
            )
        given = dict(self.rope_parameters)
        for key in ("rope_theta", "max_position_embeddings", "seq_len"):
            if key in given:  # the config's own field, or the input's length
                raise ValueError(
                    f"rope_parameters must not hold {key!r} (TinyGPT passes it), got "
                    f"{given!r}"
                )
        known = set(inspect.signature(rope_parameters).parameters) - {"head_dim"}
        if unknown := sorted(set(given) - known, key=str):
            raise ValueError(
                f"rope_parameters holds keys that rope scaling does not know: "
                f"{unknown}; allowed: {sorted(known)}"
            )
        try:
            rope_parameters(
                head_dim,
                self.rope_theta,
                max_position_embeddings=self.max_position_embeddings,
                seq_len=self.max_position_embeddings,
                **given,
            )
        except TypeError as error:
            raise TypeError(f"rope_parameters {given!r}: {error}") from error
        except ValueError as error:
            raise ValueError(f"rope_parameters {given!r}: {error}") from error

    def to_dict(self) -> dict:
        return asdict(self)
