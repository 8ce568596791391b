"""The beam tree as ``beam_search`` records it, checked, and its nodes in order.

Each step lists its candidates best first: the beam each extends (``parent``), its
``token``, its summed log-probability ``score`` and its ``status``. ``_walk`` turns
the steps into nodes, the prompt first, each with the position of its parent's node.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from llmviz.viz.theme import COLORS
from llmviz.viz.tokens import _label

STATUSES = {  # status: (colour, marker symbol, edge dash)
    "running": (COLORS[0], "circle", "solid"),
    "finished": (COLORS[2], "square", "solid"),
    # mid grey, which reads on white and on the dark theme's #121212
    "pruned": ("#8a8f98", "circle-open", "dot"),
}
_KEYS = {"parent", "token", "score", "status"}


def _check_candidate(candidate: Any, where: str) -> None:
    """Raise unless ``candidate`` is a dict of an int parent and token, a real score
    (not NaN) and a known status; ``where`` locates it in the tree."""
    if not isinstance(candidate, dict) or not _KEYS <= candidate.keys():
        raise ValueError(
            f"tree: each candidate needs the keys {sorted(_KEYS)}, got "
            f"{_short(candidate)} {where}"
        )
    for key in ("parent", "token"):
        value = candidate[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"tree: {key} must be an int, got {value!r} {where}")
    score = candidate["score"]
    if isinstance(score, bool) or not isinstance(score, numbers.Real) or score != score:
        raise ValueError(f"tree: score must be a real number, got {score!r} {where}")
    if candidate["status"] not in STATUSES:
        raise ValueError(
            f"tree: status must be one of {list(STATUSES)}, got "
            f"{candidate['status']!r} {where}"
        )


def _check_tree(tree: Any) -> list[list[dict]]:
    if not isinstance(tree, Sequence) or isinstance(tree, str):
        raise TypeError(
            f"tree must be beam_search's list of steps, got {type(tree).__name__}"
        )
    for step, candidates in enumerate(tree, start=1):
        if not isinstance(candidates, Sequence) or isinstance(candidates, str):
            raise TypeError(
                f"tree: each step must be a list of candidates, got "
                f"{_short(candidates)} at step {step}"
            )
        for rank, candidate in enumerate(candidates):
            _check_candidate(candidate, f"at step {step}, candidate {rank}")
    return [list(candidates) for candidates in tree]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(label: Callable[[int], str], token: int) -> str:
    text = label(token)
    if not isinstance(text, str):
        raise TypeError(
            f"label must return a str, got {type(text).__name__} for token {token}"
        )
    return _label(text)


def _walk(tree: list[list[dict]], label: Callable[[int], str]) -> list[tuple]:
    """Every node of the tree, the prompt first, as (rank, step, status, the
    position of its parent, its text, its hover text)."""
    beams = [(0, 0)]  # node positions of the running beams of the previous step
    found = [(0, 0, "running", (0, 0), "prompt", "the prompt")]
    for step, candidates in enumerate(tree, start=1):
        running = []
        for rank, candidate in enumerate(candidates):
            status, parent = candidate["status"], candidate["parent"]
            if parent not in range(len(beams)):
                raise ValueError(
                    f"tree: parent must index one of the {len(beams)} beams of step "
                    f"{step - 1}, got {parent} at step {step}"
                )
            text = _text(label, candidate["token"])
            hover = f"{text}: {candidate['score']:.3f}, {status}"
            found.append((rank, step, status, beams[parent], text, hover))
            if status == "running":
                running.append((rank, step))
        beams = running
    return found
