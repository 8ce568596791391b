"""Figures: plotly builders for the book, and the slider that makes them explorable on a
static page."""

from llmviz.viz.activations import (
    activation_gallery,
    activation_panel,
    parameter_slider,
)
from llmviz.viz.beams import beam_tree_figure
from llmviz.viz.compact import compact
from llmviz.viz.decoding_rows import rows_apart
from llmviz.viz.depth import (
    gradient_heatmaps,
    layer_profile,
    loss_curves,
    seeds_over_depth,
)
from llmviz.viz.diagrams import (
    attention_head_diagram,
    beam_step_diagram,
    gqa_diagram,
    mla_diagram,
    model_diagram,
    moe_router_diagram,
    norm_placement_diagram,
)
from llmviz.viz.embedding_space import onehot_vs_learned, space_panel, space_slider
from llmviz.viz.embedding_tables import parameter_share_figure, similarity_panels
from llmviz.viz.figures import bars, heatmap, lines, mask_heatmap, vectors
from llmviz.viz.grid import small_multiples
from llmviz.viz.huffman import huffman_tree_figure, keep_figure, noise_figure
from llmviz.viz.lattice import lattice_figure, nbest_figure
from llmviz.viz.ngrams import ngram_buckets_figure
from llmviz.viz.norm_axes import norm_axes_figure
from llmviz.viz.slider import slider_figure
from llmviz.viz.theme import COLORS, DARK, LIGHT, legend_above, style
from llmviz.viz.tokens import token_boundaries
from llmviz.viz.word2vec import agreement_figure, loss_figure, windows_figure

__all__ = [
    "COLORS",
    "DARK",
    "LIGHT",
    "activation_gallery",
    "activation_panel",
    "agreement_figure",
    "attention_head_diagram",
    "bars",
    "beam_step_diagram",
    "beam_tree_figure",
    "compact",
    "gqa_diagram",
    "gradient_heatmaps",
    "heatmap",
    "huffman_tree_figure",
    "keep_figure",
    "lattice_figure",
    "layer_profile",
    "legend_above",
    "lines",
    "loss_curves",
    "loss_figure",
    "mask_heatmap",
    "mla_diagram",
    "model_diagram",
    "moe_router_diagram",
    "nbest_figure",
    "ngram_buckets_figure",
    "noise_figure",
    "norm_axes_figure",
    "norm_placement_diagram",
    "onehot_vs_learned",
    "parameter_share_figure",
    "parameter_slider",
    "rows_apart",
    "seeds_over_depth",
    "similarity_panels",
    "slider_figure",
    "small_multiples",
    "space_panel",
    "space_slider",
    "style",
    "token_boundaries",
    "vectors",
    "windows_figure",
]
