"""The language a live notebook shows its figures and llmviz's own printed lines in.

The Chinese notebooks for Colab (``notebooks/zh/``) start with
``llmviz.setup(language="zh_CN")``. From then on every plotly figure is translated as
it is shown (its titles, axes, legends and slider labels, through ``llmviz.i18n``), and
so are the lines llmviz prints: reference checks and exercise feedback
(``llmviz.i18n.say``), where the catalog has them. Lines that a cell prints itself stay
as the cell writes them. The website needs none of this: its Chinese edition is
translated when it is built (book/zh_outputs.py).
"""

from __future__ import annotations

from typing import Any

from plotly.io.base_renderers import MimetypeRenderer

from llmviz import i18n
from llmviz.i18n import LANGUAGES, translate_figure

_RENDERER = "llmviz-translated"
_wrapped: dict[str, Any] = {"renderers": None}  # the renderers before use_language


def use_language(language: str | None) -> None:
    """Show figures and llmviz's printed lines in ``language`` (one of
    ``llmviz.i18n.LANGUAGES``), or in English again with None."""
    import plotly.io as pio

    if language is not None and language not in LANGUAGES:
        raise ValueError(
            f"language must be None (English) or one of {LANGUAGES}, "
            f"got {language!r:.60}"
        )
    if _wrapped["renderers"] is not None:  # back to the renderers it wrapped
        pio.renderers.default = _wrapped["renderers"]
        _wrapped["renderers"] = None
    i18n.LIVE["language"] = language
    if language is not None:
        wrapped = pio.renderers.default or "plotly_mimetype"  # none set: plotly's own
        pio.renderers[_RENDERER] = _TranslatedRenderer(wrapped)
        _wrapped["renderers"] = pio.renderers.default
        pio.renderers.default = _RENDERER


class _TranslatedRenderer(MimetypeRenderer):
    """plotly's renderers named ``wrapped``, each given the translated figure."""

    def __init__(self, wrapped: str) -> None:
        self.wrapped = wrapped

    def to_mimebundle(self, fig_dict: dict) -> dict:
        import plotly.io as pio

        language = i18n.LIVE["language"] or LANGUAGES[0]
        translated = translate_figure(fig_dict, language)
        renderers = pio.renderers
        return renderers._build_mime_bundle(translated, renderers_string=self.wrapped)
