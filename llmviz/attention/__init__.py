"""Chapter 3, attention: scaled dot-product attention, its scaling, masks as
predicates, heads that share keys and values (MHA, GQA, MQA), latent attention (MLA),
gated attention, and the size of the KV cache."""

from llmviz.attention import masks
from llmviz.attention.flex import block_mask, flex_attention
from llmviz.attention.gallery import GALLERY, MASK_NAMES, composed_mask, named_mask
from llmviz.attention.gated import GatedAttention
from llmviz.attention.heads import GroupedQueryAttention, head_groups, repeat_kv
from llmviz.attention.kv_cache import (
    MODEL_CONFIGS,
    KVCache,
    cache_fill,
    kv_cache_bytes_per_token,
    kv_cache_table,
)
from llmviz.attention.mla import MultiHeadLatentAttention
from llmviz.attention.perplexity import perplexity
from llmviz.attention.scaling import (
    example_weights,
    scaling_statistics,
    softmax_entropy,
    softmax_jacobian,
)
from llmviz.attention.sdpa import (
    attention_weights,
    causal_mask,
    scaled_dot_product_attention,
)
from llmviz.attention.single_head import SingleHeadAttention

__all__ = [
    "GALLERY",
    "MASK_NAMES",
    "MODEL_CONFIGS",
    "GatedAttention",
    "GroupedQueryAttention",
    "KVCache",
    "MultiHeadLatentAttention",
    "SingleHeadAttention",
    "attention_weights",
    "block_mask",
    "cache_fill",
    "causal_mask",
    "composed_mask",
    "example_weights",
    "flex_attention",
    "head_groups",
    "kv_cache_bytes_per_token",
    "kv_cache_table",
    "masks",
    "named_mask",
    "perplexity",
    "repeat_kv",
    "scaled_dot_product_attention",
    "scaling_statistics",
    "softmax_entropy",
    "softmax_jacobian",
]
