"""The check of chapter 4's exercise on the online softmax: merging the running
states of two tiles of keys into the state of both.

The check draws the scores and values of two tiles, gives the reader each tile's
state (its maximum m, its sum ℓ = Σ exp(s − m) and its normalised output), and
compares the merged state with the softmax taken over both tiles at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz.exercises._check import CheckResult, report, tensor_result
from llmviz.exercises.attention import call_keeping_inputs, tolerance

MERGE_CASES = [  # (leading dims, queries, keys of tile 1, of tile 2, d_v, kind)
    ((), 3, 4, 5, 2, "plain"),
    ((2,), 4, 3, 6, 3, "plain"),
    ((), 2, 5, 4, 4, "large"),  # scores near 100: exp overflows float32
    ((2, 3), 3, 4, 4, 2, "plain"),
    ((), 3, 4, 4, 2, "empty"),  # tile 1 wholly masked: m = −inf, ℓ = 0, output 0
]
NAMES = ("m1", "l1", "out1", "m2", "l2", "out2")


def tile_state(scores: Tensor, values: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(m, ℓ, softmax(scores) @ values) of one tile; a row with no visible key (all
    −inf) gives (−inf, 0, 0)."""
    m = scores.amax(-1)
    safe = m.masked_fill(m == float("-inf"), 0).unsqueeze(-1)
    weights = torch.exp(scores - safe)
    total = weights.sum(-1)
    out = weights @ values / total.masked_fill(total == 0, 1).unsqueeze(-1)
    return m, total, out


def merge_cases() -> list[tuple[Tensor, ...]]:
    """(m1, l1, out1, m2, l2, out2, m, l, out): the tiles' states and the state of
    the softmax over both tiles at once."""
    generator = torch.Generator().manual_seed(0)
    cases = []
    for lead, queries, n1, n2, d_v, kind in MERGE_CASES:
        s1, s2 = (
            2 * torch.randn(*lead, queries, n, generator=generator) for n in (n1, n2)
        )
        v1, v2 = (torch.randn(*lead, n, d_v, generator=generator) for n in (n1, n2))
        if kind == "large":
            s1, s2 = s1 + 100, s2 + 100
        if kind == "empty":
            s1 = torch.full_like(s1, float("-inf"))
        scores, values = torch.cat([s1, s2], -1), torch.cat([v1, v2], -2)
        both = tile_state(scores.double(), values.double())
        cases.append((*tile_state(s1, v1), *tile_state(s2, v2), *both))
    return cases


def merge_reference(m1, l1, o1, m2, l2, o2, mistake: str = "") -> tuple[Tensor, ...]:
    """The merged state written with one of the usual mistakes (m, ℓ and output of
    float64 tensors); ``mistake`` "" is right."""
    m1, l1, o1, m2, l2, o2 = (t.double() for t in (m1, l1, o1, m2, l2, o2))
    m = torch.maximum(m1, m2)
    a1, a2 = torch.exp(m1 - m), torch.exp(m2 - m)
    if mistake == "inverted":
        a1, a2 = torch.exp(m - m1).nan_to_num(posinf=0), torch.exp(m - m2)
    if mistake == "raw":
        a1, a2 = torch.exp(m1), torch.exp(m2)
    w1, w2 = (l1 * a1).unsqueeze(-1), (l2 * a2).unsqueeze(-1)
    total = l1 + l2 if mistake == "added" else w1.squeeze(-1) + w2.squeeze(-1)
    both = total.unsqueeze(-1)
    out = {
        "average": (o1 + o2) / 2,
        "weighted_raw": (l1.unsqueeze(-1) * o1 + l2.unsqueeze(-1) * o2)
        / (l1 + l2).unsqueeze(-1),
        "unnormalised": w1 * o1 + w2 * o2,
        "as_sums": (a1.unsqueeze(-1) * o1 + a2.unsqueeze(-1) * o2) / both,
    }.get(mistake, (w1 * o1 + w2 * o2) / both)
    return m, total, out


