"""The built website on a machine with no CJK or emoji fonts, on a phone, and by keyboard.

Chromium runs with a fontconfig that knows DejaVu only (``FONTCONFIG_FILE``), so these checks hold on a machine that
has CJK or emoji fonts too: what the pages show must come from the fonts the site serves (``make fonts``). A
character drawn as a box ("tofu") is found by drawing it on a canvas in its element's computed font and comparing the
pixels with those of U+10FFFF, a code point no font has. ``test_tofu_check_sees_boxes_without_the_served_fonts``
shows the check can fail: with the site's fonts blocked it must find boxes. Run after ``make site``;
``LLMVIZ_SITE`` points at another build.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.notebook_rules import ROOT
from tests.site_browser import CHAPTERS, PAGES, SITE, follow_redirect

pytestmark = pytest.mark.site

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
GENERIC = {  # the generic families, as a stock install maps them
    "sans-serif": "DejaVu Sans",
    "system-ui": "DejaVu Sans",
    "serif": "DejaVu Serif",
    "monospace": "DejaVu Sans Mono",
}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
_spec = importlib.util.spec_from_file_location("book_fonts", ROOT / "book" / "fonts.py")
book_fonts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book_fonts)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        pass


@pytest.fixture(scope="module")
def base_url():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make site` first")
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's chromium, seeing no font but DejaVu."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run `make browser`")
    if not DEJAVU.is_dir():
        pytest.fail(f"no DejaVu fonts at {DEJAVU}: `apt-get install fonts-dejavu-core`")
    folder = tmp_path_factory.mktemp("fontconfig")
    config = folder / "fonts.conf"
    aliases = "".join(
        f"<alias><family>{generic}</family><prefer><family>{font}</family></prefer></alias>"
        for generic, font in GENERIC.items()
    )
    config.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        f"<dir>{DEJAVU}</dir><cachedir>{folder / 'cache'}</cachedir>{aliases}</fontconfig>\n"
    )
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, env=env
        )
        yield browser
        browser.close()


def _open(browser, url: str, block_fonts: bool = False, **context):
    """A page at ``url`` (figures drawn); with ``block_fonts`` the site's fonts fail to load."""
    page = browser.new_context(**context).new_page()
    if block_fonts:
        page.route("**/_static/fonts/**", lambda route: route.abort())
    page.goto(url, wait_until="load")
    follow_redirect(page, url.split("/", 3)[3])  # the path after http://host:port/
    page.wait_for_function(
        """() => [...document.querySelectorAll('div.plotly-graph-div')]
            .every(gd => gd.querySelector('.main-svg'))""",
        timeout=60_000,
    )
    return page


# For every distinct (character, font) of the page's text and SVG text: load the fonts that serve it, draw it on a
# canvas, and report it when its pixels equal those of U+10FFFF (no font has it, so it is drawn as the box).
_TOFU = """async () => {
  const seen = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest('script, style, noscript, template, mjx-assistive-mml')) continue;
    const style = getComputedStyle(element);
    const font = `${style.fontStyle} ${style.fontWeight} 40px ${style.fontFamily}`;
    for (const char of node.data) {
      if (char.codePointAt(0) < 128 || /[\\p{Z}\\p{C}\\p{M}]/u.test(char)) continue;
      if (!seen.has(char + font)) seen.set(char + font, [char, font, element.tagName.toLowerCase()]);
    }
  }
  await document.fonts.ready;
  const canvas = document.createElement('canvas');
  canvas.width = 96; canvas.height = 64;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (font, text) => {
    context.clearRect(0, 0, 96, 64);
    context.font = font;
    context.textBaseline = 'middle';
    context.fillText(text, 8, 32);
    return context.getImageData(0, 0, 96, 64).data.join();
  };
  const boxes = [];
  for (const [char, font, tag] of seen.values()) {
    try { await document.fonts.load(font, char); } catch (error) { /* a blocked font: drawn without it */ }
    if (draw(font, char) === draw(font, '\\u{10FFFF}')) boxes.push(`${char} (U+${char.codePointAt(0).toString(16).toUpperCase()}) in <${tag}>`);
  }
  return [seen.size, boxes];
}"""


@pytest.mark.parametrize("page_path", PAGES)
def test_no_character_is_drawn_as_a_box(browser, base_url, page_path):
    page = _open(browser, base_url + page_path)
    try:
        checked, boxes = page.evaluate(_TOFU)
    finally:
        page.context.close()
    shown = ", ".join(boxes[:30])
    assert boxes == [], f"{page_path}: {len(boxes)} of {checked} are boxes: {shown}"


def _richest_page() -> str:
    """The page with the most CJK characters and emoji."""

    def count(path: str) -> int:
        text = book_fonts.page_text((SITE / path).read_text(encoding="utf-8"))
        return len(
            {c for c in text if book_fonts.is_cjk(c)} | book_fonts.emoji_in(text)
        )

    return max(PAGES, key=count)


def test_tofu_check_sees_boxes_without_the_served_fonts(browser, base_url):
    """The check above can fail: with the site's fonts blocked, the CJK characters and the emoji of the page
    that has most are boxes (so the browser here has no font of its own for them)."""
    path = _richest_page()
    text = book_fonts.page_text((SITE / path).read_text(encoding="utf-8"))
    page = _open(browser, base_url + path, block_fonts=True)
    try:
        _, boxes = page.evaluate(_TOFU)
    finally:
        page.context.close()
    boxed = {box[0] for box in boxes}
    assert {c for c in text if book_fonts.is_cjk(c)} & boxed, f"{path}: no CJK box"
    if {c for c in book_fonts.emoji_in(text) if ord(c) > 0x2000}:
        assert boxed & book_fonts.emoji_in(text), f"{path}: no emoji box"


