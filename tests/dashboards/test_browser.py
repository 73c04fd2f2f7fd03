"""The published site in headless Chromium, at a phone and a desktop viewport.

Uses the system Chromium (/usr/bin/chromium); never `playwright install`. The site is
served on 127.0.0.1 by http.server; every request to any other host fails the test.

Each test runs twice: over `synthetic_site` (built from the synthetic warehouse in
conftest.py; fast) and over `published_site` (the demo pipeline's site from
tests/conftest.py; marked slow and grouped with the other demo tests).
Screenshots land in $SITE_SCREENSHOTS or a pytest tmp dir.
"""
from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
PAGES = ["index.html", "grid.html", "compare.html", "quality.html", "glossary.html"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module", params=[
    pytest.param("synthetic"),
    pytest.param("demo", marks=pytest.mark.slow),
])
def site_dir(request) -> tuple[str, Path]:
    if request.param == "synthetic":
        return "synthetic", request.getfixturevalue("synthetic_site")
    try:
        return "demo", Path(request.getfixturevalue("published_site"))
    except pytest.FixtureLookupError:
        pytest.skip("no published_site fixture (the demo pipeline) in this checkout")


@pytest.fixture(scope="module")
def site_url(site_dir: tuple[str, Path]):
    handler = functools.partial(_QuietHandler, directory=str(site_dir[1]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shot_dir(tmp_path_factory, site_dir: tuple[str, Path]) -> Path:
    d = os.environ.get("SITE_SCREENSHOTS")
    path = (Path(d) if d else tmp_path_factory.mktemp("screenshots")) / site_dir[0]
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(browser, site_url: str, viewport: dict, page_name: str):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    problems: list[str] = []
    foreign: list[str] = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(site_url) or host in ("127.0.0.1", None):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(f"{site_url}/{page_name}", wait_until="load")
    return ctx, page, problems, foreign


@pytest.mark.parametrize("vp", sorted(VIEWPORTS))
def test_index_renders_charts_offline(browser, site_url, shot_dir, vp):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS[vp], "index.html")
    try:
        n_divs = page.locator(".plotly-graph-div").count()
        assert n_divs >= 3, "one-visit and alarm charts expected"
        page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=n_divs,
            timeout=20_000)
        assert page.locator(".js-plotly-plot").count() == n_divs, "every chart div was plotted"
        # Traces drawn, not just empty axes.
        assert page.locator(".js-plotly-plot .scatterlayer .trace, .js-plotly-plot .barlayer .trace").count() > 0
        for text in ("核心指标", "综合查一次", "有效警情"):
            assert page.get_by_text(text, exact=True).first.is_visible(), text
        assert page.locator(".town h3").first.inner_text().strip()[:2] in ("义桥", "瓜沥")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] + 1, f"horizontal overflow at {vp}: {width}"
        font_px = float(page.evaluate("getComputedStyle(document.body).fontSize").rstrip("px"))
        assert font_px >= 14
        page.screenshot(path=str(shot_dir / f"index-{vp}.png"), full_page=True)
        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()


@pytest.mark.parametrize("page_name", PAGES[1:])
@pytest.mark.parametrize("vp", sorted(VIEWPORTS))
def test_other_pages_load_cleanly(browser, site_url, shot_dir, vp, page_name):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS[vp], page_name)
    try:
        assert page.locator("h1").first.is_visible()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in page.locator("h1").first.inner_text())
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] + 1, f"horizontal overflow on {page_name} at {vp}: {width}"
        page.screenshot(path=str(shot_dir / f"{page_name.removesuffix('.html')}-{vp}.png"))
        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()


@pytest.mark.parametrize("vp", sorted(VIEWPORTS))
def test_compare_renders_charts_offline(browser, site_url, shot_dir, vp):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS[vp], "compare.html")
    try:
        n_divs = page.locator(".plotly-graph-div").count()
        assert n_divs >= 4, "one chart per compared indicator expected"
        page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=n_divs,
            timeout=20_000)
        assert page.locator(".js-plotly-plot").count() == n_divs, "every chart div was plotted"
        first = page.locator(".js-plotly-plot").first
        assert first.locator(".scatterlayer .trace").count() >= 2, "both towns on one chart"
        for text in ("按改革后月份对比", "案件办理", "赋权事项使用", "检查负担"):
            assert page.get_by_text(text, exact=False).first.is_visible(), text
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] + 1, f"horizontal overflow at {vp}: {width}"
        page.screenshot(path=str(shot_dir / f"compare-full-{vp}.png"), full_page=True)
        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()


def test_navigation_links_work(browser, site_url):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS["phone"], "index.html")
    try:
        for label, target in (("五色图", "grid.html"), ("改革对比", "compare.html"), ("数据质量", "quality.html"),
                              ("指标口径", "glossary.html"), ("概览", "index.html")):
            page.locator("header nav").get_by_text(label, exact=True).click()
            page.wait_for_load_state("load")
            assert page.url.endswith(target)
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()
