"""viz.compact: the figure plotly.js draws is the same, in fewer bytes: every number
equal after the narrowing (exactly when whole, to float32 otherwise), every frame equal
once the values it no longer repeats are filled in from the trace, and every category
still named in the hover."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import llmviz.viz as viz
from llmviz.viz.compact import compact


def slider(values: np.ndarray) -> go.Figure:
    """One heatmap per step, a shared x, a line whose y changes: the shape of chapter
    4's sliders."""
    steps = len(values)
    x = np.arange(values.shape[-1])
    fig = go.Figure([go.Heatmap(z=values[0].tolist(), x=x.tolist()),
                     go.Scatter(x=x.tolist(), y=values[0, 0].tolist(), name="row 0")])  # fmt: skip
    fig.frames = [
        go.Frame(name=str(s), data=[go.Heatmap(z=values[s].tolist(), x=x.tolist()),
                                    go.Scatter(x=x.tolist(), y=values[s, 0].tolist())])
        for s in range(steps)
    ]  # fmt: skip
    return fig


def filled(fig: go.Figure, step: int, index: int, key: str):
    """What trace ``index`` shows at frame ``step``: the frame's value, else the
    trace's (plotly keeps what a frame does not set)."""
    value = fig.frames[step].data[index][key]
    return fig.data[index][key] if value is None else value


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    steps=st.integers(1, 4),
    whole=st.booleans(),
    scale=st.sampled_from([1.0, 100.0, 1e6, 1e12]),
)
def test_numbers_and_frames_survive(seed, steps, whole, scale):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(steps, 3, 5)) * scale
    values = values.round() if whole else values
    original = slider(values)
    fig = compact(original)
    for step in range(steps):
        for index, key in ((0, "z"), (0, "x"), (1, "x"), (1, "y")):
            got = np.asarray(filled(fig, step, index, key), dtype=np.float64)
            want = np.asarray(original.frames[step].data[index][key], dtype=np.float64)
            if whole:
                np.testing.assert_array_equal(got, want)  # integers stay exact
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_slider_of_heatmaps_is_more_than_twice_lighter():
    values = np.random.default_rng(0).normal(size=(5, 64, 64))
    original = slider(values)
    light = compact(original)
    assert len(light.to_json()) * 2 < len(original.to_json())  # 2.8× here


def test_what_every_frame_repeats_leaves_the_frames():
    fig = compact(slider(np.arange(2 * 3 * 5, dtype=float).reshape(2, 3, 5)))
    assert all(frame.data[1].x is None for frame in fig.frames)  # shared x: once
    assert all(frame.data[1].y is not None for frame in fig.frames)  # y changes


def test_a_value_one_frame_changes_stays_in_every_frame():
    """Dropping a value from only the frames that equal the start would be wrong:
    animating from a frame that changed it would keep the change."""
    fig = slider(np.zeros((3, 2, 2)))
    fig.frames[1].data[1].name = "other"
    fig.frames[0].data[1].name = fig.frames[2].data[1].name = "row 0"
    fig = compact(fig)
    assert [frame.data[1].name for frame in fig.frames] == ["row 0", "other", "row 0"]


def test_category_strings_are_named_once_in_the_hover():
    codes = [[0, 1], [2, 1]]
    labels = [["masked", "read"], ["kept", "read"]]
    fig = go.Figure(go.Heatmap(z=codes, customdata=labels,
                               hovertemplate="q %{y}, k %{x}: %{customdata}"))  # fmt: skip
    fig = compact(fig)
    assert fig.data[0].customdata is None
    assert fig.data[0].hovertemplate == (
        "q %{y}, k %{x}: %{z}<br>0: masked<br>1: read<br>2: kept"
    )


def test_strings_that_say_more_than_the_colours_stay():
    fig = go.Figure(go.Heatmap(z=[[0, 0]], customdata=[["a", "b"]],
                               hovertemplate="%{customdata}"))  # fmt: skip
    fig = compact(fig)
    assert fig.data[0].customdata is not None  # one code, two names: keep them


def test_labels_and_large_counts_are_kept_exactly():
    fig = compact(go.Figure(go.Bar(x=["dense", "window"], y=[123_456_789, 2**40 + 1])))
    assert list(fig.data[0].x) == ["dense", "window"]
    assert [int(v) for v in fig.data[0].y] == [123_456_789, 2**40 + 1]


def test_a_book_figure_draws_the_same_data():
    fig = viz.mask_heatmap(np.tril(np.ones((4, 4), dtype=bool)))
    before = np.asarray(fig.data[0].z, dtype=float)
    np.testing.assert_array_equal(np.asarray(compact(fig).data[0].z, float), before)


def test_none_stays_none():
    """A legend swatch at x=[None] is drawn nowhere; as NaN, a category axis would
    draw it as a category of its own."""
    fig = go.Figure([go.Heatmap(z=[[0, 1]], x=["a", "b"]),
                     go.Scatter(x=[None], y=[None], name="key", mode="markers")])  # fmt: skip
    light = compact(fig)
    assert list(light.data[1].x) == [None] and list(light.data[1].y) == [None]


def test_the_figure_given_is_left_as_it_is():
    original = slider(np.ones((2, 2, 3)) / 3)
    before = original.to_json()
    compact(original)
    assert original.to_json() == before


def test_not_a_figure_is_named():
    with pytest.raises(TypeError, match="fig must be a plotly go.Figure, got dict"):
        compact({"data": []})
