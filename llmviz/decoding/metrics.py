"""Two measures of generated text: how likely the model finds it, and how much it
repeats itself.

``mean_log_prob`` is the model's own score of a continuation, the scorer of best-of-N
and, with ``length_penalty=1``, beam search's. ``distinct_n`` is the share of distinct
n-token windows [li2016diversity]: 1 when no window repeats, small for a loop.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int
from llmviz.decoding._validate import check_ids, check_model_logits, check_vocabulary


@torch.no_grad()
def mean_log_prob(
    logits_fn: Callable[[Tensor], Tensor], ids: Tensor, start: int
) -> Tensor:
    """The average of log p(ids[:, t] | ids[:, :t]) over t ≥ start, per row: (B,).

    ``logits_fn`` maps ids (B, T) to the logits at every position (B, T, V); for
    TinyGPT that is the model itself. ``start`` is where the scored tokens begin, the
    prompt's length, at least 1 (the first token has nothing to be predicted from).
    Every id must lie in the vocabulary of the logits.

    >>> table = torch.log(torch.tensor([[0.5, 0.5], [0.9, 0.1]]))  # bigram model
    >>> ids = torch.tensor([[0, 1, 0]])
    >>> round(mean_log_prob(lambda x: table[x], ids, 1).exp().item() ** 2, 3)  # .5 · .9
    0.45
    """
    check_callable("logits_fn", logits_fn)
    check_ids("ids", ids)
    start = check_int("start", start, minimum=1)
    if start >= ids.shape[1]:
        raise ValueError(
            f"start must be below the length of ids ({ids.shape[1]}), so that some "
            f"token is scored; got {start}"
        )
    batch, length = ids.shape
    logits = logits_fn(ids[:, :-1])  # (B, T - 1, V): position t predicts token t + 1
    check_model_logits("logits_fn", logits, (batch, length - 1))
    check_vocabulary("ids", ids, logits.shape[-1])
    return _mean_log_prob(logits, ids, start)


def _mean_log_prob(logits: Tensor, ids: Tensor, start: int) -> Tensor:
    """mean_log_prob on checked arguments: ``logits`` (B, T - 1, V) predict
    ``ids[:, 1:]``, and the tokens from ``start`` on are scored."""
    log_probs = logits.float().log_softmax(-1)[:, start - 1 :]  # (B, T - start, V)
    chosen = log_probs.gather(-1, ids[:, start:, None].long())  # (B, T - start, 1)
    return chosen[..., 0].mean(-1)  # (B,): the average per row


def distinct_n(ids: Tensor, n: int = 3, start: int = 0) -> float:
    """The share of distinct n-token windows in each row's ids[start:], averaged over
    the rows: 1.0 when no window repeats.

    >>> distinct_n(torch.tensor([[1, 2, 3, 1, 2, 3]]), n=3)  # 3 distinct of 4 windows
    0.75
    """
    check_ids("ids", ids)
    n = check_int("n", n, minimum=1)
    start = check_int("start", start, minimum=0)
    if ids.shape[1] - start < n:
        raise ValueError(
            f"each row needs at least n={n} tokens after start={start}, but ids has "
            f"{ids.shape[1]} in all"
        )
    shares = []
    for row in ids[:, start:].tolist():
        windows = [tuple(row[i : i + n]) for i in range(len(row) - n + 1)]
        shares.append(len(set(windows)) / len(windows))
    return sum(shares) / len(shares)
