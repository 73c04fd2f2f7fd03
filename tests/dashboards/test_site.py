"""build_site over a synthetic warehouse with the mart schemas of ARCHITECTURE.md §2."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

from dashboards.mart_reader import MissingMart, site_models
from dashboards.site import build_site, plotly_js
from pipelines.contract import load_contract

AS_OF = dt.date(2022, 8, 24)  # as in conftest

PAGES = [
    "index.html",
    "weekly.html",
    "alarms.html",
    "inspections.html",
    "cases.html",
    "grid.html",
    "compare.html",
    "kpi.html",
    "quality.html",
    "glossary.html",
]
QUALITY_COLUMNS = ["source", "file", "sheet", "row_number", "record_key", "reason_or_flag", "column", "raw_value", "explanation"]
# contract §6, in order
CSV_COLUMNS = {
    "data/township_daily.csv": ["township_code", "township_name", "date", "indicator", "breakdown", "value"],
    "data/campaigns.csv": [
        "township_code",
        "campaign",
        "target_type",
        "targets_checked",
        "inspections",
        "hazards_found",
        "hazards_accepted",
        "banned",
    ],
    "data/grid_colors.csv": [
        "grid_code",
        "grid_name",
        "township_code",
        "window_start",
        "window_end",
        "population",
        "penalties",
        "petitions_disputes",
        "valid_alarms",
        "score",
        "color",
    ],
    "data/ingest_report.csv": ["source", "file", "rows_read", "rows_loaded", "rows_quarantined", "rows_superseded"],
    "data/quarantine.csv": QUALITY_COLUMNS,
    "data/flags.csv": QUALITY_COLUMNS,
}


def _html(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def test_expected_files(synthetic_site: Path):
    for rel in PAGES + list(CSV_COLUMNS) + ["assets/plotly.min.js", "assets/site.css", "assets/site.js"]:
        assert (synthetic_site / rel).is_file(), f"missing {rel}"


@pytest.mark.parametrize("rel", sorted(CSV_COLUMNS))
def test_csv_has_exactly_the_contract_columns(synthetic_site: Path, rel: str):
    raw = (synthetic_site / rel).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel on Chinese Windows"
    assert pl.read_csv(synthetic_site / rel, infer_schema=False).columns == CSV_COLUMNS[rel]
    assert list(pd.read_csv(synthetic_site / rel, dtype=str).columns) == CSV_COLUMNS[rel]
    with open(synthetic_site / rel, encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f)) == CSV_COLUMNS[rel]


def test_csv_rows_match_the_marts(synthetic_site: Path, synthetic_warehouse: Path):
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    daily = pl.read_csv(
        synthetic_site / "data/township_daily.csv",
        try_parse_dates=True,
        schema_overrides={"township_code": pl.String, "breakdown": pl.String},
    )
    n, total = con.execute("select count(*), sum(value) from fct_township_daily").fetchone()
    assert daily.height == n and daily["value"].sum() == pytest.approx(total)
    assert daily["date"].dtype == pl.Date
    grids = pl.read_csv(synthetic_site / "data/grid_colors.csv", schema_overrides={"grid_code": pl.String})
    assert grids.height == con.execute("select count(*) from mart_grid_colors").fetchone()[0]
    camp = pl.read_csv(synthetic_site / "data/campaigns.csv", schema_overrides={"township_code": pl.String})
    guali = camp.filter((pl.col("campaign") == "除险保安") & (pl.col("target_type") == "all"))
    assert guali["banned"].to_list() == [107]
    con.close()


def test_one_copy_of_plotly_referenced_relatively(synthetic_site: Path):
    copies = [p for p in synthetic_site.rglob("*") if p.is_file() and "plotly" in p.name.lower()]
    assert [p.relative_to(synthetic_site).as_posix() for p in copies] == ["assets/plotly.min.js"]
    assert copies[0].read_bytes() == plotly_js().read_bytes()
    for page in PAGES:
        html = _html(synthetic_site, page)
        assert len(html.encode()) < 1_500_000, f"{page} looks like it inlines plotly.js"
        if "Plotly.newPlot" in html:
            assert '<script src="assets/plotly.min.js"></script>' in html, page
    assert _html(synthetic_site, "index.html").count("Plotly.newPlot") >= 3


class _Refs(HTMLParser):
    ATTRS = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background"}

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in self.ATTRS and v is not None:
                self.refs.append(v)


def test_no_external_urls(synthetic_site: Path):
    for page in PAGES:
        parser = _Refs()
        parser.feed(_html(synthetic_site, page))
        assert parser.refs, page
        for ref in parser.refs:
            assert not re.match(r"^([a-z][a-z0-9+.-]*:|//)", ref, re.I), f"{page}: non-relative {ref!r}"
            if not ref.startswith("#"):
                assert (synthetic_site / ref.split("#")[0]).exists(), f"{page}: broken link {ref!r}"
    css = (synthetic_site / "assets/site.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css


def test_glossary_lists_every_indicator_of_the_contract(synthetic_site: Path):
    html = _html(synthetic_site, "glossary.html")
    contract = load_contract()
    assert contract.indicators
    for ind in contract.indicators:
        assert f'data-indicator="{ind.name}"' in html, ind.name
        assert ind.zh in html
    for rule in contract.comparison_rules:
        assert rule in html
    for colour in contract.five_colour.colours:
        assert f"c-{colour.color}" in html


def test_index_shows_both_towns_and_the_small_base_rule(synthetic_site: Path):
    html = _html(synthetic_site, "index.html")
    for text in [
        "义桥镇",
        "瓜沥镇",
        "综合查一次",
        "有效警情",
        "立案数",
        "首违提醒",
        "以服代罚",
        "除险保安",
        "17,232",
        "5,295",
        "296",
        "107",
    ]:
        assert text in html, text
    # 义桥's 首违提醒 started with the reform: the year-earlier count is 0, so no percent.
    card = _kpi_card(html, "义桥镇", "first_violation_notices")
    assert "小基数" in card and "%" not in card


def _kpi_card(html: str, town: str, indicator: str) -> str:
    article = html.split(f'<article class="town" aria-label="{town}">')[1].split("</article>")[0]
    return article.split(f'data-indicator="{indicator}"')[1].split('class="kpi"')[0]


def test_kpi_cards_show_the_comparison_mart(synthetic_site: Path, synthetic_warehouse: Path):
    """The big number is the mart's 28_days value_now; 上周 is its last complete week."""
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    rows = {
        (w, ind): (now, before, pct, start, end)
        for w, ind, now, before, pct, start, end in con.execute(
            "select window_name, indicator, value_now, value_before, pct_change, period_start, period_end "
            "from mart_indicator_comparisons where township_code = '330109112' and breakdown = 'all'"
        ).fetchall()
    }
    con.close()
    html = _html(synthetic_site, "index.html")
    card = _kpi_card(html, "义桥镇", "valid_alarms")
    now, before, pct, *_ = rows[("28_days", "valid_alarms")]
    head = card.split('class="kpi-more"')[0]
    assert f"{round(now):,}" in head and f"去年同期 {round(before):,}" in head
    assert f"{pct:+,.1f}%".replace("-", "−") in head
    _, _, _, start, end = rows[("last_week", "valid_alarms")]
    assert (start, end) == (dt.date(2022, 8, 15), dt.date(2022, 8, 21))  # complete Mon–Sun week
    assert "2022-08-15至2022-08-21，对比 2021-08-16至2021-08-22" in card
    for label in ("上周", "今年以来", "改革以来"):
        assert f"<th>{label}<span" in card, label
    # The periods are printed on the card (no hover needed).
    assert "近28天 07-28至08-24 · 去年同期 2021-07-28至08-24" in card
    assert '<span class="per">08-15至08-21</span>' in card


