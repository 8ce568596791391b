"""Best-of-N and self-consistency: sample N answers, then pick one.

Self-consistency [wang2023selfconsistency] samples N reasoning paths and returns the
most frequent final answer (a majority vote). Best-of-N scores each of N candidates
with a verifier or reward model and returns the highest scoring one. Both are pure
here: ties go to the answer or candidate that comes first, so a result never depends
on dictionary or sort order.

The toy task ``noisy_adder`` is a "sampler" for a + b that is right with probability
p and otherwise off by one of ``WRONG_OFFSETS``; with only four wrong answers, wrong
answers collide, which is what can make a majority vote pick a wrong one.
Simplified: real samples are not independent and real verifiers are not perfect.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int
from llmviz.decoding._validate import check_probability, is_real

WRONG_OFFSETS = (-2, -1, 1, 2)
_OFFSETS = torch.tensor((0, *WRONG_OFFSETS))  # index 0 is the correct answer
MAX_N = 100_000  # samples per question
MAX_DRAWS = 10_000_000  # trials × N: about 400 MB for the vote's counting


def _check_nonempty(name: str, values: Any) -> Sequence:
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        kind = type(values).__name__
        raise TypeError(f"{name} must be a sequence (list or tuple), got {kind}")
    if len(values) == 0:
        raise ValueError(f"{name} must not be empty, got length 0")
    return values


def vote_counts(answers: Sequence[Hashable]) -> dict[Hashable, int]:
    """Count each distinct answer, keys in order of first occurrence.

    >>> vote_counts([3, 5, 3])
    {3: 2, 5: 1}
    """
    counts: dict[Hashable, int] = {}
    for answer in _check_nonempty("answers", answers):
        try:
            counts[answer] = counts.get(answer, 0) + 1
        except TypeError:  # unhashable: a list, a dict, a tensor with grad...
            raise TypeError(
                "answers must hold hashable values (numbers, strings, tuples), got "
                f"{answer!r} of type {type(answer).__name__}"
            ) from None
    return counts


def majority_vote(answers: Sequence[Hashable]) -> Hashable:
    """The most frequent answer; of tied answers, the one that occurs first.

    argmax_a #{i : answer_i = a}, the self-consistency vote [wang2023selfconsistency].

    >>> majority_vote([7, 5, 5, 7])
    7
    """
    counts = vote_counts(answers)
    return max(counts, key=counts.__getitem__)  # max keeps the first of tied keys


def _check_scores(scores: Any) -> list[float]:
    """Real numbers, none NaN: a sequence, or a 1-D tensor or array."""
    if isinstance(scores, (Tensor, np.ndarray)):
        if scores.ndim != 1:
            raise ValueError(f"scores must be 1-D, got shape {tuple(scores.shape)}")
        scores = scores.tolist()
    values = []
    for score in _check_nonempty("scores", scores):
        if isinstance(score, complex) or not is_real(score):
            raise TypeError(
                f"scores must hold real numbers, got {score!r} of type "
                f"{type(score).__name__}"
            )
        values.append(float(score))
        if math.isnan(values[-1]):
            raise ValueError("scores must not hold NaN: NaN cannot be ranked")
    return values


def best_of_n(candidates: Sequence[Any], scores: Sequence[float]) -> Any:
    """The candidate with the highest score; of tied candidates, the first.

    ``scores`` holds real numbers (bools count as 0 and 1), ±inf allowed, NaN not.

    >>> best_of_n(["a", "b", "c"], [0.1, 0.9, 0.9])
    'b'
    """
    _check_nonempty("candidates", candidates)
    scores = _check_scores(scores)
    if len(candidates) != len(scores):
        raise ValueError(
            "candidates and scores must have the same length, got "
            f"{len(candidates)} candidates and {len(scores)} scores"
        )
    best = max(range(len(scores)), key=lambda i: scores[i])
    return candidates[best]


def _sample_offsets(p_correct: float, shape: tuple, generator: torch.Generator):
    """Indices into ``_OFFSETS``: 0 with probability p, else uniform over 1..4."""
    correct = torch.rand(shape, generator=generator) < p_correct
    wrong = torch.randint(1, len(_OFFSETS), shape, generator=generator)
    return torch.where(correct, 0, wrong)


def noisy_adder(a: int, b: int, p_correct: float, generator: torch.Generator) -> int:
    """Answer a + b with probability p_correct, else a + b + one of ``WRONG_OFFSETS``.

    >>> noisy_adder(2, 3, 1.0, torch.Generator().manual_seed(0))
    5
    """
    check_int("a", a)
    check_int("b", b)
    p_correct = check_probability("p_correct", p_correct)
    if not isinstance(generator, torch.Generator):
        kind = type(generator).__name__
        raise TypeError(f"generator must be a torch.Generator, got {kind}")
    index = _sample_offsets(p_correct, (), generator)
    return a + b + int(_OFFSETS[index])


def _majority_correct(offsets: Tensor) -> Tensor:
    """Vectorised ``majority_vote`` on rows of offset indices; True where it is 0."""
    trials, n = offsets.shape
    classes = len(_OFFSETS)
    one_hot = offsets.unsqueeze(-1) == torch.arange(classes)  # (trials, N, classes)
    counts = one_hot.sum(dim=1)  # (trials, classes)
    position = torch.arange(n).view(1, n, 1).expand(trials, n, classes)
    first = torch.where(one_hot, position, n).amin(dim=1)  # first occurrence, or N
    key = counts * (n + 1) - first  # more votes wins; among ties, earlier wins
    return key.argmax(dim=1) == 0


def _verifier_scores(scores: Any, shape: torch.Size) -> Tensor:
    """What the verifier returned, as a real tensor of ``shape`` without NaN."""
    try:
        scores = torch.as_tensor(scores)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"verifier must return a tensor of scores, got {type(scores).__name__}"
        ) from None
    if scores.shape != shape or scores.is_complex():
        raise ValueError(
            f"verifier must return real scores of shape {tuple(shape)}, got "
            f"{scores.dtype} of shape {tuple(scores.shape)}"
        )
    if scores.is_floating_point() and bool(scores.isnan().any()):
        raise ValueError("verifier returned NaN scores, which cannot be ranked")
    return scores


def accuracy_against_n(
    p_correct: float,
    ns: Sequence[int],
    trials: int = 500,
    seed: int = 0,
    verifier: Callable[[Tensor, Tensor], Tensor] | None = None,
) -> dict[int, dict[str, float]]:
    """Accuracy of one sample, majority vote and best-of-N on ``noisy_adder`` sums.

    For each N, ``trials`` problems a + b each get N samples. ``verifier(answers,
    truths)`` gets answers of shape (trials, N) and truths (trials, 1) and returns
    scores (trials, N); None is a perfect verifier, so best-of-N is right with
    probability 1 − (1 − p)^N. Seeded with a torch.Generator: reruns are identical.

    >>> accuracy_against_n(1.0, [1, 4], trials=10)[4]
    {'single': 1.0, 'majority': 1.0, 'best_of_n': 1.0}
    """
    p_correct = check_probability("p_correct", p_correct)
    for n in _check_nonempty("ns", ns):
        check_int("each N in ns", n, minimum=1, maximum=MAX_N)
    trials = check_int("trials", trials, minimum=1, maximum=MAX_DRAWS)
    if trials * max(ns) > MAX_DRAWS:
        raise ValueError(
            f"trials × N must be at most {MAX_DRAWS:,} (memory), got trials={trials} "
            f"and the largest N in ns {max(ns)}"
        )
    check_int("seed", seed, minimum=0, maximum=2**64 - 1)
    if verifier is not None:
        check_callable("verifier", verifier)
    generator = torch.Generator().manual_seed(seed)
    results: dict[int, dict[str, float]] = {}
    for n in ns:
        truths = torch.randint(0, 100, (trials, 2), generator=generator).sum(1, True)
        offsets = _sample_offsets(p_correct, (trials, n), generator)
        answers = truths + _OFFSETS[offsets]
        if verifier is None:
            scores = (answers == truths).float()
        else:
            scores = _verifier_scores(verifier(answers, truths), answers.shape)
        picked = scores.argmax(dim=1, keepdim=True)  # argmax gives the first of ties
        results[n] = {
            "single": (offsets[:, 0] == 0).sum().item() / trials,
            "majority": _majority_correct(offsets).sum().item() / trials,
            "best_of_n": (offsets.gather(1, picked) == 0).sum().item() / trials,
        }
    return results
