"""The website's heavy assets, made at build time from installed packages (offline).

    python book/site_assets.py plotly _site_assets/plotly    # before the build
    python book/site_assets.py mathjax _site_assets/mathjax  # (`make site` runs them)
    python book/site_assets.py fontawesome _build/html       # after it

- plotly: plotly.min.js gzip-compressed (4.8 MB -> 1.5 MB), which
  _static/llmviz-figures.js fetches and decompresses on pages with figures, and the
  plain file beside it for browsers without DecompressionStream. Both live outside
  _static/, since jupyter-book adds every _static/*.js to every page.
- mathjax: MathJax 3's startup.js and the components _config.yml has it load (TeX in,
  CommonHTML out, assistive MathML; 0.76 MB, where tex-svg-full.js was 2.3 MB and
  tex-chtml.js, which adds the menu, 1.2 MB), the fonts, which the browser fetches as
  glyphs need them, and the TeX extensions it loads on demand.
- fontawesome: the theme's fontawesome.js (1.5 MB, every Font Awesome icon), its
  stylesheet's icon rules and Font Awesome's fonts (which the theme's CSS draws with),
  all cut to the icons that the built pages, scripts and stylesheets use.
"""

from __future__ import annotations

import gzip
import re
import shutil
import sys
from pathlib import Path

# an icon in Font Awesome's packs:
# "name":[width,height,[aliases],"unicode","svg path" or [paths]]
ICON = re.compile(
    r'(?P<name>"[a-z0-9-]+"|[a-z_$][a-z0-9_$]*):\[\d+,\d+,\[(?P<aliases>[^\]]*)\],"[0-9a-f]+",'
    r'(?:"[^"]*"|\[[^\]]*\])\]'
)
CLASS = re.compile(r"\bfa-([a-z0-9-]+)")
# a rule of its stylesheet: .fa-bars:before,.fa-navicon:before{content:"\uf0c9"}
FA_RULE = re.compile(
    r'(?:\.fa-[a-z0-9-]+:before,)*\.fa-[a-z0-9-]+:before\{content:"[^"]*"\}'
)
FA_RULE_NAME = re.compile(r"\.fa-([a-z0-9-]+):before")


def plotly(dest: Path) -> None:
    """Write plotly.min.js and plotly.min.js.gz (level 9, no timestamp) into dest."""
    import plotly as package

    source = Path(package.__file__).parent / "package_data" / "plotly.min.js"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, dest / "plotly.min.js")
    data = source.read_bytes()
    (dest / "plotly.min.js.gz").write_bytes(gzip.compress(data, 9, mtime=0))
    packed = (dest / "plotly.min.js.gz").stat().st_size
    print(f"plotly.js {len(data):,} B, gzip {packed:,} B")


CONFIG = Path(__file__).resolve().parent.parent / "_config.yml"


def mathjax_components() -> list[str]:
    """The MathJax components that _config.yml has startup.js load (mathjax3_config)."""
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["sphinx"]["config"]
    return config["mathjax3_config"]["loader"]["load"]


def mathjax(dest: Path) -> None:
    """Copy MathJax 3's startup.js and the components it loads into dest: those named in
    _config.yml, the TeX extensions a formula asks for (autoload) and the fonts."""
    import mathjax as package

    load = mathjax_components()

    root = Path(package.__file__).parent / "static" / "mathjax"
    es5 = root / "es5"
    shutil.rmtree(dest, ignore_errors=True)  # no component left from an earlier choice
    dest.mkdir(parents=True)
    shutil.copy(root / "LICENSE", dest / "LICENSE")
    files = ["startup.js", "core.js", "output/chtml/fonts/tex.js"]
    files += [f"{name}.js" for name in load]
    for name in files:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(es5 / name, dest / name)
    for part in ("output/chtml/fonts/woff-v2", "input/tex/extensions"):
        shutil.copytree(es5 / part, dest / part, dirs_exist_ok=True)
    size = sum((dest / name).stat().st_size for name in files)
    print(f"MathJax startup.js and {', '.join(load)}: {size:,} B")


