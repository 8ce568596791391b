"""Chapter 7, architectures and mixture of experts: the four transformer structures as
attention patterns; sparse MoE layers, their routing, load-balancing losses and
capacity; and the arithmetic of total and active parameters."""

from llmviz.moe.architectures import KINDS, STRUCTURES, key_depth, structure_mask
from llmviz.moe.bias_balance import balance_with_bias, biased_top_k, update_bias
from llmviz.moe.capacity import expert_capacity, top1_with_capacity
from llmviz.moe.decoder_only import tinygpt_attention, tinygpt_states
from llmviz.moe.deepseek_params import deepseek_parameter_counts, expert_combinations
from llmviz.moe.expert_choice import (
    expert_choice_capacity,
    expert_choice_routing,
    top_k_with_capacity,
)
from llmviz.moe.layer import SparseMoeBlock
from llmviz.moe.losses import (
    cv_squared,
    importance_loss,
    load_balancing_loss,
    router_z_loss,
    switch_load_balancing_loss,
)
from llmviz.moe.overflow import moe_with_residual, route_overflow
from llmviz.moe.params import (
    MODEL_CONFIGS,
    dense_equivalent,
    flops_per_token,
    parameter_counts,
)
from llmviz.moe.routing import expert_counts, noisy_top_k_gating, route
from llmviz.moe.soft_moe import dense_moe, soft_moe, soft_moe_weights

__all__ = [
    "KINDS",
    "MODEL_CONFIGS",
    "STRUCTURES",
    "SparseMoeBlock",
    "balance_with_bias",
    "biased_top_k",
    "cv_squared",
    "deepseek_parameter_counts",
    "dense_equivalent",
    "dense_moe",
    "expert_capacity",
    "expert_choice_capacity",
    "expert_choice_routing",
    "expert_combinations",
    "expert_counts",
    "flops_per_token",
    "importance_loss",
    "key_depth",
    "load_balancing_loss",
    "moe_with_residual",
    "noisy_top_k_gating",
    "parameter_counts",
    "route",
    "route_overflow",
    "router_z_loss",
    "soft_moe",
    "soft_moe_weights",
    "structure_mask",
    "switch_load_balancing_loss",
    "tinygpt_attention",
    "tinygpt_states",
    "top1_with_capacity",
    "top_k_with_capacity",
    "update_bias",
]
