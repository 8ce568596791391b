"""Best-of-N with outcome and process reward models against N, on column addition.

The experiment of chapter 8's reward-model section: each sum gets N solutions from
``column_addition``, each scorer of ``reward_models`` picks one, and the share of sums
answered right is compared with the majority vote and the oracle.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int, check_real
from llmviz.decoding.reward_models import (
    COMBINE_RULES,
    MAX_DIGITS,
    MAX_SOLUTIONS,
    column_addition,
    combine_steps,
    outcome_reward,
    process_reward,
    solution_kinds,
)


def _majority_right(answers: Tensor, truths: Tensor) -> Tensor:
    """True where the vote over each row of ``answers`` (P, n) gives ``truths`` (P,);
    of tied answers the one that comes first wins, as in ``majority_vote``."""
    votes = (answers[:, :, None] == answers[:, None, :]).sum(-1)  # (P, n): each one's
    first_top = votes.argmax(-1, keepdim=True)  # argmax returns the first of ties
    return answers.gather(1, first_top)[:, 0] == truths


def reward_accuracy_against_n(
    ns: list[int],
    digits: int = 4,
    step_error: float = 0.2,
    orm_noise: float = 1.0,
    prm_noise: float = 1.0,
    trials: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Best-of-N accuracy on ``trials`` random sums for each scorer, N in ``ns``.

    Each sum gets max(ns) solutions from ``column_addition``; best-of-N uses the first
    N, so the curves share their samples. Scorers: the ORM, the PRM combined by each of
    ``COMBINE_RULES``, the majority vote, and the oracle (right if any of the N answers
    is). Returns {"accuracy": {N: {scorer: share right}}, "kinds": ``solution_kinds``
    of all the solutions, "lucky_orm_pass" and "lucky_prm_min_flag": the share of
    lucky solutions scored above 1/2 by the ORM and below 1/2 by the PRM's min,
    "one_bad_step_located": the share of one-bad-step solutions whose lowest step
    score is at the wrong step}.

    >>> out = reward_accuracy_against_n([1, 8], trials=50, orm_noise=0.0)
    >>> out["accuracy"][8]["orm"] == out["accuracy"][8]["oracle"]
    True
    """
    if not isinstance(ns, (list, tuple)) or len(ns) == 0:
        raise TypeError(f"ns must be a non-empty list of integers, got {ns!r:.60}")
    for n in ns:
        check_int("each N in ns", n, minimum=1, maximum=10_000)
    trials = check_int("trials", trials, minimum=1, maximum=MAX_SOLUTIONS)
    if trials * max(ns) > MAX_SOLUTIONS:
        raise ValueError(
            f"trials × max(ns) must be at most {MAX_SOLUTIONS:,}, got "
            f"{trials} × {max(ns)}"
        )
    digits = check_int("digits", digits, minimum=1, maximum=MAX_DIGITS)
    step_error = check_real("step_error", step_error, 0, 1)
    orm_noise = check_real("orm_noise", orm_noise, 0, 100)
    prm_noise = check_real("prm_noise", prm_noise, 0, 100)
    generator = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    a, b = torch.randint(0, 10**digits, (2, trials), generator=generator)
    out = column_addition(a, b, max(ns), step_error, generator, digits)
    truths = a + b
    right = out["answers"] == truths[:, None]  # (P, N)
    step_scores = process_reward(
        out["steps_correct"], prm_noise, generator
    )  # (P, N, D)
    scores = {"orm": outcome_reward(right, orm_noise, generator)}
    scores |= {
        f"prm_{rule}": combine_steps(step_scores, rule) for rule in COMBINE_RULES
    }
    accuracy = {}
    for n in ns:
        picked = {name: s[:, :n].argmax(1, keepdim=True) for name, s in scores.items()}
        row = {name: _share(right.gather(1, i)) for name, i in picked.items()}
        row["majority"] = _share(_majority_right(out["answers"][:, :n], truths))
        row["oracle"] = _share(right[:, :n].any(1))
        accuracy[n] = row
    wrong_steps = (~out["steps_correct"]).sum(-1)  # (P, N)
    lucky = right & (wrong_steps > 0)
    one_bad = ~right & (wrong_steps == 1)
    lowest = step_scores.argmin(-1, keepdim=True)  # the step the PRM doubts most
    located = out["steps_correct"].gather(-1, lowest)[..., 0] == 0
    return {
        "accuracy": accuracy,
        "kinds": solution_kinds(out["steps_correct"], right),
        "lucky_orm_pass": _share(scores["orm"][lucky] > 0.5),
        "lucky_prm_min_flag": _share(scores["prm_min"][lucky] < 0.5),
        "one_bad_step_located": _share(located[one_bad]),
    }


def _share(hits: Tensor) -> float:
    """The share of True in ``hits`` (0 when it is empty)."""
    return hits.float().mean().item() if hits.numel() else 0.0
