"""Chapter 2's Huffman tree, noise and keep-probability figures: the tree has one leaf
per word at the depth of its code, V − 1 inner nodes and 2V − 2 edges; the highlighted
path follows the word's bits; every drawn series is what it was given; and malformed
arguments raise errors naming them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.huffman import huffman_codes
from llmviz.embeddings.vocab import keep_probability, noise_distribution
from llmviz.viz.huffman import huffman_tree_figure, keep_figure, noise_figure

EDGES, PATH, BITS, INNER, LEAVES = range(5)


def segment_count(trace) -> int:
    return list(trace.x).count(None)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 100), min_size=2, max_size=20), st.data())
def test_the_tree_has_every_word_at_its_code_depth_and_the_path_follows_the_bits(
    counts, data
):
    codes, _ = huffman_codes(counts)
    word = data.draw(st.integers(0, len(counts) - 1))
    labels = [f"w{i}" for i in range(len(counts))]
    fig = huffman_tree_figure(labels, codes, word, "t")
    leaves = fig.data[LEAVES]
    assert list(leaves.text) == labels
    assert list(leaves.x) == [len(c) for c in codes]  # depth = code length
    assert len(fig.data[INNER].x) == len(counts) - 1
    assert segment_count(fig.data[EDGES]) == 2 * len(counts) - 2
    assert segment_count(fig.data[PATH]) == len(codes[word])
    assert "".join(fig.data[BITS].text) == "".join(map(str, codes[word]))
    path_x = [x for x in fig.data[PATH].x if x is not None]
    assert max(path_x) == len(codes[word]) and min(path_x) == 0  # root to leaf
    ends = [
        (x, y)
        for x, y in zip(fig.data[PATH].x, fig.data[PATH].y, strict=True)
        if x == len(codes[word])
    ]
    assert ends == [
        (leaves.x[word], leaves.y[word])
    ]  # the path ends at the word's leaf


def test_rows_put_the_zero_branch_above():
    fig = huffman_tree_figure(["a", "b", "c"], ["0", "10", "11"], 2)
    assert (
        list(fig.data[LEAVES].y) == [0.0, 1.0, 2.0]
        and fig.layout.yaxis.autorange == "reversed"
    )


def test_noise_figure_draws_what_it_is_given():
    counts = np.array([50, 20, 5, 1])
    p, u = noise_distribution(counts, 0.75), noise_distribution(counts, 1.0)
    fig = noise_figure(p, u, "t", power=0.75)
    np.testing.assert_allclose(fig.data[2].y, p)
    np.testing.assert_allclose(fig.data[0].y, u)
    np.testing.assert_allclose(fig.data[1].y, [0.25, 0.25])
    assert fig.layout.yaxis.type == "log" and fig.layout.xaxis.title.text


def test_keep_figure_sorts_by_frequency():
    counts = np.array([5, 500, 50])
    keep = {"sample 1e-2": keep_probability(counts, 1e-2)}
    fig = keep_figure(counts / counts.sum(), keep, labels=["a", "b", "c"])
    assert list(fig.data[0].text) == ["a", "c", "b"]
    np.testing.assert_allclose(fig.data[0].y, keep["sample 1e-2"][[0, 2, 1]])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: huffman_tree_figure(["a", "b"], ["0", "01"], 0), "codes"),
        (lambda: huffman_tree_figure(["a", "b"], ["0", "2"], 0), "codes"),
        (lambda: huffman_tree_figure(["a", "b"], ["0"], 0), "codes"),
        (lambda: huffman_tree_figure(["a"], ["0", "1"], 0), "labels"),
        (lambda: huffman_tree_figure(["a", "b"], ["0", "1"], 2), "word"),
        (lambda: huffman_tree_figure(["a", "b"], ["0", "1"], 0, title=3), "title"),
        (lambda: noise_figure([0.5, 0.5], [1.0], "t"), "unigram"),
        (lambda: noise_figure([np.nan, 0.5], [0.5, 0.5], "t"), "probabilities"),
        (lambda: keep_figure([0.5, 0.5], {}, "t"), "keep"),
        (lambda: keep_figure([0.5, 0.5], {"s": [1.0]}, "t"), "keep"),
    ],
)
def test_bad_arguments_are_named(call, name):
    with pytest.raises((TypeError, ValueError), match=name):
        call()
