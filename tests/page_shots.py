"""Screenshots of the built website's pages, screen by screen: a tool for authors.

    .venv/bin/python -m tests.page_shots --out /tmp/pages                 # every page
    .venv/bin/python -m tests.page_shots 03_ intro --out /tmp/pages03     # pages whose path holds these

Serves the built site (``_build/html``, or ``LLMVIZ_SITE``), opens each page in Debian's
chromium on a 1280x900 screen and on a 390x844 phone (a touch screen), in light and dark
mode, waits until every figure is drawn and the maths typeset, and writes the page as
tiles two screens tall (the sticky header tops each): ``<out>/<page>-<width>-<theme>-<NN>.png``. It prints how many
tiles each page took. Look at every tile: what a reader sees is what no test measures.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from tests.site_browser import CHROMIUM_ARGS, PAGES, SITE, _QuietHandler

SCREENS = {"1280": (1280, 900), "390": (390, 844)}
DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(gd => gd.querySelector('.main-svg'))"""
TYPESET = "async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }"


def shoot(browser, url: str, stem: Path, width: str, theme: str) -> int:
    """Write one page's tiles at one width and theme; how many were written."""
    w, h = SCREENS[width]
    phone = width == "390"
    # a viewport two screens tall, scrolled tile by tile: a full-page capture resizes the viewport to the page's
    # height, which re-lays some pages out (the column shifted, a tile left blank)
    context = browser.new_context(
        viewport={"width": w, "height": 2 * h}, is_mobile=phone, has_touch=phone
    )
    context.add_init_script(f"localStorage.setItem('mode', '{theme}');")
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function(DRAWN, timeout=60_000)
    page.evaluate(TYPESET)
    page.wait_for_timeout(300)  # fonts swapped in, last relayouts
    height = page.evaluate("() => document.documentElement.scrollHeight")
    tiles = 0
    for top in range(0, height, 2 * h):
        page.evaluate("top => window.scrollTo(0, top)", top)
        page.wait_for_timeout(100)
        page.screenshot(path=f"{stem}-{width}-{theme}-{tiles:02d}.png")
        tiles += 1
    context.close()
    return tiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="parts of the page paths to take")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--widths", default="1280,390")
    parser.add_argument("--themes", default="light,dark")
    args = parser.parse_args()
    todo = [p for p in PAGES if p != "index.html"]
    if args.pages:
        todo = [p for p in todo if any(part in p for part in args.pages)]
    args.out.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        for page_path in todo:
            stem = args.out / page_path.replace("/", "_").removesuffix(".html")
            for width in args.widths.split(","):
                for theme in args.themes.split(","):
                    tiles = shoot(browser, base_url + page_path, stem, width, theme)
                    print(f"{page_path} {width} px {theme}: {tiles} tiles")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
