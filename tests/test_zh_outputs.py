"""Figure text and printed output in the Chinese edition: llmviz's catalog
(``llmviz.i18n``, ``llmviz/locale/zh_CN.json``) and the build step that applies it to
the built pages (book/zh_outputs.py). The translations here are written by hand for
the test, so that what is expected does not come from the code under test."""

from __future__ import annotations

import json
import re
import sys

import pytest

from llmviz import i18n
from tests.bad_input import TEXT, VALUES, Case, bad_input_test, keeps_inputs_test
from tests.notebook_rules import ROOT

sys.path.insert(0, str(ROOT / "book"))
import zh_outputs  # noqa: E402  (book/, not a package)

MESSAGES = {
    "Attention over {0} tokens": "{0} 个词元上的注意力",
    "top-{0} of {1} experts": "{1} 个专家中的前 {0} 个",
    "loss": "损失",
    "step": "步",
    "✓ equals torch SDPA (max error {0})": "✓ 与 torch SDPA 一致（最大误差 {0}）",
    "a < b": "a 小于 b",
    "{{'eps': {0}}}": "{{'eps': {0}}}（ε）",
}


def figure() -> dict:
    return {
        "data": [{"name": "loss", "x": ["step", "loss"], "hovertemplate": "loss %{y}"}],
        "layout": {
            "title": {"text": "Attention over 1,024 tokens"},
            "xaxis": {"title": {"text": "step"}},
            "yaxis2": {"title": {"text": "loss"}},
            "legend": {"title": {"text": "step"}},
            "annotations": [{"text": "top-2 of 8 experts"}],
            "sliders": [{"currentvalue": {"prefix": "step"},
                         "steps": [{"label": "loss"}, {"label": "7"}]}],
            "updatemenus": [{"buttons": [{"label": "loss"}]}],
        },
        "frames": [{"layout": {"title": {"text": "Attention over 3 tokens"}},
                    "data": [{"name": "step"}]}],
    }  # fmt: skip


def test_numbers_become_slots_and_words_keep_their_digits():
    assert i18n.template("top-2 of 8 experts at -0.5, 1,024 or 1e-05") == (
        "top-{0} of {1} experts at {2}, {3} or {4}",
        ["2", "8", "-0.5", "1,024", "1e-05"],
    )
    assert i18n.template("cl100k, BatchNorm1d, q_0, GPT-2") == (
        "cl100k, BatchNorm1d, q_0, GPT-{0}",
        ["2"],
    )
    assert i18n.template("{'a': 1}") == ("{{'a': {0}}}", ["1"])


def test_translate_fills_the_slots_in_the_translations_order():
    assert i18n.translate("top-3 of 64 experts", MESSAGES) == "64 个专家中的前 3 个"
    assert i18n.translate("  loss  ", MESSAGES) == "  损失  "  # indentation kept
    assert i18n.translate("{'eps': 1e-06}", MESSAGES) == "{'eps': 1e-06}（ε）"
    assert i18n.translate("not in the catalog 3", MESSAGES) == "not in the catalog 3"
    assert i18n.translate("", MESSAGES) == ""


def test_a_translation_with_a_slot_its_key_lacks_is_refused():
    with pytest.raises(ValueError, match=r"messages\['loss'\]"):
        i18n.translate("loss", {"loss": "损失 {0}"})
    with pytest.raises(ValueError, match="messages"):
        i18n.translate("loss", {"loss": 3})


