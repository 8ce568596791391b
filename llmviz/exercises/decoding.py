"""Checks for the exercises of chapter 8, decoding.

Each helper runs the reader's function on seeded random inputs, compares it with
llmviz's own, and names the most likely mistake when they differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.decoding.filters import top_p_filter
from llmviz.decoding.voting import majority_vote, vote_counts
from llmviz.exercises._check import CheckResult, call_keeping_input, report

TOP_P_CASES = [
    (8, 8, 0.8, 2.5),
    (4, 20, 0.9, 1.0),
    (5, 12, 0.3, 3.0),
    (3, 30, 0.95, 1.0),
    (4, 2048, 1.0, 3.0),  # keeps everything, though float sums may reach 1 early
]
# (B, V, top_p, scale of the logits)
BEAM_CASES = [(4, 6, 4), (3, 5, 3), (1, 7, 3), (2, 9, 5), (5, 4, 2)]  # (K, V, beams)


def _shape(value: Any) -> Any:
    return tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__


# top_p_filter


def _top_p_cases() -> list[tuple[Tensor, float]]:
    """(logits (B, V), top_p) for each case, seeded, far from ties and from top_p.

    A row is drawn again while two probabilities nearly tie or the probability of the
    tokens more likely than one of them nearly equals top_p: so no rounding, nor any
    order among tied tokens, decides which tokens are kept. With top_p = 1 every
    token is kept, whatever the row.
    """
    generator = torch.Generator().manual_seed(0)
    cases = []
    for batch, vocab, top_p, scale in TOP_P_CASES:
        rows = []
        while len(rows) < batch:
            row = scale * torch.randn(vocab, generator=generator)
            probs = row.double().softmax(-1).sort(descending=True).values
            before = probs.cumsum(-1) - probs  # mass of the more likely tokens
            gaps = probs[:-1] - probs[1:]
            if top_p >= 1 or (
                gaps.min() > 1e-6 and (before - top_p).abs().min() > 1e-3
            ):
                rows.append(row)
        cases.append((torch.stack(rows), top_p))
    return cases


def _kept(logits: Tensor, top_p: float, mistake: str = "") -> Tensor:
    """The tokens kept (B, V) bool, or those one of ``TOP_P_MISTAKES`` keeps."""
    z = logits.double()
    values = z if mistake.startswith("logits") else z.softmax(-1)
    descending = mistake in ("", "fewer", "no_min", "more", "logits")
    order = values.argsort(-1, descending=descending)
    sorted_values = values.gather(-1, order)
    upto = sorted_values.cumsum(-1)  # (B, V) including each token
    before = upto - sorted_values
    keep = {
        "": before < top_p,
        "logits": (before < top_p).int().cumprod(-1).bool(),  # stops once reached
        "fewer": upto <= top_p,
        "no_min": upto <= top_p,
        "more": before < top_p,  # and one token past it, below
        "ascending": upto > top_p,  # removes while the ascending mass is <= top_p
        "ascending_kept": upto <= top_p,  # keeps the least likely tokens
        "logits_hf": upto > 1 - top_p,
    }[mistake]
    if mistake == "more":  # one token past the one that brings the mass to top_p
        first_out = (~(before < top_p)).int().argmax(-1, keepdim=True)
        keep = (before < top_p).scatter(-1, first_out, True)
    if mistake not in ("no_min", "ascending_kept"):
        best = 0 if descending else -1
        keep[..., best] = True  # the most likely token always stays
    return keep.scatter(-1, order, keep)


TOP_P_MISTAKES = {
    "fewer": "you stop one token early: keep adding the most likely tokens until "
    "their probability reaches top_p, the token that gets there included",
    "more": "you keep one token more than needed: stop as soon as the probability "
    "of the kept tokens reaches top_p",
    "ascending": "you add up the probabilities from the least likely token: from "
    "that end the removed tokens hold 1 − top_p, not top_p",
    "ascending_kept": "you add up the probabilities from the least likely token and "
    "keep those: top-p keeps the most likely ones",
    "logits": "you add up the logits: add up the probabilities instead",
    "logits_hf": "you add up the logits: add up the probabilities instead",
}
PROBABILITIES = (
    "You return probabilities: return the logits, the removed ones set to −inf."
)


def _looks_like_probabilities(got: Tensor, logits: Tensor, top_p: float) -> bool:
    """Whether ``got`` is one of the usual ways to return probabilities."""
    probs = logits.double().softmax(-1)
    kept = _kept(logits, top_p)
    masked = probs * kept
    renormalised = masked / masked.sum(-1, keepdim=True)
    inf = torch.tensor(-float("inf"), dtype=torch.float64)
    forms = [probs, masked, renormalised]
    forms += [masked.where(kept, inf), renormalised.where(kept, inf)]
    got = got.detach().double()
    return any(
        torch.equal(got.isneginf(), form.isneginf())
        and torch.allclose(
            got.masked_fill(got.isneginf(), 0), form.masked_fill(form.isneginf(), 0)
        )
        for form in forms
    )


def _top_p_hint(kept: Tensor, logits: Tensor, top_p: float) -> str:
    """The mistake whose kept tokens match the reader's, if one does."""
    for mistake, hint in TOP_P_MISTAKES.items():
        if torch.equal(kept, _kept(logits, top_p, mistake)):
            return f"It looks like {hint}."
    expected = ~top_p_filter(logits, top_p).isneginf()
    row = int((kept != expected).any(-1).int().argmax())
    count, vocab = int(kept[row].sum()), logits.shape[-1]
    mass = float((logits[row].double().softmax(-1) * kept[row]).sum())
    return (
        f"In row {row} you keep {count} of the {vocab} tokens, of probability "
        f"{mass:.3f} in all: work through that row by hand."
    )


