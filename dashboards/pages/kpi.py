"""每日明细: the daily series behind every KPI card of the overview (issue 10, item 5).

One section per card indicator and township (anchor ``kpi-<indicator>-<township_code>``,
linked from the card): the 28-day running total — the card's 近28天 figure over time, so
its last point is the card's big number — and the daily counts, from
`mart_report_daily_series`; the same series as CSV in ``data/series/<indicator>.csv``
(written by exports.write_series).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .. import charts, exports, reports
from ..i18n import N_

if TYPE_CHECKING:
    from ..site import SiteContext

FILE = "kpi.html"
NAV = N_("每日明细")
TITLE = N_("核心指标每日明细")
SERIES_MART = exports.SERIES_MART


def anchor(indicator: str, town_code: str) -> str:
    return f"kpi-{indicator}-{town_code}"


def href(indicator: str, town_code: str) -> str:
    """Where a KPI card's drill-down link points."""
    return f"{FILE}#{anchor(indicator, town_code)}"


def card_indicators() -> list[str]:
    from .index import KPIS  # the overview's cards: one list, not a copy

    return [k.indicator for k in KPIS]


# ---------------------------------------------------------------- queries


def series_rows(ctx: SiteContext, indicators: list[str]) -> list[dict[str, Any]]:
    if not indicators:
        return []
    return ctx.wh.rows(
        f"select township_code, indicator, date, value, value_28d, is_full_28d "
        f"from {ctx.wh.table(SERIES_MART)} where indicator in ({', '.join('?' for _ in indicators)}) "
        f"and date <= ? order by township_code, indicator, date",
        [*indicators, ctx.as_of],
    )


# ---------------------------------------------------------------- view models (pure)


def series_view(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One township's daily series of one indicator (rows sorted by date, one per day, as the
    mart writes them) → what the section shows. None without rows.

    Raises ValueError when a day is missing: the chart spaces the values one day apart.
    """
    if not rows:
        return None
    start, end = rows[0]["date"], rows[-1]["date"]
    if (end - start).days + 1 != len(rows):
        raise ValueError(f"daily series from {start} to {end} has {len(rows)} rows, not one per day")
    last = rows[-1]
    first_full = next((r["date"] for r in rows if r.get("is_full_28d")), None)
    return {
        "start": start,
        "end": end,
        "days": len(rows),
        "daily": [float(r["value"] or 0) for r in rows],
        "rolling": [float(r["value_28d"] or 0) for r in rows],
        "latest_28d": float(last["value_28d"] or 0),
        "latest_day": float(last["value"] or 0),
        "window": (end - dt.timedelta(days=27), end),
        "first_full": first_full,
    }


def group_rows(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(township_code, indicator) → its rows, order kept."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["township_code"], r["indicator"]), []).append(r)
    return out


# ---------------------------------------------------------------- page


def sections(ctx: SiteContext) -> list[dict[str, Any]]:
    names = card_indicators()
    grouped = group_rows(series_rows(ctx, names))
    periods = reports.campaign_periods(ctx)
    out = []
    for indicator in names:
        ind = ctx.indicator(indicator)
        unit = ind.get("unit", "")
        towns = []
        for i, town in enumerate(ctx.towns):
            view = series_view(grouped.get((town.code, indicator), []))
            chart = None
            if view is not None:
                fig = charts.daily_drilldown(
                    view["start"],
                    view["daily"],
                    view["rolling"],
                    colour=charts.TOWN_COLOURS[i % len(charts.TOWN_COLOURS)],
                    unit=unit,
                )
                # the reform start, and the 专项行动 periods on inspection counts (a surge reads as a campaign)
                camps = periods.get(town.code, []) if ind.get("source") == "inspections" else []
                charts.mark_periods(
                    fig, first=view["start"], last=view["end"], campaigns=camps, reform=town.reform_start, row=1, label=False
                )
                charts.keep_labels_inside(fig, view["start"], view["end"])
                chart = charts.to_div(fig, f"chart-{anchor(indicator, town.code)}", 300)
            towns.append(
                {
                    "town": town,
                    "anchor": anchor(indicator, town.code),
                    "view": view,
                    "chart": chart,
                    "alert": ctx.source_alert(indicator),
                }
            )
        out.append(
            {
                "indicator": indicator,
                "label": ind["label"],
                "unit": unit,
                "counted_on": ind.get("counted_on", ""),
                "csv": exports.series_file(indicator),
                "towns": towns,
            }
        )
    return out


def build(ctx: SiteContext) -> str:
    secs = sections(ctx)
    return ctx.render(
        "kpi.html.j2",
        page_file=FILE,
        title=TITLE,
        uses_plotly=any(t["chart"] for s in secs for t in s["towns"]),
        sections=secs,
    )
