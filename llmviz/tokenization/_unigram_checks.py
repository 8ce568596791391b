"""The checks of ``Unigram``'s constructor: its pieces and its control ids."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from llmviz._checks import check_int, check_real
from llmviz.tokenization.base import check_text


def check_pieces(pieces: Any) -> list[tuple[str, float]]:
    """``pieces`` as (str, finite float) pairs."""
    if isinstance(pieces, (str, bytes)) or not isinstance(pieces, Sequence):
        raise TypeError(
            "pieces must be a list of (piece, score) pairs, got "
            f"{type(pieces).__name__}"
        )
    if not pieces:
        raise ValueError("pieces must hold at least one (piece, score) pair, got none")
    checked = []
    for i, pair in enumerate(pieces):
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise TypeError(f"pieces[{i}] must be a (piece, score) pair, got {pair!r}")
        piece = check_text(f"pieces[{i}] piece", pair[0])
        checked.append((piece, check_real(f"pieces[{i}] score", pair[1])))
    return checked


def check_controls(control_ids: Any, unk_id: int, size: int) -> list[int]:
    """The control ids, each an id of ``pieces`` other than ``unk_id``."""
    if isinstance(control_ids, (str, bytes)) or not isinstance(control_ids, Collection):
        raise TypeError(
            f"control_ids must be a collection of ids, got {control_ids!r:.60}"
        )
    ids = []
    for i, control in enumerate(control_ids):
        check_int(f"control_ids[{i}]", control)
        if not 0 <= control < size:
            raise ValueError(
                f"control_ids[{i}] must be an id of pieces, 0 to {size - 1}, "
                f"got {control}"
            )
        ids.append(int(control))
    if unk_id in ids:
        raise ValueError(f"control_ids must not hold unk_id {unk_id}, got {ids}")
    return ids
