"""Each page of the built website: what the browser transfers, and how long until its figures are drawn.

Every page is opened cold (a new browser context, nothing cached) in Debian's chromium, served by Python's
http.server, which does not compress: the bytes are the bodies as the browser receives them. The time runs from
navigation (performance.now() in the page) to: the first contentful paint; the figures on the first screen drawn
("screen s"); every figure drawn ("all s"; the loader draws those off screen in idle moments); and, in a second cold
load whose reader jumps to the page's last figure (outside the folded solutions) as soon as the page is parsed, that figure drawn ("jump s").

    .venv/bin/python benchmarks/bench_site.py            # every page of _build/html
    LLMVIZ_SITE=/tmp/site/_build/html .venv/bin/python benchmarks/bench_site.py
    .venv/bin/python benchmarks/bench_site.py --quick    # one chapter (the unit tests run this)
    .venv/bin/python benchmarks/bench_site.py intro 03_  # the pages whose path holds these
    .venv/bin/python benchmarks/bench_site.py --repeat=5 03_ 06_   # medians of 5 cold loads a page
    LLMVIZ_SITE=/tmp/before/_build/html:/tmp/after/_build/html .venv/bin/python benchmarks/bench_site.py --repeat=5 03_

On a shared machine the times swing with the load (printed before and after): compare builds in one run, several
sites separated by ':', whose loads take turns (the order alternates from one repetition to the next).

Goals (issue 14): a chapter transfers at most 4 MB; a page without figures loads no plotly; the figures a reader
looks at (on the first screen, or jumped to) drawn within 3 s.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from goals import unmeasured, verdict  # benchmarks/goals.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
SITES = [
    Path(p)
    for p in os.environ.get("LLMVIZ_SITE", str(ROOT / "_build" / "html")).split(
        os.pathsep
    )
    if p
]
SITE = SITES[0]
GOAL_BYTES, GOAL_SECONDS = 4_000_000, 3.0
GOALS = [  # judged over every page of one site, for make bench's summary
    ("largest page transfer", GOAL_BYTES / 1e6, " MB"),
    ("slowest figure a reader looks at", GOAL_SECONDS, " s"),
    ("pages without figures that load plotly", 0, ""),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
# resolves to the time (ms since navigation) at which every figure on the page has drawn
ALL_DRAWN = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(gd => gd.querySelector('.main-svg')) && performance.now()"""
# when each figure was drawn (llmviz-figures.js marks it with its div's id), and which are on the first screen
DRAWN_AT = """() => Object.fromEntries(performance.getEntriesByName('llmviz: figure drawn')
    .map(mark => [mark.detail, mark.startTime]))"""
ON_SCREEN = """() => [...document.querySelectorAll('.plotly-graph-div')].filter(gd => {
    const box = gd.getBoundingClientRect(); return box.bottom > 0 && box.top < window.innerHeight; })
    .map(gd => gd.id)"""
# the reader's jump: once the page is parsed, to its last figure
JUMP_TO_LAST = """document.addEventListener('readystatechange', () => {
    if (document.readyState === 'interactive')
        [...document.querySelectorAll('.plotly-graph-div')].filter(gd => !gd.closest('.dropdown'))
        .pop()?.scrollIntoView(); });"""
LAST_DRAWN = """() => { const last = [...document.querySelectorAll('.plotly-graph-div')]
    .filter(gd => !gd.closest('.dropdown')).pop(); return last.querySelector('.main-svg') && performance.now(); }"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        pass


def pages(site: Path) -> list[str]:
    """The site's pages, chapters last: each edition's (the Chinese one under zh/),
    without the themes' _static/ fragments or the index.html that redirects."""
    found = [p.relative_to(site) for p in site.rglob("*.html")]
    found = [
        p.as_posix()
        for p in found
        if "_static" not in p.parts and p.name != "index.html"
    ]
    return sorted(found, key=lambda p: ("notebooks/" in p, p))


def _cold_page(browser, base_url: str):
    """A page in a new context (nothing cached) whose requests never leave the site (the site tests fail a page that
    asks; a stray request would hang)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith((base_url, "blob:"))
            else route.abort()
        ),
    )
    return context, page


def measure(browser, base_url: str, page_path: str) -> dict:
    """Open one page cold; its transfer in bytes, by kind, its figure count and seconds to figures drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context, page = _cold_page(browser, base_url)
    requests, pending = [], set()
    page.on("request", lambda request: pending.add(request))
    page.on("requestfailed", lambda request: pending.discard(request))
    page.on(
        "requestfinished",
        lambda request: (requests.append(request), pending.discard(request)),
    )
    page.goto(base_url + page_path, wait_until="load")
    figures = page.locator(".plotly-graph-div").count()
    try:
        drawn = page.wait_for_function(ALL_DRAWN, polling="raf", timeout=60_000)
        drawn_ms = drawn.json_value()
    except PlaywrightTimeout:  # a site built before the loader, say: printed as inf
        drawn_ms = float("inf")
    drawn_at = page.evaluate(DRAWN_AT)
    screen = [drawn_at.get(i, float("inf")) for i in page.evaluate(ON_SCREEN)]
    paint_ms = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
    )
    quiet = 0  # what loads late (fonts, MathJax's parts) counts too: wait for 0.5 s without a request
    for _ in range(200):
        page.wait_for_timeout(50)
        quiet = 0 if pending else quiet + 1
        if quiet == 10:
            break
    by_kind: dict[str, int] = {}
    for request in requests:
        if not request.url.startswith(base_url):
            continue  # the blob: that plotly.js runs from is made in the page, not transferred
        size = request.sizes()["responseBodySize"]
        name = request.url.split("?")[0].rsplit("/", 1)[-1]
        kind = next(
            (k for k in ("plotly", "mathjax", "fontawesome") if k in request.url),
            "page" if name.endswith(".html") else "other",
        )
        by_kind[kind] = by_kind.get(kind, 0) + size
    context.close()
    return {
        "screen": max(screen, default=float("nan")) / 1e3,
        "bytes": sum(by_kind.values()),
        "kinds": by_kind,
        "requests": len(requests),
        "figures": figures,
        "seconds": drawn_ms / 1e3,
        "paint": (paint_ms or float("nan")) / 1e3,
    }


