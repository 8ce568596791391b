"""Checks of what the Unigram figures draw: lattice edges, a path, a text, a title and
n-best segmentations. Each raises a ``TypeError`` or ``ValueError`` that names the
argument."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from llmviz._checks import check_int
from llmviz.viz.tokens import _label


def _check_real(name: str, value: Any) -> float:
    """``value`` as a float if it is a real number (not a bool), else ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    return float(value)


def _check_list(name: str, value: Any) -> None:
    """``TypeError`` unless ``value`` is a list or tuple."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list, got {value!r:.60}")


def _check_title(title: Any) -> None:
    """``TypeError`` unless ``title`` is a str or None."""
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None, got {title!r:.60}")


def _check_edges(text: str, edges: Sequence[Sequence]) -> list[tuple]:
    """``edges`` as (start, end, piece, score) tuples inside ``text``, checked."""
    _check_list("edges", edges)
    checked = []
    for i, edge in enumerate(edges):
        if isinstance(edge, str) or not isinstance(edge, Sequence) or len(edge) != 4:
            raise TypeError(f"edges[{i}] must be (start, end, piece, score): {edge!r}")
        start, end, piece, score = edge
        check_int(f"edges[{i}] start", start)
        check_int(f"edges[{i}] end", end)
        if not 0 <= start < end <= len(text):
            raise ValueError(
                f"edges[{i}] = {edge!r} is out of range: need 0 <= start < end <= "
                f"len(text) = {len(text)}"
            )
        if not isinstance(piece, str):
            raise TypeError(f"edges[{i}] piece must be a str, got {piece!r}")
        score = _check_real(f"edges[{i}] score", score)
        if not math.isfinite(score):
            raise ValueError(f"edges[{i}] score must be finite, got {score}")
        checked.append((start, end, piece, score))
    return checked


def _check_path(text: str, path: Sequence[Sequence[int]], spans: dict) -> list[tuple]:
    """``path`` as (start, end) spans that cover ``text`` end to end, each an edge."""
    _check_list("path", path)
    position, checked = 0, []
    for i, span in enumerate(path):
        span = tuple(span) if isinstance(span, Sequence) else span
        if not isinstance(span, tuple) or len(span) != 2:
            raise TypeError(f"path[{i}] must be a (start, end) pair, got {span!r}")
        if span[0] != position or span[1] <= position:
            raise ValueError(
                f"path must cover text[0:{len(text)}] with contiguous spans, but "
                f"path[{i}] = {span!r} is not ({position}, end > {position})"
            )
        if span not in spans:
            raise ValueError(f"path[{i}] = {span!r} is not one of the edges")
        position = span[1]
        checked.append(span)
    if position != len(text):
        raise ValueError(f"path must end at len(text) = {len(text)}, not {position}")
    return checked


def _check_text(text: Any) -> str:
    """``text`` if it is a non-empty str, else ``TypeError`` or ``ValueError``."""
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, got {text!r} of type {type(text).__name__}"
        )
    if not text:
        raise ValueError(f"text must be a non-empty str, got {text!r}")
    return text


def _check_segmentation(i: int, segmentation: Any) -> tuple[str, float]:
    """One (pieces, probability) as its ``|``-joined label and its probability."""
    if not isinstance(segmentation, Sequence) or len(segmentation) != 2:
        raise TypeError(
            f"segmentations[{i}] must be (pieces, probability): {segmentation!r}"
        )
    pieces, probability = segmentation
    if isinstance(pieces, str) or not all(isinstance(p, str) for p in pieces):
        raise TypeError(f"segmentations[{i}] pieces must be a list of str: {pieces!r}")
    probability = _check_real(f"segmentations[{i}] probability", probability)
    if not 0 <= probability <= 1:
        raise ValueError(
            f"segmentations[{i}] probability must be in [0, 1], got {probability!r}"
        )
    return "|".join(_label(piece) for piece in pieces), probability
