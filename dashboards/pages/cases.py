"""案件: the case lifecycle (filed → closed, open by age, open > 90 days), the soft-enforcement
counts (首违提醒, 以服代罚) and transfers to police, per township (issue 10, item 4).

Reads `mart_report_case_status` (where the cases stand on the as-of date),
`mart_township_comparison` (monthly counts), `mart_indicator_comparisons` (windows against
the same period a year earlier: the rules of contract §7 live there) and
`mart_report_open_items` (cases open over 90 days). Pages only query and arrange; no figure
is computed here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .. import charts, i18n, metrics, reports
from ..i18n import N_
from . import inspections

if TYPE_CHECKING:
    from ..site import SiteContext, Town

FILE = "cases.html"
NAV = N_("案件")
TITLE = N_("案件办理与柔性执法")
STATUS_MART = "mart_report_case_status"
MONTHLY_MART = "mart_township_comparison"
COMPARISONS_MART = reports.COMPARISONS_MART

# indicators shown against the year before
SOFT = ("cases_filed", "first_violation_notices", "service_in_lieu", "police_transfers")
WINDOWS = (("28_days", N_("近28天")), ("year_to_date", N_("今年以来")), ("reform_to_date", N_("改革以来")))
FLOW = (("cases_filed", N_("立案"), charts.TOWN_COLOURS[0]), ("cases_closed", N_("结案"), "#2a9d5c"))
SOFT_FLOW = (("first_violation_notices", N_("首违提醒"), "#8e44ad"), ("service_in_lieu", N_("以服代罚"), "#e07b00"))
AGES = (
    ("closed", N_("已结案"), "cases_closed"),
    ("open_0_30", N_("未结 ≤30天"), "open_0_30_days"),
    ("open_31_90", N_("未结 31–90天"), "open_31_90_days"),
    ("open_over_90", N_("未结 >90天"), "open_over_90_days"),
)


# ---------------------------------------------------------------- view models (pure)


def status_stages(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A mart_report_case_status row → the stages of the bar (width = share of cases filed)."""
    filed = float(row.get("cases_filed") or 0)
    out = []
    for key, label, col in AGES:
        n = float(row.get(col) or 0)
        out.append(
            {
                "key": key,
                "label": i18n.t(label),
                "n": n,
                "pct": 100.0 * n / filed if filed else 0.0,
                "share": metrics.fmt_share(n, filed) if filed and key == "closed" else "",
            }
        )
    return out


def monthly_series(rows: list[dict[str, Any]], flow: tuple) -> dict[str, Any] | None:
    """mart_township_comparison rows of one township → months (iso) and one value list per
    indicator of ``flow`` (0 in a month without records), and the partial month if any."""
    if not rows:
        return None
    months = sorted({r["month_start"] for r in rows})
    got = {(r["indicator"], r["month_start"]): float(r["value"] or 0) for r in rows}
    partial = next((r["month_start"].isoformat() for r in rows if r.get("is_partial_month")), None)
    return {
        "months": [m.isoformat() for m in months],
        "partial": partial,
        "series": [
            {"name": i18n.t(label), "colour": colour, "values": [got.get((ind, m), 0.0) for m in months]}
            for ind, label, colour in flow
        ],
    }


def comparison_table(rows: list[dict[str, Any]], indicators: tuple, labels: dict[str, str]) -> list[dict[str, Any]]:
    """mart_indicator_comparisons rows (breakdown 'all') of one township → one line per
    indicator with a ``Shown`` and the period per window."""
    by = {(r["indicator"], r["window_name"]): r for r in rows}
    out = []
    for ind in indicators:
        cells = {}
        for key, _label in WINDOWS:
            r = by.get((ind, key))
            if r is not None:
                cells[key] = {"c": metrics.Shown.from_mart(r), "start": r["period_start"], "end": r["period_end"]}
        if cells:
            out.append({"indicator": ind, "label": labels.get(ind, ind), "cells": cells})
    return out


