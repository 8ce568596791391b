"""Tiny models trained by our own script (``python -m llmviz.models.train``), with
their weights, tokenizer and training logs shipped in ``llmviz/models/weights``."""

from llmviz.models.config import TinyGPTConfig
from llmviz.models.hf_twin import to_hf_llama
from llmviz.models.pretrained import load_tinygpt, load_tokenizer, training_log
from llmviz.models.tinygpt import TinyGPT

__all__ = [
    "TinyGPT",
    "TinyGPTConfig",
    "load_tinygpt",
    "load_tokenizer",
    "to_hf_llama",
    "training_log",
]
