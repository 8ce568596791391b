"""The page pattern of issue 14, checked on the built site in Debian's chromium at 1280x900.

A page transfers at most 4 MB and loads plotly only if it has figures; the figures nearest the reader are drawn
first; the first figure starts within three screens; visible code and printed output take less height than the
figures and the prose; every figure has a title and every shown axis one; maths typesets and icons are drawn; the
prose links its glossary terms; the intro's model diagram links to the chapters.
"""

from __future__ import annotations

import pytest

from tests.notebook_rules import ROOT
from tests.site_browser import (  # noqa: F401 (fixtures)
    CHAPTERS,
    PAGES,
    SCREEN,
    SITE,
    _open,
    _settle,
    base_url,
    browser,
    page,
)

pytestmark = pytest.mark.site

MAX_BYTES = 4_000_000  # a page's transfer, uncompressed (http.server does not compress)


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
    print(
        f"{page_path}: first figure at {top:.0f} px, screen {top / SCREEN['height'] + 1:.1f}"
    )
    assert top <= 3 * SCREEN["height"], (
        f"the first figure of {page_path} starts at {top:.0f} px, screen {top / SCREEN['height'] + 1:.1f}"
    )


# scrolls to the page's last figure (not one in a folded solution) once the page is parsed, when llmviz-figures.js starts (an init script's listener
# runs before the page's own)
JUMP_TO_LAST = """document.addEventListener('readystatechange', () => {
    if (document.readyState === 'interactive')
        [...document.querySelectorAll('.plotly-graph-div')].filter(gd => !gd.closest('.dropdown'))
        .pop()?.scrollIntoView(); });"""


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_figures_nearest_the_reader_are_drawn_first(page, base_url, page_path):
    """A reader who jumps to the last figure as soon as the page is parsed (and its first figure is not drawn yet) gets it drawn before the figures above,
    which are drawn after, in idle moments (llmviz-figures.js marks each drawing with its div's id)."""
    page.add_init_script(
        JUMP_TO_LAST
    )  # before the page's scripts: the jump comes first
    page.goto(base_url + page_path, wait_until="domcontentloaded")
    ids = page.evaluate(
        "() => [...document.querySelectorAll('.plotly-graph-div')].map(gd => gd.id)"
    )
    shown = page.evaluate(
        "() => [...document.querySelectorAll('.plotly-graph-div')].filter(gd => !gd.closest('.dropdown')).map(gd => gd.id)"
    )
    assert len(shown) >= 3, f"{page_path} shows {len(shown)} figures"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')].every(gd => gd.querySelector('.main-svg'))"
    )
    order = page.evaluate(
        "() => performance.getEntriesByName('llmviz: figure drawn').map(mark => mark.detail)"
    )
    assert sorted(order) == sorted(ids), "each figure is drawn once"
    assert order.index(shown[-1]) < order.index(ids[0]), (
        f"{page_path}: the figure on screen was drawn after the first figure, off screen"
    )
    assert order.index(shown[-1]) < order.index(shown[len(shown) // 2]), (
        f"{page_path}: the figure on screen was drawn after one in the middle of the page"
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
    skipped = (  # exercise titles too: the extension skips every title
        "code, .cell_output, pre, .math, h1, h2, h3, h4, aside, .footnote,"
        " .admonition-title"
    )
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
