"""Live explorers for Colab and Jupyter (ipywidgets 7 and 8)."""

from llmviz.widgets.embeddings import embedding_explorer
from llmviz.widgets.explorer import LIVE_ONLY_NOTE, Explorer, LiveOnly, explore

__all__ = ["LIVE_ONLY_NOTE", "Explorer", "LiveOnly", "embedding_explorer", "explore"]
