"""Greedy decoding, sampling and beam search, written for any model.

Each function takes ``next_token_logits(ids) -> logits``: a callable that maps token ids
``(B, T)`` to the logits of the next token ``(B, V)``. For our TinyGPT that is
``lambda ids: model(ids)[:, -1]``; for a Hugging Face model,
``lambda ids: hf(ids).logits[:, -1]``. Simplified for clarity: the whole prefix is run
again at every step (no KV cache), and beam search takes a single prompt.

Beam search [graves2012sequence; wu2016gnmt] follows ``transformers`` 5 step for step:
expand each beam by its top ``2 * num_beams`` tokens, keep the best unfinished
candidates as the next beams, and store finished ones with the length-penalised score
``sum(log p) / n ** length_penalty``, where ``n`` counts the generated tokens only.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int
from llmviz.decoding.filters import warp

NextTokenLogits = Callable[[Tensor], Tensor]


def _check_input_ids(input_ids: Tensor, single: bool) -> None:
    if not isinstance(input_ids, Tensor) or input_ids.dtype not in (
        torch.int64,
        torch.int32,
    ):
        raise TypeError(f"input_ids must be an integer tensor, got {input_ids!r}")
    if input_ids.ndim != 2 or input_ids.shape[1] == 0:
        raise ValueError(
            f"input_ids must have shape (B, T), got {tuple(input_ids.shape)}"
        )
    if single and input_ids.shape[0] != 1:
        raise ValueError(
            f"beam search takes one prompt: input_ids must have shape (1, T), "
            f"got {tuple(input_ids.shape)}"
        )


def _logits(next_token_logits: NextTokenLogits, ids: Tensor) -> Tensor:
    logits = next_token_logits(ids)
    if (
        not isinstance(logits, Tensor)
        or logits.shape[:1] != ids.shape[:1]
        or logits.ndim != 2
    ):
        raise ValueError(
            f"next_token_logits must return a tensor of shape ({ids.shape[0]}, V), "
            f"got {getattr(logits, 'shape', logits)!r}"
        )
    return logits.float()  # (B, V)


def _extend(
    next_token_logits: NextTokenLogits,
    input_ids: Tensor,
    max_new_tokens: int,
    eos_token_id: int | None,
    choose: Callable[[Tensor], Tensor],
) -> Tensor:
    """Append ``choose(logits (B, V)) -> (B,)`` up to ``max_new_tokens`` times, and
    handle EOS as ``greedy`` describes."""
    check_callable("next_token_logits", next_token_logits)
    _check_input_ids(input_ids, single=False)
    check_int("max_new_tokens", max_new_tokens, minimum=0)
    if eos_token_id is not None:
        check_int("eos_token_id", eos_token_id, minimum=0)
    ids = input_ids.long()
    finished = torch.zeros(ids.shape[0], dtype=torch.bool)  # (B,)
    for _ in range(max_new_tokens):
        next_ids = choose(_logits(next_token_logits, ids))  # (B,)
        if eos_token_id is not None:
            next_ids = torch.where(finished, eos_token_id, next_ids)
            finished |= next_ids == eos_token_id
        ids = torch.cat([ids, next_ids[:, None]], dim=1)  # (B, T + 1)
        if finished.all():
            break
    return ids


@torch.no_grad()
def greedy(
    next_token_logits: NextTokenLogits,
    input_ids: Tensor,
    max_new_tokens: int,
    eos_token_id: int | None = None,
) -> Tensor:
    """Append the most likely token ``max_new_tokens`` times: ``argmax_v p(v | ids)``.

    A row that has produced ``eos_token_id`` is padded with it, and decoding stops once
    every row has (as ``transformers`` does when ``pad_token_id`` is unset).

    >>> table = torch.log(torch.tensor([[0.1, 0.9], [0.8, 0.2]]))  # bigram model
    >>> greedy(lambda ids: table[ids[:, -1]], torch.tensor([[0]]), 4)
    tensor([[0, 1, 0, 1, 0]])
    """
    return _extend(
        next_token_logits,
        input_ids,
        max_new_tokens,
        eos_token_id,
        choose=lambda logits: logits.argmax(dim=-1),
    )


@torch.no_grad()
def sample(
    next_token_logits: NextTokenLogits,
    input_ids: Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    min_p: float | None = None,
    eos_token_id: int | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Draw each next token from the softmax of ``warp(logits, temperature, ...)``.

    One ``torch.multinomial`` draw per step, as ``generate(do_sample=True)`` makes:
    after the same ``torch.manual_seed`` both give the same tokens (with
    ``generator=None``, the global generator). EOS is handled as in ``greedy``.

    >>> table = torch.log(torch.tensor([[0.1, 0.9], [0.8, 0.2]]))  # bigram model
    >>> ids = sample(lambda ids: table[ids[:, -1]], torch.tensor([[0]]), 6, top_k=1)
    >>> ids  # top_k=1 keeps only the most likely token: greedy
    tensor([[0, 1, 0, 1, 0, 1, 0]])
    """
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {generator!r}")
    warp(torch.zeros(1, 2), temperature, top_k, top_p, min_p)  # bad values raise now

    def draw(logits: Tensor) -> Tensor:
        probs = torch.softmax(warp(logits, temperature, top_k, top_p, min_p), dim=-1)
        return torch.multinomial(probs, 1, generator=generator)[:, 0]  # (B,)

    return _extend(next_token_logits, input_ids, max_new_tokens, eos_token_id, draw)


def _check_beam_arguments(
    num_beams: int,
    max_new_tokens: int,
    length_penalty: float,
    early_stopping: bool | str,
    eos_token_id: int | None,
    num_return_sequences: int,
) -> None:
    check_int("num_beams", num_beams, minimum=1)
    check_int("max_new_tokens", max_new_tokens, minimum=0)
    check_int("num_return_sequences", num_return_sequences, minimum=1)
    if num_return_sequences > num_beams:
        raise ValueError(
            f"num_return_sequences ({num_return_sequences}) must be <= num_beams "
            f"({num_beams}): beam search keeps only num_beams finished sequences"
        )
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, numbers.Real):
        raise TypeError(f"length_penalty must be a real number, got {length_penalty!r}")
    if not (
        early_stopping is True or early_stopping is False or early_stopping == "never"
    ):
        raise ValueError(
            f"early_stopping must be True, False or 'never', got {early_stopping!r}"
        )
    if eos_token_id is not None:
        check_int("eos_token_id", eos_token_id, minimum=0)


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
    check_callable("next_token_logits", next_token_logits)
    _check_input_ids(input_ids, single=True)
    _check_beam_arguments(
        num_beams,
        max_new_tokens,
        length_penalty,
        early_stopping,
        eos_token_id,
        num_return_sequences,
    )
    running_ids = input_ids.long()  # (n_running, T): we start with the prompt alone
    running_scores = torch.zeros(1)  # (n_running,) summed log-probabilities
    finished: list[tuple[Tensor, Tensor]] = []  # (penalised score, ids), best first
    tree: list[list[dict]] = []
    for step in range(1, max_new_tokens + 1):
        logits = _logits(next_token_logits, running_ids)  # (n_running, V)
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
