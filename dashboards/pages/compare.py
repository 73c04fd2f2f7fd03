"""改革对比: the townships side by side, fairly — rates per 10,000 常住人口 aligned by months
since each township's reform start, and the case, matter, inspection and lead measures of
the analysis marts (issue 4).

Rates lead (the towns differ about 3× in population); a rate that rests on fewer than
``SMALL_BASE`` events is marked 小基数 (contract §7). Every section reads one mart; the
改革前 / 改革后 periods are mart_report_reform_phases's and the 队网协作 periods
mart_report_lead_periods's (both summed in dbt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import charts, i18n, metrics, reports
from ..i18n import N_

if TYPE_CHECKING:
    from ..site import SiteContext, Town

FILE = "compare.html"
NAV = N_("改革对比")
TITLE = N_("改革对比")
SMALL_BASE = metrics.SMALL_BASE  # 20 events

COMPARISON_MART = "mart_township_comparison"
LIFECYCLE_MART = "mart_case_lifecycle"
MATTERS_MART = "mart_empowered_matters"
BURDEN_MART = "mart_inspection_burden"
PHASES_MART = "mart_report_reform_phases"  # 改革前 / 改革后 monthly means (issue 10)
LEAD_PERIODS_MART = "mart_report_lead_periods"  # leads → cases per period (issue 10)

# (indicator, one-line explanation). Charted per 10,000 常住人口 by months since reform.
CHART_INDICATORS = (
    ("cases_filed", N_("每月立案数（不含撤销立案）÷ 常住人口 × 1万。")),
    ("one_visit_inspections", N_("每月“综合查一次”检查件次 ÷ 常住人口 × 1万。")),
    ("valid_alarms", N_("每月有效警情（按合并编号去重）÷ 常住人口 × 1万，越低越好。")),
    ("first_violation_notices", N_("每月发出的首违提醒 ÷ 常住人口 × 1万（柔性执法）。")),
)


# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Cell:
    """One figure in a side-by-side table: the text, the events it rests on, 小基数."""

    text: str
    detail: str = ""
    small: bool = False


NA = Cell("—")


def _pct(part: float | None, whole: float | None = 1.0) -> str:
    if part is None or not whole:
        return "—"
    return f"{100.0 * float(part) / float(whole):.1f}%"


def _share_cell(share: float | None, events: float | None, base: float | None, unit: str = N_("件")) -> Cell:
    """A share: small base when its events or its base are fewer than SMALL_BASE."""
    if share is None or base is None:
        return NA
    events = events if events is not None else share * base
    return Cell(_pct(share), f"{metrics.fmt_num(events)}/{metrics.fmt_num(base)} {i18n.t(unit)}", min(events, base) < SMALL_BASE)


def _per(events: float | None, base: float | None, per: int, unit: str) -> Cell:
    """events per ``per`` of base (e.g. per 100 cases)."""
    if events is None or not base:
        return NA
    return Cell(
        f"{per * float(events) / float(base):.2f}", f"{metrics.fmt_num(events)} {i18n.t(unit)}", float(events) < SMALL_BASE
    )


def _per_10k(events: float | None, town: Town, unit: str) -> Cell:
    if events is None or not town.resident_population:
        return Cell(metrics.fmt_num(events), i18n.t(unit)) if events is not None else NA
    return Cell(
        f"{10000.0 * float(events) / town.resident_population:.2f}",
        f"{metrics.fmt_num(events)} {i18n.t(unit)}",
        float(events) < SMALL_BASE,
    )


def _days(v: float | None, base: float | None) -> Cell:
    if v is None:
        return NA
    return Cell(
        i18n.t("{n} 天", n=f"{float(v):.1f}" if float(v) % 1 else f"{float(v):.0f}"),
        i18n.t("{n} 件已结案", n=metrics.fmt_num(base)) if base is not None else "",
        base is not None and float(base) < SMALL_BASE,
    )


def _month_label(m: int) -> str:
    if m == 0:
        return i18n.t("改革当月")
    return i18n.t("改革后第{n}月", n=m) if m > 0 else i18n.t("改革前{n}个月", n=-m)


# ---------------------------------------------------------------- sections


def _profiles(ctx: SiteContext) -> list[dict[str, Any]]:
    area = {
        c: a for c, a in ctx.wh.tuples(f"select township_code, area_km2 from {ctx.wh.table('dim_townships')}")[1] if a is not None
    }
    out = []
    for t in ctx.towns:
        months = None
        if t.reform_start and t.reform_start <= ctx.as_of:
            months = (ctx.as_of.year - t.reform_start.year) * 12 + ctx.as_of.month - t.reform_start.month
        out.append(
            {
                "town": t,
                "area": area.get(t.code),
                "months": months,
                "density": (t.resident_population / area[t.code] if t.resident_population and area.get(t.code) else None),
            }
        )
    return out


def _series_rows(ctx: SiteContext) -> list[dict[str, Any]]:
    wh = ctx.wh
    names = [i for i, _ in CHART_INDICATORS]
    return wh.rows(
        f"select township_code, indicator, month_start, months_since_reform, value, value_per_10k, "
        f"value_per_km2, coalesce(is_partial_month, false) as is_partial_month "
        f"from {wh.table(COMPARISON_MART)} where indicator in ({', '.join('?' for _ in names)}) "
        f"and month_start <= ? order by township_code, indicator, month_start",
        [*names, ctx.as_of],
    )


def phase_cell(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A mart_report_reform_phases row (one township, indicator and phase) → the 改革前 / 改革后
    cell: mean monthly rate per 10,000 (and per km²) with the months and events it rests on."""
    if row is None or not row.get("months"):
        return None
    events = float(row["events"] or 0)
    return {
        "months": int(row["months"]),
        "events": events,
        "rate": None if row.get("mean_per_10k") is None else float(row["mean_per_10k"]),
        "km2": None if row.get("mean_per_km2") is None else float(row["mean_per_km2"]),
        "small": events < SMALL_BASE,
        "span": _phase_span(int(row["first_month"]), int(row["last_month"])),
    }


