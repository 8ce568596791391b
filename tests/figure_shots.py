"""Screenshots of one chapter's figures, without building the site: a tool for authors.

    .venv/bin/python -m tests.figure_shots notebooks/03_attention.ipynb --out /tmp/shots03
    .venv/bin/python -m tests.figure_shots _build/html/zh/notebooks/03_attention.html \
        --out /tmp/zh03     # the figures of a built page, the Chinese edition's included

Executes the notebook (as Jupyter would, not in book mode), takes every plotly figure it
shows, draws each in Chromium at the width of the site's text column on a 1280 px screen
(800 px) and on a 390 px phone (358 px), in light and dark mode, and writes
``<out>/cell<NN>-<width>-<theme>.png``. It prints, per figure, its title, its axis titles
and any text that sticks out of the figure or overlaps other text, which the site's
reader would see clipped. Look at the pictures: the printout only finds the obvious.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
PLOTLY_JSON = "application/vnd.plotly.v1+json"
WIDTHS = {"1280": 800, "390": 358}  # the site's text column on each screen
THEMES = {"light": ("#ffffff", "#1f2933"), "dark": ("#121212", "#e4e7eb")}

_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>@font-face {{font-family: "llmviz CJK"; src: url("llmviz-cjk.woff2");}}</style>
<script src="{plotly}"></script></head>
<body style="margin:0;background:{background}"><div id="figure" style="width:{width}px"></div>
<script>
const figure = {figure};
const layout = Object.assign({{}}, figure.layout, {{font: Object.assign({{}},
    (figure.layout || {{}}).font, {{color: "{font}"}})}});
document.fonts.load('16px "llmviz CJK"', "中").catch(() => null)  // as the site does
  .then(() => Plotly.newPlot("figure", figure.data, layout,
                             {{displaylogo: false, responsive: true}}))
  .then(() => Plotly.addFrames("figure", figure.frames || []))
  .then(() => document.body.dataset.drawn = "yes");
</script></body></html>"""

_PROBLEMS = """() => {
  const svg = document.querySelector('#figure .main-svg').getBoundingClientRect();
  const texts = [...document.querySelectorAll('#figure text')].filter(t => t.textContent.trim());
  const boxes = texts.map(t => [t.textContent.trim().slice(0, 30), t.getBoundingClientRect()]);
  const out = [];
  for (const [label, b] of boxes) {
    if (b.width && (b.left < svg.left - 1 || b.right > svg.right + 1 || b.top < svg.top - 1
        || b.bottom > svg.bottom + 1)) out.push('clipped: ' + label);
  }
  const big = boxes.filter(([, b]) => b.width > 0);
  for (let i = 0; i < big.length; i++) for (let j = i + 1; j < big.length; j++) {
    const [la, a] = big[i], [lb, b] = big[j];
    const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (dx > 3 && dy > 3) out.push('overlap: ' + la + ' / ' + lb);
  }
  return out.slice(0, 8);
}"""


def figures(notebook: Path) -> list[tuple[int, dict]]:
    """(cell index, figure JSON) for every plotly figure the executed notebook shows."""
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(
        nb, timeout=600, resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if PLOTLY_JSON in output.get("data", {}):
                found.append((index, output["data"][PLOTLY_JSON]))
    return found


def page_figures(page: Path) -> list[tuple[int, dict]]:
    """(number, figure JSON) for every figure of a built page, its template put back
    (llmviz/_book_figures.py sends a page's template once)."""
    import re

    text = page.read_text(encoding="utf-8")
    templates = dict(re.findall(
        r'<script type="application/json" class="llmviz-template" data-key="([^"]*)">'
        r"(.*?)</script>", text, re.S))  # fmt: skip
    found = []
    for number, body in enumerate(re.findall(
            r'<script type="application/json" class="llmviz-figure"[^>]*>(.*?)</script>',
            text, re.S)):  # fmt: skip
        figure = json.loads(body)
        if key := figure.pop("template", None):
            figure["layout"]["template"] = json.loads(templates[key])
        found.append((number, figure))
    return found


def summary(figure: dict) -> str:
    layout = figure.get("layout", {})
    title = (layout.get("title") or {}).get("text") or "NO TITLE"
    axes = {k: (v.get("title") or {}).get("text") for k, v in layout.items()
            if k[:5] in ("xaxis", "yaxis") and isinstance(v, dict)}  # fmt: skip
    untitled = sorted(k for k, v in axes.items() if not v)
    return f"title: {title!r}" + (
        f"; axes without a title: {untitled}" if untitled else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    plotly_js = ROOT / "_static" / "plotly.min.js"
    if not plotly_js.exists():
        import plotly

        plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    shutil.copy(plotly_js, args.out / "plotly.min.js")
    cjk = ROOT / "_build" / "html" / "zh" / "_static" / "fonts" / "llmviz-cjk.woff2"
    if cjk.exists():  # the site's Chinese glyphs (make site cuts them)
        shutil.copy(cjk, args.out / "llmviz-cjk.woff2")
    if args.notebook.suffix == ".html":
        found = page_figures(args.notebook)
    else:
        found = figures(args.notebook)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for index, figure in found:
            print(f"cell {index}: {summary(figure)}")
            for screen, width in WIDTHS.items():
                for theme, (background, font) in THEMES.items():
                    html = args.out / "figure.html"
                    html.write_text(_PAGE.format(
                        plotly="plotly.min.js", background=background, font=font,
                        width=width, figure=json.dumps(figure).replace("</", "<\\/"),
                    ), encoding="utf-8")  # fmt: skip
                    page.goto(html.as_uri())
                    page.wait_for_selector("body[data-drawn=yes]", timeout=20_000)
                    page.evaluate("document.fonts.ready")
                    shot = args.out / f"cell{index:03d}-{screen}-{theme}.png"
                    page.locator("#figure").screenshot(path=str(shot))
                    if theme == "light":
                        for problem in page.evaluate(_PROBLEMS):
                            print(f"    at {screen} px: {problem}")
        browser.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
