"""The Chinese edition's catalogs (book/i18n.py) and its build helpers (book/editions.py).

The catalogs must be current (their messages are exactly what the English extracts to
today), cover at least ``MIN_COVERAGE`` percent of every page with no fuzzy entry, and
keep every translation's code, maths, roles and link targets. The tools themselves are
tested on small catalogs written here, so that a check that could not fail is caught.
"""

from __future__ import annotations

import doctest
import json
import re
import sys

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from tests.notebook_rules import ROOT

sys.path.insert(0, str(ROOT / "book"))
import editions  # noqa: E402  (book/, not a package)
import i18n  # noqa: E402
import zh_notebooks  # noqa: E402


def test_the_book_modules_examples_hold():
    for module in (i18n, editions, zh_notebooks):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_every_page_has_a_catalog_covering_it():
    """The figure per page, printed when it fails: translated / messages."""
    pages = {i18n.page_of(path): i18n.coverage(path) for path in i18n.catalogs()}
    assert set(pages) >= {
        "book/intro",
        "book/teaching",
        "book/glossary",
        *(f"notebooks/{p.stem}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))),
    }
    table = "\n".join(
        f"{page}: {done}/{total} ({100 * done / total:.1f}%), {fuzzy} fuzzy"
        for page, (done, fuzzy, total) in pages.items()
    )
    for done, fuzzy, total in pages.values():
        assert fuzzy == 0 and 100 * done / total >= i18n.MIN_COVERAGE, table


def test_translations_keep_code_maths_roles_and_links():
    found = [p for path in i18n.catalogs() for p in i18n.problems(path)]
    assert not found, "\n".join(found[:20])


def test_the_catalogs_are_current(tmp_path):
    """Extract the English again: every page's messages equal its catalog's, so an edit
    of the English cannot leave the Chinese edition behind unseen."""
    templates = i18n.extract(tmp_path)
    assert sorted(templates.rglob("*.pot")), "the gettext build extracted nothing"
    stale = i18n.stale(templates)
    assert not stale, f"run `python book/i18n.py update` and translate: {stale}"


@pytest.fixture
def catalog_dir(tmp_path, monkeypatch):
    """A CATALOGS folder with one page of four messages, two of them translated."""
    catalog = Catalog(locale="zh_CN")
    catalog.add("Attention", "注意力")
    catalog.add(
        "The cost is `O(n^2)` for $n$ tokens.", "代价是 `O(n^2)`，$m$ 个 token。"
    )
    catalog.add("See {doc}`chapter 3 <../notebooks/03_attention>`.")
    catalog.add("A [link](x.md) here.", "这里有[链接](y.md)。", flags=["fuzzy"])
    folder = tmp_path / "LC_MESSAGES"
    (folder / "book").mkdir(parents=True)
    with (folder / "book" / "page.po").open("wb") as file:
        write_po(file, catalog, width=0)
    monkeypatch.setattr(i18n, "CATALOGS", folder)
    return folder


def test_coverage_counts_only_translations_that_are_not_fuzzy(catalog_dir):
    (path,) = i18n.catalogs()
    assert i18n.page_of(path) == "book/page"
    assert i18n.coverage(path) == (2, 1, 4)
    assert i18n.main(["coverage", "--min", "50"]) == 1  # the fuzzy entry fails it


def test_check_finds_changed_maths_and_ignores_fuzzy(catalog_dir):
    (path,) = i18n.catalogs()
    (problem,) = i18n.problems(path)  # the link of the fuzzy entry is not checked
    assert "lost [('math', 'n')]" in problem and "added [('math', 'm')]" in problem
    assert i18n.main(["check"]) == 1


def test_export_and_fill_round_trip(catalog_dir, tmp_path, capsys):
    blocks = i18n.export("book/page", everything=False)
    assert blocks.splitlines() == [
        "@@ 2",
        "See {doc}`chapter 3 <../notebooks/03_attention>`.",
        "@@ 3",
        "A [link](x.md) here.",
    ]
    answer = tmp_path / "zh.txt"
    answer.write_text(
        "@@ 2\n见{doc}`第 3 章 <../notebooks/03_attention>`。\n@@ 3\n- 这里有[链接](x.md)。\n",
        encoding="utf-8",
    )
    assert i18n.fill("book/page", [str(answer)]) == 0
    (path,) = i18n.catalogs()
    assert i18n.coverage(path) == (4, 0, 4)
    strings = [m.string for m in i18n.messages(path)]
    assert strings[3] == "\\- 这里有[链接](x.md)。"  # not a list item once parsed
    assert i18n.export("book/page", everything=False) == ""
    with pytest.raises(SystemExit, match="block @@ 9, but book/page has 4"):
        answer.write_text("@@ 9\nx\n", encoding="utf-8")
        i18n.fill("book/page", [str(answer)])


def test_switchers_link_each_page_to_its_counterpart(tmp_path):
    header = '<div class="article-header-buttons"></div>'
    for folder in ("notebooks", "zh/notebooks", "zh/_static"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "notebooks" / "a.html").write_text(header, encoding="utf-8")
    (tmp_path / "zh" / "notebooks" / "a.html").write_text(header, encoding="utf-8")
    (tmp_path / "zh" / "only.html").write_text(header, encoding="utf-8")  # no pair
    assert editions.add_switchers(tmp_path) == 2
    english = (tmp_path / "notebooks" / "a.html").read_text(encoding="utf-8")
    chinese = (tmp_path / "zh" / "notebooks" / "a.html").read_text(encoding="utf-8")
    assert 'href="../zh/notebooks/a.html"' in english and ">中文</a>" in english
    assert 'href="../../notebooks/a.html"' in chinese and ">EN</a>" in chinese
    assert editions.add_switchers(tmp_path) == 0  # once only
    assert "llmviz-language" not in (tmp_path / "zh" / "only.html").read_text()


def test_the_chinese_notebooks_are_current_and_keep_the_code():
    """notebooks/zh/ is what book/zh_notebooks.py writes today: every code cell the
    English one's (but llmviz.setup, given the language, once), every translated
    message in place of its English."""
    assert zh_notebooks.main(["--check"]) == 0
    for english in sorted((ROOT / "notebooks").glob("*.ipynb")):
        ours = json.loads(english.read_text(encoding="utf-8"))["cells"]
        path = ROOT / "notebooks" / "zh" / english.name
        theirs = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert [c["cell_type"] for c in ours] == [c["cell_type"] for c in theirs]
        setups = 0
        for a, b in zip(ours, theirs, strict=True):
            if a["cell_type"] == "code":
                english_code, chinese_code = "".join(a["source"]), "".join(b["source"])
                setups += english_code != chinese_code
                assert english_code.replace(*zh_notebooks.SETUP) == chinese_code
        assert setups == 1, english.name
        prose = "".join(
            "".join(c["source"]) for c in theirs if c["cell_type"] == "markdown"
        )
        assert len(re.findall(r"[\u4e00-\u9fff]", prose)) > 1000, english.name


def test_translate_markdown_replaces_list_items_table_cells_and_titles():
    md = zh_notebooks.parser()
    source = (
        "- first item\n  over two lines\n\n| a cell | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```{exercise} A title\n:label: x\n\nDo it.\n```"
    )
    table = {
        "first item over two lines": "第一项",
        "a cell": "一格",
        "A title": "标题",
        "Do it.": "做吧。",
    }
    assert zh_notebooks.translate_markdown(source, table, md).split("\n") == [
        "- 第一项",
        "",
        "| 一格 | b |",
        "|---|---|",
        "| 1 | 2 |",
        "",
        "```{exercise} 标题",
        ":label: x",
        "",
        "做吧。",
        "```",
    ]
