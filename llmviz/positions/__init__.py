"""Chapter 6, positional encodings. So far: rotary position embeddings (RoPE), which
the attention heads of chapter 3 apply to their queries and keys."""

from llmviz.positions.rope import apply_rotary_pos_emb, rope_cos_sin, rotate_half

__all__ = ["apply_rotary_pos_emb", "rope_cos_sin", "rotate_half"]
