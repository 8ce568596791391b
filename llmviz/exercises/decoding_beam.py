"""The check of chapter 8's beam-search exercise: one step, the best extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.exercises._check import CheckResult, call_keeping_input, report

BEAM_CASES = [(4, 6, 4), (3, 5, 3), (1, 7, 3), (2, 9, 5), (5, 4, 2)]  # (K, V, beams)


def reference_beam_step(
    beam_scores: Tensor, next_log_probs: Tensor, num_beams: int
) -> tuple[Tensor, Tensor, Tensor]:
    """One step of beam search: the ``num_beams`` best extensions (beam, token).

    Each of the K beams (scores (K,)) extended by each of the V tokens (log-probs
    (K, V)) scores beam_scores[b] + next_log_probs[b, t]; return the best scores
    (num_beams,), best first, their beams ``parent`` and their ``token``. This is the
    core of each step of ``llmviz.decoding.beam.beam_search``, without its handling
    of EOS (which looks at 2 · num_beams candidates so that enough remain running).
    """
    vocab_size = next_log_probs.shape[-1]
    totals = (beam_scores[:, None] + next_log_probs).flatten()  # (K * V,)
    scores, flat = totals.topk(num_beams)  # sorted, best first
    return scores, flat // vocab_size, flat % vocab_size


def _beam_cases() -> list[tuple[Tensor, Tensor, int]]:
    """(beam_scores (K,), next_log_probs (K, V), num_beams) for each case, seeded."""
    generator = torch.Generator().manual_seed(0)
    cases = []
    for beams, vocab, num_beams in BEAM_CASES:
        scores = -(2 * torch.rand(beams, generator=generator)).sort().values
        logits = 2 * torch.randn(beams, vocab, generator=generator)
        cases.append((scores, logits.log_softmax(-1), num_beams))
    return cases


def _beam_mistake(
    scores: Tensor, log_probs: Tensor, num_beams: int, mistake: str
) -> tuple[Tensor, Tensor, Tensor] | None:
    """What one of ``BEAM_MISTAKES`` returns, or None where it cannot."""
    beams, vocab = log_probs.shape
    totals = scores[:, None] + log_probs  # (K, V)
    if mistake == "per_beam":  # each beam's best token, then the best beams
        if num_beams > beams:
            return None
        best, token = totals.max(-1)
        best, parent = best.topk(num_beams)
        return best, parent, token[parent]
    if mistake == "no_score":
        _, flat = log_probs.flatten().topk(num_beams)
        parent, token = flat // vocab, flat % vocab
        return totals[parent, token], parent, token
    best, parent, token = reference_beam_step(scores, log_probs, num_beams)
    if mistake == "swapped":
        return best, token, parent
    flat = parent * vocab + token
    return best, flat // beams, flat % beams  # "by_beams"


BEAM_MISTAKES = {
    "per_beam": "you take the best token of each beam: the best extensions may "
    "come from the same beam, and some beams may have none",
    "no_score": "you rank the extensions by the new token's log-probability alone: "
    "an extension's score adds its beam's score",
    "swapped": "you swapped parent and token",
    "by_beams": "parent and token do not fit the flat index: the scores of a beam "
    "are V consecutive entries, one per token",
}


def _as_tensor(value: Any) -> Tensor | None:
    """A tensor, NumPy array or list of numbers as a tensor of its dtype, or None."""
    if isinstance(value, Tensor):
        return value.detach()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged
        return None
    return torch.from_numpy(array) if array.dtype.kind in "biuf" else None


def _beam_outputs(
    got: Any, num_beams: int, where: str
) -> tuple[tuple[Tensor, Tensor, Tensor] | None, str]:
    """The reader's (new_scores float64, parent long, token long), or (None, the
    sentence that says what is wrong with their kind, shape or values)."""
    length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
    if not length or len(got) != 3:
        kind = type(got).__name__
        return None, (
            "beam_step should return three tensors (new_scores, parent, token), "
            f"got {kind}{length}."
        )
    values = [_as_tensor(value) for value in got]
    if any(value is None for value in values):
        shown = ", ".join(type(value).__name__ for value in got)
        return None, f"beam_step should return three tensors, got {shown}."
    shapes = [tuple(value.shape) for value in values]
    if any(shape != (num_beams,) for shape in shapes):
        return None, (
            f"{where}, new_scores, parent and token should all have shape "
            f"({num_beams},), got {', '.join(map(str, shapes))}."
        )
    scores, parent, token = values
    if not scores.is_floating_point():
        return (
            None,
            f"{where}, new_scores should be floating point, got {scores.dtype}.",
        )
    if not bool(torch.isfinite(scores).all()):
        return (
            None,
            f"{where}, new_scores holds NaN or inf: each is a sum of two numbers.",
        )
    if any(v.is_floating_point() or v.dtype == torch.bool for v in (parent, token)):
        return None, (
            f"{where}, parent and token should hold integer indices, got "
            f"{parent.dtype} and {token.dtype}."
        )
    return (scores.double(), parent.long(), token.long()), ""


def _tolerance(scores: Any, expected: Tensor) -> float:
    """1e-5, or what a half-precision new_scores can hold."""
    dtype = getattr(scores, "dtype", None)
    if isinstance(dtype, torch.dtype) and dtype in (torch.float16, torch.bfloat16):
        eps = torch.finfo(dtype).eps
    elif isinstance(dtype, np.dtype) and dtype == np.float16:
        eps = float(np.finfo(np.float16).eps)
    else:
        return 1e-5
    return max(1e-5, 2 * eps * expected.abs().max().item())


def _beam_hint(
    got: tuple[Tensor, Tensor, Tensor],
    beam_scores: Tensor,
    log_probs: Tensor,
    num_beams: int,
    atol: float,
) -> str:
    """The mistake whose output matches the reader's, if one does."""
    scores, parent, token = got
    for mistake, hint in BEAM_MISTAKES.items():
        wrong = _beam_mistake(beam_scores, log_probs, num_beams, mistake)
        if wrong is not None and all(
            torch.equal(a, b) for a, b in zip((parent, token), wrong[1:], strict=True)
        ):
            return f"It looks like {hint}."
    beams, vocab = log_probs.shape
    if parent.min() < 0 or parent.max() >= beams:
        return f"parent should lie in 0..{beams - 1}."
    if token.min() < 0 or token.max() >= vocab:
        return f"token should lie in 0..{vocab - 1}."
    expected, expected_parent, expected_token = reference_beam_step(
        beam_scores, log_probs, num_beams
    )
    pairs = sorted(zip(parent.tolist(), token.tolist(), strict=True))
    right = sorted(zip(expected_parent.tolist(), expected_token.tolist(), strict=True))
    if pairs == right:
        if torch.allclose(
            scores.sort().values, expected.double().sort().values, atol=atol
        ):
            return "Right extensions, but not sorted best first."
        if torch.allclose(scores, log_probs[parent, token].double(), atol=atol):
            return (
                "Right extensions, wrong scores: they leave out the score of the "
                "beam each one extends."
            )
        return "Right extensions, wrong scores. Work out one of them by hand."
    return "Wrong extensions. Work out the score of every extension of a small case."