def test_translate_figure_changes_the_words_only_and_copies():
    original = figure()
    translated = i18n.translate_figure(original, MESSAGES)
    assert original == figure()  # left as it was
    layout = translated["layout"]
    assert layout["title"]["text"] == "1,024 个词元上的注意力"
    assert layout["xaxis"]["title"]["text"] == "步"
    assert layout["yaxis2"]["title"]["text"] == "损失"
    assert layout["legend"]["title"]["text"] == "步"
    assert layout["annotations"][0]["text"] == "8 个专家中的前 2 个"
    slider = layout["sliders"][0]
    assert slider["currentvalue"]["prefix"] == "步"
    assert [step["label"] for step in slider["steps"]] == ["损失", "7"]
    assert layout["updatemenus"][0]["buttons"][0]["label"] == "损失"
    assert translated["data"][0]["name"] == "损失"
    assert translated["data"][0]["x"] == ["step", "loss"]  # data, not figure text
    assert translated["data"][0]["hovertemplate"] == "loss %{y}"
    assert translated["frames"][0]["layout"]["title"]["text"] == "3 个词元上的注意力"
    assert translated["frames"][0]["data"][0]["name"] == "步"


def test_figure_text_lists_every_string_it_would_translate():
    assert sorted(i18n.figure_text(figure())) == sorted(
        ["Attention over 1,024 tokens", "step", "loss", "step", "top-2 of 8 experts",
         "step", "loss", "7", "loss", "loss", "Attention over 3 tokens", "step"]
    )  # fmt: skip


PAGE = (
    "<p>Attention over 5 tokens</p>\n"  # prose: Sphinx's, not touched here
    '<script type="application/json" class="llmviz-figure" data-for="f1">'
    + json.dumps({"layout": {"title": {"text": "a < b"}}}).replace("<", "\\u003c")
    + "</script>\n"
    '<div class="output stream highlight-myst-ansi notranslate"><div class="highlight">'
    "<pre><span></span>✓ equals torch SDPA (max error 3e-07)\n"
    '<span class="ansi-red">loss</span>\n'  # a line with colour: left as it is
    "a &lt; b\n</pre></div></div>\n"
    '<div class="cell_output docutils container">\n'
    '<div class="pst-scrollable-table-container"><table class="table">'
    '<th class="head"><p>loss</p></th><td><p>step</p></td><td><p>42</p></td></table>\n'
    '<div class="pst-scrollable-table-container"><table class="table">'  # the prose's
    "<td><p>loss</p></td></table>"
)


def test_translate_page_translates_figures_printed_lines_and_table_cells():
    page = zh_outputs.translate_page(PAGE, MESSAGES)
    assert "<p>Attention over 5 tokens</p>" in page
    figure_json = re.search(r'data-for="f1">(.*?)</script>', page).group(1)
    assert "<" not in figure_json  # still escaped: no label can end the script
    assert json.loads(figure_json)["layout"]["title"]["text"] == "a 小于 b"
    assert "✓ 与 torch SDPA 一致（最大误差 3e-07）\n" in page
    assert '<span class="ansi-red">loss</span>' in page
    assert "a 小于 b\n</pre>" in page
    assert (
        '<th class="head"><p>损失</p></th><td><p>步</p></td><td><p>42</p></td>' in page
    )
    assert list(zh_outputs.texts(PAGE)) == [
        "a < b", "✓ equals torch SDPA (max error 3e-07)", "a < b", "loss", "step", "42"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("loss per token", True),
        ("Attention over 1,024 tokens", True),
        ("GQA · MQA · HF", False),
        ("torch.nn.LayerNorm", False),
        ("'the' 'cat' “true”", False),
        ("3.5 ms", False),
        ("<b>MoE</b><br>42", False),
        ("注意力", False),
    ],
)
def test_english_words_are_found_and_names_are_not(text, english):
    assert zh_outputs.is_english(text) is english


def test_fill_adds_translations_that_keep_their_slots(tmp_path, monkeypatch):
    catalog = tmp_path / "zh_CN.json"
    catalog.write_text('{"loss": "损失"}', encoding="utf-8")
    monkeypatch.setattr(zh_outputs, "CATALOG", catalog)
    new = tmp_path / "new.json"
    new.write_text(json.dumps({"step {0}": "第 {0} 步", "top {0}": "前几"}), "utf-8")
    assert zh_outputs.fill(new) == 1  # one bad entry: reported, left out
    assert json.loads(catalog.read_text(encoding="utf-8")) == {
        "loss": "损失",
        "step {0}": "第 {0} 步",
    }


