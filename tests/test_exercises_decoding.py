"""Chapter 8's checks on decoding accept right answers, written another way than
llmviz's (loops, NumPy, lists, other dtypes, in-place operations on copies), and turn
every wrong one (a usual mistake, a wrong type, NaN, an exception, a hang) into ❌ and
the sentence for it, without giving the answer away."""

from __future__ import annotations

import statistics
from collections import Counter

import numpy as np
import pytest
import torch

import llmviz.exercises._check as harness
from llmviz.decoding.filters import top_p_filter
from llmviz.exercises import check_beam_step, check_majority_vote, check_top_p
from llmviz.exercises.decoding import TOP_P_MISTAKES, _kept, _top_p_cases
from llmviz.exercises.decoding_beam import (
    BEAM_MISTAKES,
    _beam_cases,
    _beam_mistake,
    reference_beam_step,
)
from llmviz.exercises.decoding_vote import VOTE_CASES
from tests.exercise_asserts import (
    assert_accepts,
    assert_names_mistake,
    hangs,
    not_written,
)

NEG_INF = -float("inf")


# top_p_filter: row by row, in plain Python


def top_p(logits, p, stop="reach", at_least_one=True, raw=False, extra=0):
    """A right answer, with switches for the usual mistakes."""
    out = []
    for row in logits.tolist():
        probs = row if raw else torch.tensor(row).double().softmax(-1).tolist()
        ranked = sorted(range(len(row)), key=lambda t: -probs[t])
        kept, mass = set(), 0.0
        for token in ranked:
            if stop == "reach" and mass >= p:
                break
            if stop == "early" and mass + probs[token] > p:
                break
            kept.add(token)
            mass += probs[token]
        for token in ranked[len(kept) : len(kept) + extra]:
            kept.add(token)
        if at_least_one and not kept:
            kept.add(ranked[0])
        out.append([z if t in kept else NEG_INF for t, z in enumerate(row)])
    return torch.tensor(out)


def top_p_hf(logits, p, complement=True):
    """Hugging Face's way: remove from the least likely end while the mass ≤ 1 − p."""
    ascending, order = logits.sort(-1)
    mass = ascending.softmax(-1).cumsum(-1)
    remove = mass <= (1 - p if complement else p)
    remove[..., -1] = False
    return logits.masked_fill(remove.scatter(-1, order, remove), NEG_INF)


def top_p_least_likely(logits, p):
    """Keeps the least likely tokens whose mass stays within p."""
    ascending, order = logits.sort(-1)
    keep = ascending.softmax(-1).cumsum(-1) <= p
    return logits.masked_fill(~keep.scatter(-1, order, keep), NEG_INF)


def top_p_float32(logits, p):
    """Right in exact arithmetic, but its float32 sums reach 1 before the last token."""
    probs, order = logits.softmax(-1).sort(-1, descending=True)
    out = probs.cumsum(-1) - probs >= p
    return logits.masked_fill(out.scatter(-1, order, out), NEG_INF)


def top_p_float64(logits, p):
    return top_p(logits.double(), p).double()


# beam_step: candidates in a list, and a loop


def beam_step(scores, log_probs, num_beams, per_beam=False, add=True, order=True):
    """A right answer, with switches for the usual mistakes."""
    candidates = []
    for beam in range(len(scores)):
        row = [
            ((scores[beam] if add else 0) + log_probs[beam, token], beam, token)
            for token in range(log_probs.shape[1])
        ]
        candidates += [max(row, key=lambda c: c[0])] if per_beam else row
    best = sorted(candidates, key=lambda c: -float(c[0]))[:num_beams]
    if not order:
        best.sort(key=lambda c: (c[1], c[2]))
    new_scores = torch.stack([scores[b] + log_probs[b, t] for _, b, t in best])
    return (
        new_scores,
        torch.tensor([c[1] for c in best]),
        torch.tensor([c[2] for c in best]),
    )