def check_top_p(top_p_filter_fn: Callable[[Tensor, float], Any]) -> CheckResult:
    """Check ``top_p_filter(logits, top_p)``: nucleus sampling's filter on logits
    (B, V), returning them with every removed token set to −inf. A row keeps the
    smallest set of its most likely tokens whose probabilities add up to at least
    top_p, and always at least one token [holtzman2020curious], as Hugging Face's
    ``TopPLogitsWarper`` does and llmviz's ``top_p_filter`` with min_tokens_to_keep=1.

    The cases avoid ties, and sums that land close to top_p, so neither the order of
    tied tokens nor rounding matters.

    >>> def top_p_filter(logits, top_p):
    ...     probs, order = logits.double().softmax(-1).sort(-1, descending=True)
    ...     before = probs.cumsum(-1) - probs  # the mass of the more likely tokens
    ...     out = (before >= top_p) & (top_p < 1)
    ...     return logits.masked_fill(out.scatter(-1, order, out), -float("inf"))
    >>> assert check_top_p(top_p_filter)
    ✅ Correct: ...
    """
    check_callable("top_p_filter", top_p_filter_fn)
    for logits, top_p in _top_p_cases():
        got, failure = call_keeping_input(top_p_filter_fn, "logits", logits, top_p)
        if failure:
            return report(False, failure)
        where = f"For logits of shape {tuple(logits.shape)} and top_p={top_p}"
        if not isinstance(got, Tensor) or got.shape != logits.shape:
            return report(
                False,
                f"{where}, top_p_filter should return a tensor of shape "
                f"{tuple(logits.shape)}, got {_shape(got)}.",
            )
        if not got.is_floating_point():
            return report(
                False, f"{where}, top_p_filter should return logits, got {got.dtype}."
            )
        if _looks_like_probabilities(got, logits, top_p):
            return report(False, f"{where}: {PROBABILITIES}")
        kept = ~got.isneginf()
        empty = (~kept.any(-1)).nonzero().flatten().tolist()
        if empty:
            return report(
                False,
                f"{where}, you keep no token at all in row {empty[0]}: top-p always "
                "keeps at least the most likely token.",
            )
        expected = ~top_p_filter(logits, top_p, min_tokens_to_keep=1).isneginf()
        if top_p >= 1 and not kept.all():
            return report(
                False,
                f"{where}, you remove {int((~kept).sum())} tokens: with top_p=1 every "
                "token must stay. Summed in floating point, the probabilities can "
                "reach 1 before the last token: never remove a token when top_p is 1.",
            )
        if not torch.equal(kept, expected):
            hint = _top_p_hint(kept, logits, top_p)
            return report(False, f"{where}: wrong tokens kept. {hint}")
        if not torch.allclose(got[kept].double(), logits[kept].double(), atol=1e-6):
            return report(
                False,
                f"{where}: right tokens kept, but their values changed: leave the "
                "logits of the kept tokens as they are.",
            )
    return report(True, "Correct: your filter keeps the tokens HF's does, every case.")


# beam_step


