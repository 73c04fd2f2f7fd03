"""首页: 本周要点 (generated from the comparison mart), headline KPIs per township with
their periods printed, 日常 vs 专项行动, one-visit and alarm-trend charts per township
(campaign periods and the reform date marked), campaigns.

The KPI cards show rows of `mart_indicator_comparisons` (the comparison rules of contract
§7 are defined there, in dbt, and nowhere else for these windows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import charts, i18n, metrics, reports
from ..i18n import N_
from . import kpi

if TYPE_CHECKING:
    from ..site import SiteContext, Town

FILE = "index.html"
NAV = N_("概览")
CHART_WEEKS = 52
SPARK_WEEKS = 12


@dataclass(frozen=True)
class Kpi:
    indicator: str
    share_of: str | None = None  # show the share of this indicator too


# Which indicators are cards; the direction that colours a change is the contract's (`better`).
KPIS = (
    Kpi("one_visit_inspections", share_of="inspections"),
    Kpi("valid_alarms"),
    Kpi("cases_filed"),
    Kpi("first_violation_notices"),
    Kpi("service_in_lieu"),
)


@dataclass(frozen=True)
class KpiWindow:
    key: str  # window_name in mart_indicator_comparisons
    label: str  # shown to users


# The first is the card's big number; the others are the rows under it.
KPI_WINDOWS = (
    KpiWindow("28_days", N_("近28天")),
    KpiWindow("last_week", N_("上周")),  # the last complete Monday–Sunday week
    KpiWindow("year_to_date", N_("今年以来")),
    KpiWindow("reform_to_date", N_("改革以来")),  # only once the township's reform has started
)
COMPARISONS_MART = "mart_indicator_comparisons"


CAMPAIGN_TARGETS = ("企业", "沿街商铺", "出租房", "其他")


# ---------------------------------------------------------------- queries


def _weeks(as_of: dt.date) -> list[dt.date]:
    """The last CHART_WEEKS complete Monday–Sunday weeks (a partial week would read as a dip)."""
    last_monday, _ = metrics.last_full_week(as_of)
    return [last_monday - dt.timedelta(weeks=k) for k in range(CHART_WEEKS - 1, -1, -1)]


def one_visit_series(ctx: SiteContext) -> list[dict]:
    """Weekly 综合查一次 and its share of all inspections per township (mart_one_visit_weekly)."""
    weeks = _weeks(ctx.as_of)
    rows = ctx.wh.tuples(
        f"select township_code, cast(week_start as date), inspections, one_visit_inspections "
        f"from {ctx.wh.table('mart_one_visit_weekly')} "
        f"where target_type = 'all' and week_start between ? and ?",
        [weeks[0], weeks[-1]],
    )[1]
    insp = {(t, w): float(i or 0) for t, w, i, _ in rows}
    ov = {(t, w): float(o or 0) for t, w, _, o in rows}
    series = []
    for town in ctx.towns:
        o = [ov.get((town.code, w), 0.0) for w in weeks]
        i = [insp.get((town.code, w), 0.0) for w in weeks]
        series.append(
            {
                "name": town.name,
                "weeks": [w.isoformat() for w in weeks],
                "one_visit": o,
                "share": [oo / ii if ii else None for oo, ii in zip(o, i)],
            }
        )
    return series


# ---------------------------------------------------------------- view models


def _span(start: dt.date, end: dt.date) -> str:
    return i18n.t("{start}至{end}", start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}")


def _comparison_rows(ctx: SiteContext, town: Town, names: list[str]) -> dict[tuple[str, str], dict]:
    """(window_name, indicator) → the township's mart_indicator_comparisons row (breakdown 'all')."""
    keys = [w.key for w in KPI_WINDOWS]
    rows = ctx.wh.rows(
        f"select * from {ctx.wh.table(COMPARISONS_MART)} where township_code = ? and breakdown = 'all' "
        f"and window_name in ({', '.join('?' for _ in keys)}) and indicator in ({', '.join('?' for _ in names)})",
        [town.code, *keys, *names],
    )
    return {(r["window_name"], r["indicator"]): r for r in rows}