def trim_icons(script: str, keep: set[str]) -> tuple[str, list[str]]:
    """Font Awesome's script without the icons whose name and aliases are not in keep.

    >>> trim_icons('var p={a:[1,2,[],"f1","M0"],"b-c":[1,2,["x"],"f2","M1"]};', {"x"})
    ('var p={"b-c":[1,2,["x"],"f2","M1"]};', ['b-c'])
    """
    cut: list[tuple[int, int]] = []
    kept = []
    for icon in ICON.finditer(script):
        name = icon["name"].strip('"')
        aliases = {a.strip('"') for a in icon["aliases"].split(",")}
        if name in keep or aliases & keep:
            kept.append(name)
            continue
        start, end = icon.span()
        if script[end] == ",":  # the comma after it, or else the one before it
            end += 1
        elif script[start - 1] == ",":
            start -= 1
        if cut and start <= cut[-1][1]:
            start = cut[-1][0]
            cut.pop()
        cut.append((start, end))
    pieces, last = [], 0
    for start, end in cut:
        pieces.append(script[last:start])
        last = end
    pieces.append(script[last:])
    return "".join(pieces), kept


def _subset_font(source: Path, target: Path, codepoints: set[int]) -> None:
    """Write source's glyphs for codepoints to target (WOFF2 or TTF, by its suffix)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source)
    subsetter = subset.Subsetter(subset.Options(notdef_outline=True))
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    font.flavor = "woff2" if target.suffix == ".woff2" else None
    font.save(target)


def fontawesome(site: Path) -> None:
    """Cut the built site's Font Awesome to the icons it uses, from the installed theme.

    The icons are those the pages and the theme's scripts name (fa-NAME) and those the
    theme's CSS draws with Font Awesome's fonts (admonitions, breadcrumbs, links).
    fontawesome.js keeps their SVGs, pydata-sphinx-theme.css their .fa-NAME rules, and
    the three webfonts their glyphs.
    """
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    static = theme / "static"
    texts = [p.read_text(encoding="utf-8") for p in site.rglob("*.html")]
    texts += [
        p.read_text(encoding="utf-8")
        for p in (site / "_static").rglob("*.js")
        if p.name != "fontawesome.js"
    ]
    used = {name for text in texts for name in CLASS.findall(text)}
    original = (static / "scripts" / "fontawesome.js").read_text(encoding="utf-8")
    script, kept = trim_icons(original, used)
    script = re.sub(
        r"//# sourceMappingURL=\S+\s*$", "", script
    )  # the map is the full file's
    (site / "_static" / "scripts" / "fontawesome.js").write_text(
        script, encoding="utf-8"
    )
    css_path = Path("styles") / "pydata-sphinx-theme.css"
    css = (static / css_path).read_text(encoding="utf-8")
    trimmed_css = FA_RULE.sub(
        lambda rule: rule[0] if used & set(FA_RULE_NAME.findall(rule[0])) else "", css
    )
    trimmed_css = re.sub(r"/\*# sourceMappingURL=\S+ \*/\s*$", "", trimmed_css)
    (site / "_static" / css_path).write_text(trimmed_css, encoding="utf-8")
    # the glyphs any stylesheet draws: Font Awesome's are in Unicode's private use area
    sheets = [trimmed_css] + [
        p.read_text(encoding="utf-8")
        for p in (site / "_static").rglob("*.css")
        if p.name != css_path.name
    ]
    codepoints = {
        ord(c) for sheet in sheets for c in sheet if 0xE000 <= ord(c) <= 0xF8FF
    }
    codepoints |= {
        int(code, 16)
        for sheet in sheets
        for code in re.findall(r"\\([ef][0-9a-f]{3})\b", sheet)
    }
    fonts = site / "_static" / "vendor" / "fontawesome" / "webfonts"
    for target in sorted(fonts.glob("fa-*")):
        _subset_font(static / "vendor" / "fontawesome" / "webfonts" / target.name,
                     target, codepoints)  # fmt: skip
    weights = {p.name: f"{p.stat().st_size:,}" for p in sorted(fonts.glob("*.woff2"))}
    print(
        f"fontawesome.js {len(original):,} B -> {len(script):,} B, {len(set(kept))} "
        f"icons: {' '.join(sorted(set(kept)))}; pydata-sphinx-theme.css {len(css):,} B "
        f"-> {len(trimmed_css):,} B; {len(codepoints)} glyphs in {weights} B"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("plotly", "mathjax", "fontawesome"):
        sys.exit(__doc__.strip().splitlines()[1])
    {"plotly": plotly, "mathjax": mathjax, "fontawesome": fontawesome}[sys.argv[1]](
        Path(sys.argv[2])
    )
