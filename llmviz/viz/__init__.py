"""Figures: plotly builders for the book, and the slider that makes them explorable on a
static page."""

from llmviz.viz.beams import beam_tree_figure
from llmviz.viz.figures import bars, heatmap, lines, mask_heatmap, vectors
from llmviz.viz.grid import small_multiples
from llmviz.viz.lattice import lattice_figure, nbest_figure
from llmviz.viz.slider import slider_figure
from llmviz.viz.theme import COLORS, DARK, LIGHT, style
from llmviz.viz.tokens import token_boundaries

__all__ = [
    "COLORS",
    "DARK",
    "LIGHT",
    "bars",
    "beam_tree_figure",
    "heatmap",
    "lattice_figure",
    "lines",
    "mask_heatmap",
    "nbest_figure",
    "slider_figure",
    "small_multiples",
    "style",
    "token_boundaries",
    "vectors",
]