def test_kpi_without_prior_data_says_so(synthetic_site: Path, synthetic_warehouse: Path):
    """瓜沥's reform began 2021-07-01; the facts start 2021-01-01, so the year before the reform
    is not covered: 去年同期无数据, not a change against zero."""
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    has, before = con.execute(
        "select has_prior_data, value_before from mart_indicator_comparisons where township_code = '330109119' "
        "and window_name = 'reform_to_date' and indicator = 'cases_filed' and breakdown = 'all'"
    ).fetchone()
    con.close()
    assert has is False and before is None
    reform_row = _kpi_card(_html(synthetic_site, "index.html"), "瓜沥镇", "cases_filed").split("<th>改革以来")[1]
    assert "无同期数据" in reform_row.split("</tr>")[0]


def test_grid_page_has_every_grid_and_explains_grey(synthetic_site: Path, synthetic_warehouse: Path):
    html = _html(synthetic_site, "grid.html")
    polygons = (synthetic_site / "data/grid_polygons.js").read_text(encoding="utf-8")
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    rows = con.execute("select grid_code, color from mart_grid_colors").fetchall()
    con.close()
    for code, _colour in rows:
        assert f'"{code}"' in polygons
    assert any(c == "grey" for _, c in rows)
    assert "数据不足，不参与排名" in html
    assert "上周" in html


