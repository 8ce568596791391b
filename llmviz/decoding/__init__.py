"""Chapter 8, decoding. So far: the sampling filters (temperature, top-k, top-p, min-p),
each equal to Hugging Face's warper, and greedy and beam search equal to its
``generate``."""

from llmviz.decoding.filters import (
    ORDERS,
    apply_temperature,
    entropy,
    min_p_filter,
    sampling_distribution,
    top_k_filter,
    top_p_filter,
)
from llmviz.decoding.search import beam_search, greedy

__all__ = [
    "ORDERS",
    "apply_temperature",
    "beam_search",
    "entropy",
    "greedy",
    "min_p_filter",
    "sampling_distribution",
    "top_k_filter",
    "top_p_filter",
]