def _phase_span(first: int, last: int) -> str:
    """Months since reform as a short label: 改革前17至1个月, 改革当月至第2月, 第4至23月."""
    if last < 0:
        return i18n.t("改革前{first}至{last}个月", first=-first, last=-last)
    if first == 0:
        return i18n.t("改革当月至第{last}月", last=last) if last > 0 else i18n.t("改革当月")
    return i18n.t("改革后第{first}至{last}月", first=first, last=last)


def _phase_rows(ctx: SiteContext) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(township_code, indicator, phase) → its mart_report_reform_phases row."""
    rows = ctx.wh.rows(f"select * from {ctx.wh.table(PHASES_MART)}")
    return {(r["township_code"], r["indicator"], r["phase"]): r for r in rows}


def _town_series(town: Town, rs: list[dict[str, Any]], periods: list[dict[str, Any]]) -> dict[str, Any]:
    """One township's complete months of one indicator (mart_township_comparison) → a chart line,
    each month with the 专项行动 that ran in it (a campaign month can spike with the campaign alone)."""
    return {
        "name": town.name,
        "months": [r["months_since_reform"] for r in rs],
        "rates": [None if r["value_per_10k"] is None else round(float(r["value_per_10k"]), 4) for r in rs],
        "counts": [float(r["value"] or 0) for r in rs],
        "labels": [
            i18n.t("{label}（{month}）", label=_month_label(r["months_since_reform"]), month=f"{r['month_start']:%Y-%m}")
            for r in rs
        ],
        "small": [float(r["value"] or 0) < SMALL_BASE for r in rs],
        "campaigns": [
            i18n.t("、").join(p["campaign"] for p in reports.active(periods, r["month_start"], _month_end(r["month_start"])))
            for r in rs
        ],
    }


def _month_end(month_start: dt.date) -> dt.date:
    return (month_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _reform_chart(
    ctx: SiteContext, n: int, indicator: str, explain: str, rows: list[dict[str, Any]], phases: dict, periods: dict
) -> dict[str, Any] | None:
    """One indicator's chart by months since reform and its 改革前 / 改革后 summary (None without data)."""
    ind = ctx.indicator(indicator)
    unit = ind.get("unit", "")
    series, summary, months_by_town = [], [], {}
    for t in ctx.towns:
        rs = [
            r
            for r in rows
            if r["township_code"] == t.code
            and r["indicator"] == indicator
            and not r["is_partial_month"]
            and r["months_since_reform"] is not None
        ]
        if not rs:
            summary.append({"town": t, "pre": None, "post": None})
            continue
        months_by_town[t.code] = {r["months_since_reform"] for r in rs}
        series.append(_town_series(t, rs, periods.get(t.code, [])))
        pre, post = (phase_cell(phases.get((t.code, indicator, p))) for p in ("pre", "post"))
        summary.append({"town": t, "pre": pre, "post": post})
    if not series:
        return None
    common = set.intersection(*months_by_town.values()) if len(months_by_town) > 1 else set()
    common_post = sorted(m for m in common if m >= 0)
    fig = charts.months_since_reform(series, y_title=ctx.t("每万人 {unit}/月", unit=unit), unit=unit)
    return {
        "indicator": indicator,
        "label": ind["label"],
        "unit": unit,
        "explain": ctx.t(explain),
        "chart": charts.to_div(fig, f"cmp-{indicator}", height=300),
        "summary": summary,
        "any_small": any(any(s["small"]) for s in series),
        "any_campaign": any(any(s["campaigns"]) for s in series),
        "overlap": (
            ctx.t("{start}至{end}", start=_month_label(common_post[0]), end=_month_label(common_post[-1]))
            if common_post
            else None
        ),
        "n": n,
    }


