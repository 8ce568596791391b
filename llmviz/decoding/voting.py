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

import numbers
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_callable, check_int

WRONG_OFFSETS = (-2, -1, 1, 2)
_OFFSETS = torch.tensor((0, *WRONG_OFFSETS))  # index 0 is the correct answer


def _check_nonempty(name: str, values: Any) -> Sequence:
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        kind = type(values).__name__
        raise TypeError(f"{name} must be a sequence (list or tuple), got {kind}")
    if len(values) == 0:
        raise ValueError(f"{name} must not be empty, got length 0")
    return values


def _check_probability(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return float(value)


def vote_counts(answers: Sequence[Hashable]) -> dict[Hashable, int]:
    """Count each distinct answer, keys in order of first occurrence.

    >>> vote_counts([3, 5, 3])
    {3: 2, 5: 1}
    """
    counts: dict[Hashable, int] = {}
    for answer in _check_nonempty("answers", answers):
        counts[answer] = counts.get(answer, 0) + 1
    return counts


def majority_vote(answers: Sequence[Hashable]) -> Hashable:
    """The most frequent answer; of tied answers, the one that occurs first.

    argmax_a #{i : answer_i = a}, the self-consistency vote [wang2023selfconsistency].

    >>> majority_vote([7, 5, 5, 7])
    7
    """
    counts = vote_counts(answers)
    return max(counts, key=counts.__getitem__)  # max keeps the first of tied keys


def best_of_n(candidates: Sequence[Any], scores: Sequence[float]) -> Any:
    """The candidate with the highest score; of tied candidates, the first.

    >>> best_of_n(["a", "b", "c"], [0.1, 0.9, 0.9])
    'b'
    """
    _check_nonempty("candidates", candidates)
    _check_nonempty("scores", scores)
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
    p_correct = _check_probability("p_correct", p_correct)
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
    p_correct = _check_probability("p_correct", p_correct)
    for n in _check_nonempty("ns", ns):
        check_int("each N in ns", n, minimum=1)
    trials = check_int("trials", trials, minimum=1)
    check_int("seed", seed)
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
            scores = torch.as_tensor(verifier(answers, truths))
            if scores.shape != answers.shape:
                raise ValueError(
                    f"verifier must return scores of shape {tuple(answers.shape)}, "
                    f"got {tuple(scores.shape)}"
                )
        picked = scores.argmax(dim=1, keepdim=True)  # argmax gives the first of ties
        results[n] = {
            "single": (offsets[:, 0] == 0).sum().item() / trials,
            "majority": _majority_correct(offsets).sum().item() / trials,
            "best_of_n": (offsets.gather(1, picked) == 0).sum().item() / trials,
        }
    return results
