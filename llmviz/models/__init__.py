"""Tiny models trained by our own script (``python -m llmviz.models.train``), with
their weights, tokenizer and training logs shipped in ``llmviz/models/weights``."""

from llmviz.models.config import TinyGPTConfig
from llmviz.models.hf_twin import to_hf_llama
from llmviz.models.pretrained import load_tinygpt, load_tokenizer, training_log
from llmviz.models.tinygpt import TinyGPT
from llmviz.models.uptrain import mean_pool_kv

__all__ = [
    "TinyGPT",
    "TinyGPTConfig",
    "load_tinygpt",
    "load_tokenizer",
    "mean_pool_kv",
    "to_hf_llama",
    "training_log",
]
