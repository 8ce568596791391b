"""The depth experiment (llmviz.layers.depth_experiment): a rerun of the first steps
repeats the shipped log, DeepNorm's model takes DeepNet's α and β, and the analysis
(llmviz.layers.depth_analysis) computes what it says, checked against direct sums."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmviz.layers.deepnorm import deepnorm_constants
from llmviz.layers.depth_analysis import (
    compare_losses,
    final_losses,
    gradient_grid,
    last_to_first_gradient,
    loss_curve,
    state_changes,
)
from llmviz.layers.depth_experiment import (
    SETTINGS,
    VARIANTS,
    DepthModel,
    load_log,
    train_run,
)


@pytest.fixture(scope="module")
def log():
    return load_log()


def test_log_holds_every_variant_and_two_seeds(log):
    assert set(log["runs"]) == set(VARIANTS)
    for seeds in log["runs"].values():
        assert len(seeds) >= 2
        for run in seeds.values():
            assert len(run["loss"]) == SETTINGS["steps"]
            assert np.array(run["grad_norms"]).shape[1] == SETTINGS["num_layers"]
    assert {k: log["settings"][k] for k in SETTINGS} == SETTINGS


@pytest.mark.parametrize("variant", ["post", "deepnorm"])
def test_rerun_repeats_the_log(log, variant):
    threads = torch.get_num_threads()
    torch.set_num_threads(log["settings"]["threads"])
    try:
        settings = SETTINGS | {"steps": 3, "log_every": 1}
        run = train_run(variant, seed=0, **settings)
    finally:
        torch.set_num_threads(threads)
    shipped = log["runs"][variant]["0"]
    np.testing.assert_allclose(run["loss"], shipped["loss"][:3], rtol=1e-5)
    np.testing.assert_allclose(
        run["grad_norms"][0], shipped["grad_norms"][0], rtol=1e-4
    )


def test_deepnorm_model_uses_table_1():
    torch.manual_seed(0)
    model = DepthModel("deepnorm", 6, 16)
    alpha, beta = deepnorm_constants(decoder_layers=6)["decoder"]
    blocks = [b for layer in model.layers for b in layer]
    assert {b.alpha for b in blocks} == {alpha}
    torch.manual_seed(0)
    plain = DepthModel("post", 6, 16)
    assert {b.alpha for layer in plain.layers for b in layer} == {1.0}
    # v_proj starts β times smaller than Xavier's std, q_proj at Xavier's
    xavier = (2 / (16 + 16)) ** 0.5
    v = torch.cat(
        [layer[0].sublayer.attn.v_proj.weight.flatten() for layer in model.layers]
    )
    q = torch.cat(
        [layer[0].sublayer.attn.q_proj.weight.flatten() for layer in model.layers]
    )
    assert float(v.detach().std()) == pytest.approx(beta * xavier, rel=0.1)
    assert float(q.detach().std()) == pytest.approx(xavier, rel=0.1)


def toy_log():
    rng = np.random.default_rng(0)
    runs = {}
    for v in ("a", "b"):
        runs[v] = {str(s): {"loss": rng.uniform(1, 3, 20).tolist(),
                            "logged_steps": [0, 10, 19],
                            "grad_norms": rng.uniform(0.1, 2, (3, 4)).tolist(),
                            "state_changes": rng.uniform(0, 1, (3, 4)).tolist(),
                            "val_loss": float(rng.uniform(1, 3))}
                   for s in range(3)}  # fmt: skip
    return {"runs": runs}


def test_analysis_against_direct_computation():
    log = toy_log()
    runs = list(log["runs"]["a"].values())
    curve = loss_curve(log, "a", window=5)
    direct = [[np.mean(r["loss"][i - 4 : i + 1]) for i in range(4, 20)] for r in runs]
    np.testing.assert_allclose(curve["mean"], np.mean(direct, 0))
    np.testing.assert_allclose(curve["low"], np.min(direct, 0))
    assert curve["step"][0] == 4 and len(curve["step"]) == 16
    grid = gradient_grid(log, "a", seed=2)
    assert grid["grad"][3, 1] == runs[2]["grad_norms"][1][3]
    ratio = last_to_first_gradient(log, "a", row=1)
    assert ratio[0] == runs[0]["grad_norms"][1][3] / runs[0]["grad_norms"][1][0]
    np.testing.assert_allclose(
        state_changes(log, "a", row=0),
        np.mean([r["state_changes"][0] for r in runs], 0),
    )
    assert final_losses(log)["b"] == [r["val_loss"] for r in log["runs"]["b"].values()]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [([1.0, 1.1], [1.2, 1.3], "lower"), ([2.0], [1.0, 1.9], "higher"),
     ([1.0, 1.25], [1.2, 1.3], "cannot decide")],
)  # fmt: skip
def test_compare(a, b, expected):
    assert compare_losses(a, b) == expected
