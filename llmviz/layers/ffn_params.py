"""How many parameters a feed-forward layer has, and what share of a model they make.

    classic FFN (d → i → d, biases):   2·d·i + i + d
    SwiGLU (gate, up, down; no bias):  3·d·i

A classic FFN of width 4d has 8d² weights; SwiGLU has three matrices instead of two, so
the same 8d² buys it a width of 8d²/(3d) = (8/3)·d [shazeer2020glu]. Llama rounds that
width up to a multiple of ``multiple_of`` after scaling it by ``ffn_dim_multiplier``
[touvron2023llama]:

    i = multiple_of · ⌈ int(ffn_dim_multiplier · int(2·4d/3)) / multiple_of ⌉
"""

from __future__ import annotations

from typing import Any

from torch import nn

from llmviz._checks import check_bool, check_int, check_real
from llmviz.moe.params import parameter_counts

MAX_SIZE = 1 << 20


def classic_ffn_parameters(
    hidden_size: int, intermediate_size: int, bias: bool = True
) -> int:
    """2·d·i weights, plus i + d biases when ``bias``.

    >>> classic_ffn_parameters(512, 2048)  # the original Transformer's base model
    2099712
    """
    d = check_int("hidden_size", hidden_size, 1, MAX_SIZE)
    i = check_int("intermediate_size", intermediate_size, 1, MAX_SIZE)
    return 2 * d * i + (i + d if check_bool("bias", bias) else 0)


def swiglu_parameters(hidden_size: int, intermediate_size: int) -> int:
    """3·d·i: the gate, up and down projections, no biases.

    >>> swiglu_parameters(4096, 11008)  # one Llama-2-7B layer
    135266304
    """
    d = check_int("hidden_size", hidden_size, 1, MAX_SIZE)
    return 3 * d * check_int("intermediate_size", intermediate_size, 1, MAX_SIZE)


def llama_intermediate_size(
    hidden_size: int, multiple_of: int = 256, ffn_dim_multiplier: float | None = None
) -> int:
    """The SwiGLU width Llama's reference code derives from d: (8/3)·d, scaled by
    ``ffn_dim_multiplier`` when given, rounded up to a multiple of ``multiple_of``.

    >>> llama_intermediate_size(4096)  # Llama-2-7B
    11008
    >>> llama_intermediate_size(4096, 1024, 1.3)  # Llama-3-8B
    14336
    """
    d = check_int("hidden_size", hidden_size, 1, MAX_SIZE)
    step = check_int("multiple_of", multiple_of, 1, MAX_SIZE)
    width = int(2 * 4 * d / 3)
    if ffn_dim_multiplier is not None:
        name, value = "ffn_dim_multiplier", ffn_dim_multiplier
        scale = check_real(name, value, 0, 16, open_min=True)
        width = int(scale * width)
    return step * -(-width // step)  # ceiling division


def ffn_share(config: Any) -> dict[str, float]:
    """The feed-forward weights' share of a model's parameters, from its config (a
    dict or a Hugging Face config, counted by ``llmviz.moe.params.parameter_counts``):
    of all parameters, and of those one token uses (a mixture of experts runs k of E).

    >>> from llmviz.moe.params import MODEL_CONFIGS
    >>> share = ffn_share(MODEL_CONFIGS["Llama-2-7B"])
    >>> round(share["total"], 3), share["total"] == share["active"]
    (0.642, True)
    """
    counts = parameter_counts(config)  # checks every field it reads
    experts = counts["experts"]
    used = experts - (counts["total"] - counts["active"])
    return {"total": experts / counts["total"], "active": used / counts["active"]}


def module_ffn_share(model: nn.Module) -> float:
    """The share of ``model``'s parameters held in its modules named ``mlp`` (where
    Hugging Face and TinyGPT keep the feed-forward layer), counted with ``numel``.

    >>> from llmviz.models import TinyGPT, TinyGPTConfig
    >>> round(module_ffn_share(TinyGPT(TinyGPTConfig())), 3)
    0.562
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    total = sum(p.numel() for p in model.parameters())
    if total == 0:
        raise ValueError("model must have parameters, got none")
    ffn = sum(
        p.numel()
        for name, module in model.named_modules()
        if name.rsplit(".", 1)[-1] == "mlp"
        for p in module.parameters()
    )
    return ffn / total