def beam_step_where(scores, log_probs, num_beams):
    """Topk on the (K, V) grid's flat view, unravelled with divmod."""
    totals = scores[:, None] + log_probs
    values, flat = totals.reshape(-1).sort(descending=True)
    parent = torch.div(flat, log_probs.shape[1], rounding_mode="floor")
    token = flat.remainder(log_probs.shape[1])
    return values[:num_beams], parent[:num_beams].int(), token[:num_beams].int()


def beam_step_by_beams(scores, log_probs, num_beams):
    new_scores, parent, token = reference_beam_step(scores, log_probs, num_beams)
    flat = parent * log_probs.shape[1] + token
    return new_scores, flat // len(scores), flat % len(scores)


# majority_vote: counting in a dict, and with Counter


def vote(answers, ties="first"):
    """A right answer, with switches for the usual mistakes."""
    counts = {}
    for answer in answers:
        counts[answer] = counts.get(answer, 0) + 1
    ranked = list(counts)  # in order of first occurrence
    if ties == "smallest":
        ranked = sorted(ranked)
    if ties == "last":
        ranked = ranked[::-1]
    best = ranked[0]
    for answer in ranked:
        if counts[answer] > counts[best]:
            best = answer
    return best


# more correct solutions, in other styles and types


def top_p_numpy(logits, p):
    """NumPy all through, a NumPy array back."""
    z = logits.numpy().astype(np.float64)
    probs = np.exp(z - z.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    order = np.argsort(-probs, axis=-1)
    ranked = np.take_along_axis(probs, order, -1)
    removed = np.cumsum(ranked, -1) - ranked >= p
    removed &= p < 1
    mask = np.zeros_like(removed)
    np.put_along_axis(mask, order, removed, -1)  # back to the vocabulary's order
    return np.where(mask, -np.inf, z)


def top_p_in_place(logits, p):
    """Fills a copy in place, row by row."""
    out = logits.clone()
    kept = top_p(logits, p) > NEG_INF
    for row in range(out.shape[0]):
        out[row][~kept[row]] = NEG_INF
    return out


def beam_step_numpy(scores, log_probs, num_beams):
    """NumPy arrays back, the flat index unravelled with np.unravel_index."""
    totals = scores.numpy()[:, None] + log_probs.numpy()
    flat = np.argsort(-totals, axis=None, kind="stable")[:num_beams]
    parent, token = np.unravel_index(flat, totals.shape)
    return totals.reshape(-1)[flat], parent, token


def beam_step_lists(scores, log_probs, num_beams):
    """Plain Python lists back."""
    new_scores, parent, token = beam_step(scores, log_probs, num_beams)
    return new_scores.tolist(), parent.tolist(), token.tolist()


def vote_numpy(answers):
    """np.unique: gives NumPy scalars (np.int64, np.str_), not Python values."""
    values, first, counts = np.unique(answers, return_index=True, return_counts=True)
    best = counts == counts.max()
    return values[best][np.argmin(first[best])]


@pytest.mark.parametrize(
    ("check", "solution"),
    [
        (check_majority_vote, vote_numpy),
        (check_majority_vote, statistics.mode),  # the first of the modes since 3.8
        (
            check_majority_vote,
            lambda a: torch.tensor(vote(a)) if a[0] != "12" else vote(a),
        ),
        (check_top_p, top_p_numpy),
        (check_top_p, top_p_in_place),
        (check_top_p, lambda z, p: top_p(z, p).tolist()),
        (check_top_p, lambda z, p: top_p(z, p).half()),
        (check_beam_step, beam_step_numpy),
        (check_beam_step, beam_step_lists),
        (check_beam_step, lambda s, lp, n: beam_step(s.double(), lp.double(), n)),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0].half(), r[1], r[2]))(beam_step(s, lp, n)),
        ),
        (check_majority_vote, vote),
        (check_majority_vote, lambda answers: Counter(answers).most_common(1)[0][0]),
        (check_top_p, top_p),
        (check_top_p, top_p_hf),
        (check_top_p, top_p_float64),
        (check_top_p, top_p_filter),
        (check_beam_step, beam_step),
        (check_beam_step, beam_step_where),
        (check_beam_step, lambda s, lp, n: list(reference_beam_step(s, lp, n))),
    ],
)
def test_checks_accept_correct_solutions(check, solution, capsys):
    assert_accepts(check, solution, capsys)


