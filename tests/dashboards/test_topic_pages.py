"""Issue 10, items 4 and 5: the topic pages (警情趋势 alarms.html, 综合查一次与专项行动
inspections.html, 案件 cases.html, 改革对比 compare.html) and the KPI drill-down (kpi.html,
data/series/<indicator>.csv).

- Unit tests of the pure view-model functions (no warehouse).
- The synthetic site of conftest.py (every model the site reads, with dbt's columns): every
  topic page builds from its marts, and every KPI card's drill-down anchor exists.
- A site built from a real dbt warehouse with the new marts (`topics_site`: the demo run's
  warehouse, or $ZHIFA_TOPICS_WAREHOUSE for a quick local run) — key figures equal the marts,
  CSV links resolve, pages stay small; marked slow.
- Headless Chromium (/usr/bin/chromium; never `playwright install`) at 375 px and desktop:
  no request leaves the machine, no console error, no horizontal scroll, charts drawn, the
  figures on the page equal the marts, the drill-down link lands on its section and every
  CSV link answers 200. Screenshots in $SITE_SCREENSHOTS/topics or a pytest tmp dir.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from pathlib import Path

import duckdb
import pytest

from dashboards import exports, metrics
from dashboards.pages import alarms, cases, compare, index, inspections, kpi
from dashboards.site import build_site
from tests.dashboards.browsing import serve, wait_for_charts, watch

TOPIC_PAGES = ["alarms.html", "inspections.html", "cases.html", "kpi.html", "compare.html"]
MAX_PAGE_BYTES = 300_000


def _html(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


# ---------------------------------------------------------------- view models (pure)


def _day_rows(start: dt.date, values: list[float]) -> list[dict]:
    out, run = [], []
    for i, v in enumerate(values):
        run = (run + [v])[-28:]
        out.append({"date": start + dt.timedelta(days=i), "value": v, "value_28d": sum(run), "is_full_28d": i >= 27})
    return out


def test_series_view_reads_the_mart_rows_as_they_are():
    rows = _day_rows(dt.date(2022, 1, 1), [float(i % 5) for i in range(40)])
    v = kpi.series_view(rows)
    assert v["start"] == dt.date(2022, 1, 1) and v["end"] == dt.date(2022, 2, 9) and v["days"] == 40
    assert v["daily"] == [r["value"] for r in rows] and v["rolling"] == [r["value_28d"] for r in rows]
    assert v["latest_28d"] == rows[-1]["value_28d"] and v["latest_day"] == rows[-1]["value"]
    assert v["window"] == (dt.date(2022, 1, 13), dt.date(2022, 2, 9))
    assert v["first_full"] == dt.date(2022, 1, 28)
    assert kpi.series_view([]) is None


def test_series_view_refuses_a_gap():
    rows = _day_rows(dt.date(2022, 1, 1), [1.0] * 10)
    del rows[4]
    with pytest.raises(ValueError, match="one per day"):
        kpi.series_view(rows)


def test_every_kpi_card_has_a_drill_down_target_and_a_csv():
    assert kpi.card_indicators() == [k.indicator for k in index.KPIS]
    assert kpi.href("valid_alarms", "330109118") == "kpi.html#kpi-valid_alarms-330109118"
    assert exports.series_file("valid_alarms") == "data/series/valid_alarms.csv"


def _cmp_row(
    window: str, breakdown: str, now: float, before: float | None, signal: str | None = None, z: float | None = None
) -> dict:
    return {
        "window_name": window,
        "breakdown": breakdown,
        "value_now": now,
        "value_before": before,
        "has_prior_data": before is not None,
        "abs_change": None if before is None else now - before,
        "pct_change": None if before is None or before < 20 else 100.0 * (now - before) / before,
        "signal": signal,
        "poisson_z": z,
        "period_start": dt.date(2022, 1, 1),
        "period_end": dt.date(2022, 8, 31),
        "prior_start": dt.date(2021, 1, 1),
        "prior_end": dt.date(2021, 8, 31),
    }


def test_alarm_table_total_first_then_by_this_year():
    rows = [
        _cmp_row("year_to_date", "盗窃", 50, 40),
        _cmp_row("year_to_date", "all", 300, 290),
        _cmp_row("year_to_date", "交通事故", 120, 100),
        _cmp_row("28_days", "交通事故", 12, 9),
        _cmp_row("year_to_date", "非法捕捞", 8, 25, "alert", -3.4),
    ]
    table = alarms.subcategory_table(rows)
    assert [t["subcategory"] for t in table] == ["all", "交通事故", "盗窃", "非法捕捞"]
    traffic = table[1]["windows"]
    assert traffic["28_days"].pct_change is None, "小基数: last year under 20"
    assert traffic["year_to_date"].pct_change == pytest.approx(20.0)
    # the significant change is charted first, then by this year's count
    assert alarms.panel_order(table) == ["非法捕捞", "all", "交通事故", "盗窃"]


def test_alarm_panels_keep_missing_last_year_as_a_gap():
    w1, w2 = dt.date(2022, 1, 3), dt.date(2022, 1, 10)
    weeks = [
        {"alarm_subcategory": s, "week_start": w, "valid_alarms": n, "valid_alarms_last_year": b}
        for s, w, n, b in (
            ("all", w1, 10, None),
            ("all", w2, 12, 9),
            ("盗窃", w1, 2, None),
            ("盗窃", w2, 3, 1),
            ("求助", w1, 1, 0),
            ("求助", w2, 0, 0),
        )
    ]
    ps = alarms.panels(weeks, ["求助", "盗窃"], limit=1)
    assert [p["title"] for p in ps] == ["合计", "求助"]
    assert ps[0]["before"] == [None, 9] and ps[0]["now"] == [10, 12]
    assert ps[0]["weeks"] == ["2022-01-03", "2022-01-10"]


def test_hazard_loop_stages_add_up_to_the_hazards_found():
    row = {"hazards_found": 200, "hazards_accepted": 150, "hazards_rectifying": 20, "hazards_overdue": 30, "hazards_other": 0}
    stages = inspections.loop_stages(row)
    assert [s["key"] for s in stages] == ["accepted", "rectifying", "overdue"], "no empty 'other'"
    assert sum(s["pct"] for s in stages) == pytest.approx(100.0)
    assert stages[0]["share"] == "75.0%"
    assert inspections.loop_stages({"hazards_found": 0})[0]["pct"] == 0.0


def test_overdue_list_longest_open_first_with_categories():
    rows = [
        {"item_id": f"JC{i}", "days_open": d, "category": c}
        for i, (d, c) in enumerate([(30, "企业"), (90, "出租房"), (90, "企业"), (5, None)])
    ]
    v = inspections.overdue_view(rows, limit=2)
    assert v["total"] == 4 and [r["item_id"] for r in v["rows"]] == ["JC1", "JC2"]
    assert v["categories"] == [("企业", 2), ("出租房", 1), ("未填", 1)]


def test_burden_view_picks_this_and_last_year():
    rows = [
        {"inspection_year": y, "target_type": t, "targets": n}
        for y, t, n in ((2022, "all", 100), (2021, "all", 90), (2022, "企业", 10), (2022, "出租房", 60))
    ]
    v = inspections.burden_view(rows, 2022)
    assert v["this"]["targets"] == 100 and v["last"]["targets"] == 90
    assert [r["target_type"] for r in v["types"]] == ["出租房", "企业"]


def test_case_status_stages_and_monthly_series():
    row = {"cases_filed": 100, "cases_closed": 80, "open_0_30_days": 12, "open_31_90_days": 5, "open_over_90_days": 3}
    stages = cases.status_stages(row)
    assert [s["n"] for s in stages] == [80, 12, 5, 3] and sum(s["pct"] for s in stages) == pytest.approx(100)
    m1, m2 = dt.date(2022, 7, 1), dt.date(2022, 8, 1)
    rows = [
        {"indicator": "cases_filed", "month_start": m1, "value": 10, "is_partial_month": False},
        {"indicator": "cases_closed", "month_start": m2, "value": 7, "is_partial_month": True},
    ]
    m = cases.monthly_series(rows, cases.FLOW)
    assert m["months"] == ["2022-07-01", "2022-08-01"] and m["partial"] == "2022-08-01"
    assert [s["values"] for s in m["series"]] == [[10.0, 0.0], [0.0, 7.0]]
    assert cases.monthly_series([], cases.FLOW) is None


def test_case_comparison_table_uses_the_mart_rows():
    rows = [
        dict(_cmp_row("year_to_date", "all", 30, 10, "watch", 2.6), indicator="first_violation_notices"),
        dict(_cmp_row("28_days", "all", 3, None), indicator="first_violation_notices"),
    ]
    table = cases.comparison_table(rows, cases.SOFT, {"first_violation_notices": "首违提醒"})
    assert [t["indicator"] for t in table] == ["first_violation_notices"]
    c = table[0]["cells"]["year_to_date"]["c"]
    assert isinstance(c, metrics.Shown) and c.level == "watch" and c.pct_change is None
    assert table[0]["cells"]["28_days"]["c"].before is None, "无同期数据"


def test_compare_phase_cells_come_from_the_mart_row():
    cell = compare.phase_cell(
        {"months": 3, "events": 12, "mean_per_10k": 1.234, "mean_per_km2": None, "first_month": 0, "last_month": 2}
    )
    assert cell["rate"] == 1.234 and cell["small"] and cell["span"] == "改革当月至第2月"
    assert compare.phase_cell(None) is None
    assert compare._phase_span(-17, -1) == "改革前17至1个月"
    assert compare._phase_span(4, 23) == "改革后第4至23月"


# ---------------------------------------------------------------- the synthetic site


def test_topic_pages_build_from_their_marts(synthetic_site: Path):
    for page in TOPIC_PAGES:
        html = _html(synthetic_site, page)
        assert "<h1>" in html and 'aria-current="page"' in html, page
        assert len(html.encode()) <= MAX_PAGE_BYTES, page
        assert "暂缺" not in html and "data-missing" not in html, page
    assert 'data-figure="year_to_date"' in _html(synthetic_site, "alarms.html")
    assert 'data-figure="hazards_found"' in _html(synthetic_site, "inspections.html")
    assert 'data-figure="cases_open"' in _html(synthetic_site, "cases.html")
    assert 'data-figure="latest_28d"' in _html(synthetic_site, "kpi.html")
    nav = _html(synthetic_site, "index.html").split("<nav")[1].split("</nav>")[0]
    for page in ("alarms.html", "inspections.html", "cases.html", "kpi.html", "compare.html"):
        assert f'href="{page}"' in nav, page


def test_every_kpi_card_links_to_an_anchor_that_exists(synthetic_site: Path):
    index_html = _html(synthetic_site, "index.html")
    targets = re.findall(r'class="kpi-drill" href="kpi\.html#([^"]+)"', index_html)
    assert len(targets) == index_html.count('class="kpi" ') + index_html.count('class="kpi kpi-alert"')
    assert targets
    kpi_html = _html(synthetic_site, "kpi.html")
    for t in targets:
        assert f'id="{t}"' in kpi_html, t


# ---------------------------------------------------------------- a real warehouse (dbt marts)


def _as_of(wh: Path) -> dt.date:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute("select max(period_end) from mart_indicator_comparisons where window_name = '28_days'").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def topics_warehouse(request) -> Path:
    env = os.environ.get("ZHIFA_TOPICS_WAREHOUSE")
    if env:
        return Path(env)
    try:
        return request.getfixturevalue("demo_run").warehouse
    except pytest.FixtureLookupError:
        pytest.skip("no demo_run fixture and no $ZHIFA_TOPICS_WAREHOUSE")


@pytest.fixture(scope="module")
def topics_site(topics_warehouse: Path, tmp_path_factory) -> tuple[Path, Path, dt.date]:
    out = tmp_path_factory.mktemp("topics") / "site"
    as_of = _as_of(topics_warehouse)
    build_site(topics_warehouse, out, as_of, build_stamp="topics")
    return topics_warehouse, out, as_of


def _q(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _town_section(html: str, code: str) -> str:
    return html.split(f'data-town="{code}"')[1].split("</section>")[0]


def _fig(block: str, name: str) -> str:
    m = re.search(rf'data-figure="{name}">([^<]+)<', block)
    assert m, name
    return m.group(1).strip()


@pytest.mark.slow
def test_topic_pages_show_the_marts(topics_site):
    wh, site, _as_of_date = topics_site
    towns = [c for (c,) in _q(wh, "select township_code from dim_townships order by 1")]
    for page in TOPIC_PAGES:
        assert len((site / page).read_bytes()) <= MAX_PAGE_BYTES, page
        assert "此节暂缺" not in _html(site, page) and "暂缺：仓库中没有" not in _html(site, page), page
    kpi_html, alarms_html = _html(site, "kpi.html"), _html(site, "alarms.html")
    insp_html, cases_html = _html(site, "inspections.html"), _html(site, "cases.html")
    for code in towns:
        # drill-down: the last 28-day total is the KPI card's figure (mart_indicator_comparisons)
        for ind in kpi.card_indicators():
            ((card,),) = _q(
                wh,
                "select value_now from mart_indicator_comparisons where township_code = ? "
                "and indicator = ? and window_name = '28_days' and breakdown = 'all'",
                [code, ind],
            )
            block = kpi_html.split(f'id="{kpi.anchor(ind, code)}"')[1].split("</article>")[0]
            assert _fig(block, "latest_28d").split("<")[0] == metrics.fmt_num(card), (code, ind)
        # 警情: 今年以来 valid alarms = the comparison mart's year_to_date
        ((ytd,),) = _q(
            wh,
            "select value_now from mart_indicator_comparisons where township_code = ? and "
            "indicator = 'valid_alarms' and window_name = 'year_to_date' and breakdown = 'all'",
            [code],
        )
        assert _fig(_town_section(alarms_html, code), "year_to_date") == metrics.fmt_num(ytd)
        # 检查: hazards found this year = mart_report_hazard_loop; overdue count = the open-items mart
        sec = _town_section(insp_html, code)
        ((found, overdue),) = _q(
            wh,
            "select hazards_found, inspections_overdue from mart_report_hazard_loop where township_code = ? and period = 'all'",
            [code],
        )
        loop = sec.split('data-period="all"')[1]
        assert _fig(loop, "hazards_found") == metrics.fmt_num(found)
        ((listed,),) = _q(
            wh, "select count(*) from mart_report_open_items where township_code = ? and item_type = 'hazard_overdue'", [code]
        )
        assert listed == overdue
        if overdue:
            assert _fig(sec, "overdue_inspections") == metrics.fmt_num(overdue)
        ((share,),) = _q(
            wh,
            "select one_visit_share from mart_inspection_burden where township_code = ? "
            "and inspection_year = ? and target_type = 'all'",
            [code, _as_of_date.year],
        )
        assert _fig(sec, "one_visit_share") == f"{100 * share:.1f}%"
        # 案件: filed / open / open > 90 days = mart_report_case_status
        ((filed, open_, old),) = _q(
            wh,
            "select cases_filed, cases_open, open_over_90_days from "
            "mart_report_case_status where township_code = ? and period = 'all'",
            [code],
        )
        status = _town_section(cases_html, code).split('data-period="all"')[1]
        assert _fig(status, "cases_filed") == metrics.fmt_num(filed)
        assert _fig(status, "cases_open") == metrics.fmt_num(open_)
        if old:
            assert _fig(status, "open_over_90_days") == metrics.fmt_num(old)


@pytest.mark.slow
def test_series_csvs_are_the_mart(topics_site):
    wh, site, _ = topics_site
    for ind in kpi.card_indicators():
        path = site / exports.series_file(ind)
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == list(exports.SERIES_COLUMNS)
        ((n, total),) = _q(wh, "select count(*), sum(value) from mart_report_daily_series where indicator = ?", [ind])
        assert len(rows) - 1 == n and sum(float(r[3]) for r in rows[1:]) == pytest.approx(total)
        ((fct,),) = _q(
            wh, "select coalesce(sum(value), 0) from fct_township_daily where indicator = ? and breakdown = 'all'", [ind]
        )
        assert total == pytest.approx(fct), "every fact day is in the series"
    for page in TOPIC_PAGES + ["index.html"]:
        for href in re.findall(r'href="(data/[^"#]+)"', _html(site, page)):
            assert (site / href).is_file(), (page, href)


# ---------------------------------------------------------------- headless Chromium

VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module", params=["synthetic", pytest.param("real", marks=pytest.mark.slow)])
def served(request):
    if request.param == "synthetic":
        site, wh = request.getfixturevalue("synthetic_site"), None
    else:
        wh, site, _ = request.getfixturevalue("topics_site")
    with serve(site) as url:
        yield request.param, url, site, wh


@pytest.fixture(scope="module")
def shot_dir(tmp_path_factory, served) -> Path:
    d = os.environ.get("SITE_SCREENSHOTS")
    path = (Path(d) / "topics" if d else tmp_path_factory.mktemp("topic-shots")) / served[0]
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(browser, base: str, viewport: dict, page_name: str):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    problems: list[str] = []
    foreign: list[str] = []
    watch(page, problems, foreign)
    page.goto(f"{base}/{page_name}", wait_until="load")
    return ctx, page, problems, foreign


@pytest.mark.browser
@pytest.mark.parametrize("page_name", TOPIC_PAGES)
@pytest.mark.parametrize("vp", sorted(VIEWPORTS))
def test_topic_page_in_chromium(browser, served, shot_dir, vp, page_name):
    kind, base, site, wh = served
    ctx, page, problems, foreign = _open(browser, base, VIEWPORTS[vp], page_name)
    try:
        n = page.locator(".plotly-graph-div").count()
        if n:
            wait_for_charts(page, timeout=30_000)
        assert page.locator("h1").first.is_visible()
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] + 1, f"horizontal overflow on {page_name} at {vp}: {width}"
        font_px = float(page.evaluate("getComputedStyle(document.body).fontSize").rstrip("px"))
        assert font_px >= 14
        for href in page.eval_on_selector_all("a[href^='data/']", "els => els.map(e => e.getAttribute('href'))"):
            assert page.request.get(f"{base}/{href}").status == 200, href
        if kind == "real" and page_name == "kpi.html":
            code = wh and _q(wh, "select min(township_code) from dim_townships")[0][0]
            ((card,),) = _q(
                wh,
                "select value_now from mart_indicator_comparisons where township_code = ? and "
                "indicator = 'valid_alarms' and window_name = '28_days' and breakdown = 'all'",
                [code],
            )
            shown = page.locator(f"#{kpi.anchor('valid_alarms', code)} [data-figure='latest_28d']").inner_text()
            assert shown.split()[0] == metrics.fmt_num(card)
        page.screenshot(path=str(shot_dir / f"{page_name.removesuffix('.html')}-{vp}.png"), full_page=True)
        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()


@pytest.mark.browser
@pytest.mark.parametrize("vp", sorted(VIEWPORTS))
def test_kpi_card_opens_its_daily_series(browser, served, shot_dir, vp):
    kind, base, _site, _wh = served
    ctx, page, problems, foreign = _open(browser, base, VIEWPORTS[vp], "index.html")
    try:
        link = page.locator("a.kpi-drill").first
        target = link.get_attribute("href")
        assert target and target.startswith("kpi.html#")
        link.scroll_into_view_if_needed()
        link.click()
        page.wait_for_url(f"**/{target}")
        section = page.locator(f"#{target.split('#')[1]}")
        assert section.is_visible() and section.locator("h3").inner_text().strip()
        assert section.bounding_box()["y"] < VIEWPORTS[vp]["height"], "scrolled to the card's section"
        if kind == "real":
            csv_href = page.locator(f"section:has(#{target.split('#')[1]}) a.csv-link").get_attribute("href")
            assert page.request.get(f"{base}/{csv_href}").status == 200
        page.screenshot(path=str(shot_dir / f"drill-{vp}.png"))
        assert not foreign, f"requests left the machine: {foreign}"
        assert not problems, problems
    finally:
        ctx.close()
