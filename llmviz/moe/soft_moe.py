"""Two routers that drop nothing: the dense mixture and soft MoE.

A dense mixture sends every token to every expert and weighs their outputs by the
router's softmax, y = Σ_e softmax(z)_e · FFN_e(x): no token is dropped and no expert
idles, but every token pays for all E experts.

Soft MoE [puigcerver2024softmoe] gives each expert s *slots*, and each slot is a
weighted mean of all the tokens. With logits L = X Φ (T, E·s), the dispatch weights
D = softmax over the tokens (each column sums to 1) make the slots X̃ = Dᵀ X; each
expert processes its s slots, and the combine weights C = softmax over the slots
(each row sums to 1) give each token Y = C Ỹ. Every expert is exactly full, and every
token gets an output; but a slot mixes the whole sequence, future tokens included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_callable, check_int
from llmviz.moe._validate import check_router_logits

Expert = Callable[[Tensor], Tensor]


def _check_experts(experts: object, count: int) -> Sequence[Expert]:
    """``experts``: a sequence of ``count`` callables (an nn.ModuleList included)."""
    if not isinstance(experts, (list, tuple, torch.nn.ModuleList)):
        raise TypeError(
            f"experts must be a list of {count} callables, got {type(experts).__name__}"
        )
    if len(experts) != count:
        raise ValueError(f"experts must hold {count} experts, got {len(experts)}")
    for index, expert in enumerate(experts):
        check_callable(f"experts[{index}]", expert)
    return experts


def dense_moe(x: Tensor, router_logits: Tensor, experts: Sequence[Expert]) -> Tensor:
    """y_t = Σ_e softmax(z_t)_e · FFN_e(x_t), every expert for every token: (T, D).

    >>> experts = [lambda h: h, lambda h: 3 * h]
    >>> dense_moe(torch.ones(1, 2), torch.zeros(1, 2), experts).tolist()
    [[2.0, 2.0]]
    """
    x = check_router_logits("x", x, "(T, D)")
    router_logits = check_router_logits("router_logits", router_logits)
    if router_logits.shape[0] != x.shape[0]:
        raise ValueError(
            f"router_logits must have one row per token of x ({x.shape[0]}), "
            f"got shape {tuple(router_logits.shape)}"
        )
    experts = _check_experts(experts, router_logits.shape[-1])
    probs = F.softmax(router_logits.float(), dim=-1).to(x.dtype)  # (T, E)
    outputs = torch.stack([expert(x) for expert in experts], dim=1)  # (T, E, D)
    return torch.einsum("te,ted->td", probs, outputs)


def soft_moe_weights(logits: Tensor) -> tuple[Tensor, Tensor]:
    """(dispatch, combine), both (T, S) for token-slot logits (T, S):
    dispatch = softmax over the tokens (dim 0), combine = softmax over the slots
    (dim 1) [puigcerver2024softmoe].

    >>> dispatch, combine = soft_moe_weights(torch.zeros(2, 4))
    >>> dispatch[:, 0].tolist(), combine[0].tolist()
    ([0.5, 0.5], [0.25, 0.25, 0.25, 0.25])
    """
    logits = check_router_logits("logits", logits, "(T, S)")
    logits = logits.float()
    return F.softmax(logits, dim=0), F.softmax(logits, dim=1)


def soft_moe(
    x: Tensor, phi: Tensor, experts: Sequence[Expert], slots_per_expert: int
) -> dict[str, Tensor]:
    """Soft MoE: slots X̃ = Dᵀ X, Ỹ_slot = FFN_{e(slot)}(X̃_slot), Y = C Ỹ.

    ``x`` (T, D); ``phi`` (D, E·s), the slots' parameters, expert e owning slots
    e·s … e·s + s − 1. Returns ``output`` (T, D), ``dispatch`` and ``combine`` (T, E·s)
    and ``slots`` (E·s, D) [puigcerver2024softmoe].

    >>> out = soft_moe(torch.eye(2), torch.zeros(2, 2), [lambda h: h] * 2, 1)
    >>> out["output"].tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    x = check_router_logits("x", x, "(T, D)")
    phi = check_router_logits("phi", phi, "(D, S)")
    s = check_int("slots_per_expert", slots_per_expert, 1, 2**16)
    if phi.shape[0] != x.shape[-1] or phi.shape[1] % s:
        raise ValueError(
            f"phi must have shape (D, E·s) with D = {x.shape[-1]} and a multiple of "
            f"slots_per_expert = {s} columns, got {tuple(phi.shape)}"
        )
    experts = _check_experts(experts, phi.shape[1] // s)
    dispatch, combine = soft_moe_weights(x @ phi)  # (T, E·s) each
    slots = dispatch.T.to(x.dtype) @ x  # (E·s, D): each a mean of all the tokens
    processed = torch.cat(
        [expert(slots[e * s : (e + 1) * s]) for e, expert in enumerate(experts)]
    )  # (E·s, D)
    output = combine.to(x.dtype) @ processed  # (T, D)
    return {"output": output, "dispatch": dispatch, "combine": combine, "slots": slots}
