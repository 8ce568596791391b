"""DeepNorm's constants and initialisation [wang2022deepnet], Table 1.

    x ← LN(α·x + G(x)),   and the FFN, value and output projections start as
    Xavier-normal with gain β (queries and keys with gain 1).

With N encoder and/or M decoder layers:

    encoder-only  (N)   α = (2N)^¼                β = (8N)^-¼
    decoder-only  (M)   α = (2M)^¼                β = (8M)^-¼
    encoder-decoder     encoder α = 0.81 (N⁴M)^1/16,  β = 0.87 (N⁴M)^-1/16
                        decoder α = (3M)^¼,           β = (12M)^-¼

α > 1 up-weights the residual so each layer changes the stream less; β < 1 shrinks
the initial branches, which together bound the model's update by a constant.
"""

from __future__ import annotations

from torch import nn

from llmviz._checks import check_int, check_real

MAX_LAYERS = 100_000
SCALED = ("gate_proj", "up_proj", "down_proj", "fc1", "fc2", "v_proj", "o_proj")
UNSCALED = ("q_proj", "k_proj")


def deepnorm_constants(
    encoder_layers: int = 0, decoder_layers: int = 0
) -> dict[str, tuple[float, float]]:
    """{"encoder"/"decoder": (α, β)} for a stack with these layer counts (Table 1).

    >>> deepnorm_constants(decoder_layers=2)
    {'decoder': (1.414..., 0.5)}
    """
    n = check_int("encoder_layers", encoder_layers, minimum=0, maximum=MAX_LAYERS)
    m = check_int("decoder_layers", decoder_layers, minimum=0, maximum=MAX_LAYERS)
    if n == 0 and m == 0:
        raise ValueError(
            "encoder_layers and decoder_layers are both 0: give at least one stack "
            "a layer count >= 1"
        )
    if m == 0:
        return {"encoder": ((2 * n) ** 0.25, (8 * n) ** -0.25)}
    if n == 0:
        return {"decoder": ((2 * m) ** 0.25, (8 * m) ** -0.25)}
    return {
        "encoder": (0.81 * (n**4 * m) ** (1 / 16), 0.87 * (n**4 * m) ** (-1 / 16)),
        "decoder": ((3 * m) ** 0.25, (12 * m) ** -0.25),
    }


def deepnorm_init_(module: nn.Module, beta: float) -> list[str]:
    """Xavier-normal init of every ``nn.Linear`` in ``module`` whose name ends in one
    of ``SCALED`` with gain β, and of those ending in ``UNSCALED`` with gain 1; biases
    to 0. Draws from torch's global generator (seed it). Returns the β-scaled names.

    >>> from llmviz.layers import SwiGLU
    >>> deepnorm_init_(SwiGLU(4, 8), 0.5)
    ['gate_proj', 'up_proj', 'down_proj']
    """
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"module must be a torch nn.Module, got {type(module).__name__}"
        )
    check_real("beta", beta, 0, 1e3, open_min=True)
    scaled = []
    for name, sub in module.named_modules():
        if not isinstance(sub, nn.Linear):
            continue
        last = name.rsplit(".", 1)[-1]
        if last in SCALED or last in UNSCALED:
            gain = beta if last in SCALED else 1.0
            nn.init.xavier_normal_(sub.weight, gain=gain)
            if sub.bias is not None:
                nn.init.zeros_(sub.bias)
            if last in SCALED:
                scaled.append(name)
    return scaled
