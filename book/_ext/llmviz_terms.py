"""The English–Chinese term list (``locales/zh_CN/terms.csv``) as a table, in both
editions, under the glossary: the ``term-list`` directive.

The table is written as HTML, so that Sphinx's gettext does not take its cells for
prose to translate: the English column stays English in the Chinese edition, and the
Chinese column is the same in both.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

TERMS = Path(__file__).resolve().parents[2] / "locales" / "zh_CN" / "terms.csv"
HEADERS = {"zh_CN": ("英文", "中文")}  # the headers of the English edition: below


def term_rows(path: Path = TERMS) -> list[tuple[str, str]]:
    """(English, Chinese) pairs, in the list's order.

    >>> term_rows()[0]
    ('attention', '注意力')
    """
    with path.open(encoding="utf-8", newline="") as file:
        return [(row["en"], row["zh"]) for row in csv.DictReader(file)]


def term_table(rows: list[tuple[str, str]], headers: tuple[str, str]) -> str:
    """The HTML table of ``rows``, styled as the theme styles a table.

    >>> term_table([("head", "头")], ("English", "Chinese")).count("<tr>")
    2
    """
    cells = "".join(
        f'<tr><td>{html.escape(en)}</td><td lang="zh-CN">{html.escape(zh)}</td></tr>'
        for en, zh in rows
    )
    head = "".join(f"<th>{html.escape(name)}</th>" for name in headers)
    return (
        '<div class="pst-scrollable-table-container">'
        '<table class="table llmviz-terms">'
        f"<thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table></div>"
    )


class TermList(SphinxDirective):
    """``term-list``: the table of every term the Chinese edition translates."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(TERMS))
        headers = HEADERS.get(self.config.language or "", ("English", "Chinese"))
        return [nodes.raw("", term_table(term_rows(), headers), format="html")]


def setup(app: Sphinx) -> dict:
    app.add_directive("term-list", TermList)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
