"""The built website, checked in a real browser: Debian's chromium driven by playwright, offline.

Run after `make site` (`make test` does both). Every page must load without a single console error or failed request
(a 404 included, the browser's own request for /favicon.ico too), request nothing from outside 127.0.0.1, render every
plotly figure, change a figure's drawn data when its slider moves, re-colour its figures in dark mode, and link only to
pages and anchors that exist. Chapter pages must carry a Colab button for their own notebook and a download link for
it. A screenshot of every page is saved under _build/screenshots/ (FAILED-*.png for a page that failed), so the pages
can also be checked by eye.

The page pattern of issue 14, on every chapter at 1280x900: a page transfers at most 4 MB and loads plotly only if it
has figures; the first figure starts within three screens; visible code and printed output take less height than the
figures; every figure has a title and every shown axis one; maths typesets and icons are drawn.

LLMVIZ_SITE=/tmp/site/_build/html checks a site built elsewhere (screenshots then go beside it).
"""

from __future__ import annotations

import functools
import html.parser
import json
import os
import re
import shutil
import threading
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llmviz.viz.theme import DARK, LIGHT
from tests.notebook_rules import NOTEBOOKS, ROOT, repository

pytestmark = pytest.mark.site

SITE = Path(os.environ.get("LLMVIZ_SITE", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = SITE.parent / "screenshots"
# every page of the book (the theme's _static/ holds template fragments, not pages)
PAGES = (
    sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if "_static" not in p.parts
    )
    if SITE.is_dir()
    else []
)
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]
SCREEN = {"width": 1280, "height": 900}
MAX_BYTES = 4_000_000  # a page's transfer, uncompressed (http.server does not compress)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# every (status, path) the test server answered, including requests the browser makes on its own, such as the
# favicon's, which playwright neither reports nor (while a page's requests are routed) makes
SERVED: list[tuple[int, str]] = []


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        pass

    def log_request(self, code="-", size="-") -> None:
        SERVED.append((int(code), self.path))


def _server_errors() -> list[str]:
    return [f"{status} {path}" for status, path in SERVED if status >= 400]


