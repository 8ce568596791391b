"""Chapter 3, attention: scaled dot-product attention, its scaling, and masks as
predicates."""

from llmviz.attention import masks
from llmviz.attention.flex import block_mask, flex_attention
from llmviz.attention.gallery import GALLERY, MASK_NAMES, composed_mask, named_mask
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
    "SingleHeadAttention",
    "attention_weights",
    "block_mask",
    "causal_mask",
    "composed_mask",
    "example_weights",
    "flex_attention",
    "masks",
    "named_mask",
    "scaled_dot_product_attention",
    "scaling_statistics",
    "softmax_entropy",
    "softmax_jacobian",
]
