"""Issue 10: 本周要点 generated from the marts, periods on the KPI cards, 日常 vs 专项行动,
the weekly pack (周情分析)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboards.site import build_site

YQ, GL = "330109112", "330109119"
DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def _html(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def _highlights(html: str, town: str) -> str:
    return html.split(f'aria-label="{town} 本周要点"')[1].split("</article>")[0]


def _kpi_card(html: str, town: str, indicator: str) -> str:
    article = html.split(f'<article class="town" aria-label="{town}">')[1].split("</article>")[0]
    return article.split(f'data-indicator="{indicator}"')[1].split('class="kpi"')[0]


@pytest.fixture(scope="module")
def changed_site(synthetic_warehouse: Path, tmp_path_factory, warehouse_factory) -> Path:
    """The synthetic warehouse with two facts changed: 义桥's 盗窃 alarms jump last week, and
    瓜沥's 28-day valid alarms lose their prior period."""
    d = tmp_path_factory.mktemp("changed")
    wh = d / "w.duckdb"
    shutil.copyfile(synthetic_warehouse, wh)
    con = duckdb.connect(str(wh))
    con.execute(f"""update mart_indicator_comparisons set value_now = 90, value_before = 20, abs_change = 70,
        pct_change = 350.0, is_small_base = false, poisson_z = 2 * (sqrt(90) - sqrt(20)), signal = 'alert'
        where township_code = '{YQ}' and window_name = 'last_week' and indicator = 'valid_alarms'
        and breakdown = '盗窃'""")
    con.execute(f"""update mart_indicator_comparisons set has_prior_data = false, value_before = null,
        abs_change = null, pct_change = null, is_small_base = null, poisson_z = null, signal = null
        where township_code = '{GL}' and window_name = '28_days' and indicator = 'valid_alarms'""")
    con.close()
    out = d / "site"
    build_site(wh, out, warehouse_factory.as_of, build_stamp="test")
    return out


def test_headlines_are_generated_from_the_comparison_mart(synthetic_site: Path, changed_site: Path):
    before = _highlights(_html(synthetic_site, "index.html"), "义桥镇")
    after = _highlights(_html(changed_site, "index.html"), "义桥镇")
    marker = 'data-indicator="valid_alarms" data-breakdown="盗窃" data-window="last_week"'
    assert marker not in before
    assert marker in after
    item = after.split(marker)[1].split("</li>")[0]
    assert "有效警情 · 盗窃" in item and "90" in item and "去年同期 20" in item and "+350.0%" in item
    assert "上周（08-15至08-21）" in item
    # The most significant change comes first; at most four per town.
    zs = [abs(float(z)) for z in re.findall(r"泊松 z = (-?[\d.]+)", after)]
    assert zs == sorted(zs, reverse=True), "the most significant change comes first"
    assert after.count("<li") <= 4


def test_headlines_follow_the_signal_and_small_base_rules(synthetic_site: Path, synthetic_warehouse: Path):
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    rows = con.execute(f"""select indicator, breakdown, window_name, value_before, signal from mart_indicator_comparisons
        where township_code = '{YQ}' and window_name in ('last_week', '28_days') and has_prior_data""").fetchall()
    con.close()
    sig = {(i, b, w): (vb, s) for i, b, w, vb, s in rows}
    html = _highlights(_html(synthetic_site, "index.html"), "义桥镇")
    items = re.findall(r'data-indicator="([^"]+)" data-breakdown="([^"]+)" data-window="([^"]+)">(.*?)</li>', html, re.S)
    assert items, "义桥 has signalling changes in the synthetic data"
    for ind, bd, win, text in items:
        before, signal = sig[(ind, bd, win)]
        assert signal in ("watch", "alert"), (ind, bd, win)
        if bd != "all":
            assert signal == "alert"
        if before < 20:
            assert "小基数" in text and "%" not in text, text


def test_no_hard_coded_headline_topic():
    code = "\n".join(p.read_text(encoding="utf-8") for p in DASHBOARDS.rglob("*.py"))
    for topic in ("非法捕捞", "ALARM_HEADLINES", "AlarmHeadline", "除险保安", "义桥镇", "瓜沥镇"):
        assert topic not in code, topic


def test_kpi_card_prints_its_period_and_no_prior(changed_site: Path):
    html = _html(changed_site, "index.html")
    card = _kpi_card(html, "瓜沥镇", "valid_alarms")
    head = card.split('class="kpi-more"')[0]
    assert "近28天 07-28至08-24" in head
    assert "无同期数据" in head and "去年同期 2021" not in head and "%" not in head
    assert 'href="glossary.html#ind-valid_alarms"' in card
    assert "<svg" in head, "sparkline"
    glossary = _html(changed_site, "glossary.html")
    assert 'id="ind-valid_alarms"' in glossary


