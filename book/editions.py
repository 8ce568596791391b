"""The book's second edition: Chinese, built from the same sources into _build/html/zh/.

``make site`` builds the English edition first, executing the notebooks into Jupyter
Book's cache (_build/.jupyter_cache). This script then builds the Chinese one with the
same ``_config.yml`` and four changes: Sphinx's ``language`` (so the pages read their
translations from ``locales/zh_CN``, see book/i18n.py), the Chinese title, myst-nb's
fold-button labels, and the English build's execution cache, so that no notebook runs
twice. The result is copied
to _build/html/zh/, its Colab links are pointed at the Chinese notebooks (notebooks/zh/,
written by book/zh_notebooks.py), and the sidebar's part captions are translated (the
theme draws them from the untranslated table of contents). The words that code drew
and printed, figure text and printed lines, are translated from llmviz's catalog
(book/zh_outputs.py). Last, every page of both editions gets a link to the same page
in the other one, in its header's buttons.

    python book/editions.py [jupyter-book build options, e.g. -W -n --keep-going]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import zh_outputs  # book/zh_outputs.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
LANGUAGE = "zh_CN"
FOLDER = "zh"  # the edition's folder in the site, and its notebooks' in notebooks/
TITLE = "llmviz：看得见、跑得动的大模型内部原理"


def config_for(name: str, **changes: object) -> Path:
    """``_config.yml`` with the local extensions' paths made absolute, ``execute`` and
    ``sphinx.config`` updated by ``changes`` ("execute.cache" style keys), written to
    _build/<name>_config.yml (Jupyter Book reads a config from any folder)."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    extensions = config["sphinx"]["local_extensions"]
    for key, folder in extensions.items():
        extensions[key] = str(ROOT / folder)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path = BUILD / f"{name}_config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def colab_to_chinese(html: str) -> str:
    """Point a page's Colab links at the Chinese notebooks.

    >>> colab_to_chinese('href="https://colab.research.google.com/github/o/r/blob/'
    ...                  'main/notebooks/03_attention.ipynb"')
    'href="https://colab.research.google.com/github/o/r/blob/main/notebooks/zh/03_attention.ipynb"'
    """
    return re.sub(
        r"(colab\.research\.google\.com/github/[^\"']*?/notebooks/)(?!zh/)",
        rf"\g<1>{FOLDER}/",
        html,
    )


def caption_translations() -> dict[str, str]:
    """The table of contents' part captions (_toc.yml) and their translations, from
    the root page's catalog: the theme draws the sidebar from the English toctree."""
    import yaml
    from babel.messages.pofile import read_po

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    catalog = ROOT / "locales" / LANGUAGE / "LC_MESSAGES" / f"{toc['root']}.po"
    with catalog.open("rb") as file:
        strings = {m.id: m.string for m in read_po(file) if m.id and m.string}
    captions = [part["caption"] for part in toc.get("parts", []) if "caption" in part]
    return {caption: strings[caption] for caption in captions if caption in strings}


def with_captions(html: str, captions: dict[str, str]) -> str:
    """The sidebar's part captions translated.

    >>> span = '<span class="caption-text">Chapters</span>'
    >>> with_captions(span, {"Chapters": "章节"})
    '<span class="caption-text">章节</span>'
    """
    for english, chinese in captions.items():
        html = html.replace(
            f'<span class="caption-text">{english}</span>',
            f'<span class="caption-text">{chinese}</span>',
        )
    return html


HEADER = '<div class="article-header-buttons">'
SWITCH = (
    '<a class="btn btn-sm llmviz-language" href="{href}" hreflang="{code}"'
    ' lang="{code}" title="{title}">{label}</a>'
)
OTHER = {  # a page's edition -> the link to the other edition
    "en": dict(code="zh-CN", title="这一页的中文版", label="中文"),
    "zh": dict(code="en", title="This page in English", label="EN"),  # fits a phone
}


def with_switcher(html: str, href: str, edition: str) -> str:
    """The page with a link to ``href``, its counterpart in the other edition.

    >>> with_switcher('<div class="article-header-buttons">x</div>', "zh/a.html", "en")
    '<div class="article-header-buttons"><a class="btn btn-sm llmviz-language" \
href="zh/a.html" hreflang="zh-CN" lang="zh-CN" title="这一页的中文版">中文</a>x</div>'
    """
    if "llmviz-language" in html or HEADER not in html:
        return html
    link = SWITCH.format(href=href, **OTHER[edition])
    return html.replace(HEADER, HEADER + link, 1)


def add_switchers(site: Path) -> int:
    """Link each page of the English site and of its zh/ folder to its counterpart."""
    linked = 0
    chinese = site / FOLDER
    for page in sorted(chinese.rglob("*.html")):
        page_path = page.relative_to(chinese)
        if page_path.parts[0] == "_static" or not (site / page_path).is_file():
            continue
        depth = len(page_path.parts) - 1
        pairs = [
            (
                site / page_path,
                "../" * depth + f"{FOLDER}/{page_path.as_posix()}",
                "en",
            ),
            (page, "../" * (depth + 1) + page_path.as_posix(), "zh"),
        ]
        for path, href, edition in pairs:
            text = path.read_text(encoding="utf-8")
            if (changed := with_switcher(text, href, edition)) != text:
                path.write_text(changed, encoding="utf-8")
                linked += 1
    return linked


def build(options: list[str]) -> int:
    config = config_for(
        "zh",
        title=TITLE,
        **{
            "execute.cache": str(BUILD / ".jupyter_cache"),
            "sphinx.config.language": LANGUAGE,
            # myst-nb's fold buttons ("Show code cell source"): not in Sphinx's catalogs
            "sphinx.config.nb_code_prompt_show": "显示代码",
            "sphinx.config.nb_code_prompt_hide": "隐藏代码",
        },
    )
    out = BUILD / FOLDER
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT)]
    command += ["--config", str(config), "--path-output", str(out), *options]
    env = {**os.environ, "LLMVIZ_BOOK": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env)
    if done.returncode:
        return done.returncode
    site = BUILD / "html" / FOLDER
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(out / "_build" / "html", site)
    shutil.copytree(ROOT / "_static", site / "_static", dirs_exist_ok=True)
    captions = caption_translations()
    messages = json.loads(zh_outputs.CATALOG.read_text(encoding="utf-8"))
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        changed = with_captions(colab_to_chinese(text), captions)
        changed = zh_outputs.translate_page(changed, messages)  # figures, printed text
        if changed != text:
            page.write_text(changed, encoding="utf-8")
    linked = add_switchers(BUILD / "html")
    print(f"The Chinese edition is in {site}; {linked} pages link to their counterpart")
    return 0


if __name__ == "__main__":
    sys.exit(build(sys.argv[1:]))
