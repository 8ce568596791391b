"""The built website, checked in a real browser: Debian's chromium driven by playwright, offline.

Run after `make site` (`make test` does both). Every page must load without a single console error or failed request
(a 404 included, the browser's own request for /favicon.ico too), request nothing from outside 127.0.0.1, render every
plotly figure, change a figure's drawn data when its slider moves, re-colour its figures in dark mode, and link only to
pages and anchors that exist. Chapter pages must carry a Colab button for their own notebook and a download link for
it. A screenshot of every page is saved under _build/screenshots/ (FAILED-*.png for a page that failed), so the pages
can also be checked by eye. tests/test_site_pages.py checks the page pattern; tests/site_browser.py has the fixtures.
"""

from __future__ import annotations

import functools
import html.parser
import json
import re
import sys
import urllib.parse
from pathlib import Path

import pytest

from llmviz.viz.theme import DARK, LIGHT
from tests.notebook_rules import NOTEBOOKS, ROOT, repository
from tests.site_browser import (  # noqa: F401 (fixtures)
    EDITION_CHAPTERS,
    PAGES,
    SERVED,
    SITE,
    _open,
    _server_errors,
    base_url,
    browser,
    page,
)

pytestmark = pytest.mark.site


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


@pytest.mark.parametrize("page_path", EDITION_CHAPTERS)
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


@pytest.mark.parametrize("page_path", EDITION_CHAPTERS)
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


def test_only_the_search_page_loads_the_search_index():
    for path in SITE.rglob("*.html"):
        loads = "searchindex.js" in path.read_text(encoding="utf-8")
        assert loads == (path.name == "search.html"), path.relative_to(SITE)


def test_the_search_dialog_of_a_chapter_reaches_the_results(page, base_url):
    """Without the index on the page, the theme's dialog (Ctrl+K) sends the query to
    search.html, which loads the index and lists the pages."""
    page.goto(base_url + "notebooks/08_decoding.html", wait_until="load")
    page.keyboard.press("Control+k")
    field = page.locator("#pst-search-dialog input[name=q]")
    field.fill("softmax")
    field.press("Enter")
    page.wait_for_url("**/search.html?q=softmax*", timeout=15000)
    page.wait_for_selector("#search-results li a", timeout=15000)
    assert page.locator("#search-results li a").count() > 0


def test_search_finds_the_attention_chapter(page, base_url):
    page.goto(base_url + "search.html?q=softmax", wait_until="load")
    page.wait_for_selector("#search-results li a", timeout=15000)
    found = page.locator("#search-results li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert any("03_attention" in href for href in found), (
        f"search for 'softmax' found {found}"
    )


_SWITCH = re.compile(r'<a class="btn btn-sm llmviz-language" href="([^"]+)"')


@pytest.mark.parametrize("page_path", PAGES)
def test_every_page_links_to_the_same_page_in_the_other_edition(page_path):
    """book/editions.py: one language link in the header of every page that has one,
    to the page of the same path in the other edition, which exists."""
    text = (SITE / page_path).read_text(encoding="utf-8")
    if 'class="article-header-buttons"' not in text:
        pytest.skip("no article header (a redirect or the search page's shell)")
    links = _SWITCH.findall(text)
    assert len(links) == 1, f"{len(links)} language links"
    target = ((SITE / page_path).parent / links[0]).resolve()
    assert target.is_file(), f"{links[0]} does not exist"
    relative = target.relative_to(SITE).as_posix()
    chinese = page_path.startswith("zh/")
    assert relative == (page_path[3:] if chinese else f"zh/{page_path}")