def reform_charts(ctx: SiteContext) -> dict[str, Any]:
    rows = _series_rows(ctx)
    phases = _phase_rows(ctx)
    partial = sorted({(r["township_code"], r["month_start"]) for r in rows if r["is_partial_month"]})
    names = {t.code: t.name for t in ctx.towns}
    periods = reports.campaign_periods(ctx)
    out = [_reform_chart(ctx, n, ind, explain, rows, phases, periods) for n, (ind, explain) in enumerate(CHART_INDICATORS)]
    return {"charts": [c for c in out if c], "partial": [f"{names.get(c, c)} {m:%Y-%m}" for c, m in partial]}


def _side_by_side(
    towns: list[Town], rows_by_town: dict[str, dict], measures: list[tuple[str, str, Callable[[dict, Town], Cell]]]
) -> list[dict]:
    out = []
    for label, explain, fn in measures:
        cells = [fn(rows_by_town[t.code], t) if t.code in rows_by_town else NA for t in towns]
        out.append({"label": i18n.t(label), "explain": i18n.t(explain), "cells": cells})
    return out


LIFECYCLE_MEASURES: list[tuple[str, str, Callable[[dict, Town], Cell]]] = [
    (
        N_("立案数（每万人）"),
        N_("立案件数 ÷ 常住人口 × 1万，不含撤销立案。"),
        lambda r, t: _per_10k(r.get("cases_filed"), t, N_("件")),
    ),
    (
        N_("办案天数中位数"),
        N_("已结案案件从立案到结案的天数，一半案件快于此数。"),
        lambda r, t: _days(r.get("median_days_to_close"), r.get("cases_closed")),
    ),
    (
        N_("办案天数90分位"),
        N_("九成已结案案件在此天数内结案，看慢案。"),
        lambda r, t: _days(r.get("p90_days_to_close"), r.get("cases_closed")),
    ),
    (
        N_("超90天结案占比"),
        N_("已结案案件中立案到结案超过90天的比例。"),
        lambda r, t: _share_cell(r.get("share_closed_over_90_days"), None, r.get("cases_closed")),
    ),
    (
        N_("法制审核覆盖率"),
        N_("经过法制审核的案件占立案数的比例。"),
        lambda r, t: _share_cell(r.get("legal_review_share"), None, r.get("cases_filed")),
    ),
    (
        N_("主协办占比"),
        N_("有协办人（原条线执法人员）参与的案件占比。"),
        lambda r, t: _share_cell(r.get("co_handler_share"), None, r.get("cases_filed")),
    ),
    (
        N_("案审会审理占比"),
        N_("提交案审会集体审理的案件占比。"),
        lambda r, t: _share_cell(r.get("review_board_share"), None, r.get("cases_filed")),
    ),
    (
        N_("移送公安（每百件）"),
        N_("每100件立案中移送公安的件数（行刑衔接）。"),
        lambda r, t: _per(r.get("police_transfers"), r.get("cases_filed"), 100, N_("件移送")),
    ),
    (
        N_("复议（每百件）"),
        N_("每100件立案中当事人申请行政复议的件数。"),
        lambda r, t: _per(r.get("reconsiderations"), r.get("cases_filed"), 100, N_("件复议")),
    ),
    (
        N_("诉讼（每百件）"),
        N_("每100件立案中当事人提起行政诉讼的件数。"),
        lambda r, t: _per(r.get("litigations"), r.get("cases_filed"), 100, N_("件诉讼")),
    ),
    (
        N_("重复当事人案件占比"),
        N_("当事人12个月内再次被立案的案件占比（按脱敏编号识别）。"),
        lambda r, t: _share_cell(
            None
            if r.get("repeat_party_cases") is None or not r.get("cases_filed")
            else r["repeat_party_cases"] / r["cases_filed"],
            r.get("repeat_party_cases"),
            r.get("cases_filed"),
        ),
    ),
]