def test_quality_page_lists_files_quarantine_and_flagged_rows(synthetic_site: Path):
    html = _html(synthetic_site, "quality.html")
    for text in [
        "cases/cases_20220731.xlsx",
        "inspections/broken_20220801.xlsx",
        "无法读取",
        "案件编号为空",
        "立案日期晚于截至日次日",
        "所属镇街不是镇街编码、名称或别名",
        "✓",
        # flagged rows are listed row by row, with column, raw value and a Chinese explanation
        'data-code="future_date"',
        "2202-08-20",
        "结案日期无法识别为日期，按空值处理",
        "2022-08-32",
        'href="#flag-h"',
        'href="#status-h"',
    ]:
        assert text in html, text
    for name in ("quarantine.csv", "flags.csv"):
        header = (synthetic_site / "data" / name).read_text(encoding="utf-8-sig").splitlines()[0]
        assert header.split(",") == QUALITY_COLUMNS, name


def test_every_page_names_an_incomplete_source(synthetic_site: Path):
    """Contract v1.1: an unreadable file shows on every page with the indicators it affects,
    and the affected KPI cards are marked rather than presented as complete."""
    for page in ("index.html", "grid.html", "compare.html", "quality.html", "glossary.html"):
        html = _html(synthetic_site, page)
        assert 'class="data-alert"' in html, page
        assert 'data-source="inspections" data-status="incomplete"' in html, page
        assert "inspections/broken_20220801.xlsx" in html and "综合查一次" in html, page
    index = _html(synthetic_site, "index.html")
    assert 'data-indicator="one_visit_inspections" data-source-status="incomplete"' in index
    assert 'data-indicator="valid_alarms" data-source-status' not in index
    # an incomplete source's change is not presented (no −100 % 极显著 from a gap), nor is it news
    card = index.split('data-indicator="one_visit_inspections" data-source-status="incomplete"')[1].split("</table>")[0]
    assert "不作同比" in card and "极显著" not in card
    headlines = index.split('id="hl-h"')[1].split("</section>")[0] if 'id="hl-h"' in index else ""
    assert 'data-indicator="one_visit_inspections"' not in headlines


def test_no_banner_when_every_source_is_complete(tmp_path: Path, warehouse_factory):
    wh = warehouse_factory(tmp_path / "w.duckdb", grids_per_town=8, source_status=warehouse_factory.all_sources_ok)
    build_site(wh, tmp_path / "site", AS_OF)
    for page in ("index.html", "quality.html"):
        assert "data-alert" not in _html(tmp_path / "site", page)


def _digest(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(site.rglob("*")) if p.is_file()
    }


def test_deterministic(synthetic_warehouse: Path, tmp_path: Path):
    digest = _digest
    a, b = tmp_path / "a", tmp_path / "b"
    pages_a = build_site(synthetic_warehouse, a, AS_OF)
    build_site(synthetic_warehouse, b, AS_OF)
    assert digest(a) == digest(b)
    assert sorted(p.relative_to(a).as_posix() for p in pages_a) == sorted(digest(a))


def test_reads_the_warehouse_without_changing_it(synthetic_warehouse: Path, tmp_path: Path):
    before = hashlib.sha256(synthetic_warehouse.read_bytes()).hexdigest()
    build_site(synthetic_warehouse, tmp_path / "s", AS_OF)
    assert hashlib.sha256(synthetic_warehouse.read_bytes()).hexdigest() == before


def test_refuses_a_non_empty_out_dir(synthetic_warehouse: Path, tmp_path: Path):
    (tmp_path / "old.html").write_text("x")
    with pytest.raises(FileExistsError):
        build_site(synthetic_warehouse, tmp_path, AS_OF)


def test_a_missing_model_is_one_error_naming_every_missing_one(tmp_path: Path, warehouse_factory):
    """dbt builds every model of the exposure report_site (a missing source gives empty marts),
    so a warehouse without one is not a site to publish: no page guesses around it."""
    omit = ("mart_report_reform_phases", "mart_indicator_comparisons")
    wh = warehouse_factory(tmp_path / "w.duckdb", omit=omit, grids_per_town=4)
    with pytest.raises(MissingMart, match="mart_indicator_comparisons, mart_report_reform_phases") as e:
        build_site(wh, tmp_path / "site", AS_OF)
    assert "report_site" in str(e.value) and "fct_township_daily" not in str(e.value)
    assert not (tmp_path / "site").exists()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(LookupError, match="fct_township_daily"):
        build_site(empty, tmp_path / "site", AS_OF)