@pytest.fixture(scope="module")
def base_url():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make site` first")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed: `apt-get install -y chromium` (`make test` does it through `make browser`)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url, request):
    """A fresh page that blocks and records every request leaving 127.0.0.1, and records console errors and
    the site's requests that failed or were answered with an error."""
    context = browser.new_context(viewport=SCREEN)  # a new context: nothing cached
    page = context.new_page()
    page.external_requests, page.errors, page.failed_requests = [], [], []
    page.requested, page.finished, page.pending = [], [], set()
    page.on("request", lambda r: (page.requested.append(r.url), page.pending.add(r)))
    page.on(
        "requestfinished", lambda r: (page.finished.append(r), page.pending.discard(r))
    )
    page.on("requestfailed", lambda r: page.pending.discard(r))
    SERVED.clear()

    def route(route):
        # data: and blob: URLs are made in the page (llmviz-figures.js runs plotly.js from a blob:)
        if route.request.url.startswith((base_url, "data:", "blob:")):
            route.continue_()
        else:
            page.external_requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: message.type == "error" and page.errors.append(message.text),
    )
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and response.url.startswith(base_url)
            and page.failed_requests.append(f"{response.status} {response.url}")
        ),
    )
    page.on(
        "requestfailed",
        lambda request: (
            request.url.startswith(base_url)
            and page.failed_requests.append(f"{request.failure} {request.url}")
        ),
    )
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    failed = request.node.rep_call.failed if hasattr(request.node, "rep_call") else True
    callspec = getattr(request.node, "callspec", None)
    page_path = (
        callspec.params.get("page_path", request.node.name)
        if callspec
        else request.node.name
    )
    name = f"{request.node.originalname}-{page_path}".replace("/", "_").replace(
        ".html", ""
    )
    page.screenshot(
        path=str(SCREENSHOTS / f"{'FAILED-' if failed else ''}{name}.png"),
        full_page=True,
    )
    context.close()


def _open(page, base_url: str, page_path: str) -> int:
    """Load the page, wait until every plotly figure has rendered and MathJax has typeset the page, and return how
    many figures there are."""
    page.goto(base_url + page_path, wait_until="load")
    if 'http-equiv="Refresh"' in (SITE / page_path).read_text(encoding="utf-8"):
        # index.html only redirects: wait for the page it leads to, not a race with it
        page.wait_for_url(lambda url: not url.endswith(page_path), wait_until="load")
    count = page.locator(".plotly-graph-div").count()
    if count:  # (plotly draws two .main-svg in each figure)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.plotly-graph-div')].every(gd => gd.querySelector('.main-svg'))"
        )
    page.evaluate(
        "async () => { if (document.querySelector('.math')) await MathJax.startup.promise; }"
    )
    return count


def _settle(page) -> None:
    """Wait until the page has requested nothing for 0.5 s (fonts and MathJax's parts load late)."""
    quiet = 0
    for _ in range(200):
        page.wait_for_timeout(50)
        quiet = 0 if page.pending else quiet + 1
        if quiet == 10:
            return


def test_site_is_built():
    assert (SITE / "index.html").is_file(), (
        f"no built site at {SITE}: run `make site` first"
    )
    assert any(p.startswith("notebooks/") for p in PAGES), "no chapter pages were built"


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_offline_without_errors(page, base_url, page_path):
    figures = _open(page, base_url, page_path)
    page.wait_for_timeout(300)  # late console messages and requests
    assert page.errors == [], f"console errors on {page_path}"
    assert page.failed_requests == [], f"failed requests on {page_path}"
    assert _server_errors() == [], f"the server answered errors for {page_path}"
    assert page.external_requests == [], (
        f"{page_path} requested resources from outside the site"
    )
    rendered = page.locator(".plotly-graph-div .main-svg").count()
    assert rendered >= figures, (
        f"{page_path}: only {rendered} of {figures} plotly figures rendered"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_page_has_a_favicon(browser, base_url, page_path):
    """The browser finds an icon for every page: the page's own <link rel="icon">, or /favicon.ico for a page
    without one (the redirecting index.html). Requests are not routed here, or Chromium would not ask for it."""
    context = browser.new_context()
    SERVED.clear()
    try:
        page = context.new_page()
        page.goto(base_url + page_path, wait_until="load")
        for _ in range(100):  # the icon is fetched after the page has loaded
            if any("favicon" in path for _, path in SERVED):
                break
            page.wait_for_timeout(50)
    finally:
        context.close()
    icons = [(status, path) for status, path in SERVED if "favicon" in path]
    assert icons, f"the browser asked for no icon on {page_path}"
    assert _server_errors() == [], f"the server answered errors for {page_path}"


def _slider_figures(page) -> list[int]:
    return page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')]
        .map((gd, i) => [i, (gd.layout.sliders || []).length]).filter(([, n]) => n > 0).map(([i]) => i)""")


def _drawn_state(page, index: int) -> str:
    """The figure's traces and title as drawn, plus its SVG (heatmaps are drawn as images inside it)."""
    return page.evaluate(
        """i => { const gd = document.querySelectorAll('.plotly-graph-div')[i];
        return JSON.stringify([gd.data.map(t => [t.x, t.y, t.z]), gd._fullLayout.title.text]) +
               gd.querySelector('.main-svg').innerHTML; }""",
        index,
    )


def _click_slider_end(page, index: int, end: str) -> None:
    rail = (
        page.locator(".plotly-graph-div").nth(index).locator(".slider-rail-rect").first
    )
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    x = box["x"] + (box["width"] - 2 if end == "right" else 2)
    y = box["y"] + box["height"] / 2
    covered_by = page.evaluate(
        """([x, y]) => { const e = document.elementFromPoint(x, y);
        return e.closest('.slider-group') ? null : e.tagName + '.' + e.getAttribute('class'); }""",
        [x, y],
    )
    assert covered_by is None, (
        f"figure {index}: the {end} end of its slider is covered by {covered_by}"
    )
    page.mouse.click(x, y)


@pytest.mark.parametrize("page_path", [p for p in PAGES if p.startswith("notebooks/")])
def test_sliders_change_the_figure(page, base_url, page_path):
    """Each slider moves to its far end (a slider may open on its last step) and back, and
    the drawing changes."""
    _open(page, base_url, page_path)
    sliders = _slider_figures(page)
    assert sliders, f"{page_path} has no figure with a slider"
    slider = "i => document.querySelectorAll('.plotly-graph-div')[i].layout.sliders[0]"
    for index in sliders:
        steps, start = page.evaluate(
            f"i => {{ const s = ({slider})(i); return [s.steps.length, s.active || 0]; }}",
            index,
        )
        ends = [("right", steps - 1), ("left", 0)]
        if start == steps - 1:
            ends.reverse()
        before = _drawn_state(page, index)
        for number, (end, step) in enumerate(ends):
            _click_slider_end(page, index, end)
            page.wait_for_function(
                f"([i, n]) => ({slider})(i).active === n", arg=[index, step]
            )
            if number == 0:
                page.wait_for_timeout(100)
                assert _drawn_state(page, index) != before, (
                    f"figure {index} on {page_path}: moving the slider did not change the drawing"
                )


_OUTPUT_BACKGROUNDS = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .map(gd => getComputedStyle(gd.closest('.cell_output .text_html')).backgroundColor)"""


@pytest.mark.parametrize("page_path", [p for p in PAGES if p.startswith("notebooks/")])
def test_figures_follow_dark_mode(page, base_url, page_path):
    figures = _open(page, base_url, page_path)
    font_colors = "() => [...document.querySelectorAll('.plotly-graph-div')].map(gd => gd._fullLayout.font.color)"
    for theme, palette in (("dark", DARK), ("light", LIGHT)):
        page.evaluate(
            f"() => {{ document.documentElement.dataset.theme = '{theme}'; }}"
        )
        page.wait_for_function(
            f"() => {font_colors}().every(c => c === '{palette['font']}')"
        )
        assert page.evaluate(font_colors) == [palette["font"]] * figures
        # the figures sit on the page's own background, not on a box of another colour
        assert set(page.evaluate(_OUTPUT_BACKGROUNDS)) == {"rgba(0, 0, 0, 0)"}


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.cache
def _parse(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("page_path", PAGES)
def test_internal_links_resolve(page_path):
    source = SITE / page_path
    broken = []
    for href in _parse(source).hrefs:
        parts = urllib.parse.urlsplit(href)
        if parts.scheme or href.startswith("//") or href.startswith("mailto:"):
            continue
        target = (
            (source.parent / urllib.parse.unquote(parts.path)).resolve()
            if parts.path
            else source
        )
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or not target.is_relative_to(SITE.resolve()):
            broken.append(f"{href} (no file {target})")
        elif (
            parts.fragment
            and target.suffix == ".html"
            and parts.fragment not in _parse(target).ids
        ):
            broken.append(f"{href} (no id {parts.fragment!r} in {target.name})")
    assert broken == [], f"broken internal links on {page_path}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_has_colab_and_download_buttons(notebook):
    page = SITE / "notebooks" / notebook.with_suffix(".html").name
    assert page.is_file(), (
        f"{notebook.name} is not in the built site: add it to _toc.yml"
    )
    url, branch = repository()
    github = urllib.parse.urlsplit(url).path.strip("/")
    colab = f"https://colab.research.google.com/github/{github}/blob/{branch}/notebooks/{notebook.name}"
    hrefs = _parse(page).hrefs
    assert colab in hrefs, f"no Colab button pointing at {colab}"
    assert f"../_sources/notebooks/{notebook.name}" in hrefs, "no .ipynb download link"
    assert (SITE / "_sources" / "notebooks" / notebook.name).is_file()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_tables_render_as_tables(notebook):
    """A cell that shows llmviz.table(...) gets an HTML table, not its markdown source
    (myst-nb's default commonmark has no tables)."""
    shown = re.compile(r"^(llmviz\.)?table\(", re.MULTILINE)
    expected = sum(
        1
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "code" and shown.search("".join(cell["source"]))
    )
    page = (SITE / "notebooks" / notebook.with_suffix(".html").name).read_text()
    assert page.count("<table") >= expected, f"{expected} tables expected"
    assert "|---|" not in page and "|—|" not in page, "a table left as markdown"


def test_search_finds_the_attention_chapter(page, base_url):
    page.goto(base_url + "search.html?q=softmax", wait_until="load")
    page.wait_for_selector("#search-results li a", timeout=15000)
    found = page.locator("#search-results li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert any("03_attention" in href for href in found), (
        f"search for 'softmax' found {found}"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_page_weight(page, base_url, page_path):
    """A page transfers at most 4 MB, as the browser receives it cold; plotly.js only where there are figures."""
    figures = _open(page, base_url, page_path)
    _settle(page)
    sizes = [
        (r.sizes()["responseBodySize"], r.url)
        for r in page.finished
        if r.url.startswith(base_url)  # not the blob: that plotly.js runs from
    ]
    total = sum(size for size, _ in sizes)
    heaviest = ", ".join(
        f"{url.rsplit('/', 1)[-1].split('?')[0]} {size / 1e6:.2f} MB"
        for size, url in sorted(sizes, reverse=True)[:4]
    )
    assert total <= MAX_BYTES, (
        f"{page_path} transfers {total / 1e6:.2f} MB > {MAX_BYTES / 1e6:.0f} MB: {heaviest}"
    )
    figures = (
        figures or page.locator(".plotly-graph-div").count()
    )  # index.html redirects to the intro
    if not figures:
        plotly = [url for url in page.requested if "plotly" in url.lower()]
        assert plotly == [], f"{page_path} has no figure but requested {plotly}"


@pytest.mark.parametrize("page_path", PAGES)
def test_maths_typeset_and_icons_drawn(page, base_url, page_path):
    """MathJax (startup.js, CommonHTML) typesets every formula without a TeX error, and the trimmed fontawesome.js draws
    every icon the page names (an icon left out of it stays an empty <i>)."""
    _open(page, base_url, page_path)
    maths = page.evaluate("""() => [...document.querySelectorAll('.math')]
        .filter(m => !m.querySelector('mjx-container') || m.querySelector('mjx-merror'))
        .map(m => m.textContent.slice(0, 60))""")
    assert maths == [], f"formulas not typeset on {page_path}"
    if "fa-" not in (SITE / page_path).read_text(encoding="utf-8"):
        return  # index.html only redirects
    page.wait_for_function(
        "() => !document.querySelector('i.fa-solid, i.fa-regular, i.fa-brands, i.fas, i.far, i.fab')"
    )
    drawn = page.evaluate("""() => [...document.querySelectorAll('svg.svg-inline--fa')]
        .map(svg => [svg.dataset.icon, (svg.querySelector('path') || {getAttribute: () => ''}).getAttribute('d')])""")
    assert drawn, f"no icon drawn on {page_path}"
    assert [icon for icon, path in drawn if not path] == [], (
        "icons drawn without a shape"
    )


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_first_figure_within_three_screens(page, base_url, page_path):
    assert _open(page, base_url, page_path), f"{page_path} has no figure"
    top = page.evaluate(
        "() => document.querySelector('.plotly-graph-div').getBoundingClientRect().top + window.scrollY"
    )
    assert top <= 3 * SCREEN["height"], (
        f"the first figure of {page_path} starts at {top:.0f} px, screen {top / SCREEN['height'] + 1:.1f}"
    )


_HEIGHTS = """() => {
    // Chromium still lays out the content of a closed <details>: count only what is shown
    const h = element => element.checkVisibility() ? element.getBoundingClientRect().height : 0;
    let code = 0, printed = 0, figures = 0, prose = 0;
    document.querySelectorAll('div.cell_input').forEach(cell => { code += h(cell); });
    document.querySelectorAll('div.cell_output > *').forEach(block => {
        if (block.querySelector('.plotly-graph-div')) figures += h(block); else printed += h(block);
    });
    // prose: the page's own paragraphs, lists, headings, display maths and tables, outside cells and footnotes
    document.querySelector('article').querySelectorAll('p, ul, ol, h1, h2, h3, h4, div.math, table').forEach(e => {
        const nested = e.parentElement && e.parentElement.closest('li, ul, ol, table');
        if (!e.closest('.cell, aside, .footnote') && !nested) prose += h(e);
    });
    return {code, printed, figures, prose};
}"""
MAX_CODE_SHARE = 0.15  # of the page's height: the code left unfolded (show_source's listings are output)


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_figures_and_prose_lead_and_code_is_folded(page, base_url, page_path):
    """The code cells left unfolded take at most 15% of the page, and with their printed output (show_source's
    listings and tables included) less height than the figures and the prose."""
    _open(page, base_url, page_path)
    height = page.evaluate(_HEIGHTS)
    total = page.evaluate("() => document.documentElement.scrollHeight")
    shares = ", ".join(f"{k} {v:.0f} px ({v / total:.0%})" for k, v in height.items())
    print(f"{page_path}: page {total} px; {shares}")
    assert height["code"] <= MAX_CODE_SHARE * total, (
        f"{page_path}: fold more code: {shares}"
    )
    assert height["code"] + height["printed"] < height["figures"] + height["prose"], (
        f"{page_path}: code and printed output outweigh the figures and the prose: {shares}"
    )


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_figures_have_titles_and_axis_titles(page, base_url, page_path):
    _open(page, base_url, page_path)
    figures = page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(gd => {
        const layout = gd._fullLayout;
        const untitled = Object.keys(layout).filter(key => /^[xy]axis\\d*$/.test(key)).filter(key => {
            const axis = layout[key];
            return axis.visible && axis.showticklabels && !((axis.title || {}).text || '').trim();
        });
        return {title: ((gd.querySelector('.gtitle') || {}).textContent || '').trim(), untitled};
    })""")
    problems = [
        f"figure {i + 1} ({f['title'] or 'NO TITLE'!r}): "
        + (f"axes without a title: {f['untitled']}" if f["untitled"] else "no title")
        for i, f in enumerate(figures)
        if not f["title"] or f["untitled"]
    ]
    assert problems == [], f"{page_path}: " + "; ".join(problems)


def _glossary_ids() -> dict[str, str]:
    """Each glossary term's text -> its anchor on the built glossary page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(
        (SITE / "book" / "glossary.html").read_text(encoding="utf-8"), "html.parser"
    )
    return {
        dt.get_text(" ", strip=True).rstrip("#¶").strip(): dt["id"]
        for dt in soup.select("dt[id^=term-]")
    }


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_glossary_terms_used_in_the_prose_link_to_the_glossary(page_path):
    """Every glossary term the chapter's prose uses links to its entry (the first use, by book/_ext/llmviz_book.py)."""
    import sys

    from bs4 import BeautifulSoup

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import llmviz_book

    aliases = llmviz_book.glossary_terms(
        (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    )
    ids = _glossary_ids()
    soup = BeautifulSoup((SITE / page_path).read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article") or soup
    linked = {
        a["href"].split("#", 1)[1]
        for a in article.select('a[href*="glossary.html#term-"]')
    }
    skipped = "code, .cell_output, pre, .math, h1, h2, h3, h4, aside, .footnote"
    for element in article.select(skipped):  # as the extension skips them
        element.decompose()
    prose = " ".join(p.get_text(" ") for p in article.select("p"))
    used = set()
    for alias in sorted(
        aliases, key=len, reverse=True
    ):  # BPE in "byte-level BPE" is that term
        prose, found = llmviz_book._pattern(alias).subn(" ", prose)
        used |= {aliases[alias]} if found else set()
    assert used, f"{page_path} uses no glossary term: is the glossary read?"
    missing = sorted(term for term in used if ids[term] not in linked)
    assert missing == [], (
        f"{page_path} uses these glossary terms without a link: {missing}"
    )


def test_the_model_diagram_links_to_the_chapters(page, base_url):
    """A click on a chapter in the intro's whole-model diagram opens that chapter."""
    assert _open(page, base_url, "book/intro.html"), "the intro page has no figure"
    link = page.locator(".plotly-graph-div .annotation a", has_text="chapter 3").first
    box = (
        link.bounding_box()
    )  # a reader's click: the annotation's box takes it, as plotly draws it
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(
        100
    ):  # the URL, whichever navigation (the SVG link's or llmviz-figures.js's) gets there
        if page.url.endswith("/notebooks/03_attention.html"):
            break
        page.wait_for_timeout(100)
    assert page.url.endswith("/notebooks/03_attention.html"), (
        f"the click left the reader on {page.url}"
    )
