"""Concept diagrams drawn as plotly figures, so that the site's dark mode re-colours
them: the whole model, one attention head, GQA's groups, MLA's latent, the MoE router
and a beam-search step."""

from llmviz.viz.diagrams.beam import beam_step_diagram
from llmviz.viz.diagrams.block import norm_placement_diagram
from llmviz.viz.diagrams.heads import attention_head_diagram, gqa_diagram
from llmviz.viz.diagrams.latent import mla_diagram
from llmviz.viz.diagrams.model import model_diagram
from llmviz.viz.diagrams.router import moe_router_diagram

__all__ = [
    "attention_head_diagram",
    "beam_step_diagram",
    "gqa_diagram",
    "mla_diagram",
    "model_diagram",
    "moe_router_diagram",
    "norm_placement_diagram",
]
