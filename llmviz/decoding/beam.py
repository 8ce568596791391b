"""Beam search, written for any model, following ``transformers`` 5 step for step.

Beam search [graves2012sequence] expands each beam by its top ``2 * num_beams`` tokens,
keeps the best unfinished candidates as the next beams, and stores finished ones with
a length-penalised score. That score is Hugging Face's, ``sum(log p) / n ** alpha``
with ``n`` the generated tokens and ``alpha = length_penalty``; it is not GNMT's
[wu2016gnmt], which divides by ``((5 + n) / 6) ** alpha``. Simplified for clarity: the
whole prefix is run again at every step, and it takes a single prompt.
"""

from __future__ import annotations

import torch
from torch import Tensor

from llmviz._checks import check_int
from llmviz.decoding._validate import check_length_penalty
from llmviz.decoding.search import NextTokenLogits, _check_common, _logits


def _check_beam_arguments(
    num_beams: int,
    length_penalty: float,
    early_stopping: bool | str,
    num_return_sequences: int,
) -> None:
    check_int("num_beams", num_beams, minimum=1)
    check_int("num_return_sequences", num_return_sequences, minimum=1)
    if num_return_sequences > num_beams:
        raise ValueError(
            f"num_return_sequences ({num_return_sequences}) must be <= num_beams "
            f"({num_beams}): beam search keeps only num_beams finished sequences"
        )
    check_length_penalty(length_penalty)
    if not (
        early_stopping is True
        or early_stopping is False
        or (isinstance(early_stopping, str) and early_stopping == "never")
    ):
        raise ValueError(
            f"early_stopping must be True, False or 'never', got {early_stopping!r}"
        )


@torch.no_grad()
def beam_search(
    next_token_logits: NextTokenLogits,
    input_ids: Tensor,
    num_beams: int,
    max_new_tokens: int,
    length_penalty: float = 1.0,
    early_stopping: bool | str = False,
    eos_token_id: int | None = None,
    num_return_sequences: int = 1,
) -> dict:
    """Keep the ``num_beams`` most likely partial sequences; return the best finished.

    A finished hypothesis scores ``sum_i log p(y_i | y_<i) / n ** length_penalty`` with
    ``n`` generated tokens (EOS included). ``early_stopping``: True stops once
    ``num_beams`` hypotheses are finished; False stops when the best running beam, at
    its current length, cannot beat the worst of them; "never" uses the best length it
    could still reach (``max_new_tokens`` when ``length_penalty > 0``).

    Returns ``sequences`` (num_return_sequences, T'), padded with ``eos_token_id``,
    ``sequences_scores`` (num_return_sequences,), and ``tree``: for each step, every
    candidate as a dict of ``parent`` (its beam's index at the previous step),
    ``token``, ``score`` (summed log-probability) and ``status`` ("running",
    "finished" or "pruned"). With ``max_new_tokens=0`` it returns the prompt.

    >>> table = torch.log(torch.tensor([[.01, .54, .44, .01], [.35, .3, .2, .15],
    ...                                 [.05, .04, .06, .85], [.25, .25, .25, .25]]))
    >>> out = beam_search(lambda ids: table[ids[:, -1]], torch.tensor([[0]]), 2, 2)
    >>> out["sequences"], round(out["sequences_scores"].item(), 3)  # greedy: 0, 1, 0
    (tensor([[0, 2, 3]]), -0.492)
    """
    _check_common(next_token_logits, input_ids, max_new_tokens, eos_token_id)
    if input_ids.shape[0] != 1:
        raise ValueError(
            "beam search takes one prompt: input_ids must have shape (1, T), "
            f"got {tuple(input_ids.shape)}"
        )
    _check_beam_arguments(
        num_beams, length_penalty, early_stopping, num_return_sequences
    )
    running_ids = input_ids.long()  # (n_running, T): we start with the prompt alone
    running_scores = torch.zeros(1)  # (n_running,) summed log-probabilities
    finished: list[tuple[Tensor, Tensor]] = []  # (penalised score, ids), best first
    tree: list[list[dict]] = []
    for step in range(1, max_new_tokens + 1):
        logits = _logits(next_token_logits, running_ids, step == 1, eos_token_id)
        log_probs = logits.log_softmax(-1)
        vocab_size = log_probs.shape[-1]
        totals = (log_probs + running_scores[:, None]).flatten()  # (n_running * V,)
        scores, flat = totals.topk(min(2 * num_beams, totals.numel()))  # (K,)
        parents, tokens = flat // vocab_size, flat % vocab_size
        candidates = torch.cat(
            [running_ids[parents], tokens[:, None]], dim=1
        )  # (K, T+1)
        ends = torch.full_like(tokens, step == max_new_tokens, dtype=torch.bool)  # (K,)
        if eos_token_id is not None:
            ends |= tokens == eos_token_id
        status = ["pruned"] * len(tokens)
        # Only the top num_beams candidates may finish; none once full if early_stopping
        if not (early_stopping is True and len(finished) == num_beams):
            penalised = scores / (step**length_penalty)
            for i in torch.nonzero(ends[:num_beams]).flatten().tolist():
                finished.append((penalised[i], candidates[i]))
                status[i] = "finished"
            finished = sorted(finished, key=lambda item: -item[0].item())[:num_beams]
        keep = torch.nonzero(~ends).flatten()[:num_beams]  # best unfinished candidates
        for i in keep.tolist():
            status[i] = "running"
        tree.append(
            [
                {"parent": p, "token": t, "score": s, "status": st}
                for p, t, s, st in zip(
                    parents.tolist(),
                    tokens.tolist(),
                    scores.tolist(),
                    status,
                    strict=True,
                )
            ]
        )
        running_ids, running_scores = candidates[keep], scores[keep]
        if len(keep) == 0 or _done(
            finished,
            running_scores,
            num_beams,
            step,
            max_new_tokens,
            length_penalty,
            early_stopping,
        ):
            break
    return _outputs(input_ids, finished, num_return_sequences, eos_token_id, tree)


def _done(
    finished: list[tuple[Tensor, Tensor]],
    running_scores: Tensor,
    num_beams: int,
    step: int,
    max_new_tokens: int,
    length_penalty: float,
    early_stopping: bool | str,
) -> bool:
    """HF's stopping rule, checked once ``num_beams`` hypotheses are finished."""
    if len(finished) < num_beams:
        return False
    if early_stopping is True:
        return True
    reachable_length = (
        max_new_tokens if early_stopping == "never" and length_penalty > 0 else step
    )
    best_possible = running_scores[0] / (reachable_length**length_penalty)
    return bool(best_possible <= finished[-1][0])


def _outputs(
    input_ids: Tensor,
    finished: list[tuple[Tensor, Tensor]],
    num_return_sequences: int,
    eos_token_id: int | None,
    tree: list[list[dict]],
) -> dict:
    if not finished:  # max_new_tokens == 0: the prompt itself, with score 0
        finished = [(torch.tensor(0.0), input_ids[0].long())] * num_return_sequences
    best = finished[:num_return_sequences]
    length = max(len(ids) for _, ids in best)
    pad = -1 if eos_token_id is None else eos_token_id
    sequences = torch.full((len(best), length), pad, dtype=torch.long)
    for row, (_, ids) in enumerate(best):
        sequences[row, : len(ids)] = ids
    return {
        "sequences": sequences,
        "sequences_scores": torch.stack([score for score, _ in best]),
        "tree": tree,
    }
