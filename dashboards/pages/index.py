"""首页: headline KPIs per township, one-visit and alarm-trend charts, campaigns.

The KPI cards show rows of `mart_indicator_comparisons` (the comparison rules of contract
§7 are defined there, in dbt, and nowhere else for these windows).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import charts, metrics

if TYPE_CHECKING:
    from ..site import SiteContext, Town

FILE = "index.html"
NAV = "概览"
CHART_WEEKS = 52


@dataclass(frozen=True)
class Kpi:
    indicator: str
    better: str | None = None        # 'up' | 'down': colours the change; None: neutral
    share_of: str | None = None      # show the share of this indicator too


KPIS = (
    Kpi("one_visit_inspections", better="up", share_of="inspections"),
    Kpi("valid_alarms", better="down"),
    Kpi("cases_filed"),
    Kpi("first_violation_notices"),
    Kpi("service_in_lieu"),
)


@dataclass(frozen=True)
class KpiWindow:
    key: str            # window_name in mart_indicator_comparisons
    label: str          # shown to users


# The first is the card's big number; the others are the rows under it.
KPI_WINDOWS = (
    KpiWindow("28_days", "近28天"),
    KpiWindow("last_week", "上周"),          # the last complete Monday–Sunday week
    KpiWindow("year_to_date", "今年以来"),
    KpiWindow("reform_to_date", "改革以来"),  # only once the township's reform has started
)
COMPARISONS_MART = "mart_indicator_comparisons"


@dataclass(frozen=True)
class AlarmHeadline:
    """A 警情细类 whose reduction the town reports (seed article: 非法捕捞, 5–6月, −68.3%)."""
    township_name: str
    subcategory: str
    months: tuple[int, int]


ALARM_HEADLINES = (AlarmHeadline("义桥镇", "非法捕捞", (5, 6)),)
CAMPAIGN_TARGETS = ("企业", "沿街商铺", "出租房", "其他")


# ---------------------------------------------------------------- queries

def _sums(ctx: "SiteContext", town: str, names: list[str], start: dt.date, end: dt.date,
          breakdown: str = "all") -> dict[str, float]:
    fct = ctx.wh.table("fct_township_daily")
    ph = ", ".join("?" for _ in names)
    rows = ctx.wh.tuples(
        f"select indicator, sum(value) from {fct} where township_code = ? and breakdown = ? "
        f"and indicator in ({ph}) and date between ? and ? group by indicator",
        [town, breakdown, *names, start, end])[1]
    out = {n: 0.0 for n in names}
    out.update({k: float(v or 0) for k, v in rows})
    return out


def _weeks(as_of: dt.date) -> list[dt.date]:
    """The last CHART_WEEKS complete Monday–Sunday weeks (a partial week would read as a dip)."""
    last_monday, _ = metrics.last_full_week(as_of)
    return [last_monday - dt.timedelta(weeks=k) for k in range(CHART_WEEKS - 1, -1, -1)]


def _weekly_fct(ctx: "SiteContext", indicator: str, breakdown: str, first: dt.date,
                last: dt.date) -> dict[tuple[str, dt.date], float]:
    fct = ctx.wh.table("fct_township_daily")
    rows = ctx.wh.tuples(
        f"select township_code, cast(date_trunc('week', date) as date), sum(value) from {fct} "
        f"where indicator = ? and breakdown = ? and date between ? and ? group by 1, 2",
        [indicator, breakdown, first, last])[1]
    return {(t, w): float(v or 0) for t, w, v in rows}


def one_visit_series(ctx: "SiteContext") -> tuple[list[dict], str]:
    weeks = _weeks(ctx.as_of)
    first, last = weeks[0], weeks[-1] + dt.timedelta(days=6)
    if ctx.wh.has("mart_one_visit_weekly"):
        rows = ctx.wh.tuples(
            f"select township_code, cast(week_start as date), inspections, one_visit_inspections "
            f"from {ctx.wh.table('mart_one_visit_weekly')} "
            f"where target_type = 'all' and week_start between ? and ?", [first, weeks[-1]])[1]
        insp = {(t, w): float(i or 0) for t, w, i, _ in rows}
        ov = {(t, w): float(o or 0) for t, w, _, o in rows}
        source = "mart_one_visit_weekly"
    else:
        insp = _weekly_fct(ctx, "inspections", "all", first, last)
        ov = _weekly_fct(ctx, "one_visit_inspections", "all", first, last)
        source = "fct_township_daily"
    series = []
    for town in ctx.towns:
        o = [ov.get((town.code, w), 0.0) for w in weeks]
        i = [insp.get((town.code, w), 0.0) for w in weeks]
        series.append({"name": town.name, "weeks": [w.isoformat() for w in weeks],
                       "one_visit": o, "share": [oo / ii if ii else None for oo, ii in zip(o, i)]})
    return series, source


def alarm_series(ctx: "SiteContext", town: "Town", subcategory: str = "all") -> dict[str, list]:
    weeks = _weeks(ctx.as_of)
    if ctx.wh.has("mart_alarm_trends_weekly"):
        rows = ctx.wh.tuples(
            f"select cast(week_start as date), valid_alarms, valid_alarms_last_year "
            f"from {ctx.wh.table('mart_alarm_trends_weekly')} "
            f"where township_code = ? and alarm_subcategory = ? and week_start between ? and ?",
            [town.code, subcategory, weeks[0], weeks[-1]])[1]
        now = {w: float(v or 0) for w, v, _ in rows}
        before = {w: float(p or 0) for w, _, p in rows}
        return {"weeks": [w.isoformat() for w in weeks],
                "now": [now.get(w, 0.0) for w in weeks],
                "before": [before.get(w, 0.0) if _covered(town, metrics.same_iso_week_last_year(w)[0])
                           else None for w in weeks]}
    # Fallback: same ISO week a year earlier, from the daily facts.
    prev = [metrics.same_iso_week_last_year(w)[0] for w in weeks]
    bd = subcategory
    counts = _weekly_fct(ctx, "valid_alarms", bd, min(prev), weeks[-1] + dt.timedelta(days=6))
    return {"weeks": [w.isoformat() for w in weeks],
            "now": [counts.get((town.code, w), 0.0) for w in weeks],
            "before": [counts.get((town.code, p), 0.0) if _covered(town, p) else None for p in prev]}


# ---------------------------------------------------------------- view models

def _covered(town: "Town", start: dt.date) -> bool:
    """Do the facts reach back to ``start``? (Else a year-earlier comparison would be vs 0.)"""
    return town.data_start is not None and start >= town.data_start


def _change_class(c: metrics.Shown | metrics.Comparison, better: str | None) -> str:
    if better is None or not c.abs_change:
        return "neutral"
    good = (c.abs_change > 0) == (better == "up")
    return "good" if good else "bad"


def _span(start: dt.date, end: dt.date) -> str:
    return f"{start:%Y-%m-%d}至{end:%Y-%m-%d}"


def _comparison_rows(ctx: "SiteContext", town: "Town", names: list[str]) -> dict[tuple[str, str], dict]:
    """(window_name, indicator) → the township's mart_indicator_comparisons row (breakdown 'all')."""
    keys = [w.key for w in KPI_WINDOWS]
    rows = ctx.wh.rows(
        f"select * from {ctx.wh.table(COMPARISONS_MART)} where township_code = ? and breakdown = 'all' "
        f"and window_name in ({', '.join('?' for _ in keys)}) and indicator in ({', '.join('?' for _ in names)})",
        [town.code, *keys, *names])
    return {(r["window_name"], r["indicator"]): r for r in rows}