# ---------------------------------------------------------------- queries


def _rows(ctx: SiteContext, mart: str, where: str, params: list, order: str = "") -> list[dict[str, Any]]:
    return ctx.wh.rows(f"select * from {ctx.wh.table(mart)} where {where}" + (f" order by {order}" if order else ""), params)


def town_view(ctx: SiteContext, town: Town, i: int) -> dict[str, Any]:
    year = str(ctx.as_of.year)
    status = {r["period"]: r for r in _rows(ctx, STATUS_MART, "township_code = ?", [town.code])}
    bars = [
        {"period": p, "label": label, "row": status[p], "stages": status_stages(status[p])}
        for p, label in (
            (
                year,
                ctx.t(
                    "{year}年立案（截至{month}月{day}日）",
                    year=year,
                    month=ctx.as_of.month,
                    day=ctx.as_of.day,
                    mon=f"{ctx.as_of:%b}",
                ),
            ),
            ("all", ctx.t("全部已入库案件")),
        )
        if p in status
    ]
    inds = [f[0] for f in FLOW + SOFT_FLOW]
    monthly = _rows(
        ctx,
        MONTHLY_MART,
        f"township_code = ? and month_start <= ? and indicator in ({', '.join('?' for _ in inds)})",
        [town.code, ctx.as_of, *inds],
        "month_start",
    )
    charts_out: dict[str, Any] = {"partial": None, "flow": None, "soft": None}
    for key, flow, unit in (("flow", FLOW, ctx.t("件")), ("soft", SOFT_FLOW, ctx.t("件"))):
        m = monthly_series([r for r in monthly if r["indicator"] in {f[0] for f in flow}], flow)
        if m is not None:
            fig = charts.monthly_bars(
                m["months"], m["series"], y_title=ctx.t("{unit}/月", unit=unit), unit=unit, partial=m["partial"]
            )
            first = dt.date.fromisoformat(m["months"][0])
            charts.mark_periods(fig, first=first, last=ctx.as_of, campaigns=[], reform=town.reform_start)
            charts.keep_labels_inside(fig, first, ctx.as_of)
            charts_out[key] = charts.to_div(fig, f"chart-cases-{key}-{town.code}", 260)
            charts_out["partial"] = charts_out["partial"] or m["partial"]
    cmp_inds = list(SOFT)
    cmp_rows = _rows(
        ctx,
        COMPARISONS_MART,
        f"township_code = ? and breakdown = 'all' and indicator in ({', '.join('?' for _ in cmp_inds)})",
        [town.code, *cmp_inds],
    )
    labels = {ind: ctx.indicator(ind)["label"] for ind in cmp_inds}
    old = inspections.open_items(ctx, town.code, "case_open_90d")
    return {
        "town": town,
        "bars": bars,
        "charts": charts_out,
        "table": comparison_table(cmp_rows, SOFT, labels),
        "old": old,
        "transfers": [(p, status[p]["police_transfers"]) for p in sorted(status, reverse=True) if p != "all"],
    }


def build(ctx: SiteContext) -> str:
    ts = [town_view(ctx, t, i) for i, t in enumerate(ctx.towns)]
    spans = {}
    for t in ts:
        for line in t["table"]:
            for key, cell in line["cells"].items():
                spans.setdefault((t["town"].code, key), reports.short_span(cell["start"], cell["end"], ctx.as_of))
    return ctx.render(
        "cases.html.j2",
        page_file=FILE,
        title=TITLE,
        uses_plotly=any(t["charts"]["flow"] or t["charts"]["soft"] for t in ts),
        towns=ts,
        windows=[(k, ctx.t(label)) for k, label in WINDOWS],
        spans=spans,
        year=ctx.as_of.year,
        alert=ctx.source_alert("cases_filed"),
        notice_alert=ctx.source_alert("first_violation_notices"),
    )
