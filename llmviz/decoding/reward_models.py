"""Outcome and process reward models on a checkable task: column addition in steps.

An outcome reward model (ORM) scores a solution by its final answer alone; a process
reward model (PRM) scores each step [uesato2022solving, lightman2023verify]. The task
adds two numbers digit by digit, least significant first: step i writes a digit d_i and
a carry c_i, and is *correct* when d_i + 10 c_i = a_i + b_i + c_{i-1}, with the carry
c_{i-1} the solver itself wrote. A wrong step (probability ``step_error``) slips the
digit by one (mod 10) or flips the carry, so two wrong steps can cancel: a wrong carry
followed by a digit slipped the other way gives the right answer by luck.

Both reward models are simulated, not trained: a label y (1 right, 0 wrong) gets the
score σ(SEPARATION · (2y − 1) + noise · z), z standard normal. Simplified: real reward
models err in ways that depend on the solution, not by independent noise.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_int, check_real
from llmviz._tensor_checks import check_choice, check_tensor

COMBINE_RULES = ("min", "product", "last", "mean")
SEPARATION = 2.0  # a noiseless score: σ(2) ≈ 0.88 for right, σ(−2) ≈ 0.12 for wrong
MAX_DIGITS = 9
MAX_SOLUTIONS = 4_000_000  # problems × N


def combine_steps(step_scores: Tensor, rule: str = "min") -> Tensor:
    """One score per solution from its step scores r_1..r_T in [0, 1] (last dimension).

    min: min_t r_t [wang2024mathshepherd]; product: ∏_t r_t, the chance that every
    step is right if the r_t are independent [lightman2023verify]; last: r_T; mean:
    Σ_t r_t / T.

    >>> combine_steps(torch.tensor([0.9, 0.2, 0.8]), "min")
    tensor(0.2000)
    """
    check_tensor("step_scores", step_scores)
    if step_scores.dim() == 0:
        raise ValueError(
            "step_scores must have a last dimension of steps, got a scalar"
        )
    if float(step_scores.min()) < 0 or float(step_scores.max()) > 1:
        raise ValueError(
            "step_scores must be probabilities in [0, 1], got values from "
            f"{float(step_scores.min()):.4g} to {float(step_scores.max()):.4g}"
        )
    check_choice("rule", rule, COMBINE_RULES)
    if rule == "min":
        return step_scores.amin(dim=-1)
    if rule == "product":
        return step_scores.prod(dim=-1)
    if rule == "last":
        return step_scores[..., -1]
    return step_scores.mean(dim=-1)


def _check_generator(generator: Any) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        kind = type(generator).__name__
        raise TypeError(f"generator must be a torch.Generator, got {kind}")
    return generator


def _check_operand(name: str, value: Any, digits: int) -> Tensor:
    check_tensor(name, value, ranks=(1,), floating=False)
    if int(value.min()) < 0 or int(value.max()) >= 10**digits:
        raise ValueError(
            f"{name} must hold integers in [0, 10**digits) = [0, {10**digits}), got "
            f"values from {int(value.min())} to {int(value.max())}"
        )
    return value


def column_addition(
    a: Tensor,
    b: Tensor,
    n: int,
    step_error: float,
    generator: torch.Generator,
    digits: int = 4,
) -> dict[str, Tensor]:
    """N sampled step-by-step solutions of each a + b (P problems), ``digits`` steps.

    Returns "digits" and "carries" (P, N, digits), least significant first, the bool
    "steps_correct" (P, N, digits), and "answers" (P, N) = Σ_i d_i 10^i + c_last 10^D.

    >>> out = column_addition(torch.tensor([17]), torch.tensor([25]), 1, 0.0,
    ...                       torch.Generator().manual_seed(0), digits=2)
    >>> out["digits"][0, 0].tolist(), out["carries"][0, 0].tolist()
    ([2, 4], [1, 0])
    >>> out["answers"].item()
    42
    """
    digits = check_int("digits", digits, minimum=1, maximum=MAX_DIGITS)
    a, b = _check_operand("a", a, digits), _check_operand("b", b, digits)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a.shape} and {b.shape}"
        )
    n = check_int("n", n, minimum=1, maximum=MAX_SOLUTIONS)
    if len(a) * n > MAX_SOLUTIONS:
        raise ValueError(
            f"problems × n must be at most {MAX_SOLUTIONS:,}, got {len(a)} × {n}"
        )
    step_error = check_real("step_error", step_error, 0, 1)
    _check_generator(generator)
    shape = (len(a), n)
    carry = torch.zeros(shape, dtype=torch.long)
    written, carries, correct = [], [], []
    for i in range(digits):  # the column of 10^i
        column = (a[:, None] // 10**i % 10) + (b[:, None] // 10**i % 10) + carry
        wrong = torch.rand(shape, generator=generator) < step_error
        flip_carry = torch.rand(shape, generator=generator) < 0.5
        slip = torch.where(torch.rand(shape, generator=generator) < 0.5, -1, 1)
        digit, carry = column % 10, column // 10
        digit = torch.where(wrong & ~flip_carry, (digit + slip) % 10, digit)
        carry = torch.where(wrong & flip_carry, 1 - carry, carry)
        written.append(digit), carries.append(carry), correct.append(~wrong)
    digit_t, carry_t = torch.stack(written, -1), torch.stack(carries, -1)  # (P, N, D)
    powers = 10 ** torch.arange(digits)
    answers = (digit_t * powers).sum(-1) + carry_t[..., -1] * 10**digits  # (P, N)
    return {
        "digits": digit_t,
        "carries": carry_t,
        "steps_correct": torch.stack(correct, -1),
        "answers": answers,
    }


def _noisy_scores(name: str, labels: Any, noise: Any, generator: Any) -> Tensor:
    if not isinstance(labels, Tensor) or labels.dtype != torch.bool:
        kind = labels.dtype if isinstance(labels, Tensor) else type(labels).__name__
        raise TypeError(f"{name} must be a bool tensor (True: right), got {kind}")
    if labels.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(labels.shape)}")
    noise = check_real("noise", noise, 0, 100)
    _check_generator(generator)
    z = torch.randn(labels.shape, generator=generator)
    return torch.sigmoid(SEPARATION * (2 * labels.float() - 1) + noise * z)


def outcome_reward(
    answer_correct: Tensor, noise: float, generator: torch.Generator
) -> Tensor:
    """A simulated ORM: one score in (0, 1) per solution, from its final answer alone,
    σ(SEPARATION · (2y − 1) + noise · z) with y = 1 for a right answer.

    >>> outcome_reward(torch.tensor([True, False]), 0.0, torch.Generator())
    tensor([0.8808, 0.1192])
    """
    return _noisy_scores("answer_correct", answer_correct, noise, generator)


def process_reward(
    steps_correct: Tensor, noise: float, generator: torch.Generator
) -> Tensor:
    """A simulated PRM: a score in (0, 1) per step (last dimension), each drawn like
    ``outcome_reward``'s from whether that step is right, independently.

    >>> process_reward(torch.tensor([[True, False]]), 0.0, torch.Generator())
    tensor([[0.8808, 0.1192]])
    """
    return _noisy_scores("steps_correct", steps_correct, noise, generator)


def solution_kinds(steps_correct: Tensor, answer_correct: Tensor) -> dict[str, int]:
    """Count solutions by kind: every step right; the answer right by luck (some step
    wrong); the answer wrong after exactly one wrong step; wrong after more.

    >>> solution_kinds(torch.tensor([[True, True], [False, False], [True, False]]),
    ...                torch.tensor([True, True, False]))
    {'step_perfect': 1, 'lucky': 1, 'one_bad_step': 1, 'wrong_after_more': 0}
    """
    for name, value, rank in (
        ("steps_correct", steps_correct, 1),
        ("answer_correct", answer_correct, 0),
    ):
        if (
            not isinstance(value, Tensor)
            or value.dtype != torch.bool
            or value.dim() < rank
        ):
            raise TypeError(
                f"{name} must be a bool tensor of at least {rank} dimensions"
            )
    if steps_correct.shape[:-1] != answer_correct.shape or steps_correct.numel() == 0:
        raise ValueError(
            "answer_correct must have the shape of steps_correct less its last "
            f"dimension, {tuple(steps_correct.shape[:-1])}, got "
            f"{tuple(answer_correct.shape)}"
        )
    wrong_steps = (~steps_correct).sum(-1)
    perfect = wrong_steps == 0
    return {
        "step_perfect": int(perfect.sum()),
        "lucky": int((answer_correct & ~perfect).sum()),
        "one_bad_step": int((~answer_correct & (wrong_steps == 1)).sum()),
        "wrong_after_more": int((~answer_correct & (wrong_steps > 1)).sum()),
    }
