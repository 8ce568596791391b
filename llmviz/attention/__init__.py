"""Chapter 3, attention: scaled dot-product attention, its scaling, masks as
predicates, heads that share keys and values (MHA, GQA, MQA), latent attention (MLA),
gated attention, and the size of the KV cache."""

from llmviz.attention import masks
from llmviz.attention.flex import block_mask, flex_attention
from llmviz.attention.gallery import GALLERY, MASK_NAMES, composed_mask, named_mask
from llmviz.attention.gated import GatedAttention
from llmviz.attention.heads import GroupedQueryAttention, head_groups, repeat_kv
from llmviz.attention.intensity import (
    attention_core,
    attention_cost,
    intensity_table,
    layer_shape,
)
from llmviz.attention.kv_cache import (
    MODEL_CONFIGS,
    KVCache,
    cache_fill,
    kv_cache_bytes_per_token,
    kv_cache_table,
)
from llmviz.attention.kv_evict import h2o_attention, h2o_weights
from llmviz.attention.kv_quant import (
    dequantize,
    fake_quantize,
    quantize,
    quantized_attention,
    quantized_kv_bytes_per_token,
)
from llmviz.attention.mla import MultiHeadLatentAttention
from llmviz.attention.paged import (
    BlockAllocator,
    fragmentation,
    gather_blocks,
    serve_in_lockstep,
)
from llmviz.attention.perplexity import perplexity
from llmviz.attention.roofline import (
    attainable,
    memory_bandwidth,
    peak_flops,
    time_layers,
)
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
from llmviz.attention.static_cache import StaticKVCache, static_attention

__all__ = [
    "GALLERY",
    "MASK_NAMES",
    "MODEL_CONFIGS",
    "BlockAllocator",
    "GatedAttention",
    "GroupedQueryAttention",
    "KVCache",
    "MultiHeadLatentAttention",
    "SingleHeadAttention",
    "StaticKVCache",
    "attainable",
    "attention_core",
    "attention_cost",
    "attention_weights",
    "block_mask",
    "cache_fill",
    "causal_mask",
    "composed_mask",
    "dequantize",
    "example_weights",
    "fake_quantize",
    "flex_attention",
    "fragmentation",
    "gather_blocks",
    "h2o_attention",
    "h2o_weights",
    "head_groups",
    "intensity_table",
    "kv_cache_bytes_per_token",
    "kv_cache_table",
    "layer_shape",
    "masks",
    "memory_bandwidth",
    "named_mask",
    "peak_flops",
    "perplexity",
    "quantize",
    "quantized_attention",
    "quantized_kv_bytes_per_token",
    "repeat_kv",
    "scaled_dot_product_attention",
    "scaling_statistics",
    "serve_in_lockstep",
    "softmax_entropy",
    "softmax_jacobian",
    "static_attention",
    "time_layers",
]
