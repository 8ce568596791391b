"""Expert capacity: a fixed number of slots per expert, and the tokens that overflow.

Hardware wants fixed shapes, so each expert of the Switch Transformer takes at most
C = ⌊capacity_factor · tokens_per_group / num_experts⌋ tokens from each group (one
sequence, in Hugging Face) [fedus2022switch]. Tokens are served in order: the t-th
token sent to an expert is kept if t ≤ C. The rest are dropped: the layer gives them
zero, and only the residual connection carries them on.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int, check_positive_number
from llmviz.moe._validate import check_router_logits


def expert_capacity(
    tokens_per_group: int, num_experts: int, capacity_factor: float
) -> int:
    """C = max(1, ⌊capacity_factor · tokens_per_group / num_experts⌋) [fedus2022switch].

    The paper writes (tokens / experts) · capacity factor without saying how to round;
    we round down, as Mesh TensorFlow's ``int(...)`` does, and keep at least one slot.
    Hugging Face takes the result as ``SwitchTransformersConfig.expert_capacity``.

    >>> expert_capacity(tokens_per_group=64, num_experts=8, capacity_factor=1.25)
    10
    """
    tokens_per_group = check_int("tokens_per_group", tokens_per_group, minimum=1)
    num_experts = check_int("num_experts", num_experts, minimum=1)
    capacity_factor = check_positive_number("capacity_factor", capacity_factor)
    return max(1, math.floor(capacity_factor * tokens_per_group / num_experts))


def top1_with_capacity(router_logits: Tensor, capacity: int) -> dict[str, Tensor]:
    """Switch top-1 routing with ``capacity`` slots per expert and group.

    For logits (G, S, E): ``expert_index`` (G, S, E) long, one-hot with the overflow
    zeroed (first come, first served along S: cumsum ≤ capacity); ``router_probs``
    (G, S, 1), the largest softmax probability; ``expert`` (G, S), the argmax, kept or
    not; ``dropped`` (G, S) bool. As ``SwitchTransformersTop1Router`` [fedus2022switch].

    >>> out = top1_with_capacity(torch.tensor([[[1.0, 0.0]] * 3]), capacity=2)
    >>> out["dropped"].tolist(), out["expert_index"][0, :, 0].tolist()
    ([[False, False, True]], [1, 1, 0])
    """
    router_logits = check_router_logits("router_logits", router_logits, "(G, S, E)")
    capacity = check_int("capacity", capacity, minimum=1)
    probs = F.softmax(router_logits.float(), dim=-1)  # (G, S, E)
    expert = probs.argmax(dim=-1)  # (G, S)
    one_hot = F.one_hot(expert, router_logits.shape[-1])  # (G, S, E)
    position = torch.cumsum(one_hot, dim=-2)  # (G, S, E): t-th token of its expert
    expert_index = one_hot * (position <= capacity)  # (G, S, E), overflow zeroed
    return {
        "expert_index": expert_index,
        "router_probs": probs.amax(dim=-1, keepdim=True),  # (G, S, 1)
        "expert": expert,
        "dropped": expert_index.sum(dim=-1) == 0,  # (G, S)
    }