def kpi_cards(ctx: SiteContext, town: Town) -> list[dict[str, Any]]:
    """The KPI cards of one township, from mart_indicator_comparisons."""
    names = sorted({k.indicator for k in KPIS} | {k.share_of for k in KPIS if k.share_of})
    mart = _comparison_rows(ctx, town, names)
    periods = reports.campaign_periods(ctx).get(town.code, [])
    spark_weeks = _weeks(ctx.as_of)[-SPARK_WEEKS:]
    spark = reports.weekly_totals(ctx, town.code, [k.indicator for k in KPIS], spark_weeks)
    cards = []
    for k in KPIS:
        ind = ctx.indicator(k.indicator)
        # a window the mart has no row for is left out (e.g. reform_to_date before the reform)
        rows = [_card_row(ctx, town, k, w, mart) for w in KPI_WINDOWS if (w.key, k.indicator) in mart]
        if not rows or not rows[0]["headline"]:
            continue
        share_label = ctx.indicator(k.share_of)["label"] if k.share_of else None
        alert = ctx.source_alert(k.indicator)
        if alert is not None:  # not presented as if complete: no good/bad colouring of the change
            for r in rows:
                r["cls"] = "neutral"
        cards.append(
            {
                "indicator": k.indicator,
                "label": ind["label"],
                "unit": ind.get("unit", ""),
                "headline": rows[0],
                "rows": rows,
                "share_label": share_label,
                "alert": alert,
                "campaign": _campaign_split(ctx, town, k.indicator, mart, periods),
                "spark": Markup(charts.sparkline(spark.get(k.indicator, []))),
                "drill": kpi.href(k.indicator, town.code),
            }
        )
    return cards


def _card_row(ctx: SiteContext, town: Town, k: Kpi, w: KpiWindow, mart: dict) -> dict[str, Any]:
    """One window of a KPI card: the mart row of (window, indicator) with its periods printed."""
    r = mart[(w.key, k.indicator)]
    c = metrics.Shown.from_mart(r)
    share = None
    if k.share_of:
        whole = mart.get((w.key, k.share_of))
        share = metrics.fmt_share(c.now, float(whole["value_now"] or 0) if whole else 0.0)
    start = r["period_start"]
    data_from = None
    if town.data_start is not None and start < town.data_start:
        start, data_from = town.data_start, town.data_start  # e.g. 改革以来 before the first record
    return {
        "window": {
            "key": w.key,
            "label": i18n.t(w.label),
            "span": _span(start, r["period_end"]),
            "prev_span": _span(r["prior_start"], r["prior_end"]),
            "short": reports.short_span(start, r["period_end"], ctx.as_of),
            "prev_short": reports.short_span(r["prior_start"], r["prior_end"]),
            "data_from": data_from,
        },
        "c": c,
        "cls": metrics.change_class(c.abs_change, ctx.indicator(k.indicator).get("better")),
        "share": share,
        "headline": w is KPI_WINDOWS[0],
    }


def _campaign_split(ctx: SiteContext, town: Town, indicator: str, mart: dict, periods: list) -> dict | None:
    """For inspection counts in a 28-day window with a 专项行动: campaign and 日常 separately,
    日常 against its own year-earlier count (so a campaign does not read as a change in routine work)."""
    if indicator not in ("inspections", "one_visit_inspections"):
        return None
    r = mart.get((KPI_WINDOWS[0].key, indicator))
    if r is None:
        return None
    now = reports.inspections_split(ctx, town.code, r["period_start"], r["period_end"])
    names = [p["campaign"] for p in reports.active(periods, r["period_start"], r["period_end"])]
    if not now["campaign"] and not names:
        return None
    suffix = "_one_visit" if indicator == "one_visit_inspections" else ""
    before = reports.inspections_split(ctx, town.code, r["prior_start"], r["prior_end"]) if r.get("has_prior_data") else None
    routine = metrics.Comparison(now["routine" + suffix], before["routine" + suffix] if before else None)
    return {"campaigns": names, "campaign": now["campaign" + suffix], "routine": routine, "cls": "neutral"}


