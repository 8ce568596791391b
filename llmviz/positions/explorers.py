"""What chapter 6's live explorers compute, kept here so that they are tested.

``scaled_wavelengths`` is the explorer of RoPE's scalings: each pair's wavelength
under one ``rope_type``, beside the training length.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from llmviz._checks import check_int, check_positive_number, check_real
from llmviz._tensor_checks import check_choice
from llmviz.positions._checks import MAX_LENGTH, check_even
from llmviz.positions.rope_scaling import rope_parameters

EXPLORED_TYPES = ("default", "linear", "dynamic", "yarn", "llama3")  # one factor each
MAX_FACTOR = 1e6  # far beyond any model's, and s·L stays an exact integer


def scaled_wavelengths(
    rope_type: str,
    factor: float,
    beta_fast: float,
    beta_slow: float,
    rope_theta: float,
    *,
    head_dim: int = 64,
    original_max_position_embeddings: int = 128,
) -> dict[str, Tensor]:
    """Each pair's wavelength 2π/θ_i (head_dim/2,) under ``rope_type``, and the
    training length L = ``original_max_position_embeddings`` as a flat line.

    ``factor`` s is the new length over L. As in HF, ``dynamic`` takes L as its
    ``max_position_embeddings`` and scales by the current length, drawn here at
    seq_len = s·L, where α = s·seq_len/L − (s − 1) = s² − s + 1. ``beta_fast`` and
    ``beta_slow`` only matter for ``yarn``. The first key names the type and its
    attention factor.

    >>> curves = scaled_wavelengths("dynamic", 2.0, 32.0, 1.0, 10000.0, head_dim=8)
    >>> list(curves)
    ['dynamic at seq_len 256 (attention factor 1.000)', 'training length 128']
    """
    check_choice("rope_type", rope_type, EXPLORED_TYPES)
    factor = check_real("factor", factor, 0.0, MAX_FACTOR, open_min=True)
    beta_fast = check_positive_number("beta_fast", beta_fast)
    beta_slow = check_positive_number("beta_slow", beta_slow)
    head_dim = check_even("head_dim", head_dim)
    length = check_int(
        "original_max_position_embeddings",
        original_max_position_embeddings,
        minimum=1,
        maximum=MAX_LENGTH,
    )
    arguments: dict = {} if rope_type == "default" else {"factor": factor}
    name = rope_type
    if rope_type in ("yarn", "llama3"):
        arguments["original_max_position_embeddings"] = length
    if rope_type == "yarn":
        arguments |= {"beta_fast": beta_fast, "beta_slow": beta_slow}
    if rope_type == "dynamic":
        seq_len = max(1, math.ceil(factor * length))
        arguments |= {"max_position_embeddings": length, "seq_len": seq_len}
        name = f"dynamic at seq_len {seq_len}"
    inv_freq, attention_factor = rope_parameters(
        head_dim, rope_theta, rope_type, **arguments
    )
    return {
        f"{name} (attention factor {attention_factor:.3f})": 2 * math.pi / inv_freq,
        f"training length {length}": torch.full((head_dim // 2,), float(length)),
    }
