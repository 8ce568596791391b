"""Chapter 4, long-context attention: linear attention and its feature maps,
FlashAttention's online softmax over key tiles and the split-KV merge, LongLoRA's
shifted sparse attention (S2-Attn) and MoBA's block gating, each reducible to dense
masked attention, and TinyGPT with its attention swapped for any of them."""

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
from llmviz.long_context.moba import block_scores, moba_attention, moba_gate
from llmviz.long_context.s2attn import s2_attention, s2_mask_mod, wraparound_leak
from llmviz.long_context.splitkv import (
    attention_with_lse,
    merge_attention,
    split_kv_attention,
)
from llmviz.long_context.swap import (
    Rotary,
    dense_attention,
    forward_with_attention,
    next_token_losses,
)
from llmviz.long_context.tiling import online_softmax_attention

__all__ = [
    "Rotary",
    "dense_attention",
    "forward_with_attention",
    "next_token_losses",
    "FEATURE_MAPS",
    "attention_with_lse",
    "block_scores",
    "merge_attention",
    "moba_attention",
    "moba_gate",
    "online_softmax_attention",
    "split_kv_attention",
    "wraparound_leak",
    "chunked_linear_attention",
    "elu_features",
    "linear_attention",
    "linear_attention_weights",
    "polynomial_features",
    "rbf_features",
    "s2_attention",
    "s2_mask_mod",
    "softmax_linear_attention",
]
