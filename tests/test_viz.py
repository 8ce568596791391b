"""Figure builders and the static slider: what is drawn is what was given, and every frame
of a slider is the figure that draw() makes for its value."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from llmviz import viz
from llmviz.attention import GALLERY, masks


def test_heatmap_draws_the_matrix_with_row_zero_on_top():
    z = torch.arange(6.0).reshape(2, 3)
    fig = viz.heatmap(z, x_labels=["a", "b", "c"], y_labels=["p", "q"], title="t")
    trace = fig.data[0]
    assert isinstance(trace, go.Heatmap)
    assert np.array_equal(np.asarray(trace.z), z.numpy())
    assert list(trace.x) == ["a", "b", "c"] and list(trace.y) == ["p", "q"]
    assert fig.layout.yaxis.autorange == "reversed"
    assert (
        fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
        and fig.layout.plot_bgcolor == "rgba(0,0,0,0)"
    )
    assert fig.layout.font.color == viz.LIGHT["font"]


def test_mask_heatmap_counts_the_visible_pairs_in_its_title():
    fig = viz.mask_heatmap(masks.materialize(masks.causal, 4, 4))
    assert fig.layout.title.text == "10 of 16 query–key pairs visible"
    assert np.array_equal(np.asarray(fig.data[0].z), np.tril(np.ones((4, 4))))


def test_bars_single_and_grouped():
    single = viz.bars([3, 1, 2], labels=["x", "y", "z"])
    assert len(single.data) == 1 and list(single.data[0].y) == [3, 1, 2]
    grouped = viz.bars({"a": torch.tensor([1.0, 2.0]), "b": np.array([3.0, 4.0])})
    assert [t.name for t in grouped.data] == ["a", "b"] and grouped.layout.showlegend
    across = viz.bars({"a": [1, 2], "b": [3, 4]}, ["p", "q"], horizontal=True)
    assert [(list(t.x), list(t.y), t.orientation) for t in across.data] == [
        ([1, 2], ["p", "q"], "h"),
        ([3, 4], ["p", "q"], "h"),
    ]
    assert across.layout.yaxis.autorange == "reversed"  # the first label on top


def test_lines_and_vectors():
    fig = viz.lines([1, 2, 4], {"up": [1, 2, 3], "down": [3, 2, 1]}, log_x=True)
    assert [t.name for t in fig.data] == [
        "up",
        "down",
    ] and fig.layout.xaxis.type == "log"
    arrows = viz.vectors({"q": [1.0, 0.5], "k": torch.tensor([-0.5, 1.0])})
    assert [list(t.x) for t in arrows.data] == [[0, 1.0], [0, -0.5]]
    assert arrows.layout.yaxis.scaleanchor == "x"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: viz.heatmap([1, 2, 3]),
            r"z must have 2 dimension\(s\), got shape \(3,\)",
        ),
        (
            lambda: viz.heatmap(np.ones((2, 3)), x_labels=["a"]),
            r"x_labels must hold 3 labels, got 1",
        ),
        (
            lambda: viz.bars({"a": [1, 2], "b": [1]}),
            r"every series of values must have the same length, got \[1, 2\]",
        ),
        (
            lambda: viz.lines([1, 2], {"a": [1, 2, 3]}),
            r"ys\['a'\] has 3 values but x has 2",
        ),
        (
            lambda: viz.vectors({"v": [1, 2, 3]}),
            r"arrows\['v'\] must have 2 entries, got \(3,\)",
        ),
    ],
)
def test_figure_builders_reject_bad_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- slider_figure -------------------------------------------------------------------------


def test_each_frame_is_the_figure_draw_makes_for_its_value():
    compute = lambda n, scale: [scale * i for i in range(n)]  # noqa: E731
    fig = viz.slider_figure(
        compute, "n", [2, 3, 5], draw=viz.bars, fixed={"scale": 10}, active=1
    )
    assert [frame.name for frame in fig.frames] == ["2", "3", "5"]
    for frame, n in zip(fig.frames, [2, 3, 5], strict=True):
        assert list(frame.data[0].y) == [10 * i for i in range(n)]
    slider = fig.layout.sliders[0]
    assert slider.active == 1 and list(fig.data[0].y) == [
        0,
        10,
        20,
    ]  # starts on the active frame
    assert [list(step.args[0]) for step in slider.steps] == [["2"], ["3"], ["5"]]
    assert all(step.method == "animate" for step in slider.steps)
    assert slider.currentvalue.prefix == "n = "


def test_frames_carry_their_own_titles():
    entry = GALLERY["sliding_window"]
    fig = viz.slider_figure(
        entry.compute, entry.param, entry.values, draw=viz.mask_heatmap
    )
    titles = [frame.layout.title.text for frame in fig.frames]
    counts = [int(entry.compute(window=w).sum()) for w in entry.values]
    assert titles == [f"{c} of 256 query–key pairs visible" for c in counts]


def test_float_values_get_short_labels():
    fig = viz.slider_figure(lambda t: [t], "t", [0.1, 1.0, 2.5], draw=viz.bars)
    assert [frame.name for frame in fig.frames] == ["0.1", "1", "2.5"]


def test_gallery_figures_stay_small():
    for entry in GALLERY.values():
        fig = viz.slider_figure(
            entry.compute, entry.param, entry.values, draw=viz.mask_heatmap
        )
        size = len(fig.to_json())
        assert size < 100_000, (
            f"{entry.param}: {size} bytes"
        )  # a page stays well under 2 MB


def test_slider_figure_rejects_bad_input():
    draw, compute = viz.bars, lambda n: [1] * n
    with pytest.raises(
        ValueError, match="values must hold at least one parameter value, got none"
    ):
        viz.slider_figure(compute, "n", [], draw=draw)
    with pytest.raises(ValueError, match=r"active must be an integer <= 2, got 3"):
        viz.slider_figure(compute, "n", [1, 2, 3], draw=draw, active=3)
    with pytest.raises(
        ValueError, match="'n' is the slider's parameter, so it cannot be fixed"
    ):
        viz.slider_figure(compute, "n", [1], draw=draw, fixed={"n": 2})
    with pytest.raises(TypeError, match="compute must be callable, got 3"):
        viz.slider_figure(3, "n", [1], draw=draw)
    with pytest.raises(
        TypeError, match="param must name a keyword argument of compute, got ''"
    ):
        viz.slider_figure(compute, "", [1], draw=draw)
    changing = lambda n: viz.bars([1]) if n == 1 else viz.bars({"a": [1], "b": [2]})  # noqa: E731
    with pytest.raises(
        ValueError,
        match=r"draw must give every frame the same traces, but n=2 gave \['bar', 'bar'\]",
    ):
        viz.slider_figure(lambda n: n, "n", [1, 2], draw=changing)


def test_nan_is_a_gap_in_heatmaps_and_lines_but_inf_is_refused():
    z = np.array([[0.5, np.nan], [0.25, 0.75]])
    assert np.isnan(np.asarray(viz.heatmap(z).data[0].z, dtype=float)[0, 1])
    assert np.isnan(viz.lines([1, 2], {"a": [1.0, np.nan]}).data[0].y[1])
    with pytest.raises(ValueError, match="z must hold finite numbers or NaN"):
        viz.heatmap(np.array([[0.5, np.inf], [0.25, 0.75]]))
    with pytest.raises(ValueError, match="values must hold finite numbers"):
        viz.bars([1.0, np.nan])


def test_slider_figure_names_the_value_that_fails_and_a_draw_without_figure():
    with pytest.raises(ValueError, match="param must name parameters of compute"):
        viz.slider_figure(lambda n: [1] * n, "m", [1, 2], draw=viz.bars)
    with pytest.raises(ValueError, match="values must each give a figure, but n=0"):
        viz.slider_figure(lambda n: [1] * n, "n", [1, 0], draw=viz.bars)
    with pytest.raises(
        TypeError, match="draw must return a plotly go.Figure, got list"
    ):
        viz.slider_figure(lambda n: [1] * n, "n", [1, 2], draw=lambda r: r)


def test_play_buttons_step_through_every_frame_in_order():
    fig = viz.slider_figure(lambda n: [1] * n, "n", [1, 2, 3], draw=viz.bars, play=True)
    play, pause = fig.layout.updatemenus[0].buttons
    assert (
        play.method == "animate" and play.args[0] is None
    )  # None: all frames, in order
    assert play.args[1]["fromcurrent"] and play.args[1]["frame"]["duration"] > 0
    assert list(pause.args[0]) == [None]  # [None] stops the animation
    assert not viz.slider_figure(
        lambda n: [1] * n, "n", [1, 2], draw=viz.bars
    ).layout.updatemenus


def test_small_multiples_keeps_every_panel_and_shows_a_shared_scale_once():
    panels = {
        f"seed {seed}": viz.heatmap(
            torch.rand(4, 5, generator=torch.Generator().manual_seed(seed))
        )
        for seed in range(3)
    }
    before = [panel.to_json() for panel in panels.values()]
    fig = viz.small_multiples(panels, "three maps", cols=2)
    assert [a.text for a in fig.layout.annotations] == list(panels)
    assert len(fig.data) == sum(len(p.data) for p in panels.values())
    for trace, panel in zip(fig.data, panels.values(), strict=True):
        np.testing.assert_array_equal(np.asarray(trace.z), np.asarray(panel.data[0].z))
    assert sum(bool(t.showscale) for t in fig.data) <= 1
    assert fig.layout.yaxis3.autorange == panels["seed 2"].layout.yaxis.autorange
    assert [panel.to_json() for panel in panels.values()] == before  # inputs unchanged


def test_small_multiples_never_shows_a_scale_or_legend_a_panel_hid():
    hidden = viz.heatmap(torch.rand(3, 3), show_scale=False)
    fig = viz.small_multiples(
        {"a": hidden, "b": viz.heatmap(torch.rand(3, 3))}, "two maps"
    )
    assert not fig.data[0].showscale


def test_small_multiples_keeps_square_cells_and_hides_empty_cells():
    square = viz.heatmap(torch.rand(3, 3))
    square.update_yaxes(scaleanchor="x")
    fig = viz.small_multiples({"a": square, "b": square, "c": square}, "three", cols=2)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis3.scaleanchor == "x3"
    assert fig.layout.xaxis4.visible is False and fig.layout.yaxis4.visible is False


@pytest.mark.parametrize("rows", [1, 3])
def test_legend_above_hangs_from_the_title_and_grows_the_figure_by_its_rows(rows):
    fig = viz.lines([0, 1], {"a": [1, 2], "b": [2, 1]}, title="two lines")
    top, height = fig.layout.margin.t, fig.layout.height
    viz.legend_above(fig, rows=rows)
    # the figure grows by the rows' room; plotly moves the plot below the legend, so
    # a wide page, where the legend takes fewer rows, shows no blank band
    assert fig.layout.height == height + 10 + 22 * rows
    assert fig.layout.margin.t == top
    legend = fig.layout.legend
    assert legend.orientation == "h" and legend.yref == "container"
    assert legend.yanchor == "top"
    assert (1 - legend.y) * fig.layout.height == pytest.approx(top)  # the title's foot


def test_legend_above_stays_at_the_title_when_a_slider_grows_the_figure():
    def draw(shift):
        fig = viz.lines([0, 1], {"a": [1, 2], "b": [2, shift]}, title="two lines")
        return viz.legend_above(fig, rows=2)

    top = draw(1).layout.margin.t
    fig = viz.slider_figure(lambda s: s, "s", [1, 2], draw=draw, play=True)
    assert (1 - fig.layout.legend.y) * fig.layout.height == pytest.approx(top)


def test_legend_above_panels_with_titles_keeps_the_legend_on_the_plot():
    panels = {"a": viz.bars([1, 2]), "b": viz.bars([2, 1])}
    fig = viz.small_multiples(panels, "two", cols=2)
    before = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    viz.legend_above(fig, rows=2)
    after = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert after == before and fig.layout.legend.y > 1  # a caller may lift it further


def test_heatmap_names_its_colour_bar():
    fig = viz.heatmap([[0.2, 0.8]], scale_title="weight")
    assert fig.data[0].colorbar.title.text == "weight"
    assert viz.heatmap([[0.2, 0.8]]).data[0].colorbar.title.text is None
