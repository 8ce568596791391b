"""Serve the fonts the built site needs: subsets of an open CJK font and an emoji font.

A machine without CJK or emoji fonts (a stock Linux install, many phones) draws boxes
("tofu") for Chinese, Japanese and Korean text and for emoji. After the Jupyter Book
build, this script reads every page of the built site (its text and the JSON of its
figures), collects the characters it uses, and writes, into ``_static/fonts/``:

- ``llmviz-cjk.woff2``: WenQuanYi Micro Hei (Debian's ``fonts-wqy-microhei``; Apache
  License 2.0, or GPL 3 with the font exception), cut down to the CJK characters used;
- ``llmviz-emoji.woff2``: Noto Color Emoji (Debian's ``fonts-noto-color-emoji``; SIL
  Open Font License 1.1), cut down to the emoji used;

with each package's licence beside them. ``_static/llmviz.css`` declares both as
``@font-face`` with a ``unicode-range`` and puts them first in the theme's font stacks;
``llmviz/viz/theme.py`` puts them in every figure's font. ``make fonts`` fetches the two
Debian packages into ``_build/fonts-src/`` (unpacked there, not installed, so that no
system font hides a missing glyph from the site test) and runs this script.

Usage: ``python book/fonts.py FONTS_SRC SITE_HTML``
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import unicodedata
from pathlib import Path

import regex
from fontTools import subset
from fontTools.ttLib import TTFont

CJK_FONT = "usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
EMOJI_FONT = "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
LICENCES = {
    "LICENSE-wqy-microhei.txt": "usr/share/doc/fonts-wqy-microhei/copyright",
    "LICENSE-noto-color-emoji.txt": "usr/share/doc/fonts-noto-color-emoji/copyright",
}
# The blocks the CJK face serves (the same list as its unicode-range in llmviz.css):
# Hangul Jamo, CJK radicals to Kanbun, CJK strokes to ideographs, Hangul syllables,
# compatibility ideographs, vertical and compatibility forms, full-width forms.
CJK_BLOCKS = (
    (0x1100, 0x11FF), (0x2E80, 0x31FF), (0x3200, 0x9FFF), (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF),
)  # fmt: skip
_ESCAPE = re.compile(
    r"(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4})"
)
_EMOJI = regex.compile(r"\p{Emoji_Presentation}|\p{Emoji_Component}|.(?=\uFE0F)")


def page_text(source: str) -> str:
    """One page's characters: HTML entities and JSON ``\\u`` escapes decoded.

    >>> page_text(r'<b>&#29483;</b><script>{"t": "\\u72d7 \\ud83d\\ude42"}</script>')
    '<b>猫</b><script>{"t": "狗 🙂"}</script>'
    """
    return html.unescape(_ESCAPE.sub(lambda m: json.loads(f'"{m.group(0)}"'), source))


def site_text(site: Path) -> str:
    """The text of every page of the built site: its ``_static`` excluded, and any
    edition built into a folder of its own (``zh/``, with its own ``_static`` and
    fonts, cut by running this script on that folder)."""
    editions = {folder.parent.name for folder in site.glob("*/_static")}
    return "\n".join(
        page_text(path.read_text(encoding="utf-8"))
        for path in sorted(site.rglob("*.html"))
        if "_static" not in (parts := path.relative_to(site).parts)
        and parts[0] not in editions
    )


def is_cjk(char: str) -> bool:
    """Whether the CJK face serves ``char``.

    >>> is_cjk("猫"), is_cjk("한"), is_cjk("，"), is_cjk("é")
    (True, True, True, False)
    """
    return any(low <= ord(char) <= high for low, high in CJK_BLOCKS)


def emoji_in(text: str) -> set[str]:
    """The characters of ``text`` that a browser draws as emoji: those of emoji
    presentation, the parts of emoji sequences, and any character followed by U+FE0F.

    >>> sorted(emoji_in("✅ ✓ ✏\\ufe0f ▶ 👍🏽"), key=ord)
    ['✅', '✏', '🏽', '👍']
    """
    found = {m.group(0)[0] for m in _EMOJI.finditer(text)}
    return {c for c in found if ord(c) > 0x7F} - {"\ufe0e", "\ufe0f"}


def write_subset(font: TTFont, chars: set[str], out: Path) -> int:
    """Write the part of ``font`` that draws ``chars`` (and ligatures) as WOFF2."""
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # flags, skin tones and ZWJ sequences are ligatures
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(out)
    return out.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "fonts_src", type=Path, help="where the Debian packages lie unpacked"
    )
    parser.add_argument("site", type=Path, help="the built site (_build/html)")
    args = parser.parse_args(argv)
    for required in (args.site / "index.html", args.fonts_src / CJK_FONT):
        if not required.is_file():
            parser.error(f"{required} is missing: build the site and run `make fonts`")

    text = site_text(args.site)
    chars = {c for c in set(text) if ord(c) > 0x7F}
    cjk_font = TTFont(args.fonts_src / CJK_FONT, fontNumber=0)
    emoji_font = TTFont(args.fonts_src / EMOJI_FONT)
    cjk = {c for c in chars if is_cjk(c) and ord(c) in cjk_font.getBestCmap()}
    emoji = {c for c in emoji_in(text) if ord(c) in emoji_font.getBestCmap()}
    out = args.site / "_static" / "fonts"
    out.mkdir(parents=True, exist_ok=True)
    for name, font, used in (
        ("llmviz-cjk.woff2", cjk_font, cjk),
        ("llmviz-emoji.woff2", emoji_font, emoji),
    ):
        size = write_subset(font, used, out / name)
        print(f"{name}: {len(used)} characters, {size / 1024:.0f} KiB")
    for name, source in LICENCES.items():
        shutil.copy(args.fonts_src / source, out / name)
    missing = sorted(c for c in chars if is_cjk(c) and c not in cjk)
    if missing:
        raise SystemExit(f"{CJK_FONT} has no glyph for {''.join(missing)!r}")
    left = [c for c in chars - cjk - emoji if unicodedata.category(c)[0] not in "ZC"]
    print(
        f"{len(left)} other characters (Latin, Greek, symbols...): the reader's fonts"
    )


if __name__ == "__main__":
    main()
