"""book/_ext/llmviz_book.py: exercises numbered per chapter, the first use of each glossary
term linked, Colab form titles dropped. Built with Sphinx on a two-page project."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.notebook_rules import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import llmviz_book  # noqa: E402

GLOSSARY = """# Glossary

```{glossary}
KV cache
  The keys and values kept from earlier tokens.

mixture of experts (MoE)
  Several FFNs and a router.

top-k, top-p
  Two ways to cut the tail of a distribution.

roofline
  Attainable FLOP/s against arithmetic intensity.
```
"""

CHAPTER = """# 3. Attention

The KV cache grows with every token. A second mention of the KV cache is not linked.
Code such as `KV cache` is never linked, nor a heading.

A mixture of experts is cheaper per token; an MoE layer too (one term, linked once).
Top-p sampling keeps the nucleus. The *roofline* model is introduced in italics.

```{exercise} First
:label: ex-first

Write it.
```

```{exercise} Second
:label: ex-second

Write it again.
```

```python
# @title Solution
answer = 42
```

::::{container} cell tag_hide-input
:::{container} cell_input
```python
folded = sum(range(3))
```
:::
:::{container} cell_output
```python
printed = "an output keeps its colours"
```
:::
::::

```python
shown = max(1, 2)
```
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from sphinx.application import Sphinx

    src = tmp_path_factory.mktemp("book")
    (src / "book").mkdir()
    (src / "notebooks").mkdir()
    (src / "book" / "glossary.md").write_text(GLOSSARY, encoding="utf-8")
    (src / "notebooks" / "03_attention.md").write_text(CHAPTER, encoding="utf-8")
    (src / "index.md").write_text(
        "# Book\n\n```{toctree}\nnotebooks/03_attention\nbook/glossary\n```\n",
        encoding="utf-8",
    )
    (src / "conf.py").write_text(
        "extensions = ['myst_parser', 'sphinx_exercise', 'llmviz_book']\n"
        "numfig = True\nmyst_enable_extensions = ['colon_fence']\n",
        encoding="utf-8",
    )
    out = src / "_build"
    app = Sphinx(src, src, out, out / ".doctrees", "html", status=None, warning=None)
    app.build()
    return out


def _page(built: Path) -> str:
    return (built / "notebooks" / "03_attention.html").read_text(encoding="utf-8")


def test_exercises_are_numbered_within_their_chapter(built):
    titles = re.findall(r'caption-number">(Exercise [\d.]+)', _page(built))
    assert titles == ["Exercise 3.1", "Exercise 3.2"]


def test_the_first_use_of_each_term_links_to_the_glossary(built):
    links = re.findall(r'href="\.\./book/glossary\.html#(term-[^"]+)"', _page(built))
    assert sorted(links) == sorted(["term-KV-cache", "term-mixture-of-experts-MoE",
                                    "term-top-k-top-p", "term-roofline"])  # fmt: skip


def test_code_and_headings_are_not_linked(built):
    page = _page(built)
    assert "<code" in page and 'std-term">KV cache</span></a></code>' not in page
    heading = re.search(r"<h1>.*?</h1>", page, re.DOTALL).group()
    assert "glossary" not in heading


def test_colab_form_titles_are_dropped_from_shown_code(built):
    page = _page(built)
    assert "@title" not in page and "answer" in page


def test_folded_code_is_plain_and_shown_code_keeps_its_colours(built):
    page = _page(built)
    folded = page.split("folded", 1)[0].rsplit("<div class=", 1)[1]
    assert "highlight-text" in page and "highlight-python" in page
    assert '<span class="n">shown</span>' in page  # a shown cell: one span per token
    assert '<span class="n">folded</span>' not in page, folded  # a folded one: plain
    assert '<span class="n">printed</span>' in page  # outputs are not source


def test_aliases_split_names_and_abbreviations():
    aliases = llmviz_book.glossary_terms(GLOSSARY)
    assert aliases == {
        "KV cache": "KV cache",
        "mixture of experts": "mixture of experts (MoE)",
        "MoE": "mixture of experts (MoE)",
        "top-k": "top-k, top-p",
        "top-p": "top-k, top-p",
        "roofline": "roofline",
    }


def test_the_book_s_glossary_terms_all_have_an_alias():
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    aliases = llmviz_book.glossary_terms(text)
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    terms = {t.strip() for t in re.findall(r"^(\S.*)$", block, flags=re.MULTILINE)}
    unlinkable = terms - set(aliases.values())
    assert unlinkable <= {"key, query, value"}  # every alias is an everyday word


def test_the_term_list_shows_every_term_of_terms_csv():
    """book/_ext/llmviz_terms.py: one row per line of locales/zh_CN/terms.csv, in
    order, escaped, under the headers given."""
    import csv

    import llmviz_terms

    path = ROOT / "locales" / "zh_CN" / "terms.csv"
    with path.open(encoding="utf-8", newline="") as file:
        lines = list(csv.reader(file))[1:]
    rows = llmviz_terms.term_rows(path)
    assert rows == [tuple(line) for line in lines] and len(rows) > 100
    table = llmviz_terms.term_table([("a < b", "甲")], ("English", "中文"))
    assert "<th>English</th><th>中文</th>" in table
    assert '<td>a &lt; b</td><td lang="zh-CN">甲</td>' in table
    assert table.count("<tr>") == 2


def test_the_chinese_edition_links_chinese_terms_to_their_entries():
    """llmviz_terms.chinese_aliases: a term-list row whose English names a glossary
    entry gives its Chinese as an alias of that entry; llmviz_book._pattern finds it
    inside Chinese text, where no space marks a word."""
    import llmviz_terms

    aliases = llmviz_book.glossary_terms((ROOT / "book" / "glossary.md").read_text())
    chinese = llmviz_terms.chinese_aliases(aliases, llmviz_terms.term_rows())
    assert chinese["注意力头"] == aliases["attention head"]
    assert chinese["KV 缓存"] == aliases["KV cache"]
    assert all(len(name) >= 2 for name in chinese) and "头" not in chinese
    assert llmviz_book._pattern("注意力头").search("每个注意力头各自计算")
