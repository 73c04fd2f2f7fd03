"""The 五色图 as a map (issue 10, item 3): grid.html draws the polygons of
data/grid_polygons.json (from the dbt mart mart_grid_map) as inline SVG, offline.

The warehouse is the synthetic one of conftest.py, whose ``mart_grid_map`` (the dbt mart's
columns) has square polygons for most grids, a few grids without one, and a third township
that has no polygons at all (its grids are only in the list view). The browser tests use the system
Chromium (/usr/bin/chromium; never `playwright install`) at a 375 px phone and a desktop
viewport; every request to another host fails the test. Screenshots land in
$SITE_SCREENSHOTS/grid_map or a pytest tmp dir.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import duckdb
import pytest

from tests.dashboards.browsing import serve, watch
from tests.dashboards.conftest import THIRD_TOWN

VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1366, "height": 900}}
ZH = {"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝", "green": "绿", "grey": "灰"}
PAGE_BUDGET = 300_000  # bytes of HTML/JS/JSON/CSS the map page loads, beyond plotly.js


@pytest.fixture(scope="module")
def map_warehouse(warehouse_factory, tmp_path_factory) -> Path:
    return warehouse_factory(tmp_path_factory.mktemp("gmwh") / "warehouse.duckdb", grids_per_town=120)


@pytest.fixture(scope="module")
def map_site(map_warehouse: Path, warehouse_factory, tmp_path_factory) -> Path:
    from dashboards.site import build_site

    out = tmp_path_factory.mktemp("gmsite") / "site"
    build_site(map_warehouse, out, warehouse_factory.as_of, build_stamp="test")
    return out


def _mart(warehouse: Path) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    cur = con.execute("select * from mart_grid_map order by township_code, grid_code")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    con.close()
    return rows


def _fixed1(v) -> str:
    return "—" if v is None else f"{v:,.1f}"


def _map_data(site: Path) -> dict:
    """The object data/grid_polygons.js assigns to window.ZHIFA_GRID_MAP."""
    text = (site / "data/grid_polygons.js").read_text(encoding="utf-8")
    prefix = "window.ZHIFA_GRID_MAP="
    assert text.startswith(prefix) and text.rstrip().endswith(";")
    return json.loads(text[len(prefix) :].rstrip().rstrip(";"))


def _int(v) -> str:
    return "—" if v is None else f"{v:,}"


# ---- the files ---------------------------------------------------------------------------


def test_polygon_file_matches_the_mart_and_page_is_small(map_site: Path, map_warehouse: Path):
    data = _map_data(map_site)
    rows = _mart(map_warehouse)
    f = {name: i for i, name in enumerate(data["fields"])}
    assert len(data["grids"]) == len(rows)
    assert [t["code"] for t in data["towns"]] == sorted({r["township_code"] for r in rows})
    by_code = {g[f["grid_code"]]: g for g in data["grids"]}
    for r in rows:
        g = by_code[r["grid_code"]]
        assert data["colours"][g[f["color"]]] == r["color"]
        assert g[f["map_path"]] == r["map_path"]
        assert g[f["population"]] == r["population"] and g[f["valid_alarms"]] == r["valid_alarms"]
        assert g[f["is_few_events"]] == int(bool(r["is_few_events"]))
    # offline: nothing in the page, its script or its data names another host
    html = (map_site / "grid.html").read_text(encoding="utf-8")
    script = (map_site / "assets/grid_map.js").read_text(encoding="utf-8")
    for text in (html, script, (map_site / "data/grid_polygons.js").read_text(encoding="utf-8")):
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
            'SVGNS = "http://www.w3.org/2000/svg"', ""
        )
        assert "https://" not in text
    # the map page's own weight (plotly.js is not loaded by it at all)
    assert "plotly" not in html
    size = sum(
        (map_site / p).stat().st_size for p in ("grid.html", "assets/grid_map.js", "data/grid_polygons.js", "assets/site.css")
    )
    assert size <= PAGE_BUDGET, size
    # h is explained in words on the page
    assert "h 是什么" in html and "得分<strong>比这个网格高</strong>的网格所占的比例" in html


# ---- in the browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_url(map_site: Path):
    with serve(map_site) as url:
        yield url


@pytest.fixture(scope="module")
def shot_dir(tmp_path_factory) -> Path:
    d = os.environ.get("SITE_SCREENSHOTS")
    path = (Path(d) if d else tmp_path_factory.mktemp("screenshots")) / "grid_map"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(browser, site_url: str, viewport: dict):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    problems: list[str] = []
    foreign: list[str] = []
    watch(page, problems, foreign)
    page.goto(f"{site_url}/grid.html", wait_until="load")
    return ctx, page, problems, foreign


def _no_overflow(page, where: str) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"horizontal overflow {where}: {width}"


def _small_text(page) -> list[str]:
    """Visible text nodes under 12 px inside the map section."""
    return page.evaluate("""() => {
        const out = [];
        for (const el of document.querySelectorAll('#gm *')) {
            if (!el.offsetParent && el.tagName !== 'svg') continue;
            const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
            if (own && parseFloat(getComputedStyle(el).fontSize) < 12) out.push(el.tagName + ': ' + el.textContent.trim().slice(0, 30));
        }
        return out;
    }""")


def _check_card(page, r: dict, town_ranked: int | None) -> None:
    card = page.locator(".gm-card .gcard")
    assert card.get_attribute("data-grid") == r["grid_code"]
    assert card.get_attribute("data-color") == r["color"]
    text = card.inner_text()
    assert r["grid_name"] in text and ZH[r["color"]] in text
    assert page.locator('.gm-card [data-f="population"]').inner_text() == _int(r["population"])
    for cnt, rate, pct in (
        ("penalties", "penalty_rate", "penalty_pct"),
        ("petitions_disputes", "petition_rate", "petition_pct"),
        ("valid_alarms", "alarm_rate", "alarm_pct"),
    ):
        cells = page.locator(f'.gm-card tr[data-component="{cnt}"] td').all_inner_texts()
        expected_pct = "—" if r[pct] is None else str(round(100 * r[pct]))
        assert cells == [_int(r[cnt]), _fixed1(r[rate]), expected_pct], (cnt, cells)
    last = page.locator('.gm-card [data-f="last"]').inner_text()
    if r["last_week_color"]:
        assert last.startswith(ZH[r["last_week_color"]])
    else:
        assert last.startswith("—")
    if r["color"] == "grey":
        assert "不参与排名" in text or "无法排名" in text
    else:
        assert page.locator('.gm-card [data-f="score"]').inner_text() == _fixed1(r["score"])
        assert page.locator('.gm-card [data-f="h"]').inner_text() == f"{100 * r['share_higher']:.1f}%"
        assert f"本镇街 {town_ranked:,} 个参与排名的网格中" in text
        assert ("颜色仅供参考" in text or "三项均为 0" in text) == bool(r["is_few_events"])


@pytest.mark.browser
@pytest.mark.parametrize("vp", sorted(VIEWPORTS))
def test_map_draws_taps_switches_and_stays_offline(browser, site_url, shot_dir, map_warehouse, vp):
    rows = _mart(map_warehouse)
    towns = sorted({r["township_code"] for r in rows})
    ctx, page, problems, foreign = _open(browser, site_url, VIEWPORTS[vp])
    try:
        first = towns[0]
        mine = [r for r in rows if r["township_code"] == first]
        with_polygon = [r for r in mine if r["map_path"]]
        page.wait_for_function(
            "n => document.querySelectorAll('.gm-map path').length === n", arg=len(with_polygon), timeout=15_000
        )
        assert page.locator(".gm-map path").count() == len(with_polygon)
        assert page.locator(".gm-map").is_visible()
        # legend: five colours + grey with this town's counts
        legend = page.locator(f'.gm-town[data-town="{first}"] .gm-legend li')
        for colour, label in ZH.items():
            item = page.locator(f'.gm-town[data-town="{first}"] .gm-legend li[data-color="{colour}"]')
            assert item.inner_text().replace(" ", "") == f"{label}{sum(1 for r in mine if r['color'] == colour):,}"
        assert legend.count() == 6
        _no_overflow(page, f"at {vp}")
        page.screenshot(path=str(shot_dir / f"map-{vp}.png"), full_page=True)

        # a tap on a red grid and on a few-events grid opens its card with the mart's figures
        ranked = mine[0]["ranked_grids_in_township"]
        red = next(r for r in with_polygon if r["color"] == "red")
        few = next(r for r in with_polygon if r["is_few_events"] and r["color"] not in ("grey", "green"))
        grey = next(r for r in with_polygon if r["color"] == "grey")
        for r in (red, few, grey):
            page.locator(f'.gm-map path[data-grid="{r["grid_code"]}"]').click()
            _check_card(page, r, ranked)
            assert page.locator(f'.gm-map path.sel[data-grid="{r["grid_code"]}"]').count() == 1
        page.locator(f'.gm-map path[data-grid="{red["grid_code"]}"]').click()
        page.locator(".gm-card").screenshot(path=str(shot_dir / f"card-{vp}.png"))
        _no_overflow(page, f"with a card open at {vp}")

        # zoom in and back: still every polygon, no overflow
        page.locator('.gm-tools button[data-zoom="in"]').click()
        assert "zoomed" in (page.locator(".gm-map").get_attribute("class") or "")
        page.locator('.gm-tools button[data-zoom="reset"]').click()

        # a grid without a polygon is reached through the list view
        no_poly = next(r for r in mine if not r["map_path"])
        page.locator(".gm-list > summary").click()
        group = page.locator(f'.gm-group[data-color="{no_poly["color"]}"]')
        if not group.evaluate("e => e.open"):
            group.locator("summary").click()
        group.locator(f'button[data-grid="{no_poly["grid_code"]}"]').click()
        _check_card(page, no_poly, ranked)
        _no_overflow(page, f"with the list open at {vp}")

        # the township switcher: the second town's polygons, legend and cards
        second = towns[1]
        page.locator(f'.gm-switch button[data-town="{second}"]').click()
        assert page.locator(f'.gm-switch button[data-town="{second}"]').get_attribute("aria-pressed") == "true"
        assert page.locator(f'.gm-town[data-town="{second}"]').is_visible()
        assert not page.locator(f'.gm-town[data-town="{first}"]').is_visible()
        theirs = [r for r in rows if r["township_code"] == second]
        assert page.locator(".gm-map path").count() == sum(1 for r in theirs if r["map_path"])
        r2 = next(r for r in theirs if r["map_path"] and r["color"] == "orange")
        page.locator(f'.gm-map path[data-grid="{r2["grid_code"]}"]').click()
        _check_card(page, r2, theirs[0]["ranked_grids_in_township"])
        page.screenshot(path=str(shot_dir / f"map-second-town-{vp}.png"), full_page=True)

        # a township without polygons: no map, its grids in the list
        page.locator(f'.gm-switch button[data-town="{THIRD_TOWN[0]}"]').click()
        assert not page.locator(".gm-map").is_visible()
        assert page.locator(".gm-list").evaluate("e => e.open")
        assert "没有网格边界" in page.locator(".gm-status").inner_text()
        third = [r for r in rows if r["township_code"] == THIRD_TOWN[0]]
        assert page.locator(".gm-list-body button[data-grid]").count() == len(third)
        page.locator(f'.gm-list-body button[data-grid="{third[0]["grid_code"]}"]').click()
        assert "无法排名" in page.locator(".gm-card").inner_text()
        page.screenshot(path=str(shot_dir / f"list-{vp}.png"), full_page=True)
        _no_overflow(page, f"in the list view at {vp}")
        assert not _small_text(page), _small_text(page)
        assert THIRD_TOWN[1] in page.locator(f'.gm-switch button[data-town="{THIRD_TOWN[0]}"]').inner_text()

        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()


@pytest.mark.browser
def test_town_in_the_address_and_print(browser, site_url, shot_dir, map_warehouse):
    """#t=<code> opens that township (a link can point at one); printing keeps map and card."""
    rows = _mart(map_warehouse)
    second = sorted({r["township_code"] for r in rows})[1]
    ctx = browser.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN")
    page = ctx.new_page()
    try:
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site_url) else route.abort())
        page.goto(f"{site_url}/grid.html#t={second}", wait_until="load")
        page.wait_for_selector(".gm-map path")
        assert page.locator(f'.gm-switch button[data-town="{second}"]').get_attribute("aria-pressed") == "true"
        n = sum(1 for r in rows if r["township_code"] == second and r["map_path"])
        assert page.locator(".gm-map path").count() == n
        page.emulate_media(media="print")
        assert page.locator(".gm-map").is_visible()
        assert not page.locator(".gm-switch").is_visible()
        page.pdf(path=str(shot_dir / "print.pdf"))
    finally:
        ctx.close()


def test_polygon_units_are_compact(map_site: Path):
    """Integers only in the paths: the quantised local projection of the mart."""
    data = _map_data(map_site)
    i = data["fields"].index("map_path")
    paths = [g[i] for g in data["grids"] if g[i]]
    assert paths and all(p.startswith("M") and p.endswith("Z") for p in paths)
    numbers = [tok for p in paths for tok in p.replace("M", " ").replace("Z", " ").split()]
    assert all(tok.lstrip("-").isdigit() for tok in numbers)
    assert not math.isnan(float(data["unit_m"]))


@pytest.mark.browser
def test_map_draws_when_opened_from_disk(browser, map_site: Path):
    """`make demo` says "open data/site/index.html": from file:// a page may not fetch() a
    file, so the polygons come as a script and the map must still draw."""
    ctx = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((map_site / "grid.html").as_uri(), wait_until="load")
        page.wait_for_selector(".gm-map path", state="attached")
        assert page.locator(".gm-map path").count() > 0
        assert not errors
    finally:
        ctx.close()