@pytest.fixture(scope="module")
def complete_warehouse(tmp_path_factory, warehouse_factory) -> Path:
    """The synthetic warehouse with every source complete (the default one has an unreadable
    inspections file, and an incomplete source's changes are not reported as news)."""
    return warehouse_factory(tmp_path_factory.mktemp("ok") / "w.duckdb", source_status=warehouse_factory.all_sources_ok)


@pytest.fixture(scope="module")
def complete_site(complete_warehouse: Path, tmp_path_factory, warehouse_factory) -> Path:
    out = tmp_path_factory.mktemp("ok-site") / "site"
    build_site(complete_warehouse, out, warehouse_factory.as_of)
    return out


def test_campaign_is_shown_apart_from_routine_work(complete_site: Path, complete_warehouse: Path):
    synthetic_site, synthetic_warehouse = complete_site, complete_warehouse
    html = _html(synthetic_site, "index.html")
    card = _kpi_card(html, "瓜沥镇", "one_visit_inspections")
    assert "含专项行动「除险保安」" in card and "日常" in card
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    camp, routine = con.execute(f"""select sum(one_visit_inspections) filter (where kind = 'campaign'),
        sum(one_visit_inspections) filter (where kind = 'routine') from mart_report_inspections_daily
        where township_code = '{GL}' and date between date '2022-07-28' and date '2022-08-24'""").fetchone()
    con.close()
    assert f"<strong>{camp:,}</strong>" in card and f"日常 <strong>{routine:,}</strong>" in card
    # 本周要点: one campaign item, and no inspection indicator reported as a change in the campaign window.
    hl = _highlights(html, "瓜沥镇")
    assert 'data-kind="campaign"' in hl and "除险保安" in hl
    for ind in ("inspections", "one_visit_inspections", "hazards_found"):
        assert f'data-indicator="{ind}" data-breakdown="all" data-window="28_days"' not in hl
    # The charts mark the campaign period and the reform date.
    assert "专项 除险保安" in html and "改革起始" in html


def test_index_starts_with_the_highlights_and_ends_with_the_method(synthetic_site: Path):
    html = _html(synthetic_site, "index.html")
    main = html.split("<main")[1]
    assert main.index('id="hl-h"') < main.index('id="kpi-h"') < main.index('id="method-h"')
    assert "displayModeBar" in html and '"displayModeBar": false' in html
    assert '"locale": "zh-CN"' in html
    assert '<script src="assets/site.js"></script>' in html


def test_weekly_pack_has_one_section_per_town(synthetic_site: Path, synthetic_warehouse: Path):
    html = _html(synthetic_site, "weekly.html")
    sections = re.findall(r'<section class="wk-town" id="wk-(\d+)"', html)
    assert sections == [YQ, GL]
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    for code in (YQ, GL):
        sec = html.split(f'id="wk-{code}"')[1].split("</section>")[0]
        for item_type, n in con.execute(
            f"select item_type, count(*) from mart_report_open_items where township_code = '{code}' group by 1"
        ).fetchall():
            li = sec.split(f'data-item-type="{item_type}"')[1].split("</li>")[0]
            assert f" {n:,}</strong>" in li, (code, item_type)
        red, orange = con.execute(f"""select count(*) filter (where color = 'red'),
            count(*) filter (where color = 'orange') from mart_grid_colors where township_code = '{code}'""").fetchone()
        assert f"红 <strong>{red}</strong>" in sec and f"橙 <strong>{orange}</strong>" in sec
        now = con.execute(f"""select value_now from mart_indicator_comparisons where township_code = '{code}'
            and window_name = 'last_week' and indicator = 'valid_alarms' and breakdown = 'all'""").fetchone()[0]
        row = sec.split('data-indicator="valid_alarms"')[1].split("</tr>")[0]
        assert f'<td class="n" data-label="上周">{round(now):,}</td>' in row
        assert "前四周" in sec and "去年同周" in sec
    con.close()
    assert len(html.encode()) < 300_000


def test_pages_stay_within_the_size_budget(synthetic_site: Path):
    for page in ("index.html", "weekly.html", "compare.html", "glossary.html"):
        assert len((synthetic_site / page).read_bytes()) < 300_000, page


def test_report_pages_read_the_report_marts(synthetic_site: Path):
    weekly = _html(synthetic_site, "weekly.html")
    assert weekly.count('class="wk-town"') == 2 and 'data-item-type="hazard_overdue"' in weekly
    assert "暂缺" not in weekly and "暂缺" not in _html(synthetic_site, "index.html")
