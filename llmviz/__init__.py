"""llmviz: the mechanisms inside large language models, in clear torch code, drawn.

``import llmviz`` is light: chapter subpackages (``llmviz.attention``, ...) and
``viz``/``widgets`` load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from llmviz.notebook import reference_check, setup, show_source, table, versions

__version__ = "0.1.0"
__all__ = [
    "reference_check",
    "setup",
    "show_source",
    "table",
    "versions",
    "__version__",
]

_SUBPACKAGES = {
    "attention",
    "data",
    "decoding",
    "exercises",
    "layers",
    "long_context",
    "measure",
    "models",
    "moe",
    "positions",
    "tokenization",
    "viz",
    "widgets",
}


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"llmviz.{name}")
    raise AttributeError(f"module 'llmviz' has no attribute {name!r}")
