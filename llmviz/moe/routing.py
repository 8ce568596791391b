"""Routing: which experts each token visits, and with what weights.

A router is one linear layer: its logits (T, E) score each of the E experts for each of
the T tokens. Mixtral takes a softmax in float32, keeps the top k probabilities and
renormalises them to sum to one [jiang2024mixtral]; the Switch Transformer keeps only
the top one, unrenormalised, so its weight is the router's confidence [fedus2022switch].
The older noisy top-k gate adds learned Gaussian noise before choosing, which spreads
the load and makes the chance that an expert is chosen smooth enough to train
[shazeer2017moe].

Top-k then softmax equals softmax then renormalise. Let p = softmax(z) and S the k
largest entries; softmax is increasing, so the top k of p and of z are the same S. For
i in S, p_i / Σ_{j∈S} p_j = (e^{z_i}/Z) / (Σ_{j∈S} e^{z_j}/Z) = e^{z_i} / Σ_{j∈S}
e^{z_j}, the softmax of z over S alone: the partition function Z cancels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_bool, check_int
from llmviz.moe._validate import (
    check_expert_indices,
    check_router_logits,
    check_top_k,
    describe_value,
)

MAX_EXPERTS = 2**20  # a count array of this many experts is still small


def route(
    router_logits: Tensor, num_experts_per_tok: int, norm_topk_prob: bool = True
) -> tuple[Tensor, Tensor]:
    """Mixtral's routing: (weights (T, k) float32, experts (T, k) long).

    w = top_k(softmax(z)), divided by its sum when ``norm_topk_prob``
    [jiang2024mixtral]. k = 1 without renormalising is the Switch router
    [fedus2022switch].

    >>> weights, experts = route(torch.tensor([[0.0, 2.0, 1.0]]), 2)
    >>> experts.tolist(), [round(w, 4) for w in weights[0].tolist()]
    ([[1, 2]], [0.7311, 0.2689])
    """
    router_logits = check_router_logits("router_logits", router_logits)
    k = check_top_k("num_experts_per_tok", num_experts_per_tok, router_logits.shape[-1])
    check_bool("norm_topk_prob", norm_topk_prob)
    probs = F.softmax(router_logits.float(), dim=-1)  # (T, E)
    weights, experts = torch.topk(probs, k, dim=-1)  # (T, k), (T, k)
    if norm_topk_prob:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights, experts


def expert_counts(experts: Tensor, num_experts: int) -> Tensor:
    """How many (token, slot) pairs each expert receives: (num_experts,) long.

    ``experts`` is (T,) or (T, k), as ``route`` returns it, T = 0 included;
    ``num_experts`` is at most ``MAX_EXPERTS``.

    >>> expert_counts(torch.tensor([[0, 2], [2, 1]]), 4).tolist()
    [1, 1, 2, 0]
    """
    num_experts = check_int("num_experts", num_experts, 1, MAX_EXPERTS)
    check_expert_indices("experts", experts, num_experts, nonempty=False)
    if experts.dim() not in (1, 2):
        raise ValueError(
            f"experts must have shape (T,) or (T, k), got {tuple(experts.shape)}"
        )
    return torch.bincount(experts.reshape(-1).long(), minlength=num_experts)


def _check_gate_weights(x: Tensor, w_gate: Tensor, w_noise: Tensor | None) -> None:
    """x (T, D), w_gate (D, E) and w_noise (D, E) or None, all floating tensors."""
    check_router_logits("x", x, "(T, D)")
    check_router_logits("w_gate", w_gate, "(D, E)")
    if w_gate.shape[0] != x.shape[-1]:
        raise ValueError(
            f"w_gate must have shape (D, E) with D = x.shape[-1] = {x.shape[-1]}, "
            f"got {tuple(w_gate.shape)}"
        )
    if w_noise is None:
        return
    check_router_logits("w_noise", w_noise, "(D, E)")
    if w_noise.shape != w_gate.shape:
        raise ValueError(
            f"w_noise must have the shape of w_gate {tuple(w_gate.shape)}, "
            f"got {tuple(w_noise.shape)}"
        )


def smooth_load(clean: Tensor, noisy: Tensor, noise_std: Tensor, k: int) -> Tensor:
    """P(x, i) = Φ((clean_i − kth_excluding(H, k, i)) / std_i), (T, E) [shazeer2017moe].

    The chance that expert i stays in the top k when only its own noise is drawn again.
    Without i, the k-th largest of H is H's (k+1)-th largest if i is in the top k now,
    and H's k-th largest if it is not. Summed over tokens, it is the smooth load.
    """
    if k == noisy.shape[-1]:
        return torch.ones_like(noisy)  # every expert is always chosen
    top = torch.topk(noisy, k + 1, dim=-1).values  # (T, k+1), descending
    if_in, if_out = top[:, k : k + 1], top[:, k - 1 : k]  # (T, 1) each
    threshold = torch.where(noisy > if_in, if_in, if_out)  # (T, E)
    return torch.special.ndtr((clean - threshold) / noise_std)


def noisy_top_k_gating(
    x: Tensor,
    w_gate: Tensor,
    w_noise: Tensor | None,
    num_experts_per_tok: int,
    generator: torch.Generator | None = None,
    train: bool = True,
) -> dict[str, Tensor]:
    """The noisy top-k gate G(x) = softmax(KeepTopK(H(x), k)) [shazeer2017moe].

    H = x·W_g + N(0, 1)·softplus(x·W_noise); KeepTopK sets all but the k largest to −∞.
    Returns ``gates`` (T, E), ``experts`` (T, k), ``clean_logits``, ``noisy_logits``
    and ``noise_std`` (T, E), and ``load`` (E,): Σ_x P(x, i) while training with noise,
    else the count of tokens per expert. There is noise only when ``train`` and
    ``w_noise`` is not None; note that softplus(0) = ln 2, so w_noise = 0 is not
    noise-free.

    >>> out = noisy_top_k_gating(torch.eye(2), torch.eye(2), None, 1)
    >>> out["gates"].tolist(), out["load"].tolist()
    ([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0])
    """
    _check_gate_weights(x, w_gate, w_noise)
    k = check_top_k("num_experts_per_tok", num_experts_per_tok, w_gate.shape[-1])
    if generator is not None and not isinstance(generator, torch.Generator):
        got = describe_value(generator)
        raise TypeError(f"generator must be a torch.Generator or None, got {got}")
    check_bool("train", train)
    clean = x @ w_gate  # (T, E)
    noisy, noise_std = clean, torch.zeros_like(clean)
    with_noise = train and w_noise is not None
    if with_noise:
        noise_std = F.softplus(x @ w_noise)  # (T, E)
        noise = torch.randn(clean.shape, generator=generator, dtype=clean.dtype)
        noisy = clean + noise.to(clean.device) * noise_std
    top_values, experts = torch.topk(noisy, k, dim=-1)  # (T, k)
    kept = torch.full_like(noisy, float("-inf")).scatter(-1, experts, top_values)
    gates = F.softmax(kept, dim=-1)  # (T, E), zero outside the top k
    if with_noise:
        load = smooth_load(clean, noisy, noise_std, k).sum(dim=0)  # (E,)
    else:
        load = expert_counts(experts, w_gate.shape[-1]).to(clean.dtype)
    return {
        "gates": gates,
        "experts": experts,
        "clean_logits": clean,
        "noisy_logits": noisy,
        "noise_std": noise_std,
        "load": load,
    }
