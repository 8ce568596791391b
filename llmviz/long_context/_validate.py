"""Argument checks shared by chapter 4's functions: attention inputs and the sizes
(group, block, chunk, tile) that must fit the sequence.

Each raises ``TypeError`` or ``ValueError`` naming the parameter, what it received and
what is allowed; the inner steps run unchecked.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from llmviz._checks import check_int
from llmviz._tensor_checks import check_tensor
from llmviz.attention._validate import MAX_SEQ_LEN, check_attention_inputs, check_cells


def check_qkv(
    query: Any, key: Any, value: Any, *, ranks: tuple[int, ...] | None = None
) -> tuple[int, ...]:
    """query (..., q_len, d), key (..., kv_len, d), value (..., kv_len, d_v): float
    tensors of one dtype, finite, non-empty, leading dimensions broadcasting."""
    if value is None:
        check_tensor("value", value)  # required: names it
    return check_attention_inputs(query, key, value, ranks=ranks)


def check_qk(query: Any, key: Any) -> tuple[int, ...]:
    """``check_qkv`` for the functions that take no values."""
    return check_attention_inputs(query, key, None)


def check_self_attention(query: Tensor, key: Tensor, what: str) -> int:
    """Causal and grouped patterns need queries and keys at the same positions."""
    if query.shape[-2] != key.shape[-2]:
        raise ValueError(
            f"key must have the query's sequence length {query.shape[-2]} ({what}), "
            f"got shape {tuple(key.shape)}"
        )
    return query.shape[-2]


def check_size(name: str, value: Any) -> int:
    """A size in [1, MAX_SEQ_LEN]: a group, block, chunk or tile."""
    return check_int(name, value, minimum=1, maximum=MAX_SEQ_LEN)


def check_fits(name: str, value: int, seq_len: int, *, divides: bool) -> None:
    """``value`` at most ``seq_len`` and, if ``divides``, a divisor of it."""
    if value > seq_len:
        raise ValueError(
            f"{name} must be at most the sequence length {seq_len}, got {value}"
        )
    if divides and seq_len % value:
        raise ValueError(
            f"{name} must divide the sequence length {seq_len}, got {value} "
            f"({seq_len} = {seq_len // value}·{value} + {seq_len % value})"
        )


def check_dense(what: str, batch: tuple[int, ...], **sizes: int) -> None:
    """A tensor of (*batch, *sizes) elements must stay within MAX_CELLS."""
    cells = 1
    for size in batch:
        cells *= size
    check_cells(what, batch=cells, **sizes)
