"""The site tests' shared parts: the built site's pages, a local server, Debian's chromium, and a page that records
what it requests and every console error. tests/test_site.py and tests/test_site_pages.py use them.

LLMVIZ_SITE=/tmp/site/_build/html checks a site built elsewhere (screenshots then go beside it).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.notebook_rules import ROOT

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
# the chapters of both editions: the English ones and the Chinese ones under zh/
EDITION_CHAPTERS = [p for p in PAGES if p.split("/")[-2:-1] == ["notebooks"]]
SCREEN = {"width": 1280, "height": 900}
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


def follow_redirect(page, page_path: str) -> None:
    """index.html only redirects: wait for the page it leads to, not a race with it."""
    if 'http-equiv="Refresh"' in (SITE / page_path).read_text(encoding="utf-8"):
        page.wait_for_url(lambda url: not url.endswith(page_path), wait_until="load")


def _open(page, base_url: str, page_path: str) -> int:
    """Load the page, wait until every plotly figure has rendered and MathJax has typeset the page, and return how
    many figures there are."""
    page.goto(base_url + page_path, wait_until="load")
    follow_redirect(page, page_path)
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
