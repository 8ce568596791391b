"""The beam-search tree figure: one node per candidate of ``beam_search``, each joined
to the node of the beam it extends, and clear errors for a malformed tree."""

import pytest
import torch

from llmviz.decoding.beam import beam_search
from llmviz.viz.beams import STATUSES, beam_tree_figure


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
    """{end point: start point} over the edge traces."""
    found = {}
    for trace in fig.data[: len(STATUSES)]:
        xs, ys = list(trace.x), list(trace.y)
        for i in range(0, len(xs), 3):
            assert xs[i + 2] is None and ys[i + 2] is None  # one segment each
            found[(xs[i + 1], ys[i + 1])] = (xs[i], ys[i])
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


def test_pruned_labels_show_on_hover_only_and_neighbours_alternate_sides(tree):
    fig = beam_tree_figure(tree)
    by_status = {trace.name: trace for trace in fig.data[len(STATUSES) :]}
    assert by_status["pruned"].mode == "markers"
    assert by_status["running"].mode == by_status["finished"].mode == "markers+text"
    pairs = {
        (rank % 2, position)
        for trace in by_status.values()
        for rank, position in zip(trace.x, trace.textposition, strict=True)
    }
    # one side per parity of the rank, and the two sides differ: labels of ranks side
    # by side never share a side
    assert len(pairs) == 2 and {parity for parity, _ in pairs} == {0, 1}


def test_steps_beyond_the_tree_is_refused(tree):
    with pytest.raises(ValueError, match=f"steps must be an integer <= {len(tree)}"):
        beam_tree_figure(tree, steps=len(tree) + 1)