class _Prose(html.parser.HTMLParser):
    """The text of each paragraph, list item, heading and table cell of a page's
    article, leaving out code, maths, cell outputs and the page's navigation."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "td", "th", "dt", "dd"}
    SKIP = (
        "cell_output",
        "highlight",
        "math",
        "headerlink",
        "toctree",
        "prev-next",
        "llmviz-terms",
    )  # the glossary's term list: its English column on purpose

    def __init__(self):
        super().__init__()
        self.open, self.skipping, self.text, self.blocks = [], 0, None, []

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        skip = tag in ("script", "style", "pre", "code") or any(
            name in classes for name in self.SKIP
        )
        self.open.append((tag, skip))
        self.skipping += skip
        if tag in self.BLOCKS and not self.skipping:
            self.text = []

    def handle_endtag(self, tag):
        while self.open:
            name, skip = self.open.pop()
            self.skipping -= skip
            if name == tag:
                break
        if tag in self.BLOCKS and self.text is not None:
            self.blocks.append(" ".join("".join(self.text).split()))
            self.text = None

    def handle_data(self, data):
        if self.text is not None and not self.skipping:
            self.text.append(data)


def _english_left(page_html: str) -> list[str]:
    article = page_html.split("<article", 1)[-1].split("</article>", 1)[0]
    prose = _Prose()
    prose.feed(article)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    left = []
    for block in prose.blocks:
        words = re.findall(r"[A-Za-z]{3,}", re.sub(r"\$[^$]*\$", "", block))
        if len(words) >= 3 and not cjk.search(block):
            left.append(block[:100])
    return left


@pytest.mark.parametrize("page_path", [p for p in PAGES if p.startswith("zh/")])
def test_a_chinese_page_leaves_no_paragraph_in_english(page_path):
    """Outside code, maths, printed output and figures, every paragraph, heading, list
    item and table cell of three English words or more holds Chinese."""
    text = (SITE / page_path).read_text(encoding="utf-8")
    assert _english_left(text) == []


def test_the_english_check_finds_english_left():
    page = (
        "<article><h1>3. 注意力</h1><p>Attention compares each query</p>"
        "<div class='cell_output'><p>printed by the code itself</p></div>"
        "<p>注意力 compares</p><p><code>a long code span here</code></p></article>"
    )
    assert _english_left(page) == ["Attention compares each query"]


def test_search_finds_the_attention_chapter_in_chinese(page, base_url):
    """Sphinx splits Chinese into words with jieba: 注意力 finds chapter 3."""
    page.goto(base_url + "zh/search.html?q=注意力", wait_until="load")
    page.wait_for_selector("#search-results li a", timeout=15000)
    found = page.locator("#search-results li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert any("03_attention" in href for href in found), f"found {found}"


def _figure_and_output_english(page_path: str) -> tuple[list[str], list[str]]:
    """The figure strings, printed lines and printed table cells of a page that hold
    English words and no Chinese; and those of them that llmviz's catalog has no
    entry for (an entry may keep data, such as a sample text, as it is)."""
    sys.path.insert(0, str(ROOT / "book"))
    import zh_outputs  # book/zh_outputs.py

    messages = json.loads(zh_outputs.CATALOG.read_text(encoding="utf-8"))
    found = zh_outputs.texts((SITE / page_path).read_text(encoding="utf-8"))
    cjk = re.compile(r"[\u4e00-\u9fff]")  # a translation holds Chinese
    english = [t for t in found if zh_outputs.is_english(t) and not cjk.search(t)]
    left = [t for t in english if zh_outputs.template(t.strip())[0] not in messages]
    return english, left


@pytest.mark.parametrize("page_path", [p for p in PAGES if p.startswith("zh/")])
def test_a_chinese_page_translates_its_figures_and_printed_output(page_path):
    """book/zh_outputs.py: of the figure text, printed lines and printed table cells
    that hold English on the English page, at most 2% are left on the Chinese one."""
    english, _ = _figure_and_output_english(page_path[3:])
    _, left = _figure_and_output_english(page_path)
    assert len(left) <= 0.02 * len(english), f"{len(left)} left: {left[:8]}"


@pytest.mark.parametrize(
    "page_path", [p for p in EDITION_CHAPTERS if p.startswith("zh/")]
)
def test_a_chinese_chapter_links_chinese_terms_to_the_glossary(page_path):
    """book/_ext/llmviz_terms.py: the first use of a term of the list, written in
    Chinese, links to its glossary entry, as the English edition's first use does."""
    text = (SITE / page_path).read_text(encoding="utf-8")
    links = re.findall(
        r'href="[^"]*glossary\.html#term-[^"]*"[^>]*>\s*<span[^>]*>([^<]*)<', text
    )
    assert any(re.search(r"[\u4e00-\u9fff]", words) for words in links), links[:10]
