"""警情趋势: valid alarms (contract §7 incidents) by 警情细类, this year against last year,
per township (issue 10, item 4).

Weekly lines: the complete weeks of the as-of ISO year against the same ISO week a year
earlier (`mart_report_alarm_weeks`, which leaves last year out where the feed does not reach
back). The table: each 警情细类 over 近28天 and 今年以来 against the same period a year
earlier (`mart_indicator_comparisons`, where the comparison rules of §7 live). Pages only
query and arrange; no figure is computed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import charts, i18n, metrics, reports
from ..i18n import N_

if TYPE_CHECKING:
    from ..site import SiteContext, Town

FILE = "alarms.html"
NAV = N_("警情趋势")
TITLE = N_("警情趋势")
WEEKS_MART = "mart_report_alarm_weeks"
COMPARISONS_MART = reports.COMPARISONS_MART
INDICATOR = "valid_alarms"
TABLE_WINDOWS = (("28_days", N_("近28天")), ("year_to_date", N_("今年以来")))
PANELS = 6  # 警情细类 charted per township (the largest this year), besides the total


# ---------------------------------------------------------------- queries


def week_rows(ctx: SiteContext) -> list[dict[str, Any]]:
    return ctx.wh.rows(
        f"select township_code, alarm_subcategory, week_start, valid_alarms, valid_alarms_last_year "
        f"from {ctx.wh.table(WEEKS_MART)} order by township_code, alarm_subcategory, week_start"
    )


def comparison_rows(ctx: SiteContext, town: Town) -> list[dict[str, Any]]:
    keys = [k for k, _ in TABLE_WINDOWS]
    return ctx.wh.rows(
        f"select * from {ctx.wh.table(COMPARISONS_MART)} where township_code = ? and indicator = ? "
        f"and window_name in ({', '.join('?' for _ in keys)}) order by breakdown, window_name",
        [town.code, INDICATOR, *keys],
    )


# ---------------------------------------------------------------- view models (pure)


def subcategory_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of mart_indicator_comparisons for one township → one line per 警情细类, the total
    ('all') first, then by this year's count (largest first). Each window is a ``Shown``."""
    by: dict[str, dict[str, Any]] = {}
    for r in rows:
        line = by.setdefault(r["breakdown"], {"subcategory": r["breakdown"], "windows": {}, "spans": {}})
        line["windows"][r["window_name"]] = metrics.Shown.from_mart(r)
        line["spans"][r["window_name"]] = (r["period_start"], r["period_end"], r["prior_start"], r["prior_end"])
    ytd = TABLE_WINDOWS[-1][0]

    def key(line: dict[str, Any]) -> tuple:
        w = line["windows"].get(ytd)
        return (line["subcategory"] != "all", -(w.now if w else 0.0), line["subcategory"])

    return sorted(by.values(), key=key)


def panel_order(table: list[dict[str, Any]]) -> list[str]:
    """The 警情细类 to chart first: those whose change is significant (显著 / 极显著) in any
    window, strongest first, then the rest as the table has them (largest this year first)."""

    def z(line: dict[str, Any]) -> float:
        return max((abs(c.z or 0.0) for c in line["windows"].values() if c.level), default=0.0)

    flagged = sorted((t for t in table if z(t) > 0), key=lambda t: -z(t))
    return [t["subcategory"] for t in flagged] + [t["subcategory"] for t in table if z(t) == 0]


def panels(weeks: list[dict[str, Any]], order: list[str], limit: int = PANELS) -> list[dict[str, Any]]:
    """Week rows of one township → chart panels: 'all' (合计) and the first ``limit`` 警情细类 of
    ``order`` that have weeks (signalled ones first: see panel_order). ``before`` is None where last year has no data."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in weeks:
        by.setdefault(r["alarm_subcategory"], []).append(r)
    names = ["all"] + [s for s in order if s != "all" and s in by][:limit]
    out = []
    for name in names:
        rs = by.get(name)
        if not rs:
            continue
        out.append(
            {
                "subcategory": name,
                "title": i18n.t("合计") if name == "all" else name,
                "weeks": [r["week_start"].isoformat() for r in rs],
                "now": [int(r["valid_alarms"] or 0) for r in rs],
                "before": [None if r["valid_alarms_last_year"] is None else int(r["valid_alarms_last_year"]) for r in rs],
            }
        )
    return out


# ---------------------------------------------------------------- page


def towns(ctx: SiteContext) -> list[dict[str, Any]]:
    weeks = week_rows(ctx)
    periods = reports.campaign_periods(ctx)
    out = []
    for i, town in enumerate(ctx.towns):
        table = subcategory_table(comparison_rows(ctx, town))
        ps = panels([r for r in weeks if r["township_code"] == town.code], panel_order(table))
        chart = None
        if ps:
            fig = charts.weekly_yoy_panels(
                ps,
                colour=charts.TOWN_COLOURS[i % len(charts.TOWN_COLOURS)],
                campaigns=periods.get(town.code, []),
                reform=town.reform_start,
            )
            chart = charts.to_div(fig, f"chart-alarms-{town.code}", 90 + 120 * len(ps))
        total = next((t for t in table if t["subcategory"] == "all"), None)
        spans = {}
        if total:
            for key, label in TABLE_WINDOWS:
                if key in total["spans"]:
                    ps_, pe, qs, qe = total["spans"][key]
                    spans[key] = {
                        "label": ctx.t(label),
                        "span": reports.short_span(ps_, pe, ctx.as_of),
                        "prev": reports.short_span(qs, qe),
                    }
        out.append(
            {
                "town": town,
                "table": [t for t in table if t["subcategory"] != "all"],
                "total": total,
                "spans": spans,
                "chart": chart,
                "panels": len(ps),
                "weeks": (ps[0]["weeks"][0], ps[0]["weeks"][-1]) if ps else None,
            }
        )
    return out


def build(ctx: SiteContext) -> str:
    ts = towns(ctx)
    return ctx.render(
        "alarms.html.j2",
        page_file=FILE,
        title=TITLE,
        uses_plotly=any(t["chart"] for t in ts),
        towns=ts,
        windows=[(k, ctx.t(label)) for k, label in TABLE_WINDOWS],
        alert=ctx.source_alert(INDICATOR),
        drill=INDICATOR,
    )