def reference_beam_step(
    beam_scores: Tensor, next_log_probs: Tensor, num_beams: int
) -> tuple[Tensor, Tensor, Tensor]:
    """One step of beam search: the ``num_beams`` best extensions (beam, token).

    Each of the K beams (scores (K,)) extended by each of the V tokens (log-probs
    (K, V)) scores beam_scores[b] + next_log_probs[b, t]; return the best scores
    (num_beams,), best first, their beams ``parent`` and their ``token``. This is the
    core of each step of ``llmviz.decoding.search.beam_search``, without its handling
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


def _beam_failure(got: Any, num_beams: int, where: str) -> str | None:
    """What is wrong with the kind or shape of the reader's (scores, parent, token)."""
    length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
    if not length or len(got) != 3:
        kind = type(got).__name__
        return (
            "beam_step should return three tensors (new_scores, parent, token), "
            f"got {kind}{length}."
        )
    if not all(isinstance(value, Tensor) for value in got):
        shown = ", ".join(str(_shape(value)) for value in got)
        return f"beam_step should return three tensors, got {shown}."
    shapes = [tuple(value.shape) for value in got]
    if any(shape != (num_beams,) for shape in shapes):
        return (
            f"{where}, new_scores, parent and token should all have shape "
            f"({num_beams},), got {', '.join(map(str, shapes))}."
        )
    scores, parent, token = got
    if not scores.is_floating_point():
        return f"{where}, new_scores should be floating point, got {scores.dtype}."
    if parent.is_floating_point() or token.is_floating_point():
        return (
            f"{where}, parent and token should hold integer indices, got "
            f"{parent.dtype} and {token.dtype}."
        )
    return None


def _beam_hint(
    got: tuple[Tensor, Tensor, Tensor],
    beam_scores: Tensor,
    log_probs: Tensor,
    num_beams: int,
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
            scores.double().sort().values, expected.double().sort().values
        ):
            return "Right extensions, but not sorted best first."
        if torch.allclose(scores.double(), log_probs[parent, token].double()):
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
    next_log_probs (K, V), to score beam_scores[b] + next_log_probs[b, t]. Return the
    num_beams best extensions, best first, as (new_scores (num_beams,), parent
    (num_beams,), token (num_beams,)), parent and token integer tensors. This is each
    step of ``llmviz.decoding.search.beam_search`` without its handling of EOS.

    >>> def beam_step(beam_scores, next_log_probs, num_beams):
    ...     candidates = [
    ...         (score + log_p, beam, token)
    ...         for beam, (score, row) in enumerate(zip(beam_scores, next_log_probs))
    ...         for token, log_p in enumerate(row)
    ...     ]
    ...     best = sorted(candidates, key=lambda c: -c[0])[:num_beams]
    ...     scores, parent, token = zip(*best)
    ...     return torch.stack(scores), torch.tensor(parent), torch.tensor(token)
    >>> assert check_beam_step(beam_step)
    ✅ Correct: ...
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
        failure = _beam_failure(got, num_beams, where)
        if failure:
            return report(False, failure)
        scores, parent, token = got
        parent, token = parent.long(), token.long()
        expected, expected_parent, expected_token = reference_beam_step(*args)
        if not (
            torch.equal(parent, expected_parent)
            and torch.equal(token, expected_token)
            and torch.allclose(scores.double(), expected.double(), atol=1e-5)
        ):
            hint = _beam_hint((scores, parent, token), *args)
            return report(False, f"{where}: {hint}")
    return report(True, "Correct: your step keeps the extensions beam search does.")


# majority_vote

VOTE_CASES = [
    [13, 15, 13, 17, 15, 13],
    ["12", "13", "13", "12", "13"],
    [42],
    [9, 2, 2, 9],  # a tie: 9 occurs first, though 2 is smaller
    [4, 6, 6, 4, 1, 1],  # three-way tie
    [8, 1, 1, 8, 8, 1, 5],  # 1 reaches 3 votes last: the first-occurring 8 wins
]


def check_majority_vote(vote: Callable[[list], Any]) -> CheckResult:
    """Check ``majority_vote(answers)``: the most frequent answer in a non-empty list,
    and of tied answers the one that occurs first in the list, the vote of
    self-consistency [wang2023selfconsistency]. Answers are anything hashable, such as
    ints or strings.

    >>> def vote(answers):
    ...     return max(answers, key=answers.count)  # max keeps the first of ties
    >>> assert check_majority_vote(vote)
    ✅ Correct: ...
    """
    check_callable("majority_vote", vote)
    for answers in VOTE_CASES:
        got, failure = call_keeping_input(vote, "answers", list(answers))
        if failure:
            return report(False, failure)
        expected, counts = majority_vote(answers), vote_counts(answers)
        where = f"For answers={answers}"
        if got == expected and type(got) is type(expected):
            continue
        if isinstance(got, (tuple, list)):
            hint = "return the answer alone, not a tuple or list"
        elif got == counts[expected] and got not in counts:
            hint = f"you return {got}, how often the answer occurs: return the answer"
        elif got in counts and counts[got] == counts[expected]:
            hint = (
                f"{got!r} and {expected!r} tie with {counts[got]} votes each: of "
                "tied answers, return the one that occurs first in answers (a set, "
                "or sorting, loses that order)"
            )
        elif got in counts:
            hint = (
                f"you return {got!r}, which has {counts[got]} votes, but "
                f"{expected!r} has {counts[expected]}"
            )
        else:
            hint = f"you return {got!r}, which is not one of the answers"
        return report(False, f"{where}: {hint}.")
    return report(True, "Correct: your vote picks the answer self-consistency does.")
