"""Unigram figures: one arc per lattice edge with the best path bold, n-best bars in
order, and the same traces whatever the input (so sliders work)."""

from __future__ import annotations

import numpy as np
import pytest

from llmviz.viz.lattice import lattice_figure, nbest_figure
from llmviz.viz.slider import slider_figure

EDGES, EDGE_POINTS, PATH, PATH_LABELS, NODES, CHARACTERS = range(6)


def gaps(trace) -> int:
    """How many NaN-separated shapes (arcs) a trace draws."""
    return int(np.isnan(np.asarray(trace.x, dtype=float)).sum())


def structure(fig) -> list[tuple]:
    return [(trace.type, trace.mode, trace.fill) for trace in fig.data]


LATTICE_TEXT = "▁unrelated"
LATTICE_EDGES = [
    (0, 1, "▁", -5.0),
    (0, 3, "▁un", -4.0),
    (1, 3, "un", -6.0),
    (3, 10, "related", -7.5),
    (3, 6, "rel", -8.0),
    (6, 10, "ated", -9.0),
    (0, 10, "▁unrelated", -12.0),
]


def test_lattice_draws_one_arc_per_edge_and_highlights_the_path():
    path = [(0, 3), (3, 10)]
    fig = lattice_figure(LATTICE_TEXT, LATTICE_EDGES, path)
    assert gaps(fig.data[EDGES]) == len(LATTICE_EDGES)
    assert len(fig.data[EDGE_POINTS].x) == len(LATTICE_EDGES)
    assert "log p = -7.500" in fig.data[EDGE_POINTS].hovertext[3]
    assert gaps(fig.data[PATH]) == len(path)
    x = np.asarray(fig.data[PATH].x, dtype=float)
    arcs = np.split(x, np.flatnonzero(np.isnan(x)) + 1)[:-1]
    spans = [
        (arc[0] * 10, arc[-2] * 10) for arc in arcs
    ]  # positions are scaled by 1/10
    assert np.allclose(spans, path)  # each highlighted arc spans one piece of the path
    assert list(fig.data[PATH_LABELS].text) == ["▁un", "related"]
    assert list(fig.data[NODES].text) == list(range(11))
    assert "".join(fig.data[CHARACTERS].text) == LATTICE_TEXT
    # the characters have a row of their own below the numbered nodes (between the
    # dots they touched both dots and numbers on a phone), still inside the y range
    assert max(fig.data[CHARACTERS].y) < min(fig.data[NODES].y) - 0.1
    assert min(fig.data[CHARACTERS].y) > fig.layout.yaxis.range[0]
    # -4.0 + -7.5: the path's log-probability is the sum of its pieces
    assert fig.layout.title.text == "Viterbi's best path, bold: log p = -11.50"
    assert fig.layout.title.subtitle.text == "▁un|related"


def test_lattice_keeps_its_traces_for_any_text():
    small = lattice_figure("ab", [(0, 2, "ab", -1.0)], [(0, 2)])
    big = lattice_figure(LATTICE_TEXT, LATTICE_EDGES, [(0, 10)], title="t")
    assert structure(small) == structure(big)
    texts = ["ab", "abc"]
    edges = {t: [(i, i + 1, c, -1.0) for i, c in enumerate(t)] for t in texts}
    fig = slider_figure(
        lambda text: (text, edges[text], [edge[:2] for edge in edges[text]]),
        "text",
        texts,
        draw=lambda lattice: lattice_figure(*lattice),
    )
    assert [len(frame.data[NODES].x) for frame in fig.frames] == [3, 4]
    # every text is drawn inside the same fixed axes, so no frame is cut off
    for frame in fig.frames:
        assert max(frame.data[NODES].x) <= fig.layout.xaxis.range[1]
        assert (
            np.nanmax(np.asarray(frame.data[EDGES].y, float))
            <= fig.layout.yaxis.range[1]
        )