def campaigns(ctx: SiteContext) -> list[dict[str, Any]]:
    mart = ctx.wh.table("mart_campaigns")
    rows = ctx.wh.rows(f"select * from {mart} order by township_code, campaign, target_type")
    names = {t.code: t.name for t in ctx.towns}
    by: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["township_code"], r["campaign"])
        c = by.setdefault(
            key,
            {
                "code": r["township_code"],
                "town": names.get(r["township_code"], r["township_code"]),
                "campaign": r["campaign"],
                "types": {},
                "all": None,
            },
        )
        if r["target_type"] == "all":
            c["all"] = r
        else:
            c["types"][r["target_type"]] = r
    out = []
    for c in by.values():
        order = [t for t in CAMPAIGN_TARGETS if t in c["types"]] + sorted(set(c["types"]) - set(CAMPAIGN_TARGETS))
        c["type_rows"] = [c["types"][t] for t in order]
        out.append(c)
    out.sort(key=lambda c: (c["code"], -(c["all"]["inspections"] or 0), c["campaign"]))
    return out


def one_visit_by_kind(ctx: SiteContext, ov: list[dict]) -> str:
    """Weekly 综合查一次 per township (own y axis), 日常 / 专项行动 stacked."""
    weeks = _weeks(ctx.as_of)
    first, last = weeks[0], weeks[-1] + dt.timedelta(days=6)
    periods = reports.campaign_periods(ctx)
    series = []
    for town, s in zip(ctx.towns, ov):
        parts = reports.weekly_split(ctx, town.code, weeks, "one_visit_inspections")
        series.append(
            {
                "name": town.name,
                "weeks": s["weeks"],
                "routine": parts["routine"],
                "campaign": parts["campaign"],
                "campaigns": periods.get(town.code, []),
                "reform": town.reform_start,
            }
        )
    fig = charts.inspections_by_kind(series, first=first, last=last, y_title=ctx.t("件次/周"))
    return charts.to_div(fig, "chart-one-visit-count", 200 + 190 * len(series))


def build(ctx: SiteContext) -> str:
    ov = one_visit_series(ctx)
    ov_counts = one_visit_by_kind(ctx, ov)
    periods = reports.campaign_periods(ctx)
    weeks = _weeks(ctx.as_of)
    first, last = weeks[0], weeks[-1] + dt.timedelta(days=6)
    ov_share = charts.to_div(charts.one_visit_share(ov), "chart-one-visit-share", 280)
    alarm_charts = []
    for i, town in enumerate(ctx.towns):
        s = reports.alarm_weeks(ctx, town.code, weeks)
        fig = charts.alarms_yoy(s["weeks"], s["now"], s["before"], charts.TOWN_COLOURS[i % len(charts.TOWN_COLOURS)])
        charts.mark_periods(fig, first=first, last=last, campaigns=periods.get(town.code, []), reform=town.reform_start)
        # Totals over the weeks that have a year-earlier counterpart only.
        both = [(n, b) for n, b in zip(s["now"], s["before"]) if b is not None]
        c = metrics.Comparison(sum(n for n, _ in both), sum(b for _, b in both)) if both else None
        alarm_charts.append(
            {"town": town, "c": c, "weeks_compared": len(both), "chart": charts.to_div(fig, f"chart-alarm-{town.code}-all", 280)}
        )
    return ctx.render(
        "index.html.j2",
        page_file=FILE,
        title=N_("大综合一体化 行政执法驾驶舱"),
        uses_plotly=True,
        towns=[
            {
                "town": t,
                "cards": kpi_cards(ctx, t),
                "headlines": reports.headlines(ctx, t),
                "campaigns": periods.get(t.code, []),
            }
            for t in ctx.towns
        ],
        one_visit_counts=ov_counts,
        one_visit_share=ov_share,
        alarm_charts=alarm_charts,
        chart_span=_span(weeks[0], weeks[-1] + dt.timedelta(days=6)),
        campaigns=campaigns(ctx),
        campaign_targets=CAMPAIGN_TARGETS,
    )
