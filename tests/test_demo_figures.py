"""The contract §9 figures, read back from the files the demo run published."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.slow

PARKING_MATTER = "对在人行道违法停放非机动车的行政处罚"


def _csv(site, name) -> pl.DataFrame:
    # the downloads carry a UTF-8 BOM for Excel; polars' utf8-lossy reader keeps it otherwise
    return pl.read_csv(site / "data" / name, encoding="utf8-lossy", infer_schema=False).rename(lambda c: c.lstrip("\ufeff"))


def _daily(demo_run) -> pl.DataFrame:
    df = _csv(demo_run.site, "township_daily.csv")
    return df.with_columns(pl.col("date").str.to_date(), pl.col("value").cast(pl.Float64))


def _town(df: pl.DataFrame, name: str) -> pl.DataFrame:
    return df.filter(pl.col("township_name") == name)


def _sum(df, indicator, start, end, breakdown="all") -> float:
    return _window(df, indicator, start, end, breakdown)["value"].sum()


def _window(df, indicator, start, end, breakdown="all") -> pl.DataFrame:
    return df.filter(
        (pl.col("indicator") == indicator)
        & (pl.col("breakdown") == breakdown)
        & pl.col("date").is_between(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    )


def test_run_published_and_said_so(demo_run):
    assert (demo_run.site / "index.html").is_file()
    assert "site published" in demo_run.output


def test_yiqiao_one_visit_inspections_june_to_aug_24(demo_run):
    yiqiao = _town(_daily(demo_run), "义桥镇")
    assert _sum(yiqiao, "one_visit_inspections", "2022-06-01", "2022-08-24") == 1029


def test_yiqiao_parking_first_violation_notices(demo_run):
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        codes = [
            r[0]
            for r in con.execute(
                "select m.matter_code from dim_matters m join dim_townships t using (township_code)"
                " where t.township_name = '义桥镇' and m.matter_name = ?",
                [PARKING_MATTER],
            ).fetchall()
        ]
    assert len(codes) == 1
    yiqiao = _town(_daily(demo_run), "义桥镇")
    assert _sum(yiqiao, "first_violation_notices", "2022-06-01", "2022-08-24", breakdown=codes[0]) == 371


def test_yiqiao_illegal_fishing_alarms_down_68_3_percent(demo_run):
    yiqiao = _town(_daily(demo_run), "义桥镇")
    now = _sum(yiqiao, "valid_alarms", "2022-05-01", "2022-06-30", breakdown="非法捕捞")
    before = _sum(yiqiao, "valid_alarms", "2021-05-01", "2021-06-30", breakdown="非法捕捞")
    assert before >= 20  # a percent change is only shown above the small-base threshold
    assert round((now - before) / before * 100, 1) == -68.3


def test_guali_campaign_targets_and_banned(demo_run):
    campaigns = _csv(demo_run.site, "campaigns.csv")
    assert campaigns.columns == [
        "township_code",
        "campaign",
        "target_type",
        "targets_checked",
        "inspections",
        "hazards_found",
        "hazards_accepted",
        "banned",
    ]
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        (guali,) = con.execute("select township_code from dim_townships where township_name = '瓜沥镇'").fetchone()
    rows = campaigns.filter((pl.col("township_code") == guali) & (pl.col("campaign") == "除险保安"))
    checked = {r["target_type"]: int(r["targets_checked"]) for r in rows.iter_rows(named=True)}
    assert (checked["企业"], checked["沿街商铺"], checked["出租房"]) == (296, 5295, 17232)
    banned = {r["target_type"]: int(r["banned"]) for r in rows.iter_rows(named=True)}
    assert banned["all"] == 107


def test_township_daily_has_contract_columns(demo_run):
    daily = _csv(demo_run.site, "township_daily.csv")
    assert daily.columns == ["township_code", "township_name", "date", "indicator", "breakdown", "value"]
    assert set(daily["township_name"].unique()) == {"义桥镇", "瓜沥镇"}


def test_every_row_read_is_accounted_for(demo_run):
    report = _csv(demo_run.site, "ingest_report.csv").with_columns(
        pl.col(c).cast(pl.Int64) for c in ("rows_read", "rows_loaded", "rows_quarantined", "rows_superseded")
    )
    assert report.height > 0
    gap = report.filter(pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_quarantined") + pl.col("rows_superseded"))
    assert gap.height == 0, gap
    # the demo's quirks really exercise the rules
    assert report["rows_superseded"].sum() > 0
    assert report["rows_quarantined"].sum() > 0


def test_plotly_js_served_once_from_the_site(demo_run):
    copies = [p for p in demo_run.site.rglob("*.js") if "plotly" in p.name]
    assert len(copies) == 1
    for page in demo_run.site.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "cdn.plot.ly" not in html and "https://cdn" not in html, page.name
