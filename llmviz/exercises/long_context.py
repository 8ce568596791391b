"""Checks for chapter 4's exercises on fixed patterns: Longformer's mask with global
tokens, and S2-Attn's shift of half the heads (the merge of two key tiles and MoBA's
block selection are checked in ``long_context_blocks``).

Each helper runs the reader's function on seeded random cases, compares it with a
reference written here from the definition, and names the most likely mistake when
they differ. Any return type, dtype, NaN, exception, hang or change to the inputs
becomes ✅ or ❌ and one sentence.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from llmviz.exercises._check import CheckResult, report, tensor_result
from llmviz.exercises.attention import call_keeping_inputs, tolerance
from llmviz.exercises.long_context_blocks import (  # noqa: F401 - the chapter's checks
    bool_result,
    check_select_blocks,
    first_difference,
)
from llmviz.exercises.long_context_tiles import check_merge_tiles  # noqa: F401

LONGFORMER_CASES = [  # (seq_len, window, global_indices)
    (10, 4, [0, 6]),
    (16, 6, [0]),
    (12, 2, []),
    (9, 4, [8, 2]),
    (7, 20, [3]),
]
BOTH_WAYS = "global attention goes both ways"
LONGFORMER_MISTAKES = {  # hint: (local window from the distance i − j, global rule)
    "your window only looks back: Longformer's window is symmetric, window // 2 "
    "keys on each side of the query": ("back", "both"),
    "your window is causal, like Mistral's: Longformer's is symmetric, window // 2 "
    "keys on each side of the query": ("causal", "both"),
    "your window reaches `window` keys on each side, twice too far": ("wide", "both"),
    "your window stops one key short: the keys exactly window // 2 away are "
    "visible too": ("narrow", "both"),
    "a token does not see itself": ("no_self", "both"),
    "the global tokens see every token, but not every token sees them: " + BOTH_WAYS: (
        "",
        "rows",
    ),
    "every token sees the global tokens, but they do not see every token: "
    + BOTH_WAYS: ("", "columns"),
    "the global tokens are ignored": ("", "none"),
}


def longformer_reference(
    seq_len: int, window: int, global_indices: list[int], mistake: tuple = ("", "both")
) -> Tensor:
    """Longformer's mask from its definition (or with one of the usual mistakes)."""
    i = torch.arange(seq_len)
    distance = i.unsqueeze(-1) - i  # query − key
    half = window // 2
    local = {
        "": distance.abs() <= half,
        "back": (distance >= 0) & (distance <= half),
        "causal": (distance >= 0) & (distance < window),
        "wide": distance.abs() <= window,
        "narrow": distance.abs() < half,
        "no_self": (distance.abs() <= half) & (distance != 0),
    }[mistake[0]]
    is_global = torch.zeros(seq_len, dtype=torch.bool)
    is_global[global_indices] = True
    rows, columns = is_global.unsqueeze(-1), is_global.unsqueeze(0)
    glob = {"both": rows | columns, "rows": rows, "columns": columns, "none": False}
    return local | glob[mistake[1]]


def _longformer_hint(mask: Tensor, case: tuple[int, int, list[int]]) -> str:
    expected = longformer_reference(*case)
    if torch.equal(mask, ~expected):
        return "Your mask is the wrong way round: True means *may attend*."
    for hint, mistake in LONGFORMER_MISTAKES.items():
        if torch.equal(mask, longformer_reference(*case, mistake)):
            return f"It looks like {hint}."
    i, j = first_difference(mask, expected)
    should = "see" if expected[i, j] else "not see"
    return f"Query {i} should {should} key {j}."


def check_longformer_mask(longformer_mask: Callable[..., Any]) -> CheckResult:
    """Check your ``longformer_mask(seq_len, window, global_indices)`` for Longformer's
    attention pattern [beltagy2020longformer].

    It returns a bool tensor (seq_len, seq_len) whose entry [i, j] is True when query
    i may attend to key j. A token sees the keys at most window // 2 positions away on
    either side (``window`` is even), and the tokens at ``global_indices`` (a list of
    positions, possibly empty) see every token and are seen by every token.
    ``global_indices`` must be left as it is.
    """
    for case in LONGFORMER_CASES:
        seq_len, window, global_indices = case
        given = copy.copy(global_indices)
        result, failure = call_keeping_inputs(
            longformer_mask, (), seq_len, window, given
        )
        if failure is None and given != global_indices:
            failure = "Your function changed global_indices: leave it as it is."
        if failure:
            return report(False, failure)
        where = f"For seq_len={seq_len}, window={window}, global_indices={given}"
        mask, failure = bool_result(result, (seq_len, seq_len), "may attend")
        if failure:
            return report(False, f"{where}: {failure}")
        if not torch.equal(mask, longformer_reference(*case)):
            return report(False, f"{where}: {_longformer_hint(mask, case)}")
    return report(True, "Correct: your mask equals Longformer's pattern every time.")


