"""The n-gram bucket figure: one marker per n-gram at its bucket, one trace per length,
and the collision trace joining exactly the n-grams whose bucket another n-gram shares."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz.embeddings.fasttext import char_ngrams, ngram_buckets
from llmviz.viz.ngrams import ngram_buckets_figure


def pairs(word: str, bucket: int) -> list[tuple[str, int]]:
    return list(
        zip(
            char_ngrams(word, 3, 5),
            ngram_buckets(word, 3, 5, bucket).tolist(),
            strict=True,
        )
    )


@settings(max_examples=25, deadline=None)
@given(words=st.lists(st.sampled_from(["where", "中文词", "cats", "嵌入", "é🙂"]), min_size=1,
                      max_size=3, unique=True), bucket=st.integers(1, 64))  # fmt: skip
def test_markers_and_collisions(words, bucket):
    data = {w: pairs(w, bucket) for w in words}
    fig = ngram_buckets_figure(data, bucket, "where the n-grams land")
    *by_length, shared = fig.data
    rows = [(f"{w} · {g}", g, b) for w, p in data.items() for g, b in p]
    drawn = sorted((y, x) for t in by_length for x, y in zip(t.x, t.y, strict=True))
    assert drawn == sorted((label, b) for label, _, b in rows)
    for trace in by_length:  # one length per trace, named by it
        assert {len(y.split(" · ", 1)[1]) for y in trace.y} == {
            int(trace.name.split("= ")[1])
        }
    owners = {}
    for _, g, b in rows:
        owners.setdefault(b, set()).add(g)
    expected = Counter(label for label, _, b in rows if len(owners[b]) > 1)
    assert Counter(y for y in shared.y if y is not None) == expected
    assert fig.layout.height <= 700 and fig.layout.title.text


def test_a_repeated_ngram_is_not_a_collision():
    fig = ngram_buckets_figure(
        {"aaaa": [("aaa", 2), ("aaa", 2)]}, 4, "same n-gram twice"
    )
    assert fig.data[-1].visible == "legendonly"


@pytest.mark.parametrize(
    "words, bucket, match",
    [({"a": [("<a>", 5)]}, 5, "bucket"), ({}, 5, "words"), ({"a": []}, 5, "words"),
     ({"a": [("<a>", -1)]}, 5, "bucket"), ({"a": [("<a>", True)]}, 5, "words")],
)  # fmt: skip
def test_bad_input_names_the_parameter(words, bucket, match):
    with pytest.raises((TypeError, ValueError), match=match):
        ngram_buckets_figure(words, bucket, "t")
