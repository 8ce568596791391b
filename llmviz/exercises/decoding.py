"""Checks for the exercises of chapter 8, decoding: the nucleus (top-p) filter here,
one step of beam search in ``decoding_beam``, the vote in ``decoding_vote``.

Each helper runs the reader's function on seeded random inputs, compares it with
llmviz's own, and names the most likely mistake when they differ. Whatever the function
does (any return type or dtype, NaN, an exception, a hang) becomes ✅ or ❌ and one
sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz._checks import check_callable
from llmviz.decoding.filters import top_p_filter
from llmviz.exercises._check import CheckResult, call_keeping_input, report
from llmviz.exercises.decoding_beam import check_beam_step
from llmviz.exercises.decoding_vote import check_majority_vote

__all__ = ["check_beam_step", "check_majority_vote", "check_top_p"]

TOP_P_CASES = [
    (8, 8, 0.8, 2.5),
    (4, 20, 0.9, 1.0),
    (5, 12, 0.3, 3.0),
    (3, 30, 0.95, 1.0),
    (4, 2048, 1.0, 3.0),  # keeps everything, though float sums may reach 1 early
]
# (B, V, top_p, scale of the logits)


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


FILLED = (
    "right tokens kept, but the removed ones hold {value} instead of −inf: a finite "
    "logit keeps some probability after the softmax, so set them to −inf."
)


def _precision(result: Any) -> float:
    """The machine epsilon of a half-precision result, else 0."""
    dtype = getattr(result, "dtype", None)
    if isinstance(dtype, torch.dtype) and dtype in (torch.float16, torch.bfloat16):
        return torch.finfo(dtype).eps
    if isinstance(dtype, np.dtype) and dtype == np.float16:
        return float(np.finfo(np.float16).eps)
    return 0.0


def _as_logits(
    got: Any, shape: tuple[int, ...], where: str
) -> tuple[Tensor | None, str]:
    """The reader's result as float64 logits of ``shape``, −inf allowed, or (None, the
    sentence saying why not): a tensor, a NumPy array or a nested list."""
    expected = f"{where}, top_p_filter should return a tensor of shape {shape}"
    if isinstance(got, Tensor):
        out = got.detach()
        if not out.is_floating_point():
            return None, f"{where}, top_p_filter should return logits, got {out.dtype}."
    elif isinstance(got, (np.ndarray, list, tuple)):
        try:
            array = np.asarray(got)
        except (TypeError, ValueError):  # ragged lists
            return None, f"{expected}, got a {type(got).__name__} of uneven rows."
        if array.dtype.kind != "f":
            return (
                None,
                f"{where}, top_p_filter should return logits, got {array.dtype}.",
            )
        out = torch.from_numpy(array.astype(np.float64))
    else:
        return None, f"{expected}, got {type(got).__name__}."
    if tuple(out.shape) != shape:
        return None, f"{expected}, got {tuple(out.shape)}."
    out = out.to(torch.float64)
    if bool(out.isnan().any() | out.isposinf().any()):
        return None, (
            f"{where}, top_p_filter returned NaN or +inf: a kept token keeps its "
            "logit, a removed one gets −inf."
        )
    return out, ""


def _filled(out: Tensor, logits: Tensor, expected: Tensor, atol: float) -> str | None:
    """FILLED's sentence if ``out`` keeps the right logits but gives the removed tokens
    finite values (0, −1e9, ...) instead of −inf; else None."""
    removed = out[~expected]
    if removed.numel() == 0 or bool(removed.isneginf().any()):
        return None
    if not torch.allclose(out[expected], logits[expected].double(), atol=atol):
        return None
    values = removed.unique()
    shown = f"{values.item():g}" if values.numel() == 1 else "finite values"
    return FILLED.format(value=shown)


def check_top_p(top_p_filter_fn: Callable[[Tensor, float], Any]) -> CheckResult:
    """Check ``top_p_filter(logits, top_p)``: nucleus sampling's filter
    [holtzman2020curious] on logits (B, V), one row per sequence. It gives the logits
    back with every removed token set to −inf. A row keeps the smallest set of its
    most likely tokens whose probabilities add up to at least top_p: always at least
    one token, and every token when top_p = 1, as Hugging Face's ``TopPLogitsWarper``
    does. The kept logits stay as they were, and ``logits`` itself must not change. A
    tensor, a NumPy array or a nested list may come back.

    The cases avoid ties, and sums that land close to top_p, so neither the order of
    tied tokens nor rounding matters.
    """
    check_callable("top_p_filter", top_p_filter_fn)
    for logits, top_p in _top_p_cases():
        got, failure = call_keeping_input(top_p_filter_fn, "logits", logits, top_p)
        if failure:
            return report(False, failure)
        where = f"For logits of shape {tuple(logits.shape)} and top_p={top_p}"
        out, failure = _as_logits(got, tuple(logits.shape), where)
        if out is None:
            return report(False, failure)
        if _looks_like_probabilities(out, logits, top_p):
            return report(False, f"{where}: {PROBABILITIES}")
        atol = max(1e-6, 2 * _precision(got) * logits.abs().max().item())
        expected = ~top_p_filter(logits, top_p, min_tokens_to_keep=1).isneginf()
        filled = _filled(out, logits, expected, atol)
        if filled:
            return report(False, f"{where}: {filled}")
        kept = ~out.isneginf()
        empty = (~kept.any(-1)).nonzero().flatten().tolist()
        if empty:
            return report(
                False,
                f"{where}, you keep no token at all in row {empty[0]}: top-p always "
                "keeps at least the most likely token.",
            )
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
        if not torch.allclose(out[kept], logits[kept].double(), atol=atol):
            return report(
                False,
                f"{where}: right tokens kept, but their values changed: leave the "
                "logits of the kept tokens as they are.",
            )
    return report(True, "Correct: your filter keeps the tokens HF's does, every case.")
