"""Figures: plotly builders for the book, and the slider that makes them explorable on a
static page."""

from llmviz.viz.beams import beam_tree_figure
from llmviz.viz.compact import compact
from llmviz.viz.diagrams import (
    attention_head_diagram,
    beam_step_diagram,
    gqa_diagram,
    mla_diagram,
    model_diagram,
    moe_router_diagram,
)
from llmviz.viz.figures import bars, heatmap, lines, mask_heatmap, vectors
from llmviz.viz.grid import small_multiples
from llmviz.viz.lattice import lattice_figure, nbest_figure
from llmviz.viz.slider import slider_figure
from llmviz.viz.theme import COLORS, DARK, LIGHT, legend_above, style
from llmviz.viz.tokens import token_boundaries

__all__ = [
    "COLORS",
    "DARK",
    "LIGHT",
    "attention_head_diagram",
    "bars",
    "beam_step_diagram",
    "beam_tree_figure",
    "compact",
    "gqa_diagram",
    "heatmap",
    "lattice_figure",
    "legend_above",
    "lines",
    "mask_heatmap",
    "mla_diagram",
    "model_diagram",
    "moe_router_diagram",
    "nbest_figure",
    "slider_figure",
    "small_multiples",
    "style",
    "token_boundaries",
    "vectors",
]
