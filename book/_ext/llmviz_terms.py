"""The English–Chinese term list (``locales/zh_CN/terms.csv``) as a table, in both
editions, under the glossary: the ``term-list`` directive. And in the Chinese edition,
the list's Chinese terms as aliases of their glossary entries, so that the first use
of 注意力头 links to "attention head" as the English edition's first use does
(book/_ext/llmviz_book.py links them).

The table is written as HTML, so that Sphinx's gettext does not take its cells for
prose to translate: the English column stays English in the Chinese edition, and the
Chinese column is the same in both.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from llmviz._checks import (
    check_path,
    check_str_dict,
    check_str_pair,
    check_str_pairs,
)

TERMS = Path(__file__).resolve().parents[2] / "locales" / "zh_CN" / "terms.csv"
HEADERS = {"zh_CN": ("英文", "中文")}  # the headers of the English edition: below
_CJK = re.compile(r"[\u4e00-\u9fff]")


def term_rows(path: Path = TERMS) -> list[tuple[str, str]]:
    """(English, Chinese) pairs, in the list's order.

    >>> term_rows()[0]
    ('attention', '注意力')
    """
    path = check_path("path", path, "file")
    with path.open(encoding="utf-8", newline="") as file:
        return [(row["en"], row["zh"]) for row in csv.DictReader(file)]


def term_table(rows: list[tuple[str, str]], headers: tuple[str, str]) -> str:
    """The HTML table of ``rows``, styled as the theme styles a table.

    >>> term_table([("head", "头")], ("English", "Chinese")).count("<tr>")
    2
    """
    rows = check_str_pairs("rows", rows)
    headers = check_str_pair("headers", headers)
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


def chinese_aliases(
    aliases: dict[str, str], rows: list[tuple[str, str]]
) -> dict[str, str]:
    """Chinese term -> glossary term, for each row whose English is a glossary alias
    (in any case); the Chinese without its English in parentheses, two characters
    or more (a one-character term, 头 or 层, is part of too many words).

    >>> chinese_aliases({"attention head": "attention head"},
    ...                 [("Attention head", "注意力头"), ("head", "头")])
    {'注意力头': 'attention head'}
    """
    aliases, rows = check_str_dict("aliases", aliases), check_str_pairs("rows", rows)
    lower = {alias.lower(): term for alias, term in aliases.items()}
    found = {}
    for english, chinese in rows:
        term = lower.get(english.lower())
        name = re.sub(r"（[^）]*）|\([^)]*\)", "", chinese).strip()
        if term and len(name) >= 2 and _CJK.search(name) and name not in aliases:
            found[name] = term
    return found


def add_chinese_aliases(app: Sphinx) -> None:
    """In the Chinese edition, link the first use of a Chinese term as well."""
    glossary = getattr(app.env, "llmviz_glossary", None)
    if app.config.language == "zh_CN" and glossary is not None:
        glossary |= chinese_aliases(glossary, term_rows())


def setup(app: Sphinx) -> dict:
    app.add_directive("term-list", TermList)
    app.connect("builder-inited", add_chinese_aliases, priority=600)  # after reading
    return {"parallel_read_safe": True, "parallel_write_safe": True}
