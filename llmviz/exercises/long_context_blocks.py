"""The check of chapter 4's exercise on MoBA's block selection, and the helpers that
the chapter's checks of bool masks share.

The check scores each block of keys by q·mean(k in the block) and compares the
reader's choice with one made from the definition; when they differ it names the
usual mistake that gives the reader's choice, if one does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from llmviz.exercises._check import CheckResult, report
from llmviz.exercises.attention import call_keeping_inputs

SELECT_CASES = [  # (seq_len, head_dim, block_size, top_k)
    (16, 4, 2, 3),
    (12, 8, 3, 2),
    (8, 4, 4, 1),
    (10, 3, 2, 9),
    (9, 5, 1, 4),
]
FILLS = (
    "a query with fewer than top_k blocks up to its own also reads blocks after it "
    "to make up the count: future blocks are never read"
)
SELECT_MISTAKES = {
    "not_forced": "the query's own block is not always chosen: every query reads "
    "its own block",
    "future": "a query reads a block that starts after it: future blocks are never "
    "read",
    "plus_own": "a query reads top_k + 1 blocks: its own block counts toward top_k",
    "lowest": "you choose the blocks with the lowest scores",
    "max": "your blocks are scored by their largest q·k, not by q·mean(k)",
    "first": "your blocks are scored by their first key, not by the mean of their keys",
}


def bool_result(
    result: Any, shape: tuple[int, ...], meaning: str
) -> tuple[Tensor | None, str | None]:
    """The reader's mask as a bool tensor of ``shape``, or (None, why not): a tensor,
    NumPy array or nested list of bools is accepted; numbers are not."""
    if isinstance(result, (np.ndarray, list, tuple)):
        try:
            array = np.asarray(result)
        except ValueError:
            return None, "your function returned rows of different lengths."
        if array.dtype.kind not in "biuf":
            return (
                None,
                f"your function returned a {type(result).__name__} of non-numbers.",
            )
        result = torch.from_numpy(array)
    if not isinstance(result, Tensor):
        return None, f"your function returned {type(result).__name__}, not a tensor."
    if result.dtype != torch.bool:
        return None, (
            f"your function returned a {result.dtype} tensor; return a bool one "
            f"(True = {meaning})."
        )
    if tuple(result.shape) != shape:
        return None, f"your mask has shape {tuple(result.shape)}, expected {shape}."
    return result.detach(), None


def first_difference(got: Tensor, expected: Tensor) -> tuple[int, ...]:
    """The index of the first entry where two masks differ."""
    return tuple((got != expected).nonzero()[0].tolist())


def select_reference(
    query: Tensor, key: Tensor, block_size: int, top_k: int, mistake: str = ""
) -> Tensor:
    """MoBA's choice of blocks, bool (T, T/block_size), from its definition (or with
    one of the usual mistakes)."""
    query, key = query.double(), key.double()
    blocks = key.unflatten(0, (-1, block_size))  # (blocks, block_size, d)
    pooled = {"max": None, "first": blocks[:, 0]}.get(mistake, blocks.mean(1))
    if pooled is None:
        scores = (query @ key.T).unflatten(-1, (-1, block_size)).amax(-1)
    else:
        scores = query @ pooled.T  # (T, blocks)
    num_blocks = scores.shape[-1]
    own = (torch.arange(query.shape[0]) // block_size).unsqueeze(-1)  # (T, 1)
    future, current = torch.arange(num_blocks) > own, torch.arange(num_blocks) == own
    rank = -scores if mistake == "lowest" else scores
    if mistake != "future":
        rank = rank.masked_fill(future, float("-inf"))
    if mistake != "not_forced":
        rank = rank.masked_fill(current, float("inf"))
    k = min(top_k + (mistake == "plus_own"), num_blocks)
    chosen = rank.topk(k, dim=-1).indices
    selected = torch.zeros_like(scores, dtype=torch.bool).scatter(-1, chosen, True)
    return selected if mistake == "future" else selected & ~future


def _select_hint(chosen: Tensor, case: tuple, expected: Tensor) -> str:
    for mistake, hint in SELECT_MISTAKES.items():
        if torch.equal(chosen, select_reference(*case, mistake)):
            return f"It looks like {hint}."
    counts, wanted = chosen.sum(-1), expected.sum(-1)
    own = torch.arange(len(chosen)).unsqueeze(-1) // (len(chosen) // chosen.shape[1])
    future = torch.arange(chosen.shape[1]) > own
    full = torch.equal(counts, torch.full_like(counts, min(case[3], chosen.shape[1])))
    if torch.equal(chosen & ~future, expected) and full:
        return f"It looks like {FILLS}."
    if not torch.equal(counts, wanted):
        i = int((counts != wanted).nonzero()[0])
        return (
            f"Query {i} reads {int(counts[i])} blocks; it should read {int(wanted[i])}."
        )
    i, b = first_difference(chosen, expected)
    should = "read" if expected[i, b] else "not read"
    return f"Query {i} should {should} block {b}."


def check_select_blocks(select_blocks: Callable[..., Any]) -> CheckResult:
    """Check your ``select_blocks(query, key, block_size, top_k)``: MoBA's gate
    [lu2025moba].

    ``query`` and ``key`` are (T, D), T a multiple of ``block_size``. Block b holds
    keys b·block_size … (b+1)·block_size − 1 and scores q·mean(its keys) for a query
    q. Each query reads its own block (the one holding its position), never a block
    that starts after it, and, of the blocks before its own, those of highest score,
    so that it reads ``top_k`` blocks in all (or every block up to its own if there
    are fewer). Return a bool tensor (T, T/block_size), True where a query reads a
    block, and leave the inputs as they are.
    """
    generator = torch.Generator().manual_seed(0)
    for seq_len, head_dim, block_size, top_k in SELECT_CASES:
        query, key = (torch.randn(seq_len, head_dim, generator=generator) for _ in "qk")
        result, failure = call_keeping_inputs(
            select_blocks, ("query", "key"), query, key, block_size, top_k
        )
        if failure:
            return report(False, failure)
        where = f"For T={seq_len}, block_size={block_size} and top_k={top_k}"
        shape = (seq_len, seq_len // block_size)
        chosen, failure = bool_result(result, shape, "the query reads the block")
        if failure:
            return report(False, f"{where}: {failure}")
        case = (query, key, block_size, top_k)
        expected = select_reference(*case)
        if not torch.equal(chosen, expected):
            return report(False, f"{where}: {_select_hint(chosen, case, expected)}")
    return report(True, "Correct: your gate chooses MoBA's blocks on every case.")
