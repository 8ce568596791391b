"""setup() and show_source(): seeds, the plotly renderer, printed versions, shown source,
and a light `import llmviz`."""

from __future__ import annotations

import html.parser
import inspect
import json
import random
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

import llmviz
from llmviz.attention import masks, scaled_dot_product_attention
from llmviz.notebook import BOOK_ENV, SourceCode


@pytest.fixture
def restore_renderer():
    default = pio.renderers.default
    yield
    pio.renderers.default = default


def _draws():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_setup_seeds_python_numpy_and_torch(monkeypatch, restore_renderer, capsys):
    monkeypatch.delenv(BOOK_ENV, raising=False)
    llmviz.setup(seed=7)
    first = _draws()
    llmviz.setup(seed=7)
    assert _draws() == first
    random.seed(7), np.random.seed(7), torch.manual_seed(7)
    assert _draws() == first


def test_setup_prints_the_versions_in_use(monkeypatch, restore_renderer, capsys):
    monkeypatch.delenv(BOOK_ENV, raising=False)
    assert llmviz.setup() is None
    printed = capsys.readouterr().out
    for package in ("torch", "numpy", "plotly", "ipywidgets"):
        assert f"{package} {llmviz.versions()[package]}" in printed
    assert f"torch {torch.__version__}" in printed and "seed 0" in printed


