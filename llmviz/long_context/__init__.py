"""Chapter 4, long-context attention: fixed sparse patterns (sliding, dilated, strided,
Sparse Transformer, Longformer) and their receptive field, Transformer-XL's segment
recurrence, StreamingLLM's sinks, linear attention and its feature maps,
FlashAttention's online softmax and the split-KV merge, LongLoRA's S2-Attn, dual chunk
attention, NSA and MoBA: each reducible to dense masked attention, and TinyGPT with its
attention swapped for any of them, compared side by side."""

from llmviz.long_context.compare import mean_loss, method_attention
from llmviz.long_context.costs import METHODS, keys_per_query, method_cost
from llmviz.long_context.dca import dca_attention, dca_attention_by_chunks
from llmviz.long_context.dca_positions import (
    dca_distances,
    dca_parts,
    dca_position_ids,
    dca_position_matrices,
)
from llmviz.long_context.features import (
    FEATURE_MAPS,
    elu_features,
    polynomial_features,
    rbf_features,
)
from llmviz.long_context.linear import (
    chunked_linear_attention,
    linear_attention,
    linear_attention_weights,
    softmax_linear_attention,
)
from llmviz.long_context.longformer import (
    LongformerAttention,
    longformer_mask,
    symmetric_window,
)
from llmviz.long_context.moba import block_scores, moba_attention, moba_gate
from llmviz.long_context.nsa import nsa_attention
from llmviz.long_context.nsa_blocks import compress_blocks, nsa_select, selection_scores
from llmviz.long_context.patterns import (
    attended_pairs,
    fixed_factorization,
    local_and_strided,
    sqrt_stride,
    strided_factorization,
    summary_columns,
)
from llmviz.long_context.receptive import receptive_field, tokens_seen
from llmviz.long_context.recurrence import (
    SegmentMemory,
    evaluation_cost,
    memory_mask,
    recurrent_logits,
    recurrent_losses,
    segment_attention,
)
from llmviz.long_context.s2attn import s2_attention, s2_mask_mod, wraparound_leak
from llmviz.long_context.splitkv import (
    attention_with_lse,
    merge_attention,
    split_kv_attention,
)
from llmviz.long_context.streaming import (
    POLICIES,
    StreamingCache,
    kept_tokens,
    sinks_window_attention,
)
from llmviz.long_context.streaming_runs import (
    policy_losses,
    policy_pairs,
    recompute_losses,
    stream_losses,
)
from llmviz.long_context.swap import (
    Rotary,
    dense_attention,
    forward_with_attention,
    next_token_losses,
)
from llmviz.long_context.tiling import online_softmax_attention
from llmviz.long_context.window import (
    band,
    sliding_window_attention,
    sliding_window_attention_dense,
)

__all__ = [
    "FEATURE_MAPS",
    "METHODS",
    "POLICIES",
    "LongformerAttention",
    "Rotary",
    "SegmentMemory",
    "StreamingCache",
    "attended_pairs",
    "attention_with_lse",
    "band",
    "block_scores",
    "chunked_linear_attention",
    "compress_blocks",
    "dca_attention",
    "dca_attention_by_chunks",
    "dca_distances",
    "dca_parts",
    "dca_position_ids",
    "dca_position_matrices",
    "dense_attention",
    "elu_features",
    "evaluation_cost",
    "fixed_factorization",
    "forward_with_attention",
    "keys_per_query",
    "kept_tokens",
    "linear_attention",
    "linear_attention_weights",
    "local_and_strided",
    "mean_loss",
    "longformer_mask",
    "memory_mask",
    "merge_attention",
    "method_attention",
    "method_cost",
    "moba_attention",
    "moba_gate",
    "next_token_losses",
    "nsa_attention",
    "nsa_select",
    "online_softmax_attention",
    "policy_losses",
    "policy_pairs",
    "polynomial_features",
    "rbf_features",
    "receptive_field",
    "recompute_losses",
    "recurrent_logits",
    "recurrent_losses",
    "s2_attention",
    "s2_mask_mod",
    "segment_attention",
    "selection_scores",
    "sinks_window_attention",
    "sliding_window_attention",
    "sliding_window_attention_dense",
    "softmax_linear_attention",
    "split_kv_attention",
    "sqrt_stride",
    "stream_losses",
    "strided_factorization",
    "summary_columns",
    "symmetric_window",
    "tokens_seen",
    "wraparound_leak",
]
