"""Chapter 5, feed-forward layers and normalisation. So far: the RMSNorm and the SwiGLU
feed-forward layer that TinyGPT (``llmviz.models``) is built from."""

from llmviz.layers.ffn import SwiGLU
from llmviz.layers.norms import RMSNorm

__all__ = ["RMSNorm", "SwiGLU"]
