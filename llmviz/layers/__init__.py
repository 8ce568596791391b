"""Chapter 5, feed-forward layers and normalisation: the FFN (ReLU and SwiGLU) and the
activations, the residual connection, LayerNorm against BatchNorm and the norm family,
RMSNorm and its variants, where the norm goes (Post-, Pre-, Sandwich-Norm, DeepNorm),
and the whole decoder block. TinyGPT (``llmviz.models``) is built from ``RMSNorm`` and
``SwiGLU``."""

from llmviz.layers.activation_stats import (
    ACTIVATIONS,
    dead_fraction,
    dead_unit_run,
    mean_output,
    saturation,
)
from llmviz.layers.activations import (
    activation,
    derivative,
)
from llmviz.layers.batch_norm import (
    batch_norm,
    padding_shift,
    train_eval_gap,
)
from llmviz.layers.block import (
    STAGES,
    DecoderBlock,
)
from llmviz.layers.deepnorm import (
    deepnorm_constants,
    deepnorm_init_,
)
from llmviz.layers.depth_analysis import (
    compare_losses,
    final_losses,
    gradient_grid,
    last_to_first_gradient,
    loss_curve,
    state_changes,
)
from llmviz.layers.depth_experiment import (
    PLACEMENTS,
    VARIANTS,
    DepthModel,
    byte_ids,
    load_log,
    train_run,
)
from llmviz.layers.ffn import (
    SwiGLU,
)
from llmviz.layers.ffn_classic import (
    ClassicFFN,
    other_tokens_change,
    per_token_change,
)
from llmviz.layers.ffn_params import (
    classic_ffn_parameters,
    ffn_share,
    llama_intermediate_size,
    module_ffn_share,
    swiglu_parameters,
)
from llmviz.layers.normalization import (
    NORM_KINDS,
    LayerNorm,
    group_norm,
    instance_norm,
    layer_norm,
    norm_axes,
    standardize,
    statistic_index,
)
from llmviz.layers.norms import (
    RMSNorm,
)
from llmviz.layers.placement import (
    ResidualBlock,
    apply_placement,
    residual_stack_gradients,
)
from llmviz.layers.rmsnorm_variants import (
    OffsetRMSNorm,
    cast_order_gap,
    rms_norm,
)
from llmviz.layers.update_size import (
    update_size,
)

__all__ = [
    "ACTIVATIONS",
    "ClassicFFN",
    "DecoderBlock",
    "DepthModel",
    "LayerNorm",
    "NORM_KINDS",
    "OffsetRMSNorm",
    "PLACEMENTS",
    "RMSNorm",
    "ResidualBlock",
    "STAGES",
    "SwiGLU",
    "VARIANTS",
    "activation",
    "apply_placement",
    "batch_norm",
    "byte_ids",
    "cast_order_gap",
    "classic_ffn_parameters",
    "compare_losses",
    "dead_fraction",
    "dead_unit_run",
    "deepnorm_constants",
    "deepnorm_init_",
    "derivative",
    "ffn_share",
    "final_losses",
    "gradient_grid",
    "group_norm",
    "instance_norm",
    "last_to_first_gradient",
    "layer_norm",
    "llama_intermediate_size",
    "load_log",
    "loss_curve",
    "mean_output",
    "module_ffn_share",
    "norm_axes",
    "other_tokens_change",
    "padding_shift",
    "per_token_change",
    "residual_stack_gradients",
    "rms_norm",
    "saturation",
    "standardize",
    "state_changes",
    "statistic_index",
    "swiglu_parameters",
    "train_eval_gap",
    "train_run",
    "update_size",
]
