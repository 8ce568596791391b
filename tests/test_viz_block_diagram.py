"""The decoder block's norm placements (llmviz.viz.diagrams.norm_placement_diagram):
what each slider step draws, read back from its shapes and annotations, against what
llmviz.layers.placement computes; and its bad input (tests/bad_input.py)."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from llmviz.layers.placement import PLACEMENTS, apply_placement
from llmviz.viz.diagrams import norm_placement_diagram

DRAWN = PLACEMENTS[:4]  # "none" has no residual, so no identity path to draw
LABELS = ["Post-Norm", "Pre-Norm", "Sandwich-Norm", "DeepNorm"]
EPS = 1e-6


class Counting(nn.Module):
    """A norm that doubles its input and counts its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return 2 * x


class Zero(nn.Module):
    """A branch that adds nothing: what is left is the identity path."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)


def defined(placement: str) -> tuple[int, bool]:
    """(norms per residual step, whether the identity path passes a norm), from
    ``apply_placement``: with a zero branch, x comes out unchanged iff no norm (and
    no scale) sits on the identity path."""
    norm, out_norm, x = Counting(), Counting(), torch.tensor([1.0, -3.0])
    y = apply_placement(x, Zero(), norm, placement, alpha=1.0, out_norm=out_norm)
    return norm.calls + out_norm.calls, not torch.equal(y, x)


class Step:
    """One slider step: the shapes and annotations it lays out, as plain dicts."""

    def __init__(self, fig, index: int) -> None:
        step = fig.layout.sliders[0].steps[index]
        self.label, self.method = step.label, step.method
        self.shapes, self.notes = step.args[0]["shapes"], step.args[0]["annotations"]
        names = {a["name"]: a for a in self.notes}
        self.boxes = {
            s["name"][4:]: dict(s, text=names[f"label:{s['name'][4:]}"]["text"])
            for s in self.shapes if s["name"].startswith("box:")
        }  # fmt: skip
        self.identity = [a for a in self.notes if a["name"].startswith("identity:")]
        self.adds = [s for s in self.shapes if s["name"].startswith("add:")]
        caption = self.notes[-1]
        assert caption["name"] == "subtitle"
        self.caption = caption["text"].replace("\u00a0", " ")

    def text(self, box: dict) -> str:
        return re.sub("<[^>]+>", "", box["text"])

    def norms(self) -> list[dict]:
        return [b for b in self.boxes.values() if self.text(b) == "Norm"]

    def on_identity(self, box: dict) -> bool:
        """Whether the identity path's line runs into ``box`` and out of it."""
        (x,) = {a["x"] for a in self.identity} | {a["ax"] for a in self.identity}
        ends = {a["y"] for a in self.identity} | {a["ay"] for a in self.identity}
        inside = box["x0"] - EPS <= x <= box["x1"] + EPS
        return inside and {box["y0"], box["y1"]} <= ends


@pytest.fixture(scope="module")
def fig():
    return norm_placement_diagram()


@pytest.mark.parametrize("active", DRAWN)
def test_the_slider_steps_through_the_four_placements_opening_on_active(active):
    figure = norm_placement_diagram(active)
    slider = figure.layout.sliders[0]
    assert [step.label for step in slider.steps] == LABELS
    assert slider.active == DRAWN.index(active)
    layout = figure.to_plotly_json()["layout"]
    opening = Step(figure, DRAWN.index(active))
    assert [s["name"] for s in layout["shapes"]] == [s["name"] for s in opening.shapes]
    assert [a["text"] for a in layout["annotations"]] == [
        a["text"] for a in opening.notes
    ]


def test_the_default_opens_on_pre_norm(fig):
    assert fig.layout.sliders[0].steps[fig.layout.sliders[0].active].label == "Pre-Norm"