class _FigureParts(html.parser.HTMLParser):
    """The tags of a rendered figure, each with the text inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), ""))

    def handle_data(self, data):
        tag, attrs, text = self.tags[-1]
        self.tags[-1] = (tag, attrs, text + data)


def _parts(shown: str) -> list[tuple[str, dict, str]]:
    parser = _FigureParts()
    parser.feed(shown)
    return parser.tags


def test_book_renderer_writes_a_div_and_the_figure_as_json(
    monkeypatch, restore_renderer, capsys
):
    """The site's loader (_static/llmviz-figures.js) draws each div from the JSON beside
    it: data, layout, frames (for sliders), config and the key of plotly's template,
    which the page carries once. Nothing ends a script early, and nothing of plotly.js,
    a CDN or MathJax is in the page."""
    monkeypatch.setenv(BOOK_ENV, "1")
    llmviz.setup()
    assert pio.renderers.default == "book"
    title = "a </script><b>b</b> <!-- c"
    figure = go.Figure(
        go.Bar(y=[1, 2]),
        layout={"height": 321, "title": {"text": title}},
        frames=[go.Frame(data=[go.Bar(y=[2, 1])], name="later")],
    )
    renderer = pio.renderers["book"]
    shown = renderer.to_mimebundle(figure.to_dict())["text/html"]
    (_, template, template_json), (div_tag, div, _), (_, script, figure_json) = _parts(
        shown
    )
    assert template["type"] == "application/json"
    assert template["class"] == "llmviz-template"
    assert json.loads(template_json) == figure.to_dict()["layout"]["template"]
    assert div_tag == "div" and "plotly-graph-div" in div["class"].split()
    assert div["style"].startswith("height:321px;") and "width:100%" in div["style"]
    assert script["type"] == "application/json" and script["class"] == "llmviz-figure"
    assert script["data-for"] == div["id"]
    assert shown.count("</script>") == 2 and "<!--" not in shown
    drawn = json.loads(figure_json)
    assert (
        drawn["template"] == template["data-key"] and "template" not in drawn["layout"]
    )
    assert drawn["data"][0]["y"] == [1, 2] and drawn["layout"]["title"]["text"] == title
    assert drawn["frames"][0]["name"] == "later"
    assert drawn["frames"][0]["data"][0]["y"] == [2, 1]
    assert drawn["config"]["displaylogo"] is False
    assert "<script src" not in shown and "cdn" not in shown.lower()
    assert "mathjax" not in shown.lower() and "Plotly.newPlot" not in shown
    assert len(shown) < 10_000, "plotly.js must not be inlined: the site loads it"
    # the page's next figure names the same template without carrying it again
    again = renderer.to_mimebundle(go.Figure(go.Bar(y=[3])).to_dict())["text/html"]
    (_, div, _), (_, _, again_json) = _parts(again)
    assert json.loads(again_json)["template"] == template["data-key"]
    # setup() starts a new page: its first figure carries the template again
    llmviz.setup()
    shown = pio.renderers["book"].to_mimebundle(figure.to_dict())["text/html"]
    assert [attrs["class"] for _, attrs, _ in _parts(shown)][0] == "llmviz-template"


def test_outside_the_book_plotly_keeps_its_own_renderer(
    monkeypatch, restore_renderer, capsys
):
    monkeypatch.delenv(BOOK_ENV, raising=False)
    pio.renderers.default = "json"
    llmviz.setup()
    assert pio.renderers.default == "json"


def test_show_source_shows_the_exact_source_and_where_it_lives():
    shown = llmviz.show_source(scaled_dot_product_attention)
    assert isinstance(shown, SourceCode)
    source = inspect.getsource(scaled_dot_product_attention).rstrip()
    markdown = shown._repr_markdown_()
    assert f"```python\n{source}\n```" in markdown
    first = inspect.getsourcelines(scaled_dot_product_attention)[1]
    last = first + len(source.splitlines()) - 1
    assert markdown.startswith(
        f"`llmviz.attention.sdpa.scaled_dot_product_attention` (llmviz/attention/sdpa.py, lines {first}–{last})"
    )
    assert source in repr(shown)


def test_show_source_of_a_module_and_of_a_mask_factory():
    assert "def sliding_window(" in llmviz.show_source(masks).source
    assert llmviz.show_source(masks).name == "llmviz.attention.masks"
    assert "window" in llmviz.show_source(masks.sliding_window).source


def test_show_source_refuses_what_has_no_python_source():
    with pytest.raises(
        TypeError,
        match="obj must be a function, class or module with Python source, got <built-in function len>",
    ):
        llmviz.show_source(len)


def test_import_is_light_and_never_pulls_in_transformers():
    code = (
        "import sys, llmviz; light = 'torch' not in sys.modules; "
        "import llmviz.attention, llmviz.viz, llmviz.widgets, llmviz.exercises; "
        "print(light, 'transformers' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == ["True", "False"]


def test_subpackages_load_on_first_use():
    assert llmviz.attention.masks is masks
    with pytest.raises(
        AttributeError, match="module 'llmviz' has no attribute 'nothing'"
    ):
        llmviz.nothing  # noqa: B018


def test_seconds_per_call_times_the_call_and_checks_its_arguments():
    import time

    from llmviz.measure import seconds_per_call

    calls = []
    elapsed = seconds_per_call(
        lambda: (calls.append(1), time.sleep(0.01)), repeats=3, warmup=2
    )
    assert len(calls) == 5 and 0.01 <= elapsed < 1.0
    with pytest.raises(ValueError, match="repeats must be an integer >= 1, got 0"):
        seconds_per_call(lambda: None, repeats=0)
    with pytest.raises(TypeError, match="fn must be callable, got 1"):
        seconds_per_call(1)


def test_table_cells_read_as_words_and_numbers():
    shown = llmviz.table(
        [{"ok": True, "not": False, "count": 1234, "text": "a|b", "none": None}]
    )._repr_markdown_()
    assert shown.splitlines()[-1] == "| yes | no | 1,234 | a\\|b | – |"
    header = llmviz.table([{"max |h|": 1}])._repr_markdown_().splitlines()[0]
    assert header == "| max \\|h\\| |"  # a pipe in a column name is escaped too
    with pytest.raises(ValueError, match="rows must be a non-empty list of dicts"):
        llmviz.table([])


def test_reference_check_prints_one_line_and_returns_the_error(capsys):
    error = llmviz.reference_check(
        "torch SDPA", torch.tensor([1.0, 2.0]), [1.0, 2.0 + 3e-7]
    )
    assert capsys.readouterr().out == "✓ equals torch SDPA (max error 3e-07)\n"
    assert error == pytest.approx(3e-7, rel=1e-3)


def test_reference_check_says_exactly_for_integers(capsys):
    llmviz.reference_check("tiktoken", [3, 1, 4], np.array([3, 1, 4], dtype=np.int64))
    assert capsys.readouterr().out == "✓ equals tiktoken exactly\n"


@pytest.mark.parametrize(
    ("ours", "reference", "atol", "rtol"),
    [
        ([1.0, 2.0], [1.0, 2.1], 1e-5, 0.0),  # off by 0.1
        ([1.0, 2.0], [1.0, 2.0, 3.0], 1e-5, 0.0),  # a wrong shape
        ([100.0], [101.0], 0.0, 1e-3),  # outside the relative tolerance
        ([3, 1, 4], [3, 1, 5], 1e-5, 0.0),  # integers compare exactly
    ],
)
def test_reference_check_fails_when_they_differ(capsys, ours, reference, atol, rtol):
    with pytest.raises(AssertionError, match="differs from ref"):
        llmviz.reference_check("ref", ours, reference, atol=atol, rtol=rtol)
    assert "✓" not in capsys.readouterr().out


def test_reference_check_accepts_within_the_relative_tolerance(capsys):
    llmviz.reference_check("ref", [100.0], [100.05], atol=0.0, rtol=1e-3)
    assert capsys.readouterr().out.startswith("✓ equals ref")


def test_reference_check_does_not_echo_its_error_when_it_ends_a_cell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    result = shell.run_cell(
        "import llmviz\nllmviz.reference_check('ref', [1.0], [1.0])"
    )
    assert (
        result.success and result.result == 0.0
    )  # the value is there for code that wants it
    formatted, _ = shell.display_formatter.format(result.result)
    assert formatted == {}  # and nothing is shown under the ✓ line
