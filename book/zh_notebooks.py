"""Write notebooks/zh/*.ipynb: each chapter with its prose in Chinese, for Colab.

The Chinese pages' Colab button opens these. Each is the English notebook with every
markdown cell's paragraphs, headings, list items, table cells and exercise titles
replaced by their translations from locales/zh_CN (book/i18n.py); code cells are
copied unchanged but one: ``llmviz.setup()`` becomes ``llmviz.setup(language="zh_CN")``
(``SETUP``), which shows the figures and llmviz's checks in Chinese as the notebook
runs (llmviz/language.py). The markdown is parsed as MyST parses it (markdown-it with
the same extensions), so a message is found by the same text Sphinx extracted.

    python book/zh_notebooks.py           # write them
    python book/zh_notebooks.py --check   # fail if any is missing or out of date
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "notebooks"
OUT = ROOT / "notebooks" / "zh"
SKIPPED = {"math_block", "amsmath", "code_block"}  # copied as they are
SETUP = ("llmviz.setup()", 'llmviz.setup(language="zh_CN")')  # the one code change


def parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    extensions = {"amsmath", "colon_fence", "dollarmath", "substitution"}
    return create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)


def translations(page: str) -> dict[str, str]:
    """msgid -> translation for one page (untranslated and fuzzy entries left out)."""
    with (CATALOGS / f"{page}.po").open("rb") as file:
        catalog = read_po(file)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def translate_markdown(text: str, table: dict[str, str], md) -> str:
    """``text`` with each message that ``table`` translates replaced in place.

    >>> md, text = parser(), "# 3. Attention\\n\\nSome *prose*\\nover two lines."
    >>> table = {"3. Attention": "3\\\\. 注意力"}
    >>> table["Some *prose* over two lines."] = "一段*文字*。"
    >>> print(translate_markdown(text, table, md))
    # 3\\. 注意力
    <BLANKLINE>
    一段*文字*。
    """
    lines = text.split("\n")
    for start, end, old, new in reversed(_edits(text, table, md)):
        if end - start == 1:
            line = lines[start]
            at = line.rfind(old) if old in line else -1
            if at >= 0:
                lines[start] = line[:at] + new + line[at + len(old) :]
            continue
        first = old.split("\n", 1)[0]
        prefix = lines[start][: lines[start].find(first)]
        lines[start:end] = [prefix + new]
    return "\n".join(lines)


def _edits(text: str, table: dict[str, str], md, offset: int = 0) -> list:
    """(first line, end line, English source, translation) of each translated
    message, in source order; a directive's body (an exercise) is read the same way."""
    edits = []
    for token in md.parse(text):
        if token.type in SKIPPED or not token.map:
            continue
        start, end = token.map[0] + offset, token.map[1] + offset
        if token.type == "fence" and token.info.startswith("{"):
            name, _, title = token.info.partition(" ")
            if title.strip() in table:
                edits.append((start, start + 1, title.strip(), table[title.strip()]))
            edits += _edits(token.content, table, md, start + 1)
        elif token.type == "inline":
            message = " ".join(token.content.split("\n")).strip()
            if message in table and table[message] != message:
                if len(token.content.split("\n")) == 1:
                    end = start + 1  # a table cell or a heading: one line
                edits.append((start, end, token.content, table[message]))
    return sorted(edits, key=lambda edit: edit[0])


def chinese_notebook(path: Path, md) -> dict:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    table = translations(path.stem)
    out = copy.deepcopy(notebook)
    for cell in out["cells"]:
        if cell["cell_type"] == "markdown":
            text = translate_markdown("".join(cell["source"]), table, md)
            cell["source"] = text.splitlines(keepends=True)
        elif SETUP[0] in (source := "".join(cell["source"])):
            cell["source"] = source.replace(*SETUP).splitlines(keepends=True)
    return out


def render(notebook: dict) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    md = parser()
    stale = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = render(chinese_notebook(path, md))
        target = OUT / path.name
        if "--check" in argv:
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if current != text:
                stale.append(target.relative_to(ROOT).as_posix())
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"out of date (run `python book/zh_notebooks.py`): {', '.join(stale)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