def test_the_required_models_are_the_exposure():
    from dashboards.site import REQUIRED_MARTS

    assert site_models() == REQUIRED_MARTS and "mart_grid_map" in REQUIRED_MARTS


def test_contract_argument_and_build_stamp(synthetic_warehouse: Path, tmp_path: Path):
    contract = dataclasses.replace(load_contract(), indicators=load_contract().indicators[:2])
    build_site(synthetic_warehouse, tmp_path / "s", dt.date(2022, 8, 24), contract=contract, build_stamp="run-42")
    html = _html(tmp_path / "s", "glossary.html")
    assert html.count('class="def" id="ind-') == 2
    assert "run-42" in _html(tmp_path / "s", "index.html")


# ---------------------------------------------------------------- compare.html (改革对比)

YIQIAO, GUALI = "330109112", "330109119"  # as in conftest TOWNS


def _section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


def test_every_page_links_to_compare_in_its_nav(synthetic_site: Path):
    for page in PAGES:
        nav = _html(synthetic_site, page).split("<nav")[1].split("</nav>")[0]
        assert '<a href="compare.html"' in nav and "改革对比" in nav, page
        assert nav.count("<a ") == len(PAGES), page
    assert 'href="compare.html" aria-current="page"' in _html(synthetic_site, "compare.html")


def test_only_pages_with_charts_load_plotly(synthetic_site: Path):
    for page in PAGES:
        html = _html(synthetic_site, page)
        loads = '<script src="assets/plotly.min.js"></script>' in html
        assert loads == ("Plotly.newPlot" in html), page
    assert '<script src="assets/plotly.min.js"></script>' in _html(synthetic_site, "compare.html")


def test_compare_page_lists_both_towns_with_rates(synthetic_site: Path, synthetic_warehouse: Path):
    html = _html(synthetic_site, "compare.html")
    assert "<h1>改革对比</h1>" in html
    for text in (
        "义桥镇",
        "瓜沥镇",
        "每万常住人口",
        "改革后第N月",
        "小基数",
        "案件办理",
        "赋权事项使用",
        "检查负担",
        "线索转案件",
    ):
        assert text in html, text
    # one chart per chosen indicator, x = months since reform, both towns on each chart
    from dashboards.pages.compare import CHART_INDICATORS

    assert html.count("Plotly.newPlot") == len(CHART_INDICATORS)
    for ind, _ in CHART_INDICATORS:
        block = html.split(f'<article class="cmp" data-indicator="{ind}">')[1].split("</article>")[0]
        assert '"name":"义桥镇"' in block and '"name":"瓜沥镇"' in block, ind
    # the partial as_of month (2022-08) is left out of the charts and said so
    assert "未完整的月份不画" in html and "2022-08" in html.split("未完整的月份不画")[1].split("</p>")[0]
    con = duckdb.connect(str(synthetic_warehouse), read_only=True)
    partial = con.execute("select count(*) from mart_township_comparison where is_partial_month").fetchone()[0]
    # the mean post-reform monthly rate of 立案数 for 义桥 over complete months, as the table shows it
    rate = con.execute(
        "select avg(value_per_10k) from mart_township_comparison where township_code = ? "
        "and indicator = 'cases_filed' and not is_partial_month and months_since_reform >= 0",
        [YIQIAO],
    ).fetchone()[0]
    con.close()
    assert partial > 0
    cases = html.split('data-indicator="cases_filed"')[1].split("</article>")[0]
    assert f"{rate:.2f}" in cases.split("<th>改革后</th>")[1].split("</tr>")[0]
    # both towns have complete post-reform months 0..1 in the synthetic data (month 2 is partial)
    assert "两镇在改革当月至改革后第1月都有数据" in cases


def _plot(html: str, div_id: str) -> tuple[list[dict], dict]:
    """(traces, layout) of one chart, read back from its Plotly.newPlot("id", [traces], {layout}, …) call."""
    rest = html[html.index(f'"{div_id}",') + len(div_id) + 3 :].lstrip()
    data, end = json.JSONDecoder().raw_decode(rest)
    layout, _ = json.JSONDecoder().raw_decode(rest[end:].lstrip(" \n,"))
    return data, layout