def kpi_cards(ctx: "SiteContext", town: "Town") -> list[dict[str, Any]]:
    """The KPI cards of one township, from mart_indicator_comparisons ([] without the mart)."""
    if not ctx.wh.has(COMPARISONS_MART):
        return []
    names = sorted({k.indicator for k in KPIS} | {k.share_of for k in KPIS if k.share_of})
    mart = _comparison_rows(ctx, town, names)
    cards = []
    for k in KPIS:
        ind = ctx.indicator(k.indicator)
        rows = []
        for w in KPI_WINDOWS:
            r = mart.get((w.key, k.indicator))
            if r is None:  # e.g. reform_to_date before the reform has started
                continue
            c = metrics.Shown.from_mart(r)
            share = None
            if k.share_of:
                whole = mart.get((w.key, k.share_of))
                share = metrics.fmt_share(c.now, float(whole["value_now"] or 0) if whole else 0.0)
            rows.append({
                "window": {"key": w.key, "label": w.label,
                           "span": _span(r["period_start"], r["period_end"]),
                           "prev_span": _span(r["prior_start"], r["prior_end"])},
                "c": c, "cls": _change_class(c, k.better), "share": share,
                "headline": w is KPI_WINDOWS[0],
            })
        if not rows or not rows[0]["headline"]:
            continue
        share_label = ctx.indicator(k.share_of)["zh"] if k.share_of else None
        alert = ctx.source_alert(k.indicator)
        if alert is not None:  # not presented as if complete: no good/bad colouring of the change
            for r in rows:
                r["cls"] = "neutral"
        cards.append({"indicator": k.indicator, "zh": ind["zh"], "unit": ind.get("unit", ""),
                      "headline": rows[0], "rows": rows, "share_label": share_label, "alert": alert})
    return cards


