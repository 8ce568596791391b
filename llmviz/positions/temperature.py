"""YaRN's temperature, and the attention logits it scales [peng2024yarn].

YaRN writes attention as softmax(q_m·k_n / (t·√d)) and recommends √(1/t) = 0.1·ln s + 1
for a context s times the pretraining one. It does not divide the logits: it multiplies
cos and sin by m = √(1/t) (Hugging Face's ``attention_factor``), so that the rotated q
and k each carry m and every logit q_m·k_n carries m² = 1/t, at no cost once cos and
sin are cached.
"""

from __future__ import annotations

import math

from torch import Tensor

from llmviz._checks import check_positive_number
from llmviz.positions.rope import apply_rotary_pos_emb
from llmviz.positions.rope_types import yarn_attention_factor


def yarn_temperature(factor: float) -> float:
    """YaRN's t = 1/(0.1·ln s + 1)² for s = ``factor`` > 1, and 1 for s ≤ 1: the logits
    are divided by t, that is multiplied by the square of ``yarn_attention_factor``.

    >>> round(yarn_temperature(4.0), 4)
    0.7713
    """
    factor = check_positive_number("factor", factor)
    return 1.0 / yarn_attention_factor(factor) ** 2


def rotary_logits(q: Tensor, k: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """The attention logits q_m·k_n/√d of every query and key after RoPE,
    (B, H, T_q, d) and (B, H, T_k, d) → (B, H, T_q, T_k); q, cos and sin as for
    ``apply_rotary_pos_emb`` (one length, so queries and keys share the positions).

    >>> import torch
    >>> from llmviz.positions.rope import rope_cos_sin
    >>> q = torch.ones(1, 1, 2, 4)
    >>> cos, sin = rope_cos_sin(torch.arange(2), 4, attention_factor=2.0)
    >>> rotary_logits(q, q, cos[None], sin[None])[0, 0, 0, 0].item()  # 4·(4/√4)
    8.0
    """
    q_rotated, k_rotated = apply_rotary_pos_emb(q, k, cos, sin)  # (B, H, T, d) each
    return q_rotated @ k_rotated.transpose(-1, -2) / math.sqrt(q.shape[-1])
