"""fastText's n-grams drawn: each word's n-grams, the bucket each falls into, and the
buckets that two different n-grams share (collisions).

The figure draws what ``llmviz.embeddings.fasttext`` computes: it is given each word's
``(n-gram, bucket)`` pairs and the bucket count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from llmviz._checks import check_int
from llmviz.viz.theme import COLORS, legend_above, style

__all__ = ["ngram_buckets_figure"]

COLLISION = "#dc2626"  # red: a bucket that two different n-grams share
MAX_ROWS = 200  # n-grams one figure may draw


def _check_words(words: object, bucket: int) -> dict[str, list[tuple[str, int]]]:
    if not isinstance(words, Mapping) or not words:
        raise TypeError("words must be a non-empty {word: [(ngram, bucket), ...]} dict")
    total = 0
    for word, pairs in words.items():
        if not isinstance(word, str) or not isinstance(pairs, Sequence) or not pairs:
            raise TypeError(
                f"words must map a str to a non-empty list, got {word!r:.30}"
            )
        for pair in pairs:
            ok = isinstance(pair, (tuple, list)) and len(pair) == 2
            if not ok or not isinstance(pair[0], str) or isinstance(pair[1], bool):
                raise TypeError(f"words[{word!r}] must hold (ngram, bucket) pairs")
            check_int(f"words[{word!r}] bucket", pair[1], 0, bucket - 1)
        total += len(pairs)
    if total > MAX_ROWS:
        raise ValueError(f"words must hold at most {MAX_ROWS} n-grams, got {total}")
    return {w: [(str(g), int(b)) for g, b in p] for w, p in words.items()}


def ngram_buckets_figure(
    words: Mapping[str, Sequence[tuple[str, int]]], bucket: int, title: str
) -> go.Figure:
    """One row per n-gram (grouped by word), a marker at its bucket coloured by its
    length n; a red ring and line join the n-grams that share a bucket.

    >>> fig = ngram_buckets_figure({"ab": [("<ab", 3), ("ab>", 3)]}, 8, "shared")
    >>> [t.name for t in fig.data]
    ['n = 3', 'bucket shared by different n-grams']
    """
    bucket = check_int("bucket", bucket, 1, 2**31 - 1)
    words = _check_words(words, bucket)
    if not isinstance(title, str) or not title.strip():
        raise TypeError(f"title must state the figure's point as a str, got {title!r}")
    rows = [(f"{w} · {g}", g, b) for w, pairs in words.items() for g, b in pairs]
    owners: dict[int, set[str]] = {}
    for _, gram, b in rows:
        owners.setdefault(b, set()).add(gram)
    fig = go.Figure()
    for i, n in enumerate(sorted({len(g) for _, g, _ in rows})):
        mine = [r for r in rows if len(r[1]) == n]
        fig.add_trace(go.Scatter(
            x=[b for _, _, b in mine], y=[lab for lab, _, _ in mine], mode="markers",
            name=f"n = {n}", marker=dict(size=11, color=COLORS[i % len(COLORS)]),
            hovertemplate="%{y}<br>bucket %{x}<extra></extra>",
        ))  # fmt: skip
    shared = [r for r in rows if len(owners[r[2]]) > 1]
    xs, ys = [], []
    for b in sorted({r[2] for r in shared}):
        for label, _, bb in shared:
            if bb == b:
                xs.append(b)
                ys.append(label)
        xs.append(None)
        ys.append(None)
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="lines+markers",
        name="bucket shared by different n-grams",
        line=dict(color=COLLISION, width=1.5, dash="dot"),
        marker=dict(size=19, color="rgba(0,0,0,0)",
                    line=dict(color=COLLISION, width=2)),
        hoverinfo="skip", visible=True if shared else "legendonly",
    ))  # fmt: skip
    labels = [label for label, _, _ in rows]
    fig.update_yaxes(title="word · n-gram", type="category", categoryorder="array",
                     categoryarray=labels, autorange="reversed", tickmode="array",
                     tickvals=labels, ticktext=labels, tickfont_size=11)  # fmt: skip
    fig.update_xaxes(title=f"bucket (hash mod {bucket:,})", range=[-0.5, bucket - 0.5])
    style(fig, title, height=min(600, 120 + 19 * len(rows)))
    return legend_above(fig, rows=4)  # four rows on a phone
