"""``check_*`` helpers for each chapter's exercises, and the shared feedback harness."""

from llmviz.exercises._check import CheckResult
from llmviz.exercises.attention import (
    check_attention,
    check_chunked_causal,
    check_sliding_window_pairs,
)
from llmviz.exercises.decoding import (
    check_beam_step,
    check_majority_vote,
    check_top_p,
)
from llmviz.exercises.embeddings import check_sgns_step
from llmviz.exercises.embeddings_huffman import check_huffman_code
from llmviz.exercises.embeddings_ngrams import check_char_ngrams
from llmviz.exercises.heads import (
    check_cached_step,
    check_kv_cache_bytes,
    check_repeat_kv,
)
from llmviz.exercises.heads_intensity import check_decode_intensity
from llmviz.exercises.layers import check_layer_norm, check_rms_norm
from llmviz.exercises.layers_block import check_pre_norm_block
from llmviz.exercises.long_context import (
    check_longformer_mask,
    check_merge_tiles,
    check_select_blocks,
    check_shift_heads,
)
from llmviz.exercises.moe import (
    check_load_balancing_loss,
    check_overflow,
    check_route,
)
from llmviz.exercises.moe_expert_choice import check_expert_choice
from llmviz.exercises.positions import (
    check_alibi_slopes,
    check_rope_rotation,
    check_yarn_ramp,
)
from llmviz.exercises.tokenization import (
    check_count_pairs,
    check_merge,
    check_viterbi,
    check_wordpiece,
)

__all__ = [
    "CheckResult",
    "check_alibi_slopes",
    "check_attention",
    "check_beam_step",
    "check_cached_step",
    "check_char_ngrams",
    "check_chunked_causal",
    "check_count_pairs",
    "check_decode_intensity",
    "check_expert_choice",
    "check_huffman_code",
    "check_kv_cache_bytes",
    "check_layer_norm",
    "check_load_balancing_loss",
    "check_longformer_mask",
    "check_majority_vote",
    "check_merge",
    "check_merge_tiles",
    "check_overflow",
    "check_pre_norm_block",
    "check_repeat_kv",
    "check_rms_norm",
    "check_rope_rotation",
    "check_route",
    "check_select_blocks",
    "check_sgns_step",
    "check_shift_heads",
    "check_sliding_window_pairs",
    "check_top_p",
    "check_viterbi",
    "check_wordpiece",
    "check_yarn_ramp",
]