def jump(browser, base_url: str, page_path: str) -> float:
    """Seconds from a cold navigation to the page's last figure drawn, its reader having jumped to it at once."""
    context, page = _cold_page(browser, base_url)
    page.add_init_script(JUMP_TO_LAST)
    page.goto(base_url + page_path, wait_until="domcontentloaded")
    seconds = page.wait_for_function(LAST_DRAWN, polling="raf").json_value() / 1e3
    context.close()
    return seconds


def _median(values: list[float]) -> float:
    ordered = sorted(
        values
    )  # inf (never drawn) sorts last; nan (no such figure) stays nan
    if any(v != v for v in ordered):
        return float("nan")
    middle = len(ordered) // 2
    return (
        ordered[middle]
        if len(ordered) % 2
        else (ordered[middle - 1] + ordered[middle]) / 2
    )


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(quick: bool, repeat: int = 1) -> None:
    print(__doc__.strip().splitlines()[-1])
    executable = shutil.which("chromium")
    missing = [site for site in SITES if not (site / "index.html").is_file()]
    if missing or executable is None:
        missing = "chromium" if executable is None else f"a built site at {missing[0]}"
        print(f"skipped: no {missing} (`make site browser`); goals unmeasured")
        if not quick:
            for name, goal, unit in GOALS:
                why = f"no {missing}"
                print(f"{name}: {unmeasured(name, goal, why, faster=False, unit=unit)}")
        return
    from playwright.sync_api import sync_playwright

    base_urls = []
    servers = []
    for site in SITES:
        server = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        base_urls.append(f"http://127.0.0.1:{server.server_address[1]}/")
    todo = pages(SITE)
    chosen = [a for a in sys.argv[1:] if not a.startswith("--")]
    if chosen:
        todo = [p for p in todo if any(c in p for c in chosen)]
    if quick:
        todo = [p for p in todo if p.startswith("notebooks/")][:1]
    several = len(SITES) > 1
    if several:
        for i, site in enumerate(SITES):
            print(f"site {i}: {site}")
    if repeat > 1:
        print(f"times: the median of {repeat} cold loads")
    print(_load())
    print(
        f"{'page':40} {'site ' if several else ''}{'MB':>6} {'goal':>5} {'paint s':>7}"
        f" {'figs':>4} {'screen s':>8} {'jump s':>6} {'goal':>5} {'all s':>5}  MB by kind"
    )
    worst = {"bytes": 0.0, "seconds": 0.0, "plotly": 0}  # over site 0's pages
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        for page_path in todo:
            runs: dict[int, list] = {i: [] for i in range(len(SITES))}
            for r in range(repeat):
                order = list(range(len(SITES)))
                for i in order if r % 2 == 0 else order[::-1]:
                    m = measure(browser, base_urls[i], page_path)
                    jumped = (
                        jump(browser, base_urls[i], page_path)
                        if m["figures"]
                        else float("nan")
                    )
                    runs[i].append((m, jumped))
            for i, measured in runs.items():
                m = measured[0][0]
                for key in ("screen", "seconds", "paint"):
                    m[key] = _median([run[0][key] for run in measured])
                jumped = _median([run[1] for run in measured])
                kinds = " ".join(
                    f"{k} {v / 1e6:.2f}"
                    for k, v in sorted(m["kinds"].items(), key=lambda kv: -kv[1])
                )
                size_ok = "ok" if m["bytes"] <= GOAL_BYTES else "OVER"
                # nan: no figure on the first screen, or none on the page
                slowest = max((t for t in (m["screen"], jumped) if t == t), default=0.0)
                time_ok = "ok" if slowest <= GOAL_SECONDS else "OVER"
                if not m["figures"] and "plotly" in m["kinds"]:
                    size_ok = "PLOT"  # plotly loaded on a page without figures
                if i == 0:
                    worst["bytes"] = max(worst["bytes"], m["bytes"] / 1e6)
                    worst["seconds"] = max(worst["seconds"], slowest)
                    worst["plotly"] += size_ok == "PLOT"
                print(
                    f"{page_path:40} {f'{i:4d} ' if several else ''}"
                    f"{m['bytes'] / 1e6:6.2f} {size_ok:>5} {m['paint']:7.2f}"
                    f" {m['figures']:4d}"
                    f" {m['screen']:8.2f} {jumped:6.2f} {time_ok:>5} {m['seconds']:5.2f}  {kinds}"
                )
        browser.close()
    for server in servers:
        server.shutdown()
    print(_load())
    judged = not quick and not chosen  # the goals hold for every page, not a few
    for (name, goal, unit), key in zip(
        GOALS, ("bytes", "seconds", "plotly"), strict=True
    ):
        text = verdict(name, worst[key], goal, faster=False, unit=unit, judged=judged)
        print(f"{name} (site 0): {worst[key]:.2f}{unit} {text}")


if __name__ == "__main__":
    flags = sys.argv[1:]
    repeats = [int(a.split("=", 1)[1]) for a in flags if a.startswith("--repeat=")]
    main(quick="--quick" in flags, repeat=max(1, repeats[-1]) if repeats else 1)