def test_alarm_charts_mark_the_reform_and_the_campaigns(synthetic_site: Path):
    """Every time chart marks campaign periods and the reform date (issue 10, item 1)."""
    html = _html(synthetic_site, "alarms.html")
    _, guali = _plot(html, f"chart-alarms-{GUALI}")
    shaded = [sh for sh in guali.get("shapes", []) if sh["type"] == "rect"]
    assert shaded and all(sh["x0"][:10] >= "2022-06-13" and sh["x1"][:10] <= "2022-08-15" for sh in shaded), shaded
    assert [a["text"] for a in guali["annotations"]].count("专项 除险保安") == 1, "named once, in the first panel"
    _, yiqiao = _plot(html, f"chart-alarms-{YIQIAO}")
    lines = [sh for sh in yiqiao.get("shapes", []) if sh["type"] == "line"]
    assert lines and {sh["x0"][:10] for sh in lines} == {"2022-06-01"}, "义桥's reform start, 2022-06-01"
    assert [a["text"] for a in yiqiao["annotations"]].count("改革起始") == 1
    assert "橙色底纹为专项行动期间" in html


def test_compare_chart_marks_the_campaign_months(synthetic_site: Path):
    """瓜沥's 除险保安 (2022-06-15 … 08-14) lifts its 综合查一次 rate: the months it ran in are
    diamonds with the campaign's name, the other months plain (2022-08 is partial, not drawn)."""
    html = _html(synthetic_site, "compare.html")
    traces = {t["name"]: t for t in _plot(html, "cmp-one_visit_inspections")[0]}
    guali, yiqiao = traces["瓜沥镇"], traces["义桥镇"]
    months = [label.split("（")[-1].rstrip("）") for label, *_ in guali["customdata"]]
    marked = [m for m, sym in zip(months, guali["marker"]["symbol"]) if sym.startswith("diamond")]
    assert marked == ["2022-06", "2022-07"], list(zip(months, guali["marker"]["symbol"]))
    for m, (_, _, note) in zip(months, guali["customdata"]):
        assert ("除险保安" in note) == (m in marked), (m, note)
    assert not any(s.startswith("diamond") for s in yiqiao["marker"]["symbol"]), "no campaign in 义桥"
    assert "◆ 菱形点 = 当月有专项行动" in html


def test_compare_page_side_by_side_tables(synthetic_site: Path):
    html = _html(synthetic_site, "compare.html")
    matters = _section(html, "em-h")
    assert "350 项 / 18 类" in matters and "882 项 / 25 类" in matters
    assert "41.7%" in matters and "146/350 项" in matters and "70.2%" in matters
    lifecycle = _section(html, "lc-h")
    first = lifecycle.split("</table>")[0]  # period 'all' leads
    assert "全部年份" in lifecycle.split("<table")[0]
    # 立案数 per 10,000 常住人口: 1320 / 114000 and 3904 / 300000
    assert "115.79" in first and "130.13" in first
    # 诉讼 rests on 2 events in 义桥: a rate, but marked 小基数
    row = first.split("诉讼（每百件）")[1].split("</tr>")[0]
    assert "0.15" in row and "小基数" in row
    # legal review rests on hundreds of cases: no mark
    row = first.split("法制审核覆盖率")[1].split("</tr>")[0]
    assert "68.9%" in row and "小基数" not in row
    burden = _section(html, "ib-h")
    assert "2.17" in burden and "59.1%" in burden and "2022年（截至8月24日）" in burden
    leads = _section(html, "ld-h")
    assert "改革以来" in leads and "网格员巡查" in leads


def _csv_module_bytes(header, rows) -> bytes:
    """What `csv.writer` writes for `_cell` text: the reference the vectorised writer must equal."""
    import io

    from dashboards.exports import _cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([_cell(v) for v in r])
    return buf.getvalue().encode("utf-8-sig")


