"""The Chinese edition's catalogs: update them, measure coverage, check markup.

The English notebooks and pages are the only source. Sphinx's gettext builder extracts
their prose, one message per paragraph, heading, list item or table cell, into ``.pot``
templates; ``sphinx-intl`` merges those into ``locales/zh_CN/LC_MESSAGES/<page>.po``,
where the translations live (a changed English message keeps its old translation,
marked fuzzy).

    python book/i18n.py update             # extract, then merge into the .po files
    python book/i18n.py coverage [--min N] # translated share per page; fail below N%
    python book/i18n.py check              # translations keep code, maths, roles, links
    python book/i18n.py export PAGE [--all]  # untranslated messages, as numbered blocks
    python book/i18n.py fill PAGE FILE...    # translated blocks into PAGE's .po

PAGE is a catalog's path under locales/zh_CN/LC_MESSAGES/ without .po
(notebooks/03_attention). A block is a line "@@ N" (the message's number in its
catalog) followed by the raw text, with no quoting or escaping, up to the next "@@"
line: the form a translator, or a model, writes most safely.

A message counts as translated when its translation is non-empty and not fuzzy.
``check`` compares what must pass through a translation unchanged: inline code, inline
maths, MyST roles with their targets, and link targets. A message that is only maths
or code is translated by copying it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po
from editions import config_for  # book/editions.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
LANGUAGE = "zh_CN"
CATALOGS = LOCALES / LANGUAGE / "LC_MESSAGES"
EXTRACT = ROOT / "_build" / "i18n"  # its own doctrees: the html build's would clash
MIN_COVERAGE = 98.0  # percent of messages, per page

# what a translation must carry over unchanged, each counted as a multiset
_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")  # inline code (roles' targets too)
_ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
_TARGET = re.compile(r".*<([^<>]+)>")  # a role's explicit target: text <target>
_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def preserved(text: str) -> Counter:
    """The pieces of ``text`` that a translation must keep exactly. A role's shown text
    may be translated, not its target: {doc}`chapter 7 <../notebooks/07_moe>`.

    >>> text = "The {footcite}`a2024` loss $x^2$ of `f()` [here](b.md)"
    >>> sorted(preserved(text).elements())
    [('code', 'f()'), ('link', 'b.md'), ('math', 'x^2'), ('role', 'footcite:a2024')]
    >>> chapter, zh = "{doc}`chapter 7 <../nb/07>`", "{doc}`第 7 章 <../nb/07>`"
    >>> preserved(chapter) == preserved(zh)
    True
    """
    found: Counter = Counter()
    for role, inner in _ROLE.findall(text):
        target = _TARGET.fullmatch(inner.strip())
        found["role", f"{role}:{target.group(1) if target else inner}"] += 1
    text = _ROLE.sub("", text)
    for _, code in _CODE.findall(text):
        found["code", code] += 1
    text = _CODE.sub("", text)
    for math in _MATH.findall(text):
        found["math", math.strip()] += 1
    for target in _LINK.findall(text):
        found["link", target] += 1
    return found


def catalogs() -> list[Path]:
    return sorted(CATALOGS.rglob("*.po"))


def page_of(path: Path) -> str:
    return path.relative_to(CATALOGS).with_suffix("").as_posix()


def messages(path: Path) -> list:
    """The catalog's messages (the header excluded)."""
    with path.open("rb") as file:
        catalog = read_po(file)
    return [m for m in catalog if m.id]


def coverage(path: Path) -> tuple[int, int, int]:
    """(translated, fuzzy, total) messages of one catalog."""
    found = messages(path)
    fuzzy = sum(m.fuzzy for m in found)
    done = sum(bool(m.string) and not m.fuzzy for m in found)
    return done, fuzzy, len(found)


def problems(path: Path) -> list[str]:
    """Each translated message whose code, maths, roles or links differ from the
    English."""
    out = []
    for m in messages(path):
        if not m.string or m.fuzzy:
            continue
        want, got = preserved(m.id), preserved(m.string)
        if want != got:
            lost = sorted((want - got).elements())
            added = sorted((got - want).elements())
            out.append(f"{page_of(path)}: {m.id[:60]!r}: lost {lost}, added {added}")
    return out


BLOCK = re.compile(r"^@@ (\d+)$", re.M)
# a translation starting like a list item, a heading or a quote would be parsed as that
# block, and Sphinx keeps the English for any message that is not one paragraph
_BLOCK_START = re.compile(r"^(\d{1,9})([.)]) |^([-*+>#])(?= |$)")


