"""Perplexity: the exponential of a language model's mean cross-entropy.

A model that gives the true next tokens x_1..x_N the probabilities p(x_i | x_<i) has
the mean cross-entropy (the training loss, in nats per token)

    L = −(1/N) Σ_i ln p(x_i | x_<i)

and the perplexity exp(L) = (Π_i 1/p(x_i | x_<i))^(1/N), the geometric mean of the
inverse probabilities. A model that picks uniformly among k tokens at every step has
L = ln k and a perplexity of exactly k: the perplexity is the number of equally likely
tokens the model is, on average, choosing among (its branching factor).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor

__all__ = ["perplexity"]


def _check_targets(logits: Tensor, targets: Tensor, ignore_index: int) -> Tensor:
    """Integer targets of logits' shape less its last dim, each a token id or
    ``ignore_index``; at least one token counted. Returns the counted mask."""
    check_tensor("targets", targets, floating=False, nonempty=False)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets must have the shape of logits without its last (vocabulary) "
            f"dimension, {tuple(logits.shape[:-1])}, got {tuple(targets.shape)}"
        )
    counted = targets != ignore_index
    if not bool(counted.any()):
        raise ValueError(
            f"targets must hold at least one token that is not ignore_index="
            f"{ignore_index}, got {targets.numel()} ignored (or no) tokens"
        )
    vocab = logits.shape[-1]
    ids = targets[counted]
    if int(ids.min()) < 0 or int(ids.max()) >= vocab:
        raise ValueError(
            f"targets must be token ids in [0, {vocab}) or ignore_index="
            f"{ignore_index}, got ids from {int(ids.min())} to {int(ids.max())}"
        )
    return counted


def perplexity(logits: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
    """exp(mean cross-entropy in nats) of ``logits`` (..., vocab) against ``targets``.

    PPL = exp(−(1/N) Σ_i ln softmax(logits_i)[targets_i]), over the N targets that are
    not ``ignore_index`` (padding, a prompt not scored), as Hugging Face's
    ``labels`` use −100. ``targets[..., i]`` is the token that follows position i, so
    for a model's output on ids (B, T): ``perplexity(logits[:, :-1], ids[:, 1:])``.
    Returns a 0-d float tensor.

    >>> uniform = torch.zeros(5, 4)  # 4 equally likely tokens at each of 5 steps
    >>> round(perplexity(uniform, torch.tensor([0, 3, 1, 2, 2])).item(), 4)
    4.0
    """
    check_tensor("logits", logits)
    if logits.dim() < 2:
        raise ValueError(
            f"logits must have at least 2 dimensions (positions, vocabulary), got "
            f"shape {tuple(logits.shape)}"
        )
    check_int("ignore_index", ignore_index, minimum=None)
    counted = _check_targets(logits, targets, ignore_index)
    log_probs = torch.log_softmax(logits.float(), dim=-1)  # (..., vocab)
    rows, ids = log_probs[counted], targets[counted]  # (N, vocab), (N,)
    return torch.exp(F.nll_loss(rows, ids))
