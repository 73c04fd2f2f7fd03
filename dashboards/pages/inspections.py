"""综合查一次与专项行动: one-visit share and inspection burden per target, the hazard loop
(found → rectifying → accepted, and overdue) with the overdue list, and the 专项行动 —
per township (issue 10, item 4).

Reads `mart_inspection_burden` (share and burden by year and 检查对象类型),
`mart_one_visit_weekly` (the weekly share), `mart_report_hazard_loop` (where the hazards
found stand on the as-of date), `mart_report_open_items` (the overdue list),
`mart_campaigns` and `mart_report_campaign_periods`. Pages only query and arrange; no
figure is computed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import charts, i18n, metrics, reports
from ..i18n import N_
from . import index

if TYPE_CHECKING:
    from ..site import SiteContext, Town

FILE = "inspections.html"
NAV = N_("检查与专项")
TITLE = N_("综合查一次与专项行动")
BURDEN_MART = "mart_inspection_burden"
LOOP_MART = "mart_report_hazard_loop"
OPEN_MART = reports.OPEN_ITEMS_MART
CAMPAIGNS_MART = "mart_campaigns"
OVERDUE_SHOWN = 10  # the longest-open overdue inspections listed per township (all are in the CSV)

# (key in mart_report_hazard_loop: hazards_<key>, label) in the order of the loop
STAGES = (("accepted", N_("已验收")), ("rectifying", N_("整改中")), ("overdue", N_("逾期未整改")), ("other", N_("其他")))


# ---------------------------------------------------------------- view models (pure)


def loop_stages(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A mart_report_hazard_loop row → the stages of the bar (width = share of hazards found)."""
    found = float(row.get("hazards_found") or 0)
    out = []
    for key, label in STAGES:
        n = float(row.get(f"hazards_{key}") or 0)
        if key == "other" and not n:
            continue
        out.append(
            {
                "key": key,
                "label": i18n.t(label),
                "n": n,
                "pct": 100.0 * n / found if found else 0.0,
                "share": metrics.fmt_share(n, found) if found else "",
            }
        )
    return out


def burden_view(rows: list[dict[str, Any]], year: int) -> dict[str, Any]:
    """mart_inspection_burden rows of one township → {this, last, types} for ``year``:
    'all' of the year and of the year before, and the year's 检查对象类型 (most targets first)."""

    def pick(y: int, t: str) -> dict[str, Any] | None:
        return next((r for r in rows if int(r["inspection_year"]) == y and r["target_type"] == t), None)

    types = sorted(
        (r for r in rows if int(r["inspection_year"]) == year and r["target_type"] != "all"),
        key=lambda r: (-(r["targets"] or 0), r["target_type"]),
    )
    return {"this": pick(year, "all"), "last": pick(year - 1, "all"), "types": types}


def overdue_view(rows: list[dict[str, Any]], limit: int = OVERDUE_SHOWN) -> dict[str, Any]:
    """hazard_overdue rows of mart_report_open_items for one township → the longest open first
    (at most ``limit``) and the count per category (专项行动 or 检查对象类型)."""
    ordered = sorted(rows, key=lambda r: (-(r["days_open"] or 0), r["item_id"]))
    cats: dict[str, int] = {}
    for r in rows:
        cat = r["category"] or i18n.t("未填")
        cats[cat] = cats.get(cat, 0) + 1
    return {"total": len(rows), "rows": ordered[:limit], "categories": sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))}


# ---------------------------------------------------------------- queries


def _rows(ctx: SiteContext, mart: str, where: str = "", params: list | None = None, order: str = "") -> list[dict[str, Any]]:
    sql = f"select * from {ctx.wh.table(mart)}"
    if where:
        sql += f" where {where}"
    if order:
        sql += f" order by {order}"
    return ctx.wh.rows(sql, params or [])


def open_items(ctx: SiteContext, town_code: str, item_type: str) -> list[dict[str, Any]]:
    """Rows of mart_report_open_items of one type and township, with the grid's name (dim_grids)."""
    return ctx.wh.rows(
        f"select o.*, g.grid_name from {ctx.wh.table(OPEN_MART)} o "
        f"left join {ctx.wh.table('dim_grids')} g on g.grid_code = o.grid_code "
        f"where o.township_code = ? and o.item_type = ? order by o.days_open desc, o.item_id",
        [town_code, item_type],
    )


def town_view(ctx: SiteContext, town: Town, periods: list[dict[str, Any]]) -> dict[str, Any]:
    year = ctx.as_of.year
    burden = burden_view(_rows(ctx, BURDEN_MART, "township_code = ?", [town.code]), year)
    loops = {r["period"]: r for r in _rows(ctx, LOOP_MART, "township_code = ?", [town.code])}
    loop = []
    for key, label in (
        (
            str(year),
            ctx.t(
                "{year}年发现（截至{month}月{day}日）", year=year, month=ctx.as_of.month, day=ctx.as_of.day, mon=f"{ctx.as_of:%b}"
            ),
        ),
        ("all", ctx.t("全部已入库数据")),
    ):
        if key in loops:
            loop.append({"period": key, "label": label, "row": loops[key], "stages": loop_stages(loops[key])})
    overdue = overdue_view(open_items(ctx, town.code, "hazard_overdue"))
    camps = _rows(ctx, CAMPAIGNS_MART, "township_code = ? and target_type = 'all'", [town.code], "inspections desc, campaign")
    dates = {p["campaign"]: p for p in periods}
    for c in camps:
        p = dates.get(c["campaign"])
        c["span"] = reports.short_span(p["first_date"], p["last_date"], ctx.as_of) if p else None
    return {"town": town, "burden": burden, "loop": loop, "overdue": overdue, "campaigns": camps}


def build(ctx: SiteContext) -> str:
    periods = reports.campaign_periods(ctx)
    share_chart = charts.to_div(charts.one_visit_share(index.one_visit_series(ctx)), "chart-inspections-share", 280)
    weeks = index._weeks(ctx.as_of)
    return ctx.render(
        "inspections.html.j2",
        page_file=FILE,
        title=TITLE,
        uses_plotly=True,
        towns=[town_view(ctx, t, periods.get(t.code, [])) for t in ctx.towns],
        share_chart=share_chart,
        year=ctx.as_of.year,
        share_span=ctx.t("{first}起 {n} 个完整周", first=f"{weeks[0]:%Y-%m-%d}", n=len(weeks)),
        overdue_shown=OVERDUE_SHOWN,
        alert=ctx.source_alert("inspections"),
    )
