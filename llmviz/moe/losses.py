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

from llmviz._checks import check_int, check_real
from llmviz.moe._validate import (
    check_expert_indices,
    check_probabilities,
    check_router_logits,
    check_top_k,
    describe_value,
)


def cv_squared(values: Tensor, eps: float = 1e-10) -> Tensor:
    """The squared coefficient of variation Var(v) / (mean(v)² + eps), a scalar.

    ``values`` is a vector (n,); Var is the population variance (divide by n), so one
    value gives 0. ``eps`` >= 0 keeps equal zeros from dividing 0 by 0.

    >>> cv_squared(torch.tensor([1.0, 1.0, 4.0])).item()
    0.5
    """
    if not isinstance(values, Tensor) or not values.is_floating_point():
        raise TypeError(
            f"values must be a floating tensor, got {describe_value(values)}"
        )
    check_router_logits("values", values, "(n,)")
    eps = check_real("eps", eps, 0, float("inf"), open_max=True)
    if values.numel() < 2:
        return values.new_zeros(())
    return values.var(correction=0) / (values.mean() ** 2 + eps)


def importance_loss(gates: Tensor, weight: float = 1.0) -> Tensor:
    """w · CV(Importance)², Importance_i = Σ_x G(x)_i over the batch [shazeer2017moe].

    ``gates`` (T, E) are gate values in [0, 1]; the weight w is >= 0.

    >>> importance_loss(torch.tensor([[1.0, 0.0], [0.0, 1.0]])).item()
    0.0
    """
    gates = check_probabilities("gates", gates, "(T, E)")
    weight = check_real("weight", weight, 0, float("inf"), open_max=True)
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
    layers = _layers(router_logits)
    num_experts = check_int("num_experts", num_experts, minimum=1)
    if layers[0].shape[-1] != num_experts:
        raise ValueError(
            f"num_experts must equal router_logits.shape[-1] = "
            f"{layers[0].shape[-1]}, got {num_experts}"
        )
    top_k = check_top_k("top_k", top_k, num_experts)
    tokens = layers[0].shape[0]
    mask = _token_mask(attention_mask, tokens).to(layers[0].device)  # (T,)
    logits = torch.cat(layers)  # (L·T, E)
    mask = mask.repeat(len(layers))  # (L·T,), the same mask for every layer
    probs = F.softmax(logits.float(), dim=-1)  # (L·T, E)
    chosen = F.one_hot(torch.topk(probs, top_k, dim=-1).indices, num_experts)
    fraction = (chosen * mask[:, None, None]).sum(dim=0) / mask.sum()  # (k, E)
    mean_prob = (probs * mask[:, None]).sum(dim=0) / mask.sum()  # (E,)
    return num_experts * (fraction * mean_prob).sum()


def _layers(router_logits: object) -> list[Tensor]:
    """The layers' logits, each checked, all of the first one's shape (T, E)."""
    if isinstance(router_logits, Tensor):
        return [check_router_logits("router_logits", router_logits)]
    if not isinstance(router_logits, (list, tuple)):
        got = describe_value(router_logits)
        raise TypeError(
            f"router_logits must be a tensor (T, E) or a list of them, got {got}"
        )
    if len(router_logits) == 0:
        raise ValueError("router_logits must hold at least one layer, got none")
    layers = [
        check_router_logits(f"router_logits[{i}]", z)
        for i, z in enumerate(router_logits)
    ]
    for i, z in enumerate(layers):
        if z.shape != layers[0].shape:
            raise ValueError(
                f"router_logits[{i}] must have the shape of router_logits[0], "
                f"{tuple(layers[0].shape)}, got {tuple(z.shape)}"
            )
    return layers


def _token_mask(attention_mask: object, tokens: int) -> Tensor:
    """The mask (B, S) of 0s and 1s, at least one 1, flattened to (T,) float."""
    if attention_mask is None:
        return torch.ones(tokens)
    if not isinstance(attention_mask, Tensor) or attention_mask.is_complex():
        got = describe_value(attention_mask)
        raise TypeError(f"attention_mask must be a tensor (B, S) or None, got {got}")
    if attention_mask.dim() != 2 or attention_mask.numel() != tokens:
        raise ValueError(
            f"attention_mask must hold one value per token ({tokens}), "
            f"got shape {tuple(attention_mask.shape)}; it is (B, S), with B·S = T"
        )
    mask = attention_mask.reshape(-1).float()
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError("attention_mask must hold only 0 (padding) and 1 (token)")
    if not bool(mask.any()):
        raise ValueError(
            "attention_mask must keep at least one token (a 1), got only padding"
        )
    return mask


def router_z_loss(router_logits: Tensor) -> Tensor:
    """mean over tokens of logsumexp(z)², for logits (T, E) or (G, S, E)
    [zoph2022stmoe].

    >>> round(router_z_loss(torch.zeros(3, 2)).item(), 4)  # (ln 2)²
    0.4805
    """
    if not isinstance(router_logits, Tensor) or not router_logits.is_floating_point():
        got = describe_value(router_logits)
        raise TypeError(f"router_logits must be a floating tensor, got {got}")
    shape = "(G, S, E)" if router_logits.dim() == 3 else "(T, E)"
    check_router_logits("router_logits", router_logits, shape)
    return (torch.logsumexp(router_logits, dim=-1) ** 2).mean()


def switch_load_balancing_loss(router_probs: Tensor, expert_indices: Tensor) -> Tensor:
    """The Switch loss E² · mean over groups g and experts e of f_{g,e} · P_{g,e}.

    ``router_probs`` (G, S, E); ``expert_indices`` (G, S), or (G, S, k) where a token
    counts once for each expert among its k. Uniform routing gives 1 [fedus2022switch].

    >>> switch_load_balancing_loss(torch.full((1, 2, 2), 0.5), torch.tensor([[0, 1]]))
    tensor(1.)
    """
    router_probs = check_probabilities("router_probs", router_probs, "(G, S, E)")
    num_experts = router_probs.shape[-1]
    check_expert_indices("expert_indices", expert_indices, num_experts)
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
    chosen = F.one_hot(expert_indices.long(), num_experts).amax(dim=-2)  # (G, S, E)
    fraction = chosen.float().mean(dim=-2)  # (G, E)
    mean_prob = router_probs.mean(dim=-2)  # (G, E)
    return (fraction * mean_prob).mean() * num_experts**2
