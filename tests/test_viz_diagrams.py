"""Concept diagrams (llmviz.viz.diagrams): properties that follow from what each one
draws, read back from the figure's shapes and annotations, not from its code."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from llmviz import viz

ROOT = Path(__file__).resolve().parent.parent
EPS = 1e-6


class Drawn:
    """A diagram's shapes and annotations as plain dicts (plotly's objects are slow)."""

    def __init__(self, fig) -> None:
        layout = fig.to_plotly_json()["layout"]
        self.title = layout["title"]["text"]
        self.height, self.layout = layout["height"], layout
        self.shapes = layout.get("shapes", [])
        self.notes = layout.get("annotations", [])
        self.legend = {
            trace["marker"]["line"]["color"] for trace in fig.to_plotly_json()["data"]
        }
        self.boxes = {
            s["name"][4:]: {"x0": s["x0"], "x1": s["x1"], "y0": s["y0"], "y1": s["y1"],
                            "muted": s["line"]["dash"] == "dot", "color": s["line"]["color"]}
            for s in self.shapes if s.get("name", "").startswith("box:")
        }  # fmt: skip
        self.arrows = [a for a in self.notes if a.get("name", "").startswith("arrow:")]
        self.text = " ".join(a["text"] for a in self.notes) + self.title

    def named(self, prefix: str) -> dict[str, dict]:
        return {a["name"][len(prefix):]: a for a in self.notes
                if a.get("name", "").startswith(prefix)}  # fmt: skip

    def containing(self, x: float, y: float, border: bool = True) -> list[str]:
        """The boxes whose rectangle holds (x, y) (on its border, when ``border``)."""
        found = []
        for key, b in self.boxes.items():
            inside = (b["x0"] - EPS <= x <= b["x1"] + EPS
                      and b["y0"] - EPS <= y <= b["y1"] + EPS)  # fmt: skip
            edge = min(abs(x - b["x0"]), abs(x - b["x1"]), abs(y - b["y0"]),
                       abs(y - b["y1"])) < EPS  # fmt: skip
            if inside and (edge or not border):
                found.append(key)
        return found

    def path_ends(self, name: str) -> tuple[tuple[float, float], ...] | None:
        for shape in self.shapes:
            if shape.get("name") == name:
                points = re.findall(r"([-\d.]+),([-\d.]+)", shape["path"])
                return tuple((float(x), float(y)) for x, y in (points[0], points[-1]))
        return None


def beam_args() -> dict:
    generator = torch.Generator().manual_seed(0)
    return {"beam_scores": [-0.4, -1.1],
            "log_probs": torch.randn(2, 7, generator=generator).log_softmax(-1)}  # fmt: skip


DIAGRAMS = {
    "model": lambda: viz.model_diagram(),
    "head": lambda: viz.attention_head_diagram(),
    "head with sizes": lambda: viz.attention_head_diagram(6, 64, 16),
    "gqa": lambda: viz.gqa_diagram(),
    "gqa 16 heads": lambda: viz.gqa_diagram(16, 4),
    "mla": lambda: viz.mla_diagram(),
    "mla absorbed": lambda: viz.mla_diagram(absorbed=True),
    "moe": lambda: viz.moe_router_diagram(),
    "moe 10 experts": lambda: viz.moe_router_diagram(list(range(10)), top_k=3),
    "beam": lambda: viz.beam_step_diagram(**beam_args()),
    "beam 12 candidates": lambda: viz.beam_step_diagram(
        [0.0] * 4, torch.zeros(4, 5).log_softmax(-1), per_beam=3
    ),
}


@pytest.fixture(scope="module", params=list(DIAGRAMS))
def fig(request):
    return Drawn(DIAGRAMS[request.param]())


def test_every_box_has_a_label_inside_it(fig):
    labels = fig.named("label:")
    assert fig.boxes and labels.keys() == fig.boxes.keys()
    for key, label in labels.items():
        assert re.sub("<[^>]+>", "", label["text"]).strip(), f"box {key} has no text"
        assert key in fig.containing(label["x"], label["y"], border=False)


def test_every_arrow_starts_and_ends_on_its_boxes(fig):
    assert fig.arrows
    for arrow in fig.arrows:
        start, end = arrow["name"][6:].split("->")
        assert end in fig.containing(arrow["x"], arrow["y"]), arrow["name"]
        ends = fig.path_ends(f"path:{start}->{end}")
        if ends:  # a path from the start box, then the arrow
            assert start in fig.containing(*ends[0])
            assert (arrow["ax"], arrow["ay"]) == pytest.approx(ends[1])
        else:
            assert start in fig.containing(arrow["ax"], arrow["ay"]), arrow["name"]


def test_boxes_do_not_overlap(fig):
    found = list(fig.boxes.items())
    for i, (a, p) in enumerate(found):
        for b, q in found[i + 1 :]:
            apart = (p["x1"] <= q["x0"] or q["x1"] <= p["x0"]
                     or p["y1"] <= q["y0"] or q["y1"] <= p["y0"])  # fmt: skip
            assert apart, f"{a} overlaps {b}"


def test_every_colour_is_explained_and_the_figure_fits(fig):
    assert fig.title and fig.height <= 600
    assert not fig.layout["xaxis"]["visible"] and not fig.layout["yaxis"]["visible"]
    assert fig.layout["paper_bgcolor"] == "rgba(0,0,0,0)"
    assert all(
        "color" not in a.get("font", {}) for a in fig.notes
    )  # the theme's colour
    colours = {b["color"] for b in fig.boxes.values()}
    if fig.legend:
        assert colours <= fig.legend
    else:  # GQA: a colour per group, said in each band's note
        assert "colour = group" in fig.text


def _lines(text: str) -> list[str]:
    """The lines a reader sees: tags dropped, an entity one character."""
    shown = re.sub("&[#\\w]+;", "_", re.sub("<(?!br>)[^>]+>", "", text))
    return shown.split("<br>")


# A 358 px phone column leaves the figure 346 px; at 15 px a title character takes
# about 6.5 to 7.5 px, so 46 fit a line; at 12 px a subtitle's take about 6, so 57.
TITLE_FITS, SUBTITLE_FITS = 346 // 7.5, 346 // 6


def test_the_title_states_the_point_in_two_lines_on_a_phone(fig):
    lines = _lines(fig.title)
    assert len(lines) <= 2, fig.title
    assert all(len(line) <= TITLE_FITS for line in lines), lines
    subtitle = fig.named("subtitle")
    for note in subtitle.values():  # the detail, in smaller type under the title
        lines = _lines(note["text"])
        assert len(lines) <= 2 and all(len(line) <= SUBTITLE_FITS for line in lines)
        assert note["yref"] == "paper" and note["y"] > 1  # above the drawing


def test_the_drawing_keeps_one_pixel_per_unit_of_height(fig):
    """Boxes are sized in pixels: the plot area is exactly the y range tall, so no
    title line squeezes the boxes around their text."""
    margin, (bottom, top) = fig.layout["margin"], fig.layout["yaxis"]["range"]
    assert fig.height - margin["t"] - margin["b"] == pytest.approx(bottom - top)


# --- the model --------------------------------------------------------------------


def written_chapters() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return {f.split("/")[1] for f in files if f.startswith("notebooks/")}


def test_the_model_links_exactly_the_written_chapters():
    linked = re.findall(
        r'href="\.\./notebooks/([^"]+)\.html"', Drawn(viz.model_diagram()).text
    )
    assert set(linked) == written_chapters()
    for name in linked:
        assert (ROOT / "notebooks" / f"{name}.ipynb").exists()


def test_the_model_shows_the_unwritten_chapters_without_links():
    written = {int(name[:2]) for name in written_chapters()}
    text = Drawn(viz.model_diagram()).text
    for number in set(range(1, 9)) - written:
        assert f"chapter {number}, coming" in text
    for number in written:
        assert f"chapter {number}, coming" not in text


def test_the_model_links_are_relative_to_base():
    text = Drawn(viz.model_diagram(base="")).text
    assert 'href="01_tokenization.html"' in text and "../" not in text


# --- attention --------------------------------------------------------------------


def test_one_head_labels_its_arrows_with_the_shapes():
    fig = Drawn(viz.attention_head_diagram(seq_len=6, hidden_size=64, head_dim=16))
    shapes = {name: a["text"] for name, a in fig.named("shape:").items()}
    assert shapes["x->Wk"] == "(6, 64)"
    assert shapes["Wq->q"] == shapes["Wk->k"] == shapes["v->output"] == "(6, 16)"
    assert shapes["scores->weights"] == shapes["weights->output"] == "(6, 6)"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.sampled_from([(h, kv) for h in range(1, 17) for kv in range(1, h + 1)
                        if h % kv == 0]), st.booleans())  # fmt: skip
def test_gqa_sends_each_query_head_to_its_group(sizes, compare):
    heads, kv = sizes
    fig = Drawn(viz.gqa_diagram(heads, kv, compare=compare))
    bands = list(dict.fromkeys([heads, kv, 1])) if compare else [kv]
    assert len([k for k in fig.boxes if "-q" in k]) == heads * len(bands)
    assert len([k for k in fig.boxes if "-kv" in k]) == sum(bands)
    for arrow in fig.arrows:  # found by where they are, not by their names
        (start,) = fig.containing(arrow["ax"], arrow["ay"])
        (end,) = fig.containing(arrow["x"], arrow["y"])
        band, q = start.split("-q")
        band_kv = {"MHA": heads, "MQA": 1}.get(band, kv)
        assert end == f"{band}-kv{int(q) // (heads // band_kv)}"
    assert len(fig.arrows) == heads * len(bands)


@pytest.mark.parametrize("heads, kv", [(8, 2), (8, 4), (4, 2)])
def test_gqa_gives_each_group_of_a_band_its_own_colour(heads, kv):
    """Colour = group: the KV heads of one band (MHA's 8 included) never share a colour."""
    fig = Drawn(viz.gqa_diagram(heads, kv, compare=True))
    for band in ("MHA", "MQA", "GQA"):
        colours = [
            b["color"] for k, b in fig.boxes.items() if k.startswith(f"{band}-kv")
        ]
        assert len(set(colours)) == len(colours), f"{band}: {colours}"


def test_one_head_writes_the_head_size_as_chapter_3_does():
    chapter = (ROOT / "notebooks" / "03_attention.ipynb").read_text(encoding="utf-8")
    assert "\\sqrt{d_k}" in chapter
    assert "√d<sub>k</sub>" in Drawn(viz.attention_head_diagram()).text


def test_mla_caches_the_latent_and_the_rope_key():
    fig = Drawn(viz.mla_diagram(num_attention_heads=4, kv_lora_rank=10,
                                qk_nope_head_dim=3, qk_rope_head_dim=2, v_head_dim=5))  # fmt: skip
    cached = {k for k, b in fig.boxes.items() if b["color"] == viz.COLORS[2]}
    assert cached == {"c", "kR"}
    assert "caches 12 numbers" in fig.title  # 10 + 2
    assert "not the 40 " in fig.title.replace("<br>", " ")  # 4 heads × (3 + 2 + 5)
    absorbed = Drawn(viz.mla_diagram(absorbed=True))
    assert "WUK" in fig.boxes and "WUK" not in absorbed.boxes
    assert not any(k in absorbed.boxes for k in ("kC", "v"))  # never expanded


# --- MoE and beam search ----------------------------------------------------------

LOGITS = st.lists(st.integers(-300, 300), min_size=2, max_size=10, unique=True)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(LOGITS, st.integers(1, 10), st.booleans())
def test_the_router_highlights_the_top_k_experts(logits, k, norm):
    logits = [z / 100 for z in logits]
    k = min(k, len(logits))
    fig = Drawn(viz.moe_router_diagram(logits, top_k=k, norm_topk_prob=norm))
    experts = {k_: b for k_, b in fig.boxes.items() if k_.startswith("expert")}
    assert len(experts) == len(logits)
    lit = {int(k_[6:]) for k_, b in experts.items() if not b["muted"]}
    assert lit == set(np.argsort(logits)[::-1][:k].tolist())
    p = np.exp(logits) / np.exp(logits).sum()
    weights = p[sorted(lit)] / (p[sorted(lit)].sum() if norm else 1)
    output = fig.named("label:")["sum"]["text"]
    for e, w in zip(sorted(lit), weights, strict=True):
        assert f"{w:.2f}·E{e}(x)" in output


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(1, 9), st.integers(0, 2**31), st.data())
def test_the_beam_step_keeps_the_best_num_beams(beams, vocab, seed, data):
    generator = torch.Generator().manual_seed(seed)
    scores = -torch.rand(beams, generator=generator) * 3
    log_probs = torch.randn(beams, vocab, generator=generator).log_softmax(-1)
    per_beam = data.draw(st.integers(1, 12 // beams))
    keep = data.draw(st.integers(1, min(4, beams * vocab)))
    fig = Drawn(viz.beam_step_diagram(scores, log_probs, keep, per_beam))
    totals = (scores[:, None] + log_probs).flatten()
    best = totals.topk(keep).indices.tolist()
    kept = {
        k_ for k_, b in fig.boxes.items() if k_.startswith("cand") and not b["muted"]
    }
    assert kept == {f"cand{i // vocab}-{i % vocab}" for i in best}
    labels = {name: a["text"] for name, a in fig.named("label:").items()}
    for rank, i in enumerate(best, start=1):
        text = labels[f"cand{i // vocab}-{i % vocab}"]
        assert text.startswith(f"<b>#{rank}</b>")
        assert f"{totals[i].item():.2f}".replace("-", "−") in text
    shown = sum(k_.startswith("cand") for k_ in fig.boxes)
    assert beams * min(per_beam, vocab) <= shown <= 13


def test_a_beam_s_label_shows_its_spaces_as_its_tokens_do():
    fig = Drawn(viz.beam_step_diagram([-1.0], [[-0.5, -1.5]], per_beam=1,
                                      label=lambda t: " a b", beam_labels=[" a b"]))  # fmt: skip
    labels = fig.named("label:")
    beam = re.search("“[^”]*”", labels["beam0"]["text"]).group()
    token = re.search("“[^”]*”", labels["cand0-0"]["text"]).group()
    assert beam == token and " " not in beam


def test_the_intro_page_draws_the_model_and_its_links_resolve_from_there():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    assert re.search(r"```\{code-cell\} python\n:tags: \[remove-input\]\n(.*\n)*?"
                     r"viz\.model_diagram\(\)\n```", intro)  # fmt: skip
    page = ROOT / "book" / "intro.md"  # built as book/intro.html, beside the .md
    for name in written_chapters():
        target = (page.parent / "../notebooks" / f"{name}.ipynb").resolve()
        assert target.exists(), target
