"""Auxiliary losses that keep a router from sending every token to the same experts.

Shazeer et al. penalise the squared coefficient of variation of each expert's
importance (its summed gates) and of its smooth load [shazeer2017moe]. The Switch
Transformer multiplies, per expert, the fraction of tokens it receives by its mean
router probability, E·Σ_e f_e·P_e, which is 1 when routing is uniform
[fedus2022switch]; Mixtral's version in Hugging Face sums over the k slots, so
balanced top-k routing gives k. The router z-loss, mean(logsumexp(z)²), keeps the
logits small so that float32 and bfloat16 softmaxes stay stable [zoph2022stmoe].
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int
from llmviz.moe.routing import check_router_logits, check_top_k, describe_value


def cv_squared(values: Tensor, eps: float = 1e-10) -> Tensor:
    """The squared coefficient of variation Var(v) / (mean(v)² + eps), a scalar.

    Var is the population variance (divide by n); one value gives 0.

    >>> cv_squared(torch.tensor([1.0, 1.0, 4.0])).item()
    0.5
    """
    if not isinstance(values, Tensor) or not values.is_floating_point():
        raise TypeError(
            f"values must be a floating tensor, got {describe_value(values)}"
        )
    if values.numel() < 2:
        return values.new_zeros(())
    return values.var(correction=0) / (values.mean() ** 2 + eps)


def importance_loss(gates: Tensor, weight: float = 1.0) -> Tensor:
    """w · CV(Importance)², Importance_i = Σ_x G(x)_i over the batch [shazeer2017moe].

    >>> importance_loss(torch.tensor([[1.0, 0.0], [0.0, 1.0]])).item()
    0.0
    """
    gates = check_router_logits("gates", gates)
    return weight * cv_squared(gates.sum(dim=0))  # importance (E,)


def load_loss(load: Tensor, weight: float = 1.0) -> Tensor:
    """w · CV(Load)², with the noisy gate's smooth load Σ_x P(x, i) [shazeer2017moe].

    >>> load_loss(torch.tensor([2.0, 2.0])).item()
    0.0
    """
    return weight * cv_squared(load)


def load_balancing_loss(
    router_logits: Tensor | Sequence[Tensor],
    num_experts: int,
    top_k: int = 2,
    attention_mask: Tensor | None = None,
) -> Tensor:
    """Mixtral's auxiliary loss E · Σ_{k,e} f_{k,e} · P_e, as Hugging Face computes it.

    f_{k,e} is the fraction of tokens whose k-th choice is e, P_e the mean router
    probability of e [fedus2022switch]. Layers, given as a sequence of (T, E), are
    concatenated; ``attention_mask`` (B, S), with B·S = T, leaves out padding (0).

    >>> load_balancing_loss(torch.zeros(4, 4), num_experts=4, top_k=2).item()
    2.0
    """
    layers = [router_logits] if isinstance(router_logits, Tensor) else router_logits
    if len(layers) == 0:
        raise ValueError("router_logits must hold at least one layer, got none")
    logits = torch.cat([check_router_logits("router_logits", z) for z in layers])
    num_experts = check_int("num_experts", num_experts, minimum=1)
    if logits.shape[-1] != num_experts:
        raise ValueError(
            f"num_experts must equal router_logits.shape[-1] = {logits.shape[-1]}, "
            f"got {num_experts}"
        )
    top_k = check_top_k("top_k", top_k, num_experts)
    tokens = layers[0].shape[0]
    mask = torch.ones(tokens, device=logits.device)
    if attention_mask is not None:
        if attention_mask.numel() != tokens:
            raise ValueError(
                f"attention_mask must hold one value per token ({tokens}), "
                f"got shape {tuple(attention_mask.shape)}"
            )
        mask = attention_mask.reshape(-1).float()
    mask = mask.repeat(len(layers))  # (L·T,), the same mask for every layer
    probs = F.softmax(logits.float(), dim=-1)  # (L·T, E)
    chosen = F.one_hot(torch.topk(probs, top_k, dim=-1).indices, num_experts)
    fraction = (chosen * mask[:, None, None]).sum(dim=0) / mask.sum()  # (k, E)
    mean_prob = (probs * mask[:, None]).sum(dim=0) / mask.sum()  # (E,)
    return num_experts * (fraction * mean_prob).sum()


def router_z_loss(router_logits: Tensor) -> Tensor:
    """mean over tokens of logsumexp(z)², for logits (..., E) [zoph2022stmoe].

    >>> round(router_z_loss(torch.zeros(3, 2)).item(), 4)  # (ln 2)²
    0.4805
    """
    if not isinstance(router_logits, Tensor) or not router_logits.is_floating_point():
        got = describe_value(router_logits)
        raise TypeError(f"router_logits must be a floating tensor, got {got}")
    return (torch.logsumexp(router_logits, dim=-1) ** 2).mean()


def switch_load_balancing_loss(router_probs: Tensor, expert_indices: Tensor) -> Tensor:
    """The Switch loss E² · mean over groups g and experts e of f_{g,e} · P_{g,e}.

    ``router_probs`` (G, S, E); ``expert_indices`` (G, S), or (G, S, k) where a token
    counts once for each expert among its k. Uniform routing gives 1 [fedus2022switch].

    >>> switch_load_balancing_loss(torch.full((1, 2, 2), 0.5), torch.tensor([[0, 1]]))
    tensor(1.)
    """
    router_probs = check_router_logits("router_probs", router_probs, "(G, S, E)")
    if not isinstance(expert_indices, Tensor) or expert_indices.is_floating_point():
        got = describe_value(expert_indices)
        raise TypeError(f"expert_indices must be an integer tensor, got {got}")
    if (
        expert_indices.dim() not in (2, 3)
        or expert_indices.shape[:2] != router_probs.shape[:2]
    ):
        raise ValueError(
            f"expert_indices must have shape (G, S) or (G, S, k) with (G, S) = "
            f"{tuple(router_probs.shape[:2])}, got {tuple(expert_indices.shape)}"
        )
    if expert_indices.dim() == 2:
        expert_indices = expert_indices[..., None]  # (G, S, 1)
    num_experts = router_probs.shape[-1]
    chosen = F.one_hot(expert_indices.long(), num_experts).amax(dim=-2)  # (G, S, E)
    fraction = chosen.float().mean(dim=-2)  # (G, E)
    mean_prob = router_probs.mean(dim=-2)  # (G, E)
    return (fraction * mean_prob).mean() * num_experts**2