@pytest.mark.parametrize("index", range(4))
def test_each_step_draws_the_norms_where_its_placement_puts_them(fig, index):
    step, (per_step, on_identity) = Step(fig, index), defined(DRAWN[index])
    assert step.method == "relayout"
    norms = step.norms()
    assert len(norms) == 2 * per_step  # two residual steps: attention, then FFN
    assert any(step.on_identity(b) for b in norms) == on_identity
    if on_identity:  # then every norm is on it
        assert all(step.on_identity(b) for b in norms)
    verdict = "passes through every norm" if on_identity else "untouched"
    assert LABELS[index] in step.caption and verdict in step.caption


@pytest.mark.parametrize("index", range(4))
def test_each_step_has_both_branches_and_an_unbroken_identity_path(fig, index):
    step = Step(fig, index)
    branches = sorted(step.text(b) for b in step.boxes.values() if "Norm" not in
                      step.text(b) and "α" not in step.text(b))  # fmt: skip
    assert branches == ["Attention", "FFN (SwiGLU)"]
    assert len(step.adds) == 2
    # Bottom to top, each identity arrow starts where the last one's box or ⊕ ends.
    pieces = sorted(step.identity, key=lambda a: -a["ay"])
    assert pieces[0]["name"].startswith("identity:input->")
    assert pieces[-1]["name"].endswith("->output")
    for low, high in zip(pieces[:-1], pieces[1:], strict=True):
        key = low["name"].split("->")[1]
        assert key == high["name"].split(":")[1].split("->")[0]
        if key.startswith("add"):
            (add,) = [s for s in step.adds if s["name"] == f"add:{key}"]
            radius = (add["y1"] - add["y0"]) / 2  # pixels about its centre
            gap = (add["yanchor"] + radius, add["yanchor"] - radius)
        else:
            gap = (step.boxes[key]["y1"], step.boxes[key]["y0"])
        assert (low["y"], high["ay"]) == pytest.approx(gap)


@pytest.mark.parametrize("index", range(4))
def test_deepnorm_alone_scales_the_identity_path_by_alpha(fig, index):
    step = Step(fig, index)
    alphas = [b for b in step.boxes.values() if "α" in step.text(b)]
    assert len(alphas) == (2 if DRAWN[index] == "deepnorm" else 0)
    assert all(step.on_identity(b) for b in alphas)
    assert ("α > 1" in step.caption) == (DRAWN[index] == "deepnorm")


@pytest.mark.parametrize("index", range(4))
def test_each_step_reads_in_both_themes_and_fits(fig, index):
    step = Step(fig, index)
    assert fig.layout.height <= 600 and fig.layout.title.text.count("<br>") <= 1
    assert all("color" not in a.get("font", {}) for a in step.notes)
    colours = {"add": {s["line"]["color"] for s in step.adds}}
    for box in step.boxes.values():  # a colour per kind of box, each labelled
        text = step.text(box)
        kind = "norm" if text == "Norm" else "alpha" if "α" in text else "branch"
        colours.setdefault(kind, set()).add(box["line"]["color"])
        label = next(a for a in step.notes if a["name"] == f"label:{box['name'][4:]}")
        assert box["x0"] < label["x"] < box["x1"] and box["y0"] < label["y"] < box["y1"]
    assert all(len(found) == 1 for found in colours.values())
    assert len(set.union(*colours.values())) == len(colours)
    found = list(step.boxes.items())
    for i, (a, p) in enumerate(found):
        for b, q in found[i + 1 :]:
            apart = (p["x1"] <= q["x0"] or q["x1"] <= p["x0"]
                     or p["y1"] <= q["y0"] or q["y1"] <= p["y0"])  # fmt: skip
            assert apart, f"{a} overlaps {b}"


@pytest.mark.parametrize(
    "bad, error",
    [("bogus", ValueError), ("none", ValueError), ("Pre", ValueError),
     (None, TypeError), (3, TypeError), (b"pre", TypeError)],
)  # fmt: skip
def test_bad_active_is_refused_by_name(bad, error):
    with pytest.raises(error, match="active") as raised:
        norm_placement_diagram(bad)
    if error is ValueError:
        assert repr(bad) in str(raised.value) and "'deepnorm'" in str(raised.value)
