"""The beam-search tree figure: one node per candidate of ``beam_search``, each joined
to the node of the beam it extends, and clear errors for a malformed tree."""

import math

import pytest
import torch

from llmviz.decoding.beam import beam_search
from llmviz.viz.beams import POSITIONS, STATUSES, beam_tree_figure


@pytest.fixture(scope="module")
def tree():
    generator = torch.Generator().manual_seed(0)
    table = (2 * torch.randn(6, 6, generator=generator)).log_softmax(-1)  # bigram
    out = beam_search(
        lambda ids: table[ids[:, -1]], torch.tensor([[0]]), 3, 5, eos_token_id=5
    )
    return out["tree"]


def nodes(fig):
    """{(rank, step): (status, text)} over the node traces."""
    found = {}
    for trace in fig.data[len(STATUSES) :]:
        for x, y, text in zip(trace.x, trace.y, trace.text, strict=True):
            found[(x, y)] = (trace.name, text)
    return found


def segments(fig):
    """{the node an edge stops above: its start point} over the edge traces."""
    found = {}
    for trace in fig.data[: len(STATUSES)]:
        xs, ys = list(trace.x), list(trace.y)
        for i in range(0, len(xs), 3):
            assert xs[i + 2] is None and ys[i + 2] is None  # one segment each
            step = math.ceil(ys[i + 1])
            assert step - 1 < ys[i + 1] < step  # it stops short of the node, above it
            found[(xs[i + 1], step)] = (xs[i], ys[i])
    return found


def test_one_node_per_candidate_with_its_status_and_label(tree):
    fig = beam_tree_figure(tree, label=lambda token: f"t{token}")
    drawn = nodes(fig)
    assert len(drawn) == 1 + sum(len(step) for step in tree)
    assert drawn[(0, 0)] == ("running", "prompt")
    for step, candidates in enumerate(tree, start=1):
        for rank, candidate in enumerate(candidates):
            assert drawn[(rank, step)] == (
                candidate["status"],
                f"t{candidate['token']}",
            )


def test_each_edge_starts_at_the_beam_it_extends(tree):
    ends = segments(beam_tree_figure(tree))
    previous = [(0, 0)]  # the prompt
    for step, candidates in enumerate(tree, start=1):
        for rank, candidate in enumerate(candidates):
            assert ends[(rank, step)] == previous[candidate["parent"]]
        previous = [
            (rank, step)
            for rank, candidate in enumerate(candidates)
            if candidate["status"] == "running"
        ]
    assert {status for step in tree for status in (c["status"] for c in step)} == set(
        STATUSES
    )  # the fixture draws all three kinds


def test_labels_show_whitespace_and_escape_html(tree):
    fig = beam_tree_figure(tree, label=lambda token: f" <{token}>\n")
    texts = {text for trace in fig.data for text in (trace.text or ())}
    assert f"·&lt;{tree[0][0]['token']}&gt;↵" in texts


def test_same_traces_for_any_tree(tree):
    kinds = [[trace.type for trace in beam_tree_figure(t).data] for t in (tree, [])]
    assert kinds[0] == kinds[1] == ["scatter"] * 2 * len(STATUSES)


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("tree", TypeError, "tree must be beam_search's list of steps"),
        ([[{"token": 1}]], ValueError, "needs the keys"),
        (
            [[{"parent": 0, "token": 1, "score": 0.0, "status": "lost"}]],
            ValueError,
            "status must be one of",
        ),
        (
            [[{"parent": 1, "token": 1, "score": 0.0, "status": "running"}]],
            ValueError,
            "parent must index one of the 1 beams of step 0, got 1",
        ),
    ],
)
def test_malformed_trees(bad, error, message):
    with pytest.raises(error, match=message):
        beam_tree_figure(bad)


def test_steps_draws_the_first_steps_on_the_axes_of_the_whole_tree(tree):
    whole = beam_tree_figure(tree)
    for steps in range(len(tree) + 1):
        part = beam_tree_figure(tree, steps=steps)
        drawn = nodes(part)
        assert len(drawn) == 1 + sum(len(step) for step in tree[:steps])
        assert max(step for _, step in drawn) == steps
        assert drawn.items() <= nodes(whole).items()  # the same nodes, where they were
        assert part.layout.xaxis.range == whole.layout.xaxis.range
        assert part.layout.yaxis.range == whole.layout.yaxis.range
    ranks = [rank for rank, _ in nodes(whole)]
    left, right = whole.layout.xaxis.range
    assert left < min(ranks) == 0 and max(ranks) < right
    bottom, top = whole.layout.yaxis.range  # reversed: the prompt on top
    assert bottom > len(tree) and top < 0