def check_beam_step(beam_step: Callable[[Tensor, Tensor, int], Any]) -> CheckResult:
    """Check ``beam_step(beam_scores, next_log_probs, num_beams)``: one step of beam
    search [graves2012sequence]. Each of the K beams, of summed log-probability
    beam_scores (K,), extends by each of the V tokens, of log-probabilities
    next_log_probs (K, V), to score beam_scores[b] + next_log_probs[b, t]. The step
    gives the num_beams best extensions, best first, as three tensors of shape
    (num_beams,): new_scores, parent (the beam each extends) and token (the token it
    adds), the last two integers; end tokens are left aside. Neither input may change.
    Tensors, NumPy arrays or lists may come back.
    """
    check_callable("beam_step", beam_step)
    for beam_scores, log_probs, num_beams in _beam_cases():
        args, log_probs_before = (beam_scores, log_probs, num_beams), log_probs.clone()
        got, failure = call_keeping_input(beam_step, "beam_scores", *args)
        if failure is None and not torch.equal(log_probs, log_probs_before):
            failure = "Your function changed next_log_probs: leave it as it is."
        if failure:
            return report(False, failure)
        beams, vocab = log_probs.shape
        where = f"For {beams} beams, V={vocab} and num_beams={num_beams}"
        outputs, failure = _beam_outputs(got, num_beams, where)
        if outputs is None:
            return report(False, failure)
        scores, parent, token = outputs
        expected, expected_parent, expected_token = reference_beam_step(*args)
        atol = _tolerance(got[0], expected)
        if not (
            torch.equal(parent, expected_parent)
            and torch.equal(token, expected_token)
            and torch.allclose(scores, expected.double(), atol=atol)
        ):
            hint = _beam_hint(outputs, *args, atol)
            return report(False, f"{where}: {hint}")
    return report(True, "Correct: your step keeps the extensions beam search does.")
