"""word2vec's figures (llmviz.viz.word2vec): what they draw follows their input, and
bad input is refused with a clear error."""

from __future__ import annotations

import pytest

from llmviz.viz.word2vec import loss_figure, windows_figure


def arcs(fig, task):
    return [t for t in fig.data if t.legendgroup == task and t.mode == "lines+markers"]


@pytest.mark.parametrize(
    ("n", "centre", "window"), [(6, 2, 2), (6, 0, 3), (4, 3, 1), (8, 4, 5)]
)
def test_one_arc_per_context_word_ending_at_the_predicted_word(n, centre, window):
    fig = windows_figure([f"w{i}" for i in range(n)], centre=centre, window=window)
    context = [j for j in range(n) if 0 < abs(j - centre) <= window]
    for task in ("CBOW", "skip-gram"):
        lines = arcs(fig, task)
        assert len(lines) == len(context)
        ends = sorted(round(t.x[-1]) for t in lines)
        starts = sorted(round(t.x[0]) for t in lines)
        if task == "CBOW":  # every arc ends at the centre
            assert ends == [centre] * len(context) and starts == context
        else:
            assert starts == [centre] * len(context) and ends == context
    kinds = {
        t.name: list(t.x)
        for t in fig.data
        if t.mode == "text" and len(t.y) and t.y[0] == 0
    }
    assert kinds["centre word"] == [centre] and kinds["context"] == context


def test_the_loss_curve_is_a_running_mean_over_the_epochs():
    fig = loss_figure({"a": [4.0, 2.0, 3.0, 1.0]}, epochs=2, smooth=2)
    assert list(fig.data[0].y) == [3.0, 2.5, 2.0]
    assert list(fig.data[0].x) == [1.0, 1.5, 2.0]
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"tokens": "a b"}, "tokens"),
        ({"tokens": ["a"]}, "tokens"),
        ({"centre": 9}, "centre"),
        ({"window": 0}, "window"),
        ({"glosses": ["x"]}, "glosses"),
        ({"title": 3}, "title"),
    ],
)
def test_windows_figure_refuses_bad_input(kwargs, name):
    args = {"tokens": ["a", "b", "c"], "centre": 1, "window": 1} | kwargs
    with pytest.raises((TypeError, ValueError), match=name):
        windows_figure(**args)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"losses": {}}, "losses"),
        ({"losses": {"a": [1.0, float("nan")]}}, "losses"),
        ({"epochs": 0}, "epochs"),
        ({"smooth": 0}, "smooth"),
    ],
)
def test_loss_figure_refuses_bad_input(kwargs, name):
    args = {"losses": {"a": [1.0, 2.0]}, "epochs": 1} | kwargs
    with pytest.raises((TypeError, ValueError), match=name):
        loss_figure(**args)


def test_the_agreement_figure_draws_every_point_and_the_diagonal():
    from llmviz.viz.word2vec import agreement_figure

    fig = agreement_figure([0.0, 1.0, -2.0], [0.5, 1.0, -1.0], "x", "y", "t")
    assert list(fig.data[0].x) == [0.0, 1.0, -2.0]
    assert list(fig.data[1].x) == [-2.0, 1.0] == list(fig.data[1].y)
    with pytest.raises(ValueError, match="x and y"):
        agreement_figure([0.0], [0.0, 1.0], "x", "y")
    with pytest.raises(ValueError, match="finite"):
        agreement_figure([float("nan")], [0.0], "x", "y")


def test_windows_figure_leaves_room_for_long_end_words():
    short = windows_figure(["a", "b", "c"], centre=1, window=1)
    long = windows_figure(["inserted", "b", "c"], centre=1, window=1)
    assert short.layout.xaxis.range[0] == -0.5 and long.layout.xaxis.range[0] < -0.5
    assert short.layout.xaxis.range[1] == 2.5  # half a slot beyond the last word
    assert "skip-<br>gram" in long.layout.yaxis.ticktext  # row names fit a phone