def test_pruned_labels_show_on_hover_only(tree):
    by_status = {trace.name: trace for trace in beam_tree_figure(tree).data[3:]}
    assert by_status["pruned"].mode == "markers"
    assert by_status["running"].mode == by_status["finished"].mode == "markers+text"


PHONE = 358 - 60 - 10  # px: the plot's width in a 390 px phone's text column


def phone_boxes(fig, text_px=11):
    """{(rank, step): its label's box (left, right, top, bottom) in px on a phone},
    for plotly's text positions, the text as wide as Verdana's widest (0.62 em a
    character) and a pixel all round."""
    (x0, x1), (y1, y0) = fig.layout.xaxis.range, fig.layout.yaxis.range
    sx = PHONE / (x1 - x0)
    sy = (fig.layout.height - fig.layout.margin.t - fig.layout.margin.b) / (y1 - y0)
    gap = 9 / 2 / 0.8 + 1  # plotly's offset of text from a 9 px marker's centre
    boxes = {}
    for trace in fig.data[len(STATUSES) :]:
        if trace.mode != "markers+text":
            continue
        for x, y, text, position in zip(
            trace.x, trace.y, trace.text, trace.textposition, strict=True
        ):
            width = 0.62 * text_px * len(text.replace("&lt;", "<"))
            cx, cy = (x - x0) * sx, (y - y0) * sy
            vertical, horizontal = position.split()
            top = {
                "top": cy - gap - 1.05 * text_px,
                "middle": cy - 0.5 * text_px,
                "bottom": cy + gap,
            }[vertical]
            left = {
                "center": cx - width / 2,
                "right": cx + gap,
                "left": cx - gap - width,
            }[horizontal]
            boxes[(x, y)] = (
                left - 1,
                left + width + 1,
                top - 1,
                top + 1.05 * text_px + 1,
            )
    return boxes, (sx, sy, x0, y0)


@pytest.mark.parametrize("label", [str, lambda token: f" word{token}"])
def test_on_a_phone_no_label_meets_an_edge_a_node_another_label_or_the_border(
    tree, label
):
    fig = beam_tree_figure(tree, label=label, title="a<br>title")
    boxes, (sx, sy, x0, y0) = phone_boxes(fig)
    assert len(boxes) == 1 + sum(c["status"] != "pruned" for step in tree for c in step)
    (left, right), (bottom, top) = fig.layout.xaxis.range, fig.layout.yaxis.range
    points = [  # every edge, a point per px
        ((xa + (xb - xa) * t / 200 - x0) * sx, (ya + (yb - ya) * t / 200 - y0) * sy)
        for trace in fig.data[: len(STATUSES)]
        for xa, ya, xb, yb in zip(
            trace.x[::3], trace.y[::3], trace.x[1::3], trace.y[1::3], strict=True
        )
        for t in range(201)
    ]
    nodes = [
        ((x - x0) * sx, (y - y0) * sy)
        for trace in fig.data[len(STATUSES) :]
        for x, y in zip(trace.x, trace.y, strict=True)
    ]
    for node, box in boxes.items():
        assert (left - x0) * sx <= box[0] and box[1] <= (right - x0) * sx, node
        assert (top - y0) * sy <= box[2] and box[3] <= (bottom - y0) * sy, node
        for x, y in points:
            assert not (box[0] < x < box[1] and box[2] < y < box[3]), node
        for x, y in nodes:  # a 9 px marker
            assert not (box[0] < x + 4.5 and x - 4.5 < box[1]) or not (
                box[2] < y + 4.5 and y - 4.5 < box[3]
            ), node
        for other, other_box in boxes.items():
            if other != node:
                assert not (box[0] < other_box[1] and other_box[0] < box[1]) or not (
                    box[2] < other_box[3] and other_box[2] < box[3]
                ), (node, other)


def test_labels_keep_their_places_as_the_tree_grows(tree):
    def places(fig):
        return {
            (x, y): position
            for trace in fig.data[len(STATUSES) :]
            for x, y, position in zip(trace.x, trace.y, trace.textposition, strict=True)
        }

    whole = places(beam_tree_figure(tree))
    assert set(whole.values()) <= set(POSITIONS)
    for steps in range(len(tree)):
        assert places(beam_tree_figure(tree, steps=steps)).items() <= whole.items()


def test_a_crowded_tree_is_still_drawn(tree):
    fig = beam_tree_figure(tree, label=lambda token: "a long label " * 4)
    assert all(
        set(trace.textposition) <= set(POSITIONS) for trace in fig.data[len(STATUSES) :]
    )


def test_steps_beyond_the_tree_is_refused(tree):
    with pytest.raises(ValueError, match=f"steps must be an integer <= {len(tree)}"):
        beam_tree_figure(tree, steps=len(tree) + 1)
