"""周情分析: the weekly pack for the Wednesday meeting — one printable A4 page per township.

Last complete week against the previous four weeks and the same week a year earlier
(mart_indicator_comparisons window last_week; fct_township_daily for the four weeks),
categories rising by z, open items (mart_report_open_items), red and orange grids and
what changed since last week (mart_grid_colors). Sections degrade to a note when a mart
is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .. import charts, metrics, reports
from ..i18n import N_
from .grid import colour_meta

if TYPE_CHECKING:
    from ..site import SiteContext, Town

FILE = "weekly.html"
NAV = N_("周情分析")
# Rows of the week table. Names, units and the direction that colours a change: the contract's.
ROWS = (
    "events_reported",
    "petitions_disputes",
    "valid_alarms",
    "cases_filed",
    "inspections",
    "one_visit_inspections",
    "hazards_found",
    "first_violation_notices",
)
OPEN_TYPES = (
    ("event_overdue", N_("逾期未办结事件"), N_("处置期限已过仍在受理或处置中")),
    ("hazard_overdue", N_("逾期未整改隐患"), N_("整改状态逾期未整改或整改期限已过")),
    ("hazard_open", N_("未整改隐患（全部）"), N_("整改中或逾期未整改")),
    ("case_open_90d", N_("超90天未结案件"), N_("立案超过90天仍未结案")),
)
SHOW_ITEMS = 3
SHOW_GRIDS = 8
SHOW_CATEGORIES = 6
CHART_WEEKS = 13
SEVERITY = ("red", "orange", "yellow", "blue", "green")


def _week_rows(ctx: SiteContext, town: Town) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    mart = ctx.wh.table(reports.COMPARISONS_MART)
    names = list(ROWS)
    got = {
        r["indicator"]: r
        for r in ctx.wh.rows(
            f"select * from {mart} where township_code = ? and window_name = 'last_week' and breakdown = 'all' "
            f"and indicator in ({', '.join('?' for _ in names)})",
            [town.code, *names],
        )
    }
    if not got:
        return None, []
    any_row = next(iter(got.values()))
    start, end = any_row["period_start"], any_row["period_end"]
    four = [start - dt.timedelta(weeks=k) for k in range(4, 0, -1)]
    prev4 = reports.weekly_totals(ctx, town.code, names, four)
    split_now = reports.inspections_split(ctx, town.code, start, end)
    out = []
    for name in ROWS:
        r = got.get(name)
        if r is None:
            continue
        ind = ctx.indicator(name)
        c = metrics.Shown.from_mart(r)
        cls = metrics.change_class(c.abs_change, ind.get("better"))
        p4 = prev4.get(name, [])
        note = None
        if name in ("inspections", "one_visit_inspections") and split_now and split_now["campaign"]:
            sfx = "_one_visit" if name == "one_visit_inspections" else ""
            note = ctx.t(
                "其中专项行动 {campaign}，日常 {routine}",
                campaign=metrics.fmt_num(split_now["campaign" + sfx]),
                routine=metrics.fmt_num(split_now["routine" + sfx]),
            )
            cls = "neutral"
        out.append(
            {
                "indicator": name,
                "label": ind["label"],
                "unit": ind.get("unit", ""),
                "c": c,
                "cls": cls,
                "avg4": sum(p4) / len(p4) if p4 else None,
                "note": note,
            }
        )
    window = {
        "start": start,
        "end": end,
        "prior_start": any_row["prior_start"],
        "prior_end": any_row["prior_end"],
        "has_prior": any_row["has_prior_data"],
        "four_start": four[0],
        "four_end": start - dt.timedelta(days=1),
    }
    return window, out


def _rising(ctx: SiteContext, town: Town) -> list[dict[str, Any]]:
    cats = reports.category_breakdowns(ctx.contract)
    if not cats:
        return []
    names = sorted(cats)
    rows = ctx.wh.rows(
        f"select * from {ctx.wh.table(reports.COMPARISONS_MART)} where township_code = ? "
        f"and window_name = 'last_week' and breakdown <> 'all' and has_prior_data and poisson_z >= 2 "
        f"and indicator in ({', '.join('?' for _ in names)}) order by poisson_z desc, indicator, breakdown",
        [town.code, *names],
    )
    out = []
    for r in rows[:SHOW_CATEGORIES]:
        ind = ctx.indicator(r["indicator"])
        out.append(
            {
                "label": ind["label"],
                "dim": cats[r["indicator"]],
                "breakdown": r["breakdown"],
                "unit": ind.get("unit", ""),
                "c": metrics.Shown.from_mart(r),
            }
        )
    return out


def _open_items(ctx: SiteContext, town: Town) -> list[dict[str, Any]]:
    mart = ctx.wh.table(reports.OPEN_ITEMS_MART)
    counts = dict(ctx.wh.tuples(f"select item_type, count(*) from {mart} where township_code = ? group by 1", [town.code])[1])
    out = []
    for key, label, rule in OPEN_TYPES:
        oldest = ctx.wh.rows(
            f"select item_id, grid_code, category, opened_on, due_on, days_open from {mart} "
            f"where township_code = ? and item_type = ? order by days_open desc, item_id limit {SHOW_ITEMS}",
            [town.code, key],
        )
        out.append(
            {
                "key": key,
                "label": ctx.t(label),
                "rule": ctx.t(rule),
                "n": int(counts.get(key, 0)),
                "oldest": oldest if key != "hazard_open" else [],
            }
        )
    return out


def _grids(ctx: SiteContext, town: Town, meta: dict[str, Any]) -> dict[str, Any] | None:
    rows = ctx.wh.rows(
        f"select grid_code, grid_name, population, score, lower(color) as color, lower(last_week_color) as last_color "
        f"from {ctx.wh.table('mart_grid_colors')} where township_code = ? "
        f"order by score desc nulls last, grid_code",
        [town.code],
    )
    if not rows:
        return None
    sev = {c: i for i, c in enumerate(SEVERITY)}
    hot = [r for r in rows if r["color"] in ("red", "orange")]
    new_hot = [
        r for r in hot if r["last_color"] and r["last_color"] != r["color"] and sev.get(r["last_color"], 9) > sev[r["color"]]
    ]
    changed = [r for r in rows if r["last_color"] and r["last_color"] != r["color"]]
    worse = sum(1 for r in changed if sev.get(r["color"], 9) < sev.get(r["last_color"], 9))
    for r in rows:
        r["zh"] = meta.get(r["color"], {}).get("zh", r["color"])
        r["last_zh"] = meta.get(r["last_color"], {}).get("zh", r["last_color"] or "—")
    return {
        "n": len(rows),
        "red": sum(1 for r in hot if r["color"] == "red"),
        "orange": sum(1 for r in hot if r["color"] == "orange"),
        "top": hot[:SHOW_GRIDS],
        "more": max(len(hot) - SHOW_GRIDS, 0),
        "new_hot": new_hot[:SHOW_GRIDS],
        "new_hot_n": len(new_hot),
        "changed": len(changed),
        "worse": worse,
        "better": len(changed) - worse,
    }


def _chart(ctx: SiteContext, town: Town, i: int, end: dt.date, periods: list) -> str:
    """Weekly valid alarms, the last CHART_WEEKS complete weeks, against the same ISO week a year earlier."""
    last_monday = end - dt.timedelta(days=6)
    weeks = [last_monday - dt.timedelta(weeks=k) for k in range(CHART_WEEKS - 1, -1, -1)]
    s = reports.alarm_weeks(ctx, town.code, weeks)
    fig = charts.alarms_yoy(s["weeks"], s["now"], s["before"], charts.TOWN_COLOURS[i % len(charts.TOWN_COLOURS)])
    charts.mark_periods(fig, first=weeks[0], last=end, campaigns=periods, reform=town.reform_start)
    fig.update_xaxes(tickformat="%m-%d", dtick=14 * 86400000)
    fig.update_layout(margin={"l": 40, "r": 8, "t": 6, "b": 28})
    return charts.to_div(fig, f"chart-weekly-alarms-{town.code}", 190)


def build(ctx: SiteContext) -> str:
    meta = colour_meta(ctx.contract)
    periods = reports.campaign_periods(ctx)
    towns = []
    for i, town in enumerate(ctx.towns):
        window, rows = _week_rows(ctx, town)
        camp = reports.active(periods.get(town.code, []), window["start"], window["end"]) if window else []
        towns.append(
            {
                "town": town,
                "window": window,
                "rows": rows,
                "rising": _rising(ctx, town),
                "open": _open_items(ctx, town),
                "grids": _grids(ctx, town, meta),
                "campaigns": camp,
                "chart": _chart(ctx, town, i, window["end"], periods.get(town.code, [])) if window else None,
            }
        )
    return ctx.render(
        "weekly.html.j2",
        page_file=FILE,
        title=NAV,
        towns=towns,
        uses_plotly=any(t["chart"] for t in towns),
        meta=meta,
        span=reports.short_span,
    )
