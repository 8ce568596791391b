"""Chapter 6, positional encodings: sinusoidal and learned absolute encodings, relative
ones (Shaw et al., Transformer-XL, DeBERTa, T5 buckets, ALiBi), rotary embeddings
(RoPE) in both layouts, and RoPE's rescalings for long contexts, with why they work
(``ntk``)."""

from llmviz.positions.alibi import alibi_bias, alibi_slopes
from llmviz.positions.disentangled import deberta_buckets, deberta_terms, shaw_values
from llmviz.positions.explorers import scaled_wavelengths
from llmviz.positions.ntk import (
    by_parts_ramp,
    counter_digits,
    extrapolated_pairs,
    frequency_ratios,
    ntk_aware_theta,
    ntk_factor_needed,
)
from llmviz.positions.relative import (
    relative_distances,
    relative_positions,
    shaw_scores,
    transformer_xl_terms,
)
from llmviz.positions.rope import (
    apply_interleaved_rotary_pos_emb,
    apply_rotary_pos_emb,
    deinterleave,
    interleave,
    rope_cos_sin,
    rope_score_decay,
    rotate_half,
)
from llmviz.positions.rope_scaling import ROPE_TYPES, rope_parameters, wavelengths
from llmviz.positions.sinusoid_checks import offset_scores
from llmviz.positions.sinusoidal import (
    position_shift,
    sinusoidal_embeddings,
    sinusoidal_encoding,
)
from llmviz.positions.t5 import t5_bucket_bias, t5_relative_position_bucket
from llmviz.positions.temperature import rotary_logits, yarn_temperature

__all__ = [
    "ROPE_TYPES",
    "alibi_bias",
    "alibi_slopes",
    "apply_interleaved_rotary_pos_emb",
    "apply_rotary_pos_emb",
    "by_parts_ramp",
    "counter_digits",
    "deberta_buckets",
    "deberta_terms",
    "deinterleave",
    "extrapolated_pairs",
    "frequency_ratios",
    "interleave",
    "ntk_aware_theta",
    "ntk_factor_needed",
    "offset_scores",
    "position_shift",
    "relative_distances",
    "relative_positions",
    "rope_cos_sin",
    "rope_parameters",
    "rope_score_decay",
    "rotary_logits",
    "rotate_half",
    "scaled_wavelengths",
    "shaw_scores",
    "shaw_values",
    "sinusoidal_embeddings",
    "sinusoidal_encoding",
    "t5_bucket_bias",
    "t5_relative_position_bucket",
    "transformer_xl_terms",
    "wavelengths",
    "yarn_temperature",
]
