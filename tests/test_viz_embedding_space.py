"""The embedding-space figures (llmviz.viz.embedding_space): what they draw follows
what they are given (points, neighbours, explained variance), every axis is titled,
and the slider opens where asked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmviz.embeddings.similarity import nearest, pca_2d
from llmviz.viz.embedding_space import (
    axis_titles,
    onehot_vs_learned,
    space_panel,
    space_slider,
)

WORDS = ("int", "float", "str", "list", "tuple", "dict", "class", "def")
VECTORS = torch.randn(len(WORDS), 6, generator=torch.Generator().manual_seed(0))
POINTS, RATIO = pca_2d(VECTORS)


def test_the_panel_highlights_the_neighbours_it_is_given():
    near = nearest(VECTORS, WORDS, "int", k=3)
    fig = space_panel(POINTS, WORDS, RATIO, "int", near, "a title", ["int", "def"])
    background, anchors, spokes, highlighted, query = fig.data
    assert list(highlighted.text) == [w for w, _ in near]
    assert list(anchors.text) == ["def"] or "def" in list(highlighted.text)
    labels = [a.text for a in fig.layout.annotations]
    assert sorted(labels[1:]) == sorted(w for w, _ in near) and "int" in labels[0]
    rows = [WORDS.index(w) for w, _ in near]
    np.testing.assert_allclose(highlighted.x, POINTS[rows, 0].numpy())
    assert list(query.text) == ["int"] and query.x[0] == pytest.approx(
        float(POINTS[0, 0])
    )
    assert len(spokes.x) == 3 * len(near)  # one segment and a gap per neighbour
    assert "%" in fig.layout.xaxis.title.text and "%" in fig.layout.yaxis.title.text


def test_axis_titles_state_the_explained_variance():
    assert axis_titles([0.25, 0.125]) == (
        "PC1: 25.0% of the variance",
        "PC2: 12.5% of the variance",
    )


def test_the_slider_has_a_frame_per_query_and_opens_on_the_active_one():
    neighbours = {q: nearest(VECTORS, WORDS, q, k=2) for q in ("int", "list", "class")}
    fig = space_slider(POINTS, WORDS, RATIO, neighbours, active=1, dim=6)
    assert len(fig.frames) == 3 and fig.layout.sliders[0].active == 1
    assert "list" in fig.layout.title.text and "6-D" in fig.layout.title.text
    for frame, (query, near) in zip(fig.frames, neighbours.items(), strict=True):
        assert query in frame.layout.title.text
        assert all(w in frame.layout.title.text for w, _ in near)
        labels = sorted(a.text for a in frame.layout.annotations[1:])
        assert labels == sorted(w for w, _ in near)  # the labels move with the frame


def test_one_hot_beside_learned_has_two_titled_panels():
    onehot_points, onehot_ratio = pca_2d(torch.eye(len(WORDS)))
    fig = onehot_vs_learned(onehot_points, onehot_ratio, POINTS, RATIO, WORDS)
    assert [a.text for a in fig.layout.annotations][:2] == [
        "one-hot (PCA by SVD)",
        "learned (PCA by SVD)",
    ]
    assert fig.layout.xaxis.title.text.startswith("PC1")
    assert fig.layout.xaxis2.title.text.startswith("PC1")
    assert (
        f"{100 / (len(WORDS) - 1):.1f}% of the variance" in fig.layout.xaxis.title.text
    )


def test_one_hot_beside_learned_colours_the_groups_it_is_given():
    onehot_points, onehot_ratio = pca_2d(torch.eye(len(WORDS)))
    groups = ["types"] * 6 + ["keywords"] * 2
    fig = onehot_vs_learned(
        onehot_points, onehot_ratio, POINTS, RATIO, WORDS, "a point", groups=groups
    )
    assert [t.name for t in fig.data] == ["types", "keywords"] * 2
    assert [t.showlegend for t in fig.data] == [None, None, False, False]  # once each
    assert fig.data[0].marker.color != fig.data[1].marker.color
    assert fig.data[0].marker.color == fig.data[2].marker.color  # same group, panels
    assert list(fig.data[1].text) == ["class", "def"] and fig.data[1].mode == "markers"
    top, low = fig.layout.yaxis.domain, fig.layout.yaxis2.domain
    assert low[1] < top[0] and fig.layout.annotations[1].y == low[1]
    assert fig.layout.legend.orientation == "h" and fig.layout.height <= 700


@pytest.mark.parametrize(
    ("groups", "error"),
    [("types", TypeError), (["a"] * 3, ValueError), ([1] * len(WORDS), ValueError)],
)
def test_one_hot_beside_learned_refuses_bad_groups(groups, error):
    with pytest.raises(error, match="groups"):
        onehot_vs_learned(POINTS, RATIO, POINTS, RATIO, WORDS, "t", groups=groups)
