"""Bad input for the Chinese edition's build tools: book/zh_outputs.py (figure text
and printed output) and book/_ext/llmviz_terms.py (the term list). Each bad value of
each parameter is refused with a ValueError or TypeError naming it, and valid calls
leave their inputs alone (tests/bad_input.py)."""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.bad_input import TEXT, VALUES, Case, bad_input_test, keeps_inputs_test
from tests.notebook_rules import ROOT
from tests.test_zh_outputs import MESSAGES, PAGE, zh_outputs

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import llmviz_terms  # noqa: E402  (book/_ext, not a package)

# A built site of one page, a translator's file, and a file that is neither
WORK = Path(tempfile.mkdtemp(prefix="llmviz-book-tools-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
(WORK / "site").mkdir()
(WORK / "site" / "page.html").write_text(PAGE, encoding="utf-8")
(WORK / "translated.json").write_text('{"step {0}": "第 {0} 步"}', encoding="utf-8")
(WORK / "list.json").write_text('["step"]', encoding="utf-8")
(WORK / "broken.json").write_text("{", encoding="utf-8")
TERMS = ROOT / "locales" / "zh_CN" / "terms.csv"

NOT_A_PATH = (("None", None), ("int", 3), ("bool", True), ("list", ["a"]))
SITE = VALUES(
    *NOT_A_PATH,
    ("empty", ""),
    ("missing", WORK / "no-such-site"),
    ("a file", WORK / "translated.json"),
)
MESSAGES_BAD = VALUES(
    ("None", None),
    ("language name", "zh_CN"),
    ("list", [("loss", "损失")]),
    ("int value", {"loss": 1}),
)
ROWS = VALUES(
    ("None", None),
    ("str", "ab"),
    ("one str", [("a",)]),
    ("int", [("a", 1)]),
    ("not a pair", [1]),
)


@contextmanager
def scratch_catalog():
    """fill writes the catalog: here, a copy in the scratch folder."""
    before, zh_outputs.CATALOG = zh_outputs.CATALOG, WORK / "catalog.json"
    zh_outputs.CATALOG.write_text(json.dumps(MESSAGES, ensure_ascii=False), "utf-8")
    try:
        yield
    finally:
        zh_outputs.CATALOG = before


def fill(translated):
    with scratch_catalog():
        return zh_outputs.fill(translated)


def export(site, out):
    with scratch_catalog():
        return zh_outputs.export(site, out)


CASES = [
    Case("zh_outputs.texts", zh_outputs.texts, lambda: {"page": PAGE},
         {"page": TEXT()}),
    Case("zh_outputs.translate_page", zh_outputs.translate_page,
         lambda: {"page": PAGE, "messages": dict(MESSAGES)},
         {"page": TEXT(), "messages": MESSAGES_BAD}),
    Case("zh_outputs.is_english", zh_outputs.is_english, lambda: {"text": "loss"},
         {"text": TEXT()}),
    Case("zh_outputs.english_pages", zh_outputs.english_pages,
         lambda: {"site": WORK / "site"}, {"site": SITE}),
    Case("zh_outputs.coverage", zh_outputs.coverage,
         lambda: {"site": str(WORK / "site")}, {"site": SITE}),
    Case("zh_outputs.export", export,
         lambda: {"site": WORK / "site", "out": WORK / "missing.json"},
         {"site": SITE, "out": VALUES(
             *NOT_A_PATH, ("empty", ""), ("no folder", WORK / "no" / "out.json"))}),
    Case("zh_outputs.fill", fill, lambda: {"translated": WORK / "translated.json"},
         {"translated": VALUES(
             *NOT_A_PATH, ("missing", WORK / "nothing.json"), ("a folder", WORK),
             ("a JSON list", WORK / "list.json"), ("not JSON", WORK / "broken.json"))}),
    Case("llmviz_terms.term_rows", llmviz_terms.term_rows, lambda: {"path": TERMS},
         {"path": VALUES(*NOT_A_PATH, ("missing", WORK / "terms.csv"),
                         ("a folder", WORK))}),
    Case("llmviz_terms.term_table", llmviz_terms.term_table,
         lambda: {"rows": [("head", "头")], "headers": ("English", "中文")},
         {"rows": ROWS, "headers": VALUES(
             ("None", None), ("str", "ab"), ("one", ("English",)),
             ("int", ("English", 1)), ("three", ("English", "中文", "x")))}),
    Case("llmviz_terms.chinese_aliases", llmviz_terms.chinese_aliases,
         lambda: {"aliases": {"attention head": "attention head"},
                  "rows": [("attention head", "注意力头")]},
         {"aliases": MESSAGES_BAD, "rows": ROWS}),
]  # fmt: skip

test_bad_input = bad_input_test(CASES)
test_keeps_inputs = keeps_inputs_test(CASES)
