"""Overflow tokens: dropped to the residual (Switch), or re-routed to another expert.

With top-1 routing and C slots per expert, a token whose expert is full has two fates:

- **drop** (Switch Transformer [fedus2022switch]): the layer gives it nothing, so the
  residual connection carries it on unchanged, y = x;
- **reroute**: it tries its next choice, in the order of its router probabilities, and
  is dropped only when every expert is full.

Rerouting goes in rounds, so a token's second choice never takes a slot that another
token's first choice would have had: round r serves, in sequence order, the r-th choice
of every token still waiting. Round 1 is exactly the drop policy, so rerouting keeps
every token that dropping keeps, at the same expert, and only adds. A served token's
output is y = x + p_e(x) · FFN_e(x), with p_e the router's probability of the expert e
that served it, as Switch weights its single expert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int
from llmviz.moe._validate import check_router_logits

POLICIES = ("drop", "reroute")


def _check_policy(policy: object) -> str:
    if not isinstance(policy, str) or policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    return policy


def route_overflow(
    router_logits: Tensor, capacity: int, policy: str = "drop"
) -> dict[str, Tensor]:
    """Top-1 routing, ``capacity`` slots per expert and group, overflow by ``policy``.

    Round r (r = 0 for ``drop``, r = 0 … E − 1 for ``reroute``) sends each waiting
    token to its r-th choice; the t-th token to reach an expert with ``load`` tokens
    already is kept if load + t ≤ capacity. For logits (G, S, E): ``expert`` (G, S)
    long, −1 if dropped; ``rank`` (G, S), which choice served it (0: the first), −1 if
    dropped; ``weight`` (G, S), the router probability of the serving expert, 0 if
    dropped; ``dropped`` (G, S) bool; ``load`` (G, E), tokens per expert.

    >>> logits = torch.tensor([[[2.0, 1.0, 0.0]] * 3])  # three tokens, all prefer E0
    >>> route_overflow(logits, 1)["expert"].tolist()
    [[0, -1, -1]]
    >>> route_overflow(logits, 1, "reroute")["expert"].tolist()
    [[0, 1, 2]]
    """
    router_logits = check_router_logits("router_logits", router_logits, "(G, S, E)")
    capacity = check_int("capacity", capacity, minimum=1)
    rounds = router_logits.shape[-1] if _check_policy(policy) == "reroute" else 1
    probs = F.softmax(router_logits.float(), dim=-1)  # (G, S, E)
    order = probs.argsort(dim=-1, descending=True, stable=True)  # choices, best first
    num_experts = probs.shape[-1]
    expert = torch.full(probs.shape[:-1], -1, dtype=torch.long)  # (G, S)
    rank = torch.full_like(expert, -1)
    load = torch.zeros(probs.shape[0], num_experts, dtype=torch.long)  # (G, E)
    for r in range(rounds):
        waiting = expert < 0  # (G, S)
        if not waiting.any():
            break
        choice = order[..., r]  # (G, S)
        sent = F.one_hot(choice, num_experts) * waiting[..., None]  # (G, S, E)
        position = load[:, None, :] + torch.cumsum(sent, dim=-2)  # (G, S, E)
        kept = (sent * (position <= capacity)).sum(dim=-1) > 0  # (G, S)
        expert = torch.where(kept, choice, expert)
        rank = torch.where(kept, r, rank)
        load = load + (sent * kept[..., None]).sum(dim=-2)
    dropped = expert < 0
    weight = probs.gather(-1, expert.clamp(min=0)[..., None]).squeeze(-1)
    return {
        "expert": expert,
        "rank": rank,
        "weight": weight.masked_fill(dropped, 0.0),
        "dropped": dropped,
        "load": load,
    }


def _check_experts(experts: object, num_experts: int) -> Sequence[Callable]:
    if not isinstance(experts, Sequence | torch.nn.ModuleList) or isinstance(
        experts, str
    ):
        kind = type(experts).__name__
        raise TypeError(f"experts must be a sequence of callables, got {kind}")
    if len(experts) != num_experts or not all(callable(e) for e in experts):
        raise ValueError(
            f"experts must hold num_experts = {num_experts} callables (the last "
            f"dimension of router_logits), got {len(experts)} items"
        )
    return experts


def moe_with_residual(
    x: Tensor,
    router_logits: Tensor,
    experts: Sequence[Callable[[Tensor], Tensor]],
    capacity: int,
    policy: str = "drop",
) -> Tensor:
    """y = x + p_e(x) · FFN_e(x) for a token served by expert e; y = x if dropped.

    ``x`` (G, S, D), ``router_logits`` (G, S, E), ``experts`` E callables (N, D) →
    (N, D); routing as ``route_overflow(router_logits, capacity, policy)``.

    >>> x = torch.ones(1, 2, 3)
    >>> logits = torch.zeros(1, 2, 1)  # one expert, one slot: the second token drops
    >>> moe_with_residual(x, logits, [lambda h: 2 * h], 1)[0].tolist()
    [[3.0, 3.0, 3.0], [1.0, 1.0, 1.0]]
    """
    x = check_router_logits("x", x, "(G, S, D)")
    router_logits = check_router_logits("router_logits", router_logits, "(G, S, E)")
    if x.shape[:2] != router_logits.shape[:2]:
        raise ValueError(
            f"x (G, S, D) and router_logits (G, S, E) must agree in G and S, got "
            f"{tuple(x.shape)} and {tuple(router_logits.shape)}"
        )
    experts = _check_experts(experts, router_logits.shape[-1])
    routed = route_overflow(router_logits, capacity, policy)
    out = x.clone()
    for e, expert in enumerate(experts):
        mine = routed["expert"] == e  # (G, S)
        if mine.any():
            weight = routed["weight"][mine][:, None].to(x.dtype)  # (N, 1)
            out[mine] = x[mine] + weight * expert(x[mine])
    return out