@pytest.mark.parametrize(
    ("check", "wrong", "expected"),
    [
        # top_p_filter
        (
            check_top_p,
            lambda z, p: top_p(z, p, stop="early"),
            "For logits of shape (8, 8) and top_p=0.8: wrong tokens kept. It looks "
            "like you stop one token early",
        ),
        (check_top_p, lambda z, p: top_p(z, p, extra=1), "you keep one token more"),
        (
            check_top_p,
            lambda z, p: top_p(z, p, stop="early", at_least_one=False),
            "you keep no token at all in row",
        ),
        (
            check_top_p,
            lambda z, p: top_p_hf(z, p, complement=False),
            "you add up the probabilities from the least likely token: from that end",
        ),
        (
            check_top_p,
            top_p_least_likely,
            "from the least likely token and keep those",
        ),
        (check_top_p, lambda z, p: top_p(z, p, raw=True), "you add up the logits"),
        (
            check_top_p,
            lambda z, p: z.softmax(-1) * (top_p(z, p) > NEG_INF),
            "You return probabilities",
        ),
        (
            check_top_p,
            lambda z, p: z.softmax(-1).masked_fill(top_p(z, p) == NEG_INF, NEG_INF),
            "You return probabilities",
        ),
        (
            check_top_p,
            lambda z, p: top_p(z, p).log_softmax(-1),
            "right tokens kept, but their values changed",
        ),
        (
            check_top_p,
            lambda z, p: top_p(z, p).masked_fill(z == z.amax(-1, keepdim=True), 0.0),
            "right tokens kept, but their values changed",
        ),
        (
            check_top_p,
            lambda z, p: top_p(z, p, extra=2),
            "wrong tokens kept. In row 0 you keep ",
        ),
        (check_top_p, lambda z, p: top_p(z, p)[0], "should return a tensor of shape"),
        (check_top_p, lambda z, p: top_p(z, p) > NEG_INF, "should return logits"),
        (check_top_p, lambda z, p: top_p(z.sub_(1), p), "changed logits"),
        (check_top_p, top_p_float32, "with top_p=1 every token must stay"),
        (check_top_p, not_written, "Your turn"),
        # beam_step
        (
            check_beam_step,
            lambda s, lp, n: beam_step(s, lp, n, per_beam=True),
            "For 4 beams, V=6 and num_beams=4: It looks like you take the best token "
            "of each beam",
        ),
        (
            check_beam_step,
            lambda s, lp, n: beam_step(s, lp, n, add=False),
            "an extension's score adds its beam's score",
        ),
        (
            check_beam_step,
            lambda s, lp, n: beam_step(s, lp, n, order=False),
            "Right extensions, but not sorted best first",
        ),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0] - s[r[1]], r[1], r[2]))(
                reference_beam_step(s, lp, n)
            ),
            "they leave out the score of the beam",
        ),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0] + 1, r[1], r[2]))(
                reference_beam_step(s, lp, n)
            ),
            "Right extensions, wrong scores. Work out one of them by hand",
        ),
        (
            check_beam_step,
            lambda s, lp, n: reference_beam_step(s, lp, n)[::2] + (None,),
            "should return three tensors, got",
        ),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0], r[2], r[1]))(
                reference_beam_step(s, lp, n)
            ),
            "you swapped parent and token",
        ),
        (check_beam_step, beam_step_by_beams, "do not fit the flat index"),
        (
            check_beam_step,
            lambda s, lp, n: reference_beam_step(s, lp, n)[:2],
            "got tuple of length 2",
        ),
        (
            check_beam_step,
            lambda s, lp, n: reference_beam_step(s, lp, n + 1),
            "should all have shape (4,), got (5,), (5,), (5,)",
        ),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0], r[1].float(), r[2]))(
                reference_beam_step(s, lp, n)
            ),
            "parent and token should hold integer indices",
        ),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0], r[1], r[2].flip(0)))(
                reference_beam_step(s, lp, n)
            ),
            "Wrong extensions. Work out the score of every extension",
        ),
        (
            check_beam_step,
            lambda s, lp, n: reference_beam_step(s.sub_(1), lp, n),
            "changed beam_scores",
        ),
        (
            check_beam_step,
            lambda s, lp, n: reference_beam_step(s, lp.sub_(1), n),
            "changed next_log_probs",
        ),
        (check_beam_step, not_written, "Your turn"),
        # majority_vote
        (
            check_majority_vote,
            lambda answers: vote(answers, ties="smallest"),
            "For answers=[9, 2, 2, 9]: 2 and 9 tie with 2 votes each: of tied answers, "
            "return the one that occurs first",
        ),
        (check_majority_vote, lambda a: vote(a, ties="last"), "tie with"),
        (
            check_majority_vote,
            lambda answers: Counter(answers).most_common(1)[0],
            "return the answer alone",
        ),
        (
            check_majority_vote,
            lambda answers: Counter(answers).most_common(1)[0][1],
            "you return 3, how often the answer occurs",
        ),
        (
            check_majority_vote,
            lambda answers: answers[1],
            "which has 2 votes, but 13 has 3",
        ),
        (check_majority_vote, lambda answers: None, "which is not one of the answers"),
        (check_majority_vote, lambda answers: answers.sort(), "changed answers"),
        (check_majority_vote, not_written, "Your turn"),
        # any return type, NaN, an exception: one sentence each
        (
            check_top_p,
            lambda z, p: top_p(z, p).masked_fill(top_p(z, p) == NEG_INF, 0.0),
            "the removed ones hold 0 instead of −inf: a finite logit keeps some "
            "probability",
        ),
        (
            check_top_p,
            lambda z, p: top_p(z, p).masked_fill(top_p(z, p) == NEG_INF, -1e9),
            "the removed ones hold -1e+09 instead of −inf",
        ),
        (check_top_p, lambda z, p: z * float("nan"), "returned NaN or +inf"),
        (check_top_p, lambda z, p: None, "shape (8, 8), got NoneType"),
        (check_top_p, lambda z, p: "logits", "shape (8, 8), got str"),
        (check_top_p, lambda z, p: (top_p(z, p) > NEG_INF).numpy(), "got bool"),
        (check_top_p, lambda z, p: [[1.0], [1.0, 2.0]], "a list of uneven rows"),
        (check_top_p, lambda z, p: top_p(z, p).numpy()[:, :3], "got (8, 3)"),
        (check_top_p, lambda z, p: 1 / 0, "raised ZeroDivisionError"),
        (check_beam_step, lambda s, lp, n: {"scores": s}, "got dict"),
        (check_beam_step, lambda s, lp, n: None, "got NoneType"),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0] * float("nan"), r[1], r[2]))(
                reference_beam_step(s, lp, n)
            ),
            "new_scores holds NaN or inf",
        ),
        (
            check_beam_step,
            lambda s, lp, n: (lambda r: (r[0], r[1] > 0, r[2]))(
                reference_beam_step(s, lp, n)
            ),
            "integer indices, got torch.bool",
        ),
        (
            check_beam_step,
            lambda s, lp, n: (["a"] * n, [0] * n, [0] * n),
            "should return three tensors, got list, list, list",
        ),
        (check_beam_step, lambda s, lp, n: s[n], "raised IndexError"),
        (check_majority_vote, Counter, "return the answer alone, not a Counter"),
        (check_majority_vote, lambda a: dict(Counter(a)), "not a dict"),
        (
            check_majority_vote,
            lambda a: float(vote(a)),
            "13.0, a float, but the answers are integers",
        ),
        (
            check_majority_vote,
            lambda a: str(vote(a)),
            "'13', a str, but the answers are integers",
        ),
        (
            check_majority_vote,
            lambda a: np.array(a[:2]),
            "return the answer alone, not a ndarray of 2 values",
        ),
        (check_majority_vote, lambda a: float("nan"), "nan, which is not one of the"),
        (check_majority_vote, lambda a: None, "is a return statement missing?"),
        (check_majority_vote, lambda a: a[5], "raised IndexError"),
    ],
)
def test_checks_name_the_mistake(check, wrong, expected, capsys):
    answers = ("softmax(", "topk(", "cumsum(", "sort(", "//", "% V", ".sum(")
    assert_names_mistake(check, wrong, expected, capsys, answers)


