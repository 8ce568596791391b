"""Balancing experts without an auxiliary loss: a bias that only steers the choice.

DeepSeek-V3 scores each expert with an affinity s = sigmoid(z) and adds a per-expert
bias b only to choose the experts: the token goes to top_k(s + b), but the gate
weights are the unbiased affinities of those experts, g_e = s_e / Σ_{chosen} s
[wang2024auxfree, deepseekai2024v3]. After each step the bias moves by a fixed γ
against the load: b_e ← b_e + γ · sign(mean load − load_e), so an overloaded expert
becomes harder to choose and an idle one easier. No gradient flows through b, and no
loss term pulls on the router's weights.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_positive_number
from llmviz.moe._validate import check_router_logits, check_top_k


def _check_bias(bias: object, num_experts: int) -> Tensor:
    bias = check_router_logits("bias", bias, "(E,)")
    if bias.shape[0] != num_experts:
        raise ValueError(
            f"bias must have shape (E,) with E = {num_experts}, got {tuple(bias.shape)}"
        )
    return bias


def biased_top_k(router_logits: Tensor, bias: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """(weights (T, k), experts (T, k)): experts = top_k(sigmoid(z) + b), weights =
    sigmoid(z) at those experts, normalised to sum to 1 [deepseekai2024v3].

    >>> z, b = torch.tensor([[2.0, 0.0]]), torch.tensor([0.0, 1.0])
    >>> weights, experts = biased_top_k(z, b, 1)
    >>> experts.tolist(), weights.tolist()
    ([[1]], [[1.0]])
    """
    router_logits = check_router_logits("router_logits", router_logits)
    bias = _check_bias(bias, router_logits.shape[-1])
    k = check_top_k("k", k, router_logits.shape[-1])
    scores = router_logits.float().sigmoid()  # (T, E)
    experts = torch.topk(scores + bias.float(), k, dim=-1).indices  # (T, k)
    weights = scores.gather(-1, experts)  # (T, k): the bias is not in them
    return weights / weights.sum(dim=-1, keepdim=True), experts


def update_bias(bias: Tensor, load: Tensor, gamma: float) -> Tensor:
    """b + γ · sign(mean(load) − load): down for the busy experts, up for the idle
    ones [wang2024auxfree]. ``load`` is a float tensor (E,). Returns a new tensor.

    >>> update_bias(torch.zeros(3), torch.tensor([5.0, 3.0, 1.0]), 0.1).tolist()
    [-0.10000000149011612, 0.0, 0.10000000149011612]
    """
    bias = check_router_logits("bias", bias, "(E,)")
    load = check_router_logits("load", load, "(E,)")
    if load.shape != bias.shape:
        raise ValueError(
            f"load must have the shape of bias {tuple(bias.shape)}, "
            f"got {tuple(load.shape)}"
        )
    gamma = check_positive_number("gamma", gamma)
    return bias + gamma * torch.sign(load.mean() - load).to(bias.dtype)


def balance_with_bias(router_logits: Tensor, k: int, gamma: float) -> dict[str, Tensor]:
    """Route S batches in turn, updating the bias after each: ``router_logits``
    (S, T, E). Returns ``load`` (S, E), the tokens per expert at each step (before its
    update), and ``bias`` (S + 1, E), starting from zero.

    >>> out = balance_with_bias(torch.tensor([[[1.0, 0.0]] * 4] * 3), 1, 0.1)
    >>> out["load"].tolist()
    [[4, 0], [4, 0], [0, 4]]
    """
    router_logits = check_router_logits("router_logits", router_logits, "(S, T, E)")
    steps, _, num_experts = router_logits.shape
    k = check_top_k("k", k, num_experts)
    gamma = check_positive_number("gamma", gamma)
    bias = torch.zeros(num_experts)
    loads, biases = [], [bias]
    for step in range(steps):
        _, experts = biased_top_k(router_logits[step], bias, k)
        load = torch.bincount(experts.reshape(-1), minlength=num_experts)  # (E,)
        bias = update_bias(bias, load.float(), gamma)
        loads.append(load)
        biases.append(bias)
    return {"load": torch.stack(loads), "bias": torch.stack(biases)}