def alarm_headlines(ctx: "SiteContext") -> list[dict[str, Any]]:
    out = []
    for h in ALARM_HEADLINES:
        town = next((t for t in ctx.towns if t.name == h.township_name), None)
        if town is None:
            continue
        year = ctx.as_of.year if ctx.as_of >= dt.date(ctx.as_of.year, h.months[0], 1) else ctx.as_of.year - 1
        start = dt.date(year, h.months[0], 1)
        end_month = dt.date(year + (h.months[1] == 12), h.months[1] % 12 + 1, 1) - dt.timedelta(days=1)
        end = min(end_month, ctx.as_of)
        now = _sums(ctx, town.code, ["valid_alarms"], start, end, breakdown=h.subcategory)["valid_alarms"]
        before = (_sums(ctx, town.code, ["valid_alarms"], metrics.year_earlier(start),
                        metrics.year_earlier(end), breakdown=h.subcategory)["valid_alarms"]
                  if _covered(town, metrics.year_earlier(start)) else None)
        if not now and not before:
            continue
        s = alarm_series(ctx, town, h.subcategory)
        colour = charts.TOWN_COLOURS[ctx.towns.index(town) % len(charts.TOWN_COLOURS)]
        fig = charts.alarms_yoy(s["weeks"], s["now"], s["before"], colour)
        out.append({
            "town": town, "subcategory": h.subcategory,
            "period": f"{year}年{h.months[0]}–{h.months[1]}月" + ("（截至{:%m月%d日}）".format(end) if end < end_month else ""),
            "c": metrics.Comparison(now, before),
            "chart": charts.to_div(fig, f"chart-alarm-{town.code}-{h.subcategory}", 300),
        })
    return out


def campaigns(ctx: "SiteContext") -> list[dict[str, Any]]:
    mart = ctx.wh.table("mart_campaigns")
    rows = ctx.wh.rows(f"select * from {mart} order by township_code, campaign, target_type")
    names = {t.code: t.name for t in ctx.towns}
    by: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["township_code"], r["campaign"])
        c = by.setdefault(key, {"code": r["township_code"], "town": names.get(r["township_code"], r["township_code"]),
                                "campaign": r["campaign"], "types": {}, "all": None})
        if r["target_type"] == "all":
            c["all"] = r
        else:
            c["types"][r["target_type"]] = r
    out = []
    for c in by.values():
        order = [t for t in CAMPAIGN_TARGETS if t in c["types"]] + sorted(set(c["types"]) - set(CAMPAIGN_TARGETS))
        c["type_rows"] = [c["types"][t] for t in order]
        if c["all"] is None:  # derive the total only for additive columns
            c["all"] = {"targets_checked": sum(r["targets_checked"] or 0 for r in c["type_rows"]),
                        "inspections": sum(r["inspections"] or 0 for r in c["type_rows"]),
                        "hazards_found": sum(r["hazards_found"] or 0 for r in c["type_rows"]),
                        "hazards_accepted": sum(r["hazards_accepted"] or 0 for r in c["type_rows"]),
                        "banned": sum(r["banned"] or 0 for r in c["type_rows"])}
        out.append(c)
    out.sort(key=lambda c: (c["code"], -(c["all"]["inspections"] or 0), c["campaign"]))
    return out


def build(ctx: "SiteContext") -> str:
    ov, ov_source = one_visit_series(ctx)
    ov_counts = charts.to_div(charts.one_visit_counts(ov), "chart-one-visit-count")
    ov_share = charts.to_div(charts.one_visit_share(ov), "chart-one-visit-share", 280)
    alarm_charts = []
    for i, town in enumerate(ctx.towns):
        s = alarm_series(ctx, town)
        fig = charts.alarms_yoy(s["weeks"], s["now"], s["before"],
                                charts.TOWN_COLOURS[i % len(charts.TOWN_COLOURS)])
        # Totals over the weeks that have a year-earlier counterpart only.
        both = [(n, b) for n, b in zip(s["now"], s["before"]) if b is not None]
        c = metrics.Comparison(sum(n for n, _ in both), sum(b for _, b in both)) if both else None
        alarm_charts.append({"town": town, "c": c, "weeks_compared": len(both),
                             "chart": charts.to_div(fig, f"chart-alarm-{town.code}-all", 280)})
    weeks = _weeks(ctx.as_of)
    return ctx.render(
        "index.html.j2", page_file=FILE, title="大综合一体化 行政执法驾驶舱", uses_plotly=True,
        towns=[{"town": t, "cards": kpi_cards(ctx, t)} for t in ctx.towns],
        kpi_source=COMPARISONS_MART if ctx.wh.has(COMPARISONS_MART) else None,
        headlines=alarm_headlines(ctx),
        one_visit_counts=ov_counts, one_visit_share=ov_share, one_visit_source=ov_source,
        alarm_charts=alarm_charts,
        chart_span=f"{weeks[0]:%Y-%m-%d}至{weeks[-1] + dt.timedelta(days=6):%Y-%m-%d}",
        campaigns=campaigns(ctx),
        campaign_targets=CAMPAIGN_TARGETS,
    )