INVERTED = "your rescaling factors are inverted: a tile whose maximum lies below the "
INVERTED += "merged one must weigh less, not more"
SUM_MISTAKES = {
    "added": "your ℓ adds the two sums as they are, but each was taken relative to "
    "its own tile's maximum",
    "inverted": INVERTED,
    "raw": "your ℓ is Σ exp(s) without subtracting the merged maximum m",
}
OUTPUT_MISTAKES = {
    "average": "your output averages the two tiles' outputs: each should count as "
    "much as its share of the softmax mass",
    "weighted_raw": "you weight the outputs by ℓ₁ and ℓ₂ as they are, but those sums "
    "are relative to different maxima",
    "unnormalised": "your output is not divided by the merged ℓ",
    "as_sums": "you treat each tile's output as a sum Σ exp(s − m)·v; it is already "
    "normalised (divided by its tile's ℓ)",
    "inverted": INVERTED,
}


def _parts(got: Any, expected: tuple[Tensor, ...]) -> tuple[list | None, str | None]:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
        return None, (
            f"merge_tiles should return three tensors (m, l, out), got "
            f"{type(got).__name__}{length}."
        )
    parts = []
    for name, value, want in zip(("m", "l", "out"), got, expected, strict=True):
        part, failure = tensor_result(
            value, tuple(want.shape), name=f"merge_tiles (its {name})"
        )
        if failure:
            return None, failure
        parts.append((part, tolerance(value)))
    return parts, None


def _close(got: Tensor, want: Tensor, atol: float) -> bool:
    return torch.allclose(got, want.double(), atol=atol, rtol=max(atol, 1e-5))


def _merge_hint(parts: list, case: tuple[Tensor, ...]) -> str | None:
    (m, m_tol), (total, l_tol), (out, o_tol) = parts
    tiles, right = case[:6], case[6:]
    if not _close(m, right[0], m_tol):
        one = any(_close(m, t, m_tol) for t in (case[0], case[3]))
        return (
            "Your m keeps only one tile's maximum."
            if one
            else ("Your m should be the largest score of either tile.")
        )
    for checked, index, tol, mistakes in (
        (total, 1, l_tol, SUM_MISTAKES),
        (out, 2, o_tol, OUTPUT_MISTAKES),
    ):
        if not _close(checked, right[index], tol):
            for mistake, hint in mistakes.items():
                wrong = merge_reference(*tiles, mistake)[index]
                if wrong.shape == checked.shape and _close(checked, wrong, tol):
                    return f"It looks like {hint}."
            name = ("ℓ", "output")[index - 1]
            return f"Your {name} is wrong: merge two tiles of one key each by hand."
    return None


def check_merge_tiles(merge_tiles: Callable[..., Any]) -> CheckResult:
    """Check your ``merge_tiles(m1, l1, out1, m2, l2, out2)``: the online softmax's
    merge of two tiles of keys [milakov2018online].

    For each query, tile t has the largest score mt of its keys, the sum
    lt = Σ exp(s − mt) over its keys, and its output outt, the softmax over its own
    keys times their values (normalised). The m and l are (..., queries), the
    outputs (..., queries, d_v). Return (m, l, out) for both tiles together, as if
    they had been one: then out is the softmax over all their keys times the
    values. A tile with no visible key has m = −inf, l = 0 and output 0. The inputs
    must be left as they are.
    """
    for case in merge_cases():
        tiles = tuple(t.clone() for t in case[:6])
        got, failure = call_keeping_inputs(merge_tiles, NAMES, *tiles)
        if failure:
            return report(False, failure)
        where = f"For tile outputs of shape {tuple(case[2].shape)}"
        if bool((case[0] == float("-inf")).any()):
            where += " with the first tile fully masked (m1 = −inf)"
        elif bool((case[0] > 50).any()):
            where += " with scores near 100"
        parts, failure = _parts(got, case[6:])
        if failure and "NaN" in failure and "near 100" in where:
            failure += (
                " exp(100) overflows float32: exponentiate differences of scores."
            )
        if failure:
            return report(False, f"{where}: {failure}")
        hint = _merge_hint(parts, case)
        if hint:
            return report(False, f"{where}: {hint}")
    return report(True, "Correct: your merge equals one softmax over both tiles.")