def as_paragraph(text: str) -> str:
    """``text`` with a leading list, heading or quote marker escaped.

    >>> print(as_paragraph("3. 注意力"), as_paragraph("- 一项"), as_paragraph("3 个头"))
    3\\. 注意力 \\- 一项 3 个头
    """
    return _BLOCK_START.sub(
        lambda m: f"{m[1]}\\{m[2]} " if m[1] else f"\\{m[3]}", text, count=1
    )


def export(page: str, everything: bool) -> str:
    """The page's messages still to translate (all with ``everything``), as blocks."""
    found = messages(CATALOGS / f"{page}.po")
    return "".join(
        f"@@ {i}\n{m.id}\n"
        for i, m in enumerate(found)
        if everything or not m.string or m.fuzzy
    )


def fill(page: str, files: list[str]) -> int:
    """Write the blocks of ``files`` into the page's catalog as translations (not
    fuzzy)."""
    from babel.messages.pofile import write_po

    path = CATALOGS / f"{page}.po"
    with path.open("rb") as file:
        catalog = read_po(file)
    found = [m for m in catalog if m.id]
    filled = 0
    for name in files:
        text = Path(name).read_text(encoding="utf-8")
        parts = BLOCK.split(text)[1:]
        for number, body in zip(parts[::2], parts[1::2], strict=True):
            index = int(number)
            if index >= len(found):
                raise SystemExit(
                    f"{name}: block @@ {index}, but {page} has {len(found)}"
                )
            found[index].string = as_paragraph(
                body.removeprefix("\n").removesuffix("\n")
            )
            found[index].flags.discard("fuzzy")
            filled += 1
    with path.open("wb") as file:
        write_po(file, catalog, width=0)
    print(f"{page}: {filled} translations written")
    return 0


def extract(out: Path = EXTRACT) -> Path:
    """Extract the English into ``.pot`` templates (nothing executed); their folder."""
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "jupyter-book"), "build", str(ROOT), "--config"]
    command += [str(config_for("gettext", **{"execute.execute_notebooks": "off"}))]
    command += ["--builder", "custom", "--custom-builder", "gettext"]
    command += ["--path-output", str(out)]
    env = {**os.environ, "LLMVIZ_BOOK": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the gettext build failed:\n{done.stdout[-3000:]}")
    return out / "_build" / "gettext"


def stale(templates: Path) -> list[str]:
    """Each page whose catalog's messages differ from its template's: the English
    changed since the last ``update``."""
    out = []
    for template in sorted(templates.rglob("*.pot")):
        page = template.relative_to(templates).with_suffix("").as_posix()
        catalog = CATALOGS / f"{page}.po"
        want = {m.id for m in messages(template)}
        have = {m.id for m in messages(catalog)} if catalog.exists() else set()
        if want != have:
            out.append(f"{page}: {len(want - have)} new, {len(have - want)} gone")
    return out


def update() -> int:
    """Extract the English into templates, then merge them into the catalogs."""
    templates = extract()
    merge = [str(Path(sys.executable).parent / "sphinx-intl"), "update", "-p"]
    merge += [str(templates), "-d", str(LOCALES), "-l", LANGUAGE]
    merge += ["-w", "0"]  # no wrapping: a message a line, readable diffs
    return subprocess.run(merge, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update")
    cover = commands.add_parser("coverage")
    cover.add_argument("--min", type=float, default=MIN_COVERAGE)
    commands.add_parser("check")
    exporting = commands.add_parser("export")
    exporting.add_argument("page")
    exporting.add_argument("--all", action="store_true")
    filling = commands.add_parser("fill")
    filling.add_argument("page")
    filling.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "update":
        return update()
    if args.command == "export":
        sys.stdout.write(export(args.page, args.all))
        return 0
    if args.command == "fill":
        return fill(args.page, args.files)
    if not catalogs():
        print(f"no catalogs under {CATALOGS}: run `book/i18n.py update`")
        return 1
    if args.command == "check":
        found = [p for path in catalogs() for p in problems(path)]
        print(
            "\n".join(found) or "every translation keeps its code, maths, roles, links"
        )
        return 1 if found else 0
    below = []
    print(f"{'page':40} {'translated':>10} {'fuzzy':>5} {'total':>5} {'share':>6}")
    for path in catalogs():
        done, fuzzy, total = coverage(path)
        share = 100 * done / total if total else 100.0
        print(f"{page_of(path):40} {done:10d} {fuzzy:5d} {total:5d} {share:5.1f}%")
        if share < args.min or fuzzy:
            below.append(page_of(path))
    if below:
        print(f"below {args.min:g}% or with fuzzy entries: {', '.join(below)}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
