"""Greedy decoding and sampling, written for any model; beam search is in ``beam``.

Each function takes ``next_token_logits(ids) -> logits``: a callable that maps token ids
``(B, T)`` to the logits of the next token ``(B, V)``. For our TinyGPT that is
``lambda ids: model(ids)[:, -1]``; for a Hugging Face model,
``lambda ids: hf(ids).logits[:, -1]``. Simplified for clarity: the whole prefix is run
again at every step (no KV cache).

The model's vocabulary is known only from its logits: the prompt's ids and
``eos_token_id`` are checked against it once the first logits are in.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int
from llmviz.decoding._validate import (
    check_eos,
    check_ids,
    check_model_logits,
    check_vocabulary,
)
from llmviz.decoding.filters import _warp, check_warpers

NextTokenLogits = Callable[[Tensor], Tensor]
MAX_NEW_TOKENS = 100_000  # more would run for hours: no model here needs it


def _check_common(
    next_token_logits: NextTokenLogits,
    input_ids: Tensor,
    max_new_tokens: int,
    eos_token_id: int | None,
) -> None:
    check_callable("next_token_logits", next_token_logits)
    check_ids("input_ids", input_ids)
    check_int("max_new_tokens", max_new_tokens, minimum=0, maximum=MAX_NEW_TOKENS)
    check_eos(eos_token_id)


def _logits(
    next_token_logits: NextTokenLogits,
    ids: Tensor,
    first: bool = False,
    eos_token_id: int | None = None,
) -> Tensor:
    """The model's next-token logits (B, V) as float32; on the ``first`` step, the
    prompt and ``eos_token_id`` are checked against the vocabulary they reveal."""
    logits = check_model_logits(
        "next_token_logits", next_token_logits(ids), (ids.shape[0],)
    )
    if first:
        vocab_size = logits.shape[-1]
        check_vocabulary("input_ids", ids, vocab_size)
        if eos_token_id is not None and eos_token_id >= vocab_size:
            raise ValueError(
                f"eos_token_id must be below the model's vocabulary size {vocab_size}"
                f", got {eos_token_id}"
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
    ids = input_ids.long()
    finished = torch.zeros(ids.shape[0], dtype=torch.bool)  # (B,)
    for step in range(max_new_tokens):
        logits = _logits(next_token_logits, ids, step == 0, eos_token_id)
        next_ids = choose(logits)  # (B,)
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
    _check_common(next_token_logits, input_ids, max_new_tokens, eos_token_id)
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
    _check_common(next_token_logits, input_ids, max_new_tokens, eos_token_id)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {generator!r}")
    warpers = check_warpers(temperature, top_k, top_p, min_p)

    def draw(logits: Tensor) -> Tensor:
        probs = torch.softmax(_warp(logits, *warpers), dim=-1)  # (B, V)
        return torch.multinomial(probs, 1, generator=generator)[:, 0]  # (B,)

    return _extend(next_token_logits, input_ids, max_new_tokens, eos_token_id, draw)