SHIFT_CASES = [((1, 4, 12, 3), 4), ((2, 2, 8, 4), 4), ((2, 6, 16, 5), 8)]
SHIFT_MISTAKES = {
    "within": "you rotate each group of group_size tokens within itself, as the "
    "notes' code does: no token leaves its group, so nothing crosses a group "
    "boundary. LongLoRA rolls the whole sequence",
    "direction": "your shifted heads move the other way: position t should hold "
    "token t + group_size // 2",
    "whole_group": "you shift by a whole group, which lines the groups up with the "
    "unshifted ones again; shift by half a group",
    "first_half": "you shift the first half of the heads; LongLoRA shifts the second",
    "all": "you shift every head: only half of them are shifted",
    "interleaved": "you shift every other head; LongLoRA shifts the second half",
    "no_wrap": "the end of your shifted heads is not the start of the sequence: "
    "a roll wraps around",
    "features": "you roll the features (the last dimension), not the tokens",
}


def shift_reference(x: Tensor, group_size: int, mistake: str = "") -> Tensor:
    """S2-Attn's shift (or one of the usual mistakes): heads h ≥ H/2 rolled by G/2."""
    half, s = x.shape[1] // 2, group_size // 2
    keep, move = x[:, :half], x[:, half:]
    if mistake in ("first_half", "all", "interleaved"):
        y = x.clone()
        heads = {"first_half": slice(0, half), "all": slice(None)}
        y[:, heads.get(mistake, slice(1, None, 2))] = y[
            :, heads.get(mistake, slice(1, None, 2))
        ].roll(-s, dims=2)
        return y
    if mistake == "within":
        moved = move.unflatten(2, (-1, group_size)).roll(-s, dims=3).flatten(2, 3)
    elif mistake == "no_wrap":
        moved = torch.cat([move[:, :, s:], torch.zeros_like(move[:, :, :s])], dim=2)
    else:
        shift = {"direction": s, "whole_group": -group_size}.get(mistake, -s)
        moved = move.roll(shift, dims=-1 if mistake == "features" else 2)
    return torch.cat([keep, moved], dim=1)


def _shift_hint(out: Tensor, x: Tensor, group_size: int, atol: float) -> str:
    for mistake, hint in SHIFT_MISTAKES.items():
        wrong = shift_reference(x, group_size, mistake).double()
        if torch.allclose(out, wrong, atol=atol, rtol=0):
            return f"It looks like {hint}."
    return (
        "Try x = torch.arange(8.).view(1, 2, 4, 1) with group_size=2 and follow by "
        "hand where each token should land."
    )


def check_shift_heads(shift_heads: Callable[[Tensor, int], Any]) -> CheckResult:
    """Check your ``shift_heads(x, group_size)``: S2-Attn's shift [chen2024longlora].

    ``x`` is (B, H, T, D) with H even and T a multiple of the even ``group_size``. The
    first H/2 heads stay as they are; the other H/2 are rolled along the tokens so
    that position t holds token t + group_size // 2, wrapping around the end of the
    sequence. The result has the shape of ``x``, which must be left as it is.
    """
    generator = torch.Generator().manual_seed(0)
    for shape, group_size in SHIFT_CASES:
        x = torch.randn(shape, generator=generator)
        result, failure = call_keeping_inputs(shift_heads, ("x",), x, group_size)
        if failure:
            return report(False, failure)
        where = f"For x of shape {shape} and group_size={group_size}"
        out, failure = tensor_result(result, name="shift_heads")
        if failure:
            return report(False, f"{where}: {failure}")
        if tuple(out.shape) != shape:
            half = (
                " You return only the shifted heads."
                if out.shape[1:2] == (shape[1] // 2,)
                else ""
            )
            return report(
                False,
                f"{where}: the result should have the shape of x, got "
                f"{tuple(out.shape)}.{half}",
            )
        atol = tolerance(result)
        if not torch.allclose(out, shift_reference(x, group_size).double(), atol=atol):
            return report(False, f"{where}: {_shift_hint(out, x, group_size, atol)}")
    return report(True, "Correct: your shift equals LongLoRA's on every case.")
