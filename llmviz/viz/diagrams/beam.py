"""One step of beam search: each beam grows by every next token, and only the
``num_beams`` best totals survive."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go

from llmviz._checks import check_callable, check_int
from llmviz.viz._args import _array, _labels
from llmviz.viz.diagrams._canvas import GREY, Canvas
from llmviz.viz.theme import COLORS
from llmviz.viz.tokens import _label

MAX_BEAMS, MAX_SHOWN = 4, 12  # boxes that fit a 600 px figure
ROW, GAP = 36, 14  # pixels per candidate, and between beams
DRAWING = 480  # the most pixels the drawing takes, so the figure stays under 600
# a dropped candidate's text, in the theme's font colour: the canvas's muted 0.55 read
# as grey on dark grey in dark mode; the dotted box and arrow mark it dropped
DROPPED_TEXT = 0.8


def _number(value: float) -> str:
    return f"{value:.2f}".replace("-", "−")


def _text(label: Callable[[int], str], token: int, name: str) -> str:
    text = label(token)
    if not isinstance(text, str):
        raise TypeError(f"{name} must give a str, got {type(text).__name__}")
    text = _label(text)
    return "“" + (text if len(text) <= 12 else text[:11] + "…") + "”"


def beam_step_diagram(
    beam_scores: Any,
    log_probs: Any,
    num_beams: int | None = None,
    per_beam: int = 3,
    label: Callable[[int], str] = str,
    beam_labels: Sequence[str] | None = None,
) -> go.Figure:
    """Extend each beam by each next token, score = beam score + log p(token), and
    keep the ``num_beams`` best scores over all B × V candidates [graves2012sequence].

    ``beam_scores`` (B,) are the beams' summed log-probabilities, ``log_probs`` (B, V)
    each beam's next-token log-probabilities. Each beam's ``per_beam`` likeliest tokens
    are drawn (and any kept candidate); ``label(token)`` names a token, and
    ``beam_labels`` the beams. ``num_beams`` defaults to B.

    >>> fig = beam_step_diagram([-0.5, -1.0], [[-0.1, -2.0], [-0.2, -3.0]], per_beam=2)
    >>> sorted(s.name for s in fig.layout.shapes if s.line.dash == "solid")
    ['box:beam0', 'box:beam1', 'box:cand0-0', 'box:cand1-0']
    """
    scores = _array(beam_scores, "beam_scores", 1)
    beams = check_int("beam_scores' length", len(scores), 1, MAX_BEAMS)
    logp = _array(log_probs, "log_probs", 2)
    if logp.shape[0] != beams or (logp > 0).any():
        raise ValueError(
            f"log_probs must be ({beams}, V) log-probabilities (<= 0), one row per "
            f"beam of beam_scores, got shape {logp.shape}, max {logp.max():.3g}"
        )
    vocab = logp.shape[1]
    keep = check_int("num_beams", beams if num_beams is None else num_beams, 1,
                     min(MAX_BEAMS, beams * vocab))  # fmt: skip
    shown = min(check_int("per_beam", per_beam, 1, MAX_SHOWN), vocab)
    if beams * shown > MAX_SHOWN:
        raise ValueError(
            f"per_beam must be <= {MAX_SHOWN // beams} with {beams} beams (at most "
            f"{MAX_SHOWN} candidates fit), got {per_beam}"
        )
    check_callable("label", label)
    names = (
        [f"beam {b}" for b in range(beams)]
        if beam_labels is None
        else [_beam_name(name) for name in _labels(beam_labels, "beam_labels", beams)]
    )
    totals = scores[:, None] + logp  # (B, V)
    ranked = sorted(
        ((b, t) for b in range(beams) for t in range(vocab)),
        key=lambda bt: (-totals[bt], bt),
    )
    kept = {bt: rank for rank, bt in enumerate(ranked[:keep], start=1)}
    rows = []
    for b in range(beams):
        best = sorted(range(vocab), key=lambda t: (-logp[b, t], t))[:shown]
        extra = [t for (bb, t) in kept if bb == b and t not in best]
        rows.append(sorted(best + extra, key=lambda t: (-totals[b, t], t)))
    room = DRAWING - 30 - GAP * (beams - 1)  # for the candidates' rows
    row = min(ROW, room / sum(map(len, rows)))  # many rows shrink
    c = Canvas(height=round(30 + row * sum(map(len, rows)) + GAP * (beams - 1)))
    c.note(0.16, 10, "beam: score so far", name="note:beams")
    c.note(0.66, 10, "+ next token: log p → score", name="note:candidates")
    y = 30
    for b, tokens in enumerate(rows):
        span = row * len(tokens)
        text = f"{names[b]}<br>{_number(scores[b])}"
        c.box(f"beam{b}", 0.16, y + span / 2 - 3, 0.3, 44, text, COLORS[0])
        for i, t in enumerate(tokens):
            rank = kept.get((b, t))
            text = (f"{f'<b>#{rank}</b> ' if rank else ''}"
                    f"{_text(label, t, 'label')} {_number(logp[b, t])} → "
                    f"<b>{_number(totals[b, t])}</b>")  # fmt: skip
            c.box(f"cand{b}-{t}", 0.66, y + row * (i + 0.5) - 3, 0.62, row - 6, text,
                  COLORS[0],
                  muted=rank is None, size=11)  # fmt: skip
            if rank is None:  # dropped: the dotted grey box says so; its text stays
                c.annotations[-1]["opacity"] = DROPPED_TEXT  # readable, in both themes
            c.arrow(f"beam{b}", f"cand{b}-{t}", muted=rank is None, sideways=True)
        y += span + GAP
    c.key(f"kept: best {keep} scores", COLORS[0])
    c.key("dropped", GREY, muted=True)
    product = f"{beams}\u00a0×\u00a0{vocab:,}"  # never broken across lines
    return c.figure(
        f"Beam search keeps the {keep} best of {product} continuations",
        "ranked by total log-probability: beam score + log p",
    )


def _beam_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"beam_labels must hold str, got {type(name).__name__}")
    text = name if len(name) <= 14 else "…" + name[-13:]
    return "“" + _label(text) + "”"  # spaces drawn as the candidates' are