def test_the_first_cases_tell_the_mistakes_apart():
    # A hint is looked for in the first case that fails, usually the first one.
    logits, p = _top_p_cases()[0]
    masks = {tuple(_kept(logits, p, m).flatten().tolist()) for m in ["", "no_min"]}
    masks |= {tuple(_kept(logits, p, m).flatten().tolist()) for m in TOP_P_MISTAKES}
    assert len(masks) == 2 + len(TOP_P_MISTAKES)
    assert (logits.softmax(-1).amax(-1) > p).any()  # a row keeps one token only
    assert (_kept(logits, p).sum(-1) > 2).any()
    scores, log_probs, num_beams = _beam_cases()[0]
    outputs = {
        tuple(torch.cat(_beam_mistake(scores, log_probs, num_beams, m)[1:]).tolist())
        for m in BEAM_MISTAKES
    }
    right = torch.cat(reference_beam_step(scores, log_probs, num_beams)[1:])
    assert len(outputs | {tuple(right.tolist())}) == 1 + len(BEAM_MISTAKES)


def test_the_mistakes_start_from_the_right_answers():
    for logits, p in _top_p_cases():
        expected = top_p_filter(logits, p) > NEG_INF
        assert torch.equal(_kept(logits, p), expected)
        assert torch.equal(top_p(logits, p) > NEG_INF, expected)
    for scores, log_probs, num_beams in _beam_cases():
        new_scores, parent, token = reference_beam_step(scores, log_probs, num_beams)
        assert torch.equal(new_scores, new_scores.sort(descending=True).values)
        assert torch.allclose(new_scores, scores[parent] + log_probs[parent, token])


