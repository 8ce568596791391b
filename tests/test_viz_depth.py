"""The depth figures (llmviz.viz.depth) draw exactly the data they are given: each
placement's gradient grid on one shared log colour scale with layer 1 at the bottom,
the loss curves with their seed bands, the per-layer profiles; titles and axis titles
are set, and malformed data gets a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from llmviz.viz.depth import gradient_heatmaps, layer_profile, loss_curves

RNG = np.random.default_rng(0)
GRIDS = {
    "post": {"step": [0, 10, 20], "grad": RNG.uniform(0.1, 1, (4, 3))},
    "pre": {"step": [0, 10, 20], "grad": RNG.uniform(1, 30, (4, 3))},
}


def test_heatmaps_share_one_log_scale():
    fig = gradient_heatmaps(GRIDS, "Gradients per layer")
    assert fig.layout.title.text == "Gradients per layer"
    lows = {round(t.zmin, 9) for t in fig.data}
    highs = {round(t.zmax, 9) for t in fig.data}
    everything = np.concatenate([g["grad"].ravel() for g in GRIDS.values()])
    assert lows == {round(float(np.log10(everything.min())), 9)}
    assert highs == {round(float(np.log10(everything.max())), 9)}
    for trace, grid in zip(fig.data, GRIDS.values(), strict=True):
        np.testing.assert_allclose(trace.z, np.log10(grid["grad"]))
        assert list(trace.y) == [1, 2, 3, 4]  # layer 1 first, drawn at the bottom
    assert sum(bool(t.showscale is not False) for t in fig.data) == 1  # one colour bar
    assert fig.layout.xaxis.title.text == "step"
    assert fig.layout.yaxis.title.text == "layer"


def test_loss_curves_draw_mean_and_band():
    curve = {"step": [0, 1, 2], "mean": [3.0, 2.0, 1.5], "low": [2.9, 1.9, 1.4],
             "high": [3.1, 2.2, 1.6]}  # fmt: skip
    fig = loss_curves({"pre": curve}, "Loss")
    band, line = fig.data
    assert list(line.y) == curve["mean"] and line.name == "pre"
    assert list(band.y) == curve["high"] + curve["low"][::-1]
    assert fig.layout.yaxis.title.text and fig.layout.xaxis.title.text


def test_profile_is_over_layers_from_one():
    fig = layer_profile({"a": [1.0, 0.5, 0.25]}, "Profile", "change", log_y=True)
    assert list(fig.data[0].x) == [1, 2, 3] and fig.layout.yaxis.type == "log"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: gradient_heatmaps({}, "t"), "grids"),
        (lambda: gradient_heatmaps({"a": {"step": [0]}}, "t"), "grad"),
        (lambda: gradient_heatmaps({"a": {"step": [0], "grad": [[0.0]]}}, "t"),
         "positive"),
        (lambda: gradient_heatmaps(GRIDS, None), "title"),
        (lambda: loss_curves({"a": {"step": [0, 1], "mean": [1.0], "low": [1.0],
                                    "high": [1.0]}}, "t"), "one value per step"),
        (lambda: layer_profile({"a": [np.nan]}, "t", "y"), "NaN"),
        (lambda: layer_profile({"a": [1.0]}, "t", 3), "y_title"),
    ],
)  # fmt: skip
def test_bad_data(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_seeds_over_depth_draws_mean_and_spread():
    from llmviz.viz.depth import seeds_over_depth

    v = np.array([[1.0, 2.0, 4.0], [3.0, 2.0, 6.0]])
    fig = seeds_over_depth([2, 4, 8], {"post": v}, "Update", "size")
    (trace,) = fig.data
    assert list(trace.y) == [2.0, 2.0, 5.0]
    assert list(trace.error_y.array) == [1.0, 0.0, 1.0]
    assert list(trace.error_y.arrayminus) == [1.0, 0.0, 1.0]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.title.text == "size"
    with pytest.raises(ValueError, match="one column per depth"):
        seeds_over_depth([2, 4], {"post": v}, "t", "y")