def _period_label(p: str, as_of: dt.date) -> str:
    if p == "all":
        return i18n.t("全部年份")
    if p == str(as_of.year):
        return i18n.t("{year}年（截至{month}月{day}日）", year=p, month=as_of.month, day=as_of.day, mon=f"{as_of:%b}")
    return i18n.t("{year}年", year=p)


def case_lifecycle(ctx: SiteContext) -> dict[str, Any]:
    rows = ctx.wh.rows(f"select * from {ctx.wh.table(LIFECYCLE_MART)} order by township_code, period")
    periods = sorted({str(r["period"]) for r in rows}, key=lambda p: (p != "all", p), reverse=False)
    # 'all' first, then the latest year first
    periods = [p for p in periods if p == "all"] + sorted((p for p in periods if p != "all"), reverse=True)
    tables = []
    for p in periods:
        by_town = {r["township_code"]: r for r in rows if str(r["period"]) == p}
        tables.append(
            {"period": p, "label": _period_label(p, ctx.as_of), "rows": _side_by_side(ctx.towns, by_town, LIFECYCLE_MEASURES)}
        )
    return {"tables": tables}


def empowered_matters(ctx: SiteContext) -> dict[str, Any]:
    rows = ctx.wh.rows(f"select * from {ctx.wh.table(MATTERS_MART)} order by township_code, enforcement_domain")
    towns = []
    for t in ctx.towns:
        tot = next((r for r in rows if r["township_code"] == t.code and r["enforcement_domain"] == "all"), None)
        if tot is None:
            towns.append({"town": t, "row": None})
            continue
        towns.append(
            {
                "town": t,
                "row": tot,
                "matter_share": _share_cell(
                    tot.get("utilisation_share"), tot.get("matters_used"), tot.get("matters_in_catalogue"), N_("项")
                ),
                "domain_share": _share_cell(
                    None if not tot.get("domains_in_catalogue") else (tot.get("domains_used") or 0) / tot["domains_in_catalogue"],
                    tot.get("domains_used"),
                    tot.get("domains_in_catalogue"),
                    N_("类"),
                ),
                "cases_10k": _per_10k(tot.get("cases_filed"), t, N_("件")),
                "cases_per_matter": _per(tot.get("cases_filed"), tot.get("matters_used"), 1, N_("件")),
            }
        )
    domains = sorted({r["enforcement_domain"] for r in rows if r["enforcement_domain"] != "all"})
    grid = []
    for d in domains:
        cells = []
        for t in ctx.towns:
            r = next((r for r in rows if r["township_code"] == t.code and r["enforcement_domain"] == d), None)
            if r is None or not r.get("matters_in_catalogue"):
                cells.append(None)
            else:
                cells.append(
                    {
                        "used": r.get("matters_used") or 0,
                        "cat": r["matters_in_catalogue"],
                        "share": _pct(r.get("matters_used") or 0, r["matters_in_catalogue"]),
                        "cases": r.get("cases_filed") or 0,
                    }
                )
        grid.append({"domain": d, "cells": cells})
    return {"towns": towns, "domains": grid}