def test_the_cases_cover_what_the_exercises_promise():
    ties = [
        a
        for a in VOTE_CASES
        if list(Counter(a).values()).count(max(Counter(a).values())) > 1
    ]
    assert any(min(Counter(a)) != a[0] for a in ties)  # sorting would pick another
    assert any(isinstance(a[0], str) for a in VOTE_CASES)
    assert any(k == 1 for k, _, _ in _beam_cases_shapes())  # the first step
    assert any(n > k for k, _, n in _beam_cases_shapes())
    assert any(n < k for k, _, n in _beam_cases_shapes())


def _beam_cases_shapes():
    return [(len(s), lp.shape[1], n) for s, lp, n in _beam_cases()]


@pytest.mark.parametrize("check", [check_top_p, check_beam_step, check_majority_vote])
def test_checks_refuse_what_is_not_a_function(check):
    with pytest.raises(TypeError, match="must be callable"):
        check("not a function")


@pytest.mark.parametrize("check", [check_top_p, check_beam_step, check_majority_vote])
def test_a_hang_becomes_feedback(check, monkeypatch, capsys):
    monkeypatch.setattr(harness, "TIME_LIMIT", 0.2)
    assert_names_mistake(check, hangs, "took longer than 0.2 s", capsys, [])


def test_the_right_answer_as_a_numpy_integer_passes(capsys):
    # np.int64(13) == 13 was reported as a tie between 13 and 13.
    def vote_int64(answers):
        answer = vote(answers)
        return np.int64(answer) if isinstance(answer, int) else np.str_(answer)

    assert_accepts(check_majority_vote, vote_int64, capsys)
