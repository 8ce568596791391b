"""Chapter 2's frame figures (llmviz.viz.embedding_tables): they draw exactly what they
are given, on the stated scales, and refuse malformed input naming it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmviz.embeddings.onehot import cosine_matrix, one_hot
from llmviz.viz.embedding_tables import parameter_share_figure, similarity_panels

WORDS = ["list", "tuple", "dict"]


def test_similarity_panels_draw_each_matrix_on_one_scale():
    learned = cosine_matrix(
        torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    )
    onehot = cosine_matrix(one_hot(torch.arange(3), 3))
    fig = similarity_panels(WORDS, {"one-hot": onehot, "learned": learned}, "a point")
    assert [a.text for a in fig.layout.annotations] == ["one-hot", "learned"]
    assert fig.layout.xaxis.dtick == fig.layout.xaxis2.dtick == 1  # every word
    np.testing.assert_allclose(np.array(fig.data[0].z, float), np.eye(3))
    np.testing.assert_allclose(
        np.array(fig.data[1].z, float), learned.numpy(), atol=0.005
    )
    assert all(t.zmin == -1 and t.zmax == 1 for t in fig.data)
    assert list(fig.data[0].x) == WORDS and list(fig.data[1].y) == WORDS
    assert sum(bool(t.showscale) for t in fig.data) == 1  # one colour bar for both
    assert fig.data[0].colorbar.title.text == "cosine"
    assert fig.layout.title.text == "a point"


@pytest.mark.parametrize(
    ("matrices", "error", "named"),
    [
        ({}, TypeError, "matrices"),
        ({"a": [[1.0, 0.0]]}, ValueError, "matrices['a']"),
        ({"a": [[2.0, 0.0], [0.0, 1.0]]}, ValueError, "matrices['a']"),
        ({"a": [[1.0, 0.0], [0.0, float("nan")]]}, ValueError, "matrices['a']"),
    ],
)
def test_similarity_panels_refuse_bad_matrices(matrices, error, named):
    with pytest.raises(error, match=named.replace("[", r"\[")):
        similarity_panels(["x", "y"], matrices, "t")


def test_similarity_panels_refuse_wrong_labels():
    with pytest.raises(ValueError, match="words"):
        similarity_panels(["x"], {"a": np.eye(2)}, "t")


def test_parameter_share_figure_stacks_the_parts():
    parts = {"embedding": [25.0, 3.9], "rest": [75.0, 96.1]}
    fig = parameter_share_figure(["TinyGPT", "Llama-2-7B"], parts, "a point")
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == list(parts)
    for trace, shares in zip(fig.data, parts.values(), strict=True):
        assert list(trace.x) == shares and list(trace.y) == ["TinyGPT", "Llama-2-7B"]
    assert fig.layout.xaxis.title.text and list(fig.layout.xaxis.range) == [0, 100]
    assert fig.data[1].text[1] == "96%" and fig.data[0].text[1] == ""  # too thin


@pytest.mark.parametrize(
    ("models", "parts", "error", "named"),
    [
        (["a"], {}, TypeError, "parts"),
        (["a"], {"e": [120.0]}, ValueError, "parts"),
        (["a", "b"], {"e": [10.0]}, ValueError, "models"),
        (["a"], {"e": "10"}, TypeError, "parts"),
    ],
)
def test_parameter_share_figure_refuses_bad_input(models, parts, error, named):
    with pytest.raises(error, match=named):
        parameter_share_figure(models, parts, "t")