_OVERFLOW = """width => {
  // Code blocks, tables and display maths may be wider than the screen if they scroll sideways themselves.
  // Inside a figure's SVG, whatever passes its edge is clipped by the SVG (tests/figure_shots.py reports it);
  // MathJax's assistive MathML, for screen readers, is clipped to one pixel.
  const scroller = element => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (box.matches('pre, div.highlight, .pst-scrollable-table-container, mjx-container, table')
          && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX)
          && box.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const wide = [];
  for (const element of document.querySelectorAll('article.bd-article *')) {
    const box = element.getBoundingClientRect();
    if (element.closest('svg *, mjx-assistive-mml')) continue;
    if (box.width && box.height && (box.right > width + 1 || box.left < -1) && !scroller(element)) {
      const name = element.tagName.toLowerCase() + [...element.classList].slice(0, 2).map(c => '.' + c).join('');
      wide.push(`${name} ${Math.round(box.left)}..${Math.round(box.right)} px: ` +
                (element.textContent || '').trim().slice(0, 40));
    }
  }
  return [document.documentElement.scrollWidth, wide.slice(0, 8)];
}"""


@pytest.mark.parametrize("page_path", PAGES)
def test_pages_fit_a_phone(browser, base_url, page_path):
    page = _open(
        browser,
        base_url + page_path,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    try:
        assert page.evaluate("document.documentElement.clientWidth") == PHONE["width"]
        scroll_width, wide = page.evaluate(_OVERFLOW, PHONE["width"])
        coarse = page.evaluate("matchMedia('(pointer: coarse)').matches")
        toolbars = page.evaluate(
            """() => [...document.querySelectorAll('.bd-content .modebar-container')]
                .filter(bar => getComputedStyle(bar).display !== 'none').length"""
        )
    finally:
        page.context.close()
    shown = "; ".join(wide)
    assert wide == [], f"{page_path}: wider than a {PHONE['width']} px phone: {shown}"
    assert scroll_width <= PHONE["width"], f"{page_path}: the page scrolls sideways"
    assert coarse and toolbars == 0, "plotly's tool bar shows on a touch screen"


def _drawn(page, index: int) -> str:
    return page.evaluate(
        """i => { const gd = document.querySelectorAll('.js-plotly-plot')[i];
        return JSON.stringify([gd.data.map(t => [t.x, t.y, t.z, t.text]), gd._fullLayout.title.text]) +
               gd.querySelector('.main-svg').innerHTML; }""",
        index,
    )


def _active(page, index: int) -> int:
    return page.evaluate(
        "i => document.querySelectorAll('.js-plotly-plot')[i].layout.sliders[0].active || 0",
        index,
    )


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_sliders_move_by_keyboard(browser, base_url, page_path):
    """Tab from just before a figure reaches its slider, which shows the focus, names itself, and moves a step
    with → (← at the last step), changing the drawn figure; End and Home go to the last and first steps."""
    page = _open(browser, base_url + page_path, viewport={"width": 1280, "height": 900})
    try:
        figures = page.evaluate(
            """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd, i) => [i,
                (gd.layout.sliders || []).length ? gd.layout.sliders[0].steps.length : 0])
                .filter(([, n]) => n > 1)"""
        )
        assert figures, f"{page_path} has no figure with a slider"
        for index, steps in figures:
            page.evaluate(
                """i => { const start = document.querySelectorAll('.js-plotly-plot')[i].parentElement;
                start.tabIndex = -1; start.focus(); }""",
                index,
            )
            page.keyboard.press("Tab")
            focused = page.evaluate(
                """i => { const slider = document.activeElement;
                const ours = slider.matches('g.slider-group') &&
                    slider.closest('.js-plotly-plot') === document.querySelectorAll('.js-plotly-plot')[i];
                return ours && [slider.getAttribute('role'), slider.getAttribute('aria-label'),
                    getComputedStyle(slider.querySelector('.slider-rail-rect')).strokeWidth]; }""",
                index,
            )
            assert focused, f"figure {index}: Tab did not reach its slider"
            role, name, ring = focused
            assert role == "slider" and name, f"figure {index}: the slider has no name"
            assert ring == "3px", f"figure {index}: the focused slider looks the same"
            before, start = _drawn(page, index), _active(page, index)
            key, goal = (
                ("ArrowRight", start + 1)
                if start < steps - 1
                else ("ArrowLeft", start - 1)
            )
            page.keyboard.press(key)
            page.wait_for_function(
                "([i, n]) => (document.querySelectorAll('.js-plotly-plot')[i].layout.sliders[0].active || 0) === n",
                arg=[index, goal],
            )
            page.wait_for_timeout(50)
            assert _drawn(page, index) != before, (
                f"figure {index}: {key} drew nothing new"
            )
            for key, goal in (("End", steps - 1), ("Home", 0)):
                page.keyboard.press(key)
                page.wait_for_function(
                    "([i, n]) => (document.querySelectorAll('.js-plotly-plot')[i].layout.sliders[0].active || 0) === n",
                    arg=[index, goal],
                )
    finally:
        page.context.close()
