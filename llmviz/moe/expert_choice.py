"""Expert-choice routing, and token-choice top-k with a capacity, on the same logits.

In token choice each token picks its k experts, and an expert may receive more tokens
than it has room for. Expert choice turns the table [zhou2022expertchoice]: with the
router's probabilities S = softmax(X W_r) over the experts, each expert e takes the c
tokens of highest S[:, e], c = T · k / E. Every expert is then exactly full, but a
token may be taken by several experts, or by none. And since an expert ranks all T
tokens of the batch, a token's routing depends on the tokens after it: a model that
decodes one token at a time cannot use it as is.

Ties: among tokens of equal probability an expert takes the earlier ones (a stable
sort), so the result is deterministic.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int
from llmviz.moe._validate import check_router_logits, check_top_k


def expert_choice_capacity(num_tokens: int, num_experts: int, k: int) -> int:
    """c = ⌊T · k / E⌋, at least 1: the tokens each expert takes, so that on average
    a token is processed k times, as in token-choice top-k [zhou2022expertchoice].

    >>> expert_choice_capacity(16, 4, 2)
    8
    """
    num_tokens = check_int("num_tokens", num_tokens, 1, 2**31)
    num_experts = check_int("num_experts", num_experts, 1, 2**20)
    k = check_top_k("k", k, num_experts)
    return max(1, num_tokens * k // num_experts)


def expert_choice_routing(router_logits: Tensor, capacity: int) -> dict[str, Tensor]:
    """Each expert takes its ``capacity`` tokens of highest probability.

    S = softmax(z) over the experts (T, E); expert e takes I_e = top_c(S[:, e]), the
    earlier token first among equals. Returns ``tokens`` (E, c) long, the tokens each
    expert takes, best first; ``weights`` (E, c) float32, S at those places (the
    token's gate for that expert); ``mask`` (T, E) bool, True where e took t; and
    ``experts_per_token`` (T,) long [zhou2022expertchoice].

    >>> z = torch.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 0.0]])
    >>> out = expert_choice_routing(z, 1)
    >>> out["tokens"].tolist(), out["experts_per_token"].tolist()
    ([[0], [1]], [1, 1, 0])
    """
    router_logits = check_router_logits("router_logits", router_logits)
    tokens = router_logits.shape[0]
    capacity = check_int("capacity", capacity, 1)
    if capacity > tokens:
        raise ValueError(
            f"capacity must be at most the number of tokens T = {tokens}, "
            f"got {capacity}"
        )
    probs = F.softmax(router_logits.float(), dim=-1)  # (T, E)
    order = torch.sort(probs.T, dim=-1, descending=True, stable=True).indices  # (E, T)
    chosen = order[:, :capacity]  # (E, c)
    weights = probs.T.gather(-1, chosen)  # (E, c)
    mask = torch.zeros_like(probs, dtype=torch.bool)  # (T, E)
    mask.T.scatter_(-1, chosen, True)
    return {
        "tokens": chosen,
        "weights": weights,
        "mask": mask,
        "experts_per_token": mask.sum(dim=-1),
    }


def top_k_with_capacity(
    router_logits: Tensor, k: int, capacity: int
) -> dict[str, Tensor]:
    """Token-choice top-k, each expert taking at most ``capacity`` (token, choice)
    pairs, first choices first: round j serves every token's j-th choice in sequence
    order, as GShard's dispatch does [lepikhin2021gshard].

    Returns ``mask`` (T, E) bool (the pairs served), ``wanted`` (T, E) bool (the k
    choices), ``load`` (E,) long and ``dropped`` (T,) bool, the tokens none of whose
    choices was served.

    >>> out = top_k_with_capacity(torch.tensor([[2.0, 1.0, 0.0]] * 3), 2, 2)
    >>> out["load"].tolist(), out["dropped"].tolist()
    ([2, 2, 0], [False, False, True])
    """
    router_logits = check_router_logits("router_logits", router_logits)
    num_experts = router_logits.shape[-1]
    k = check_top_k("k", k, num_experts)
    capacity = check_int("capacity", capacity, 1)
    probs = F.softmax(router_logits.float(), dim=-1)  # (T, E)
    choices = torch.topk(probs, k, dim=-1).indices  # (T, k)
    load = torch.zeros(num_experts, dtype=torch.long)
    mask = torch.zeros_like(probs, dtype=torch.bool)  # (T, E)
    for j in range(k):  # round j: every token's j-th choice, in order
        one_hot = F.one_hot(choices[:, j], num_experts)  # (T, E)
        position = load + torch.cumsum(one_hot, dim=0)  # (T, E): place in its queue
        served = (one_hot * (position <= capacity)).bool()  # (T, E)
        mask |= served
        load += served.sum(dim=0)
    wanted = torch.zeros_like(mask).scatter_(-1, choices, True)
    return {"mask": mask, "wanted": wanted, "load": load, "dropped": ~mask.any(-1)}
