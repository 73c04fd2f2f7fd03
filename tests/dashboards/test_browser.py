"""The published site in headless Chromium, at a phone and a desktop viewport.

Uses the system Chromium (/usr/bin/chromium); never `playwright install`. The site is
served on 127.0.0.1 by http.server; every request to any other host fails the test.

Each test runs twice: over `synthetic_site` (built from the synthetic warehouse in
conftest.py; fast) and over `published_site` (the demo pipeline's site from
tests/conftest.py; marked slow and grouped with the other demo tests).
Screenshots land in $SITE_SCREENSHOTS or a pytest tmp dir.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboards.site import PAGES as SITE_PAGES
from tests.dashboards.browsing import serve, wait_for_charts, watch

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
PAGES = [page.FILE for page in SITE_PAGES]  # every page the site builds


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("synthetic"),
        pytest.param("demo", marks=pytest.mark.slow),
    ],
)
def site_dir(request) -> tuple[str, Path]:
    if request.param == "synthetic":
        return "synthetic", request.getfixturevalue("synthetic_site")
    try:
        return "demo", Path(request.getfixturevalue("published_site"))
    except pytest.FixtureLookupError:
        pytest.skip("no published_site fixture (the demo pipeline) in this checkout")


@pytest.fixture(scope="module")
def site_url(site_dir: tuple[str, Path]):
    with serve(site_dir[1]) as url:
        yield url


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
    watch(page, problems, foreign)
    page.goto(f"{site_url}/{page_name}", wait_until="load")
    return ctx, page, problems, foreign


@pytest.mark.parametrize("vp", sorted(VIEWPORTS))
def test_index_renders_charts_offline(browser, site_url, shot_dir, vp):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS[vp], "index.html")
    try:
        n_divs = page.locator(".plotly-graph-div").count()
        assert n_divs >= 3, "one-visit and alarm charts expected"
        wait_for_charts(page)
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
        wait_for_charts(page)
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
        for label, target in (
            ("周情分析", "weekly.html"),
            ("五色图", "grid.html"),
            ("改革对比", "compare.html"),
            ("数据质量", "quality.html"),
            ("指标口径", "glossary.html"),
            ("概览", "index.html"),
        ):
            # Click only once the page is done asking (its favicon comes after "load"), so a
            # request cut short by the navigation is not mistaken for a failed one.
            page.wait_for_load_state("networkidle")
            page.locator("header nav").get_by_text(label, exact=True).click()
            page.wait_for_load_state("load")
            assert page.url.endswith(target)
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()


# ---------------------------------------------------------------- issue 10: phone and print

A4_PRINTABLE_PX = (round((210 - 20) / 25.4 * 96), round((297 - 20) / 25.4 * 96))  # @page margin 10mm


@pytest.mark.parametrize("width", [320, 375])
@pytest.mark.parametrize("page_name", PAGES)
def test_small_phones_no_horizontal_scroll_and_readable_text(browser, site_url, shot_dir, width, page_name):
    ctx, page, problems, foreign = _open(browser, site_url, {"width": width, "height": 740}, page_name)
    try:
        page.wait_for_timeout(300)
        sw = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sw[0] <= sw[1] + 1, f"horizontal overflow on {page_name} at {width}px: {sw}"
        # Every nav item is fully visible (the nav wraps; nothing cut to "指标口").
        boxes = page.evaluate("""Array.from(document.querySelectorAll('header nav a')).map(a => {
            const r = a.getBoundingClientRect(); return [a.textContent.trim(), r.left, r.right]; })""")
        for label, left, right in boxes:
            assert left >= -1 and right <= width + 1, (label, left, right)
        # No visible text under 12 px (plotly's SVG text aside).
        small = page.evaluate("""Array.from(document.querySelectorAll('main *, header *, footer *'))
            .filter(e => !e.closest('svg') && e.childNodes.length && Array.from(e.childNodes).some(
                n => n.nodeType === 3 && n.textContent.trim()) && e.offsetParent !== null
                && parseFloat(getComputedStyle(e).fontSize) < 12)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 30))""")
        assert not small, small
        if page_name in ("index.html", "weekly.html"):
            page.screenshot(path=str(shot_dir / f"{page_name.removesuffix('.html')}-{width}.png"))
        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()


# When each chart's SVG appears, against the load event (recorded in the page, no hooks in it).
RECORD_DRAWS = """window.__drawn = {};
new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
  const gd = n.nodeType === 1 && n.classList.contains('main-svg') && n.closest('.plotly-graph-div');
  if (gd && !(gd.id in window.__drawn)) window.__drawn[gd.id] = performance.now();
}))).observe(document, {childList: true, subtree: true});"""


def test_charts_below_the_first_phone_screen_are_drawn_after_load(browser, site_url):
    """每日明细 has ten charts: the phone shows the first screen without waiting for the rest,
    and the rest are drawn after the load event without the reader scrolling."""
    ctx = browser.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN")
    page = ctx.new_page()
    problems: list[str] = []
    foreign: list[str] = []
    watch(page, problems, foreign)
    page.add_init_script(RECORD_DRAWS)
    try:
        page.goto(f"{site_url}/kpi.html", wait_until="load")
        tops = page.evaluate(
            "[...document.querySelectorAll('.plotly-graph-div')].map(el => [el.id, el.getBoundingClientRect().top])"
        )
        wait_for_charts(page)
        drawn = page.evaluate("window.__drawn")
        load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventStart")
        first = [i for i, top in tops if top <= VIEWPORTS["phone"]["height"]]
        later = [i for i, top in tops if top > VIEWPORTS["phone"]["height"]]
        assert first and len(later) >= 5, tops
        assert set(drawn) == {i for i, _ in tops}, "every chart drawn, none twice"
        assert all(drawn[i] <= load for i in first), "the first screen is drawn before the page counts as loaded"
        assert all(drawn[i] > load for i in later), "charts below the first screen wait for the load event"
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()


def test_no_plotly_mode_bar(browser, site_url):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS["phone"], "index.html")
    try:
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=20_000)
        assert page.locator(".modebar").count() == 0
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()


def _print(page):
    page.emulate_media(media="print")
    page.wait_for_timeout(600)
    return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)


def _pdf_pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def test_weekly_pack_prints_one_a4_page_per_town(browser, site_url, shot_dir):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS["desktop"], "weekly.html")
    try:
        n = page.locator("section.wk-town").count()
        assert n >= 2
        wait_for_charts(page)
        pdf = _print(page)
        (shot_dir / "weekly.pdf").write_bytes(pdf)
        assert _pdf_pages(pdf) == n, "one A4 page per township"
        width, height = A4_PRINTABLE_PX
        assert page.locator("header.site-header").is_hidden(), "no nav on paper"
        for i in range(n):
            sec = page.locator("section.wk-town").nth(i)
            box = sec.bounding_box()
            assert box["width"] <= width + 1, box
            assert box["height"] <= height, f"section {i} is taller than the A4 page: {box}"
            for chart in sec.locator(".js-plotly-plot").all():
                cb = chart.bounding_box()
                svg = chart.locator(".main-svg").first.bounding_box()
                for b in (cb, svg):
                    assert b["x"] >= box["x"] - 1 and b["x"] + b["width"] <= box["x"] + box["width"] + 1, (b, box)
                    assert b["y"] >= box["y"] - 1 and b["y"] + b["height"] <= box["y"] + box["height"] + 1, (b, box)
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()


def test_index_charts_fit_the_paper(browser, site_url, shot_dir):
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS["desktop"], "index.html")
    try:
        wait_for_charts(page)
        pdf = _print(page)
        (shot_dir / "index.pdf").write_bytes(pdf)
        width, height = A4_PRINTABLE_PX
        main = page.locator("main").bounding_box()  # emulated print: the page box, centred in the viewport
        assert main["width"] <= width + 1, main
        for chart in page.locator(".js-plotly-plot").all():
            svg = chart.locator(".main-svg").first.bounding_box()
            assert svg["x"] >= main["x"] - 1 and svg["x"] + svg["width"] <= main["x"] + width + 1, svg
            assert svg["height"] <= height, svg
        assert page.locator("header.site-header").is_hidden()
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()


# ---------------------------------------------------------------- issue 10, item 7: the English twin

EN_VIEWPORTS = {"375": {"width": 375, "height": 740}, "desktop": VIEWPORTS["desktop"]}
# Text nodes a reader sees that are Chinese and not inside an element marked lang="zh…"
# (values from the exports are marked so; plotly's SVG is left to the static test of the markup).
UNTRANSLATED_JS = r"""() => {
  const out = [], han = /[\u3400-\u9fff]/;
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const e = n.parentElement;
    if (!e || !han.test(n.textContent) || e.closest('script, style, svg, noscript, [lang^="zh"]')) continue;
    if (e.offsetParent === null && getComputedStyle(e).position !== 'fixed') continue;
    out.push(n.textContent.trim().slice(0, 40));
  }
  return out.slice(0, 10);
}"""


@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("vp", sorted(EN_VIEWPORTS))
def test_english_pages_load_cleanly(browser, site_url, shot_dir, vp, page_name):
    viewport = EN_VIEWPORTS[vp]
    ctx, page, problems, foreign = _open(browser, site_url, viewport, f"en/{page_name}")
    try:
        assert page.evaluate("document.documentElement.lang") == "en"
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in page.locator("h1").first.inner_text())
        n = page.locator(".plotly-graph-div").count()
        if n:
            wait_for_charts(page)
        if page_name == "grid.html":  # the map is drawn and a tapped grid's card speaks English
            page.wait_for_selector(".gm-map path[data-grid]", timeout=10_000)
            page.locator(".gm-list > summary").click()
            page.locator(".gm-list-body details[open] button[data-grid]").first.click()
            assert "Score" in page.locator(".gm-card").inner_text()
        sw = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sw[0] <= sw[1] + 1, f"horizontal overflow on en/{page_name} at {vp}: {sw}"
        boxes = page.evaluate("""Array.from(document.querySelectorAll('header nav a, header .lang-switch')).map(a => {
            const r = a.getBoundingClientRect(); return [a.textContent.trim(), r.left, r.right]; })""")
        for label, left, right in boxes:
            assert left >= -1 and right <= viewport["width"] + 1, (label, left, right)
        untranslated = page.evaluate(UNTRANSLATED_JS)
        assert not untranslated, untranslated
        page.screenshot(path=str(shot_dir / f"en-{page_name.removesuffix('.html')}-{vp}.png"), full_page=vp == "375")
        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()


def test_weekly_table_is_one_card_per_indicator_on_a_phone(browser, site_url):
    # At 375 px the five-column table squeezed each name into two-character lines (事件/上报/数).
    ctx, page, problems, foreign = _open(browser, site_url, {"width": 375, "height": 740}, "weekly.html")
    try:
        lines = page.evaluate("""Array.from(document.querySelectorAll('.wk-table tbody th a'))
            .map(a => [a.textContent.trim(), a.getClientRects().length])""")
        assert lines and all(n == 1 for _, n in lines), lines
        labels = page.evaluate("getComputedStyle(document.querySelector('.wk-table td.n'), '::before').content")
        assert labels == '"上周"', labels  # each figure says what it is
    finally:
        ctx.close()


def test_language_switch_links_both_ways(browser, site_url):
    ctx, page, problems, foreign = _open(browser, site_url, EN_VIEWPORTS["375"], "weekly.html")
    try:
        page.wait_for_load_state("networkidle")  # see test_navigation_links_work
        page.locator("header .lang-switch").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/en/weekly.html")
        assert page.locator("header nav a[aria-current=page]").inner_text().strip() == "Weekly pack"
        page.wait_for_load_state("networkidle")
        page.locator("header .lang-switch").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/weekly.html") and "/en/" not in page.url
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()


# WCAG 2.1 AA: text against its background at least 4.5:1, large text (≥ 24 px, or ≥ 18.66 px
# bold) 3:1. The background is the first opaque one up the tree; text over an image or a
# gradient is not judged (the site has none), nor plotly's SVG.
CONTRAST_JS = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                      if (c.length === 3 || c[3] === 1) return c.slice(0, 3); } return [255, 255, 255]; };
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('svg, script, style') || e.offsetParent === null) continue;
    if (!Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const st = getComputedStyle(e), fg = rgb(st.color), size = parseFloat(st.fontSize);
    const a = lum(fg.slice(0, 3)), b = lum(bg(e)), ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(`${e.tagName}.${e.className} "${e.textContent.trim().slice(0, 24)}" ${ratio.toFixed(2)}`);
  }
  return out.slice(0, 8);
}"""


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("page_name", PAGES)
def test_text_contrast_meets_wcag_aa(browser, site_url, page_name, lang):
    ctx, page, problems, foreign = _open(browser, site_url, {"width": 375, "height": 740}, lang + page_name)
    try:
        low = page.evaluate(CONTRAST_JS)
        assert not low, f"text under WCAG AA contrast on {lang}{page_name}: {low}"
        assert not foreign and not problems, (foreign, problems)
    finally:
        ctx.close()
