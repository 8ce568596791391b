"""The activation figures draw what llmviz.layers.activations computes: a panel per
activation with its value and derivative, and a slider whose frames are the
activation at each parameter value (llmviz.viz.activations)."""

from __future__ import annotations

import numpy as np
import torch

from llmviz.layers.activations import activation, derivative
from llmviz.viz.activations import activation_gallery, parameter_slider

X = np.linspace(-4, 4, 41)


def _curves(*names: str) -> dict:
    t = torch.tensor(X)
    return {n: (activation(n, t).numpy(), derivative(n, t).numpy()) for n in names}


def test_gallery_has_a_panel_per_activation_and_one_legend():
    curves = _curves("relu", "gelu", "sigmoid", "tanh")
    fig = activation_gallery(X, curves, "ReLU stops half the gradients", cols=2)
    assert [a.text for a in fig.layout.annotations] == list(curves)
    assert len(fig.data) == 2 * len(curves)
    assert sum(bool(t.showlegend is not False) for t in fig.data) == 2
    np.testing.assert_allclose(fig.data[2].y, curves["gelu"][0])
    np.testing.assert_allclose(fig.data[3].y, curves["gelu"][1])
    assert fig.layout.title.text == "ReLU stops half the gradients"
    assert fig.layout.height <= 700
    titled = [a for a in fig.select_xaxes() if a.title.text == "x"]
    assert len(titled) == 2  # the bottom row's axes


def test_slider_frames_are_the_activation_at_each_value():
    values = [0.0, 0.1, 0.3, 1.0]
    fig = parameter_slider("leaky_relu", X, values, active=1)
    assert len(fig.frames) == len(values) and fig.layout.sliders[0].active == 1
    for frame, alpha in zip(fig.frames, values, strict=True):
        t = torch.tensor(X)
        np.testing.assert_allclose(
            frame.data[0].y, activation("leaky_relu", t, alpha=alpha)
        )
        np.testing.assert_allclose(
            frame.data[1].y, derivative("leaky_relu", t, alpha=alpha)
        )
        assert f"= {alpha:.3g}" in frame.layout.title.text  # f′ on the left is α
    assert fig.layout.xaxis.title.text == "x"