def inspection_burden(ctx: SiteContext) -> dict[str, Any]:
    rows = ctx.wh.rows(f"select * from {ctx.wh.table(BURDEN_MART)} order by inspection_year, township_code, target_type")
    years = sorted({int(r["inspection_year"]) for r in rows}, reverse=True)

    def cells(year: int, target: str) -> list[dict[str, Cell]]:
        out = []
        for t in ctx.towns:
            r = next(
                (
                    r
                    for r in rows
                    if r["township_code"] == t.code and int(r["inspection_year"]) == year and r["target_type"] == target
                ),
                None,
            )
            if r is None:
                out.append({"per": NA, "share": NA})
                continue
            per = r.get("inspections_per_target")
            out.append(
                {
                    "per": NA
                    if per is None
                    else Cell(
                        f"{float(per):.2f}",
                        i18n.t(
                            "{n}次/{targets}对象",
                            n=metrics.fmt_num(r.get("inspections")),
                            targets=metrics.fmt_num(r.get("targets")),
                        ),
                        (r.get("targets") or 0) < SMALL_BASE,
                    ),
                    "share": _share_cell(
                        r.get("one_visit_share"), r.get("one_visit_inspections"), r.get("inspections"), N_("次")
                    ),
                }
            )
        return out

    year_rows = [{"year": y, "label": _period_label(str(y), ctx.as_of), "cells": cells(y, "all")} for y in years]
    types = sorted({r["target_type"] for r in rows if r["target_type"] != "all"})
    latest = years[0] if years else None
    type_rows = [{"type": ty, "cells": cells(latest, ty)} for ty in types] if latest else []
    return {
        "years": year_rows,
        "types": type_rows,
        "latest_label": _period_label(str(latest), ctx.as_of) if latest else "",
    }


def lead_cells(row: dict[str, Any] | None) -> dict[str, Cell]:
    """A mart_report_lead_periods row → the conversion share and days cells (NA without a row)."""
    if row is None:
        return {"share": NA, "days": NA, "leads": NA}
    leads, conv = row.get("enforcement_leads") or 0, row.get("leads_with_case") or 0
    mid = row.get("median_of_monthly_median_days")
    days = (
        NA
        if mid is None
        else Cell(
            i18n.t("{n} 天", n=f"{float(mid):g}"),
            i18n.t(
                "各月 {low}–{high} 天",
                low=f"{float(row['min_monthly_median_days']):g}",
                high=f"{float(row['max_monthly_median_days']):g}",
            ),
            conv < SMALL_BASE,
        )
    )
    return {"share": _share_cell(row.get("conversion_share"), conv, leads), "days": days, "leads": Cell(metrics.fmt_num(leads))}


def lead_periods(ctx: SiteContext) -> dict[str, Any]:
    """队网协作 from mart_report_lead_periods (the periods are summed in dbt)."""
    rows = ctx.wh.rows(f"select * from {ctx.wh.table(LEAD_PERIODS_MART)}")
    by = {(r["township_code"], r["event_source"], r["period"]): r for r in rows}

    def cells(period: str, source: str = "all") -> list[dict[str, Cell]]:
        return [lead_cells(by.get((t.code, source, period))) for t in ctx.towns]

    years = sorted({r["period"] for r in rows if r["period"].isdigit()}, reverse=True)
    periods = [{"label": ctx.t("改革以来"), "cells": cells("reform_to_date")}]
    periods += [{"label": _period_label(y, ctx.as_of), "cells": cells(y)} for y in years]
    sources = sorted({r["event_source"] for r in rows if r["event_source"] != "all"})
    return {"periods": periods, "sources": [{"source": src, "cells": cells("all", src)} for src in sources]}


def build(ctx: SiteContext) -> str:
    reform = reform_charts(ctx)
    return ctx.render(
        "compare.html.j2",
        page_file=FILE,
        title=TITLE,
        uses_plotly=bool(reform["charts"]),
        profiles=_profiles(ctx),
        reform=reform,
        lifecycle=case_lifecycle(ctx),
        matters=empowered_matters(ctx),
        burden=inspection_burden(ctx),
        leads=lead_periods(ctx),
        small_base=SMALL_BASE,
    )
