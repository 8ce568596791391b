"""Figures: plotly builders for the book, and the slider that makes them explorable on a
static page."""

from llmviz.viz.figures import bars, heatmap, lines, mask_heatmap, vectors
from llmviz.viz.slider import slider_figure
from llmviz.viz.theme import COLORS, DARK, LIGHT, style

__all__ = [
    "COLORS",
    "DARK",
    "LIGHT",
    "bars",
    "heatmap",
    "lines",
    "mask_heatmap",
    "slider_figure",
    "style",
    "vectors",
]