def test_nbest_bars_best_first():
    fig = nbest_figure(
        [
            (["▁un", "related"], 0.2),
            (["▁unrelated"], 0.7),
            (["▁", "un", "related"], 0.1),
        ]
    )
    bars = fig.data[0]
    assert list(bars.y) == ["▁unrelated", "▁un|related", "▁|un|related"]
    assert list(bars.x) == sorted(bars.x, reverse=True) == [0.7, 0.2, 0.1]
    assert fig.layout.yaxis.autorange == "reversed"  # the first bar at the top
    # each probability is written past its bar's end, never across it
    assert bars.textposition == "outside" and list(bars.text) == [
        "0.700",
        "0.200",
        "0.100",
    ]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: lattice_figure("", [], []),
            ValueError,
            r"text must be a non-empty str, got ''",
        ),
        (
            lambda: lattice_figure("ab", [(0, 3, "abc", -1.0)], [(0, 3)]),
            ValueError,
            r"edges\[0\] = \(0, 3, 'abc', -1.0\) is out of range: need 0 <= start < end <= len\(text\) = 2",
        ),
        (
            lambda: lattice_figure("ab", [(1, 1, "", -1.0)], []),
            ValueError,
            r"edges\[0\] = .* is out of range",
        ),
        (
            lambda: lattice_figure("ab", [(0, 2, "ab")], [(0, 2)]),
            TypeError,
            r"edges\[0\] must be \(start, end, piece, score\)",
        ),
        (
            lambda: lattice_figure("ab", [(0, 2, "ab", "high")], [(0, 2)]),
            TypeError,
            r"edges\[0\] score must be a real number, got 'high'",
        ),
        (
            lambda: lattice_figure(
                "ab", [(0, 1, "a", -1.0), (1, 2, "b", -1.0)], [(0, 1)]
            ),
            ValueError,
            r"path must end at len\(text\) = 2, not 1",
        ),
        (
            lambda: lattice_figure(
                "ab", [(0, 1, "a", -1.0), (1, 2, "b", -1.0)], [(1, 2)]
            ),
            ValueError,
            r"path must cover text\[0:2\] with contiguous spans, but path\[0\] = \(1, 2\) is not \(0, end > 0\)",
        ),
        (
            lambda: lattice_figure("ab", [(0, 1, "a", -1.0)], [(0, 2)]),
            ValueError,
            r"path\[0\] = \(0, 2\) is not one of the edges",
        ),
        (
            lambda: nbest_figure([]),
            ValueError,
            r"segmentations must hold \(pieces, probability\) pairs: \[\]",
        ),
        (
            lambda: nbest_figure([(["a"], 1.5)]),
            ValueError,
            r"segmentations\[0\] probability must be in \[0, 1\], got 1.5",
        ),
        (
            lambda: nbest_figure([(["a"], -0.1)]),
            ValueError,
            r"segmentations\[0\] probability must be in \[0, 1\], got -0.1",
        ),
        (
            lambda: nbest_figure([(["a"], float("nan"))]),
            ValueError,
            r"probability must be in \[0, 1\], got nan",
        ),
        (
            lambda: nbest_figure([("ab", 0.5)]),
            TypeError,
            r"segmentations\[0\] pieces must be a list of str: 'ab'",
        ),
        (
            lambda: nbest_figure([(["a"], 0.5), (["a"], 0.2)]),
            ValueError,
            r"segmentations must all differ, but some repeat",
        ),
    ],
)
def test_bad_input_is_named_in_the_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_longest_piece_s_arc_reaches_the_top_of_the_plot():
    """Arc heights are scaled by the lattice's longest piece, not by the text's length:
    a lattice of short pieces over a long word used to fill half the plot."""
    text = "abcdefghij"
    edges = [(i, i + 1, c, -1.0) for i, c in enumerate(text)]
    edges += [(0, 3, "abc", -2.0)]
    fig = lattice_figure(text, edges, [(0, 3), *[e[:2] for e in edges[3:10]]])
    assert np.nanmax(np.asarray(fig.data[EDGES].y, float)) == pytest.approx(1.0)
    assert max(fig.data[EDGE_POINTS].y) == pytest.approx(1.0)
    heights = sorted(set(np.round(fig.data[EDGE_POINTS].y, 6)))
    assert len(heights) == 2 and heights[0] < 1  # a one-character piece is lower