def test_the_catalog_is_sorted_and_every_translation_keeps_its_slots():
    text = zh_outputs.CATALOG.read_text(encoding="utf-8")
    messages = json.loads(text)
    assert list(messages) == sorted(messages)
    for key, value in messages.items():
        assert isinstance(value, str) and value.strip(), key
        assert zh_outputs._slots(key) == zh_outputs._slots(value), (key, value)
        assert i18n.translate(key.replace("{{", "{").replace("}}", "}"), messages)


LANGUAGE = VALUES(("int", 3), ("None", None), ("list", ["zh_CN"]), ("unknown", "fr"))
FIGURE = VALUES(("None", None), ("list", [figure()]), ("str", "figure"))
CASES = [
    Case("template", i18n.template, lambda: {"text": "3 tokens"}, {"text": TEXT()}),
    Case("translate", i18n.translate, lambda: {"text": "loss", "messages": MESSAGES},
         {"text": TEXT(), "messages": LANGUAGE}),
    Case("translate_figure", i18n.translate_figure,
         lambda: {"figure": figure(), "messages": dict(MESSAGES)},
         {"figure": FIGURE, "messages": LANGUAGE}),
    Case("figure_text", i18n.figure_text, lambda: {"figure": figure()},
         {"figure": FIGURE}),
    Case("catalog", i18n.catalog, lambda: {"language": "zh_CN"},
         {"language": LANGUAGE}),
    Case("use_language", lambda language: _use_and_reset(language),
         lambda: {"language": "zh_CN"},
         {"language": VALUES(("int", 3), ("list", ["zh_CN"]), ("unknown", "fr"))}),
    Case("say", i18n.say, lambda: {"text": "loss"}, {"text": TEXT()}),
]  # fmt: skip


def _use_and_reset(language):
    from llmviz.language import use_language

    try:
        use_language(language)
    finally:
        use_language(None)


test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)


@pytest.fixture
def chinese():
    """A live notebook in Chinese (llmviz.setup(language="zh_CN")), English after."""
    from llmviz.language import use_language

    use_language("zh_CN")
    yield
    use_language(None)


def test_a_live_chinese_notebook_shows_translated_figures(chinese):
    import plotly.graph_objects as go
    import plotly.io as pio

    figure = go.Figure(layout_title_text="skip-gram")
    bundle = pio.renderers._build_mime_bundle(figure.to_dict())
    assert "跳字模型" in json.dumps(bundle, ensure_ascii=False)
    assert figure.layout.title.text == "skip-gram"  # the figure itself is left alone


def test_a_live_chinese_notebook_prints_llmvizs_checks_in_chinese(chinese, capsys):
    import torch

    from llmviz import reference_check
    from llmviz.exercises._check import report

    reference_check("torch.nn.LayerNorm", torch.ones(2), torch.ones(2))
    report(True, "Correct: your loss equals Mixtral's on every case.")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "✓ 与 torch.nn.LayerNorm 一致（最大误差 0）"
    assert printed[1].startswith("✅ ") and re.search(r"[\u4e00-\u9fff]", printed[1])


def test_english_again_after_the_language_is_unset(capsys):
    import plotly.io as pio

    from llmviz.language import use_language

    before = pio.renderers.default
    use_language("zh_CN")
    use_language(None)
    assert pio.renderers.default == before and i18n.say("skip-gram") == "skip-gram"
    with pytest.raises(ValueError, match="language"):
        llmviz_setup(language="fr")
    assert pio.renderers.default == before and i18n.LIVE["language"] is None


def llmviz_setup(**kwargs):
    import llmviz

    return llmviz.setup(**kwargs)