def test_csv_writer_equals_the_csv_module(tmp_path: Path):
    """Every column type the marts hold, with the awkward values (NaN, ±0.0, 2^63, fractions
    that need rounding, commas, quotes, line breaks, nulls), byte for byte."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from dashboards.exports import write_csv

    # no lone "\r": Python 3.11's csv leaves it unquoted, the writer quotes it (a safer CSV)
    text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"), max_size=8)
    columns = {
        "s": (pl.String, text),
        "i": (pl.Int64, st.integers(-(2**63), 2**63 - 1)),
        "f": (
            pl.Float64,
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True),
                st.sampled_from([0.0, -0.0, 2.0**63, 1e-7, 0.1 + 0.2, 12345.6789012, 5e-05]),
            ),
        ),
        "b": (pl.Boolean, st.booleans()),
        "d": (pl.Date, st.dates()),
    }

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.tuples(*(st.one_of(st.none(), strategy) for _, strategy in columns.values())), max_size=12))
    def check(rows):
        frame = pl.DataFrame(rows, schema={c: t for c, (t, _) in columns.items()}, orient="row")
        path = tmp_path / "t.csv"
        write_csv(path, list(columns), [frame])
        assert path.read_bytes() == _csv_module_bytes(list(columns), rows)

    check()


def test_other_languages_built_in_a_worker_process_are_the_same_bytes(synthetic_warehouse: Path, tmp_path: Path, monkeypatch):
    import dashboards.site as site

    build_site(synthetic_warehouse, tmp_path / "one", AS_OF)
    monkeypatch.setattr(site, "PARALLEL_MIN_TOWNS", 1)  # as a district's site is built
    pages = build_site(synthetic_warehouse, tmp_path / "two", AS_OF)
    assert _digest(tmp_path / "two") == _digest(tmp_path / "one")
    assert sorted(p.relative_to(tmp_path / "two").as_posix() for p in pages) == sorted(_digest(tmp_path / "one"))


def test_the_downloads_the_gate_checked_are_published_as_they_are(synthetic_warehouse: Path, tmp_path: Path):
    from pipelines.quality import write_downloads

    checked = tmp_path / "checked"
    write_downloads(synthetic_warehouse, checked)  # what the gate writes and checks
    inodes = {p.relative_to(checked).as_posix(): p.stat().st_ino for p in checked.rglob("*") if p.is_file()}
    pages = build_site(synthetic_warehouse, tmp_path / "site", AS_OF, downloads=checked)
    build_site(synthetic_warehouse, tmp_path / "own", AS_OF)
    assert _digest(tmp_path / "site") == _digest(tmp_path / "own")
    published = {rel: (tmp_path / "site" / rel).stat().st_ino for rel in inodes}
    assert published == inodes, "the very files the gate checked, moved, not written again"
    assert not (checked / "data").exists()
    assert sorted(p.relative_to(tmp_path / "site").as_posix() for p in pages) == sorted(_digest(tmp_path / "own"))


@pytest.mark.parametrize("big", [False, True], ids=["a small site", "a site big enough for workers"])
def test_a_site_built_while_the_gate_runs_waits_for_it_only_for_the_pages_that_show_it(
    synthetic_warehouse: Path, tmp_path: Path, monkeypatch, big: bool
):
    """`await_gate` (the site built beside the gate): every other page is written before it
    is called; the quality pages and the checked downloads follow; the same bytes as a site
    built after the gate. Beside the gate even a big site is built in one process."""
    import dashboards.site as site
    from pipelines.quality import write_downloads

    if big:
        monkeypatch.setattr(site, "PARALLEL_MIN_TOWNS", 1)
    from pipelines.quality import WARN, CheckResult

    check = CheckResult("gx_sources_fresh", "各来源数据及时", "newest record per source", "mart_source_status", WARN)
    gate = {"run_id": "r1", "status": WARN, "checks": [check.to_json()]}
    write_downloads(synthetic_warehouse, tmp_path / "checked")
    build_site(synthetic_warehouse, tmp_path / "after", AS_OF, gate=gate)
    out = tmp_path / "beside"
    seen = {}

    def await_gate():
        seen["pages"] = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
        return gate, tmp_path / "checked"

    def no_workers(*args, **kwargs):
        raise AssertionError("a worker process was started beside the gate")

    monkeypatch.setattr(site, "ProcessPoolExecutor", no_workers)
    pages = build_site(synthetic_warehouse, out, AS_OF, await_gate=await_gate)
    assert _digest(out) == _digest(tmp_path / "after")
    quality_pages = {p for p in _digest(out) if p.endswith(site.quality.FILE)}
    assert len(quality_pages) == len(site.i18n.LANGS)
    assert set(seen["pages"]) == {p for p in _digest(out) if p.endswith(".html")} - quality_pages
    assert sorted(p.relative_to(out).as_posix() for p in pages) == sorted(_digest(out))
