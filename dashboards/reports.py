"""Issue 10: what the report pages derive from the marts — 本周要点 (the few changes that
matter this week, per township), 日常 vs 专项行动 splits and campaign periods, periods as
printed on the cards.

Nothing here names a topic: the headlines are chosen from `mart_indicator_comparisons`
(windows last_week and 28_days) by the Poisson z and the 小基数 rule of contract §7; the
indicator names, units and sources come from the contract. Campaign splits read the
report marts of dbt/models/marts/reports/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from . import i18n, metrics
from .i18n import N_

if TYPE_CHECKING:
    from pipelines.contract import Contract

    from .site import SiteContext, Town

COMPARISONS_MART = "mart_indicator_comparisons"
INSPECTIONS_MART = "mart_report_inspections_daily"
CAMPAIGNS_MART = "mart_report_campaign_periods"
OPEN_ITEMS_MART = "mart_report_open_items"

# Windows the headlines are chosen from, in order of preference (the newest news first).
HEADLINE_WINDOWS = (("last_week", N_("上周")), ("28_days", N_("近28天")))
WINDOW_LABELS = {
    "week": N_("本周"),
    "last_week": N_("上周"),
    "28_days": N_("近28天"),
    "month": N_("本月"),
    "year_to_date": N_("今年以来"),
    "reform_to_date": N_("改革以来"),
}
MAX_HEADLINES = 4
# A category (breakdown) row must be an alert (|z| ≥ 3) to make the headlines; totals need watch.
CATEGORY_LEVEL = "alert"
INSPECTION_SOURCE = "inspections"


def short_span(start: dt.date, end: dt.date, as_of: dt.date | None = None) -> str:
    """'08-04至08-31' in the as-of year, else with years ('08-04 to 08-31' in English)."""
    if as_of is not None and start.year == end.year == as_of.year:
        a, b = f"{start:%m-%d}", f"{end:%m-%d}"
    elif start.year == end.year:
        a, b = f"{start:%Y-%m-%d}", f"{end:%m-%d}"
    else:
        a, b = f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"
    return i18n.t("{start}至{end}", start=a, end=b)


def category_breakdowns(contract: Contract) -> dict[str, str]:
    """indicator → its readable breakdown (警情细类, 执法领域, 检查对象类型; not codes such as 事项编码)."""
    out = {}
    for ind in contract.indicators:
        for b in ind.breakdowns:
            if not b.endswith("编码"):
                out[ind.name] = b
    return out


# ---------------------------------------------------------------- campaigns


def campaign_periods(ctx: SiteContext) -> dict[str, list[dict[str, Any]]]:
    """township_code → [{campaign, first_date, last_date, inspections}]."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in ctx.wh.rows(
        f"select township_code, campaign, first_date, last_date, inspections "
        f"from {ctx.wh.table(CAMPAIGNS_MART)} order by township_code, first_date, campaign"
    ):
        out.setdefault(r["township_code"], []).append(r)
    return out


def active(periods: list[dict[str, Any]], start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    return [p for p in periods if p["first_date"] <= end and p["last_date"] >= start]


def inspections_split(ctx: SiteContext, town: str, start: dt.date, end: dt.date) -> dict[str, float]:
    """Inspections and 综合查一次 in [start, end] split 专项行动 / 日常."""
    rows = ctx.wh.tuples(
        f"select kind, sum(inspections), sum(one_visit_inspections) from {ctx.wh.table(INSPECTIONS_MART)} "
        f"where township_code = ? and date between ? and ? group by kind",
        [town, start, end],
    )[1]
    out = {"campaign": 0.0, "routine": 0.0, "campaign_one_visit": 0.0, "routine_one_visit": 0.0}
    for kind, n, ov in rows:
        out[kind] = float(n or 0)
        out[f"{kind}_one_visit"] = float(ov or 0)
    return out


def weekly_split(ctx: SiteContext, town: str, weeks: list[dt.date], measure: str = "inspections") -> dict[str, list[float]]:
    """Per Monday in ``weeks``: routine and campaign counts ({'routine': [...], 'campaign': [...]}).
    measure: 'inspections' or 'one_visit_inspections'."""
    if not weeks:
        return {"routine": [], "campaign": []}
    col = "one_visit_inspections" if measure == "one_visit_inspections" else "inspections"
    rows = ctx.wh.tuples(
        f"select cast(date_trunc('week', date) as date), kind, sum({col}) "
        f"from {ctx.wh.table(INSPECTIONS_MART)} where township_code = ? and date between ? and ? "
        f"group by 1, 2",
        [town, weeks[0], weeks[-1] + dt.timedelta(days=6)],
    )[1]
    got = {(w, k): float(n or 0) for w, k, n in rows}
    return {k: [got.get((w, k), 0.0) for w in weeks] for k in ("routine", "campaign")}


# ---------------------------------------------------------------- 本周要点


@dataclass
class Headline:
    kind: str  # 'change' | 'campaign'
    indicator: str
    title: str
    window: str
    window_label: str
    span: str
    prev_span: str
    c: metrics.Shown | metrics.Comparison
    unit: str
    direction: str  # 'up' | 'down' | 'flat'
    cls: str = "neutral"
    breakdown: str = "all"
    campaigns: tuple[str, ...] = ()
    campaign_count: float = 0.0
    total: float = 0.0

    @property
    def z(self) -> float:
        return abs(self.c.z or 0.0)


def _direction(v: float | None) -> str:
    if not v:
        return "flat"
    return "up" if v > 0 else "down"


def headlines(ctx: SiteContext, town: Town, limit: int = MAX_HEADLINES) -> list[Headline]:
    """The few changes that matter this week for one township, most significant first.

    Candidates: mart rows of the last complete week and the last 28 days with a prior period
    and a signal (|z| ≥ 2; a category needs |z| ≥ 3). One per indicator and breakdown (the
    last week when it signals, else the 28 days). When a 专项行动 ran in the window, the
    inspection indicators are not reported as changes: one campaign item says how many
    inspections were campaign work and compares 日常 with the year before instead.
    """
    cats = category_breakdowns(ctx.contract)
    indicators = {i.name: ctx.indicator(i.name) for i in ctx.contract.indicators}
    keys = [w for w, _ in HEADLINE_WINDOWS]
    rows = ctx.wh.rows(
        f"select * from {ctx.wh.table(COMPARISONS_MART)} where township_code = ? "
        f"and window_name in ({', '.join('?' for _ in keys)}) and has_prior_data "
        f"and signal in ('watch', 'alert') order by indicator, breakdown, window_name",
        [town.code, *keys],
    )
    windows = {
        r["window_name"]: r
        for r in ctx.wh.rows(
            f"select distinct window_name, period_start, period_end, prior_start, prior_end "
            f"from {ctx.wh.table(COMPARISONS_MART)} where township_code = ? and window_name in "
            f"({', '.join('?' for _ in keys)})",
            [town.code, *keys],
        )
    }
    periods = campaign_periods(ctx).get(town.code, [])
    labels = {k: i18n.t(v) for k, v in HEADLINE_WINDOWS}

    campaign_windows: set[str] = set()
    for w in keys:
        if w in windows and active(periods, windows[w]["period_start"], windows[w]["period_end"]):
            campaign_windows.add(w)

    best, campaign_hit = _strongest_signals(ctx, rows, indicators, cats, campaign_windows, keys)
    out = [_change_headline(ctx, r, indicators[name], breakdown, labels) for (name, breakdown), r in best.items()]
    out.sort(key=lambda h: (-h.z, h.indicator, h.breakdown))

    if campaign_hit is not None:
        out.insert(0, campaign_headline(ctx, town, windows[campaign_hit], labels[campaign_hit], periods))
    return out[:limit]


def _strongest_signals(
    ctx: SiteContext,
    rows: list[dict[str, Any]],
    indicators: dict[str, dict[str, Any]],
    cats: dict[str, str],
    campaign_windows: set[str],
    keys: list[str],
) -> tuple[dict[tuple[str, str], dict[str, Any]], str | None]:
    """One signalling row per (indicator, breakdown), the shorter window first; and the window
    in which a 专项行动 made the inspection indicators' change (None when none did)."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    campaign_hit: str | None = None
    for r in rows:
        ind = indicators.get(r["indicator"])
        if ind is None or ctx.source_alert(r["indicator"]) is not None:
            continue  # a missing, incomplete or stale source's change is not news, it is a gap
        if r["breakdown"] != "all" and (cats.get(r["indicator"]) is None or r["signal"] != CATEGORY_LEVEL):
            continue
        if ind.get("source") == INSPECTION_SOURCE and r["window_name"] in campaign_windows:
            campaign_hit = campaign_hit or r["window_name"]
            if r["window_name"] == "last_week":
                campaign_hit = "last_week"
            continue
        key = (r["indicator"], r["breakdown"])
        prev = best.get(key)
        if prev is None or keys.index(r["window_name"]) < keys.index(prev["window_name"]):
            best[key] = r
    return best, campaign_hit


def _change_headline(
    ctx: SiteContext, r: dict[str, Any], ind: dict[str, Any], breakdown: str, labels: dict[str, str]
) -> Headline:
    name = r["indicator"]
    c = metrics.Shown.from_mart(r)
    direction = _direction(c.abs_change)
    cls = metrics.change_class(c.abs_change, ind.get("better"))
    return Headline(
        kind="change",
        indicator=name,
        title=ind["label"] if breakdown == "all" else Markup("{} · {}").format(ind["label"], i18n.raw(breakdown)),
        window=r["window_name"],
        window_label=labels[r["window_name"]],
        span=short_span(r["period_start"], r["period_end"], ctx.as_of),
        prev_span=short_span(r["prior_start"], r["prior_end"]),
        c=c,
        unit=ind.get("unit", ""),
        direction=direction,
        cls=cls,
        breakdown=breakdown,
    )


def campaign_headline(ctx: SiteContext, town: Town, w: dict[str, Any], label: str, periods: list[dict[str, Any]]) -> Headline:
    now = inspections_split(ctx, town.code, w["period_start"], w["period_end"])
    before = inspections_split(ctx, town.code, w["prior_start"], w["prior_end"])
    names = tuple(p["campaign"] for p in active(periods, w["period_start"], w["period_end"]))
    c = metrics.Comparison(now["routine"], before["routine"])
    ind = ctx.indicator("inspections")
    return Headline(
        kind="campaign",
        indicator="inspections",
        title=i18n.t("专项行动"),
        window=w["window_name"],
        window_label=label,
        span=short_span(w["period_start"], w["period_end"], ctx.as_of),
        prev_span=short_span(w["prior_start"], w["prior_end"]),
        c=c,
        unit=ind.get("unit", "次"),
        direction=_direction(c.abs_change),
        campaigns=names,
        campaign_count=now["campaign"],
        total=now["campaign"] + now["routine"],
    )


def weekly_totals(
    ctx: SiteContext, town: str, indicators: list[str], weeks: list[dt.date], breakdown: str = "all"
) -> dict[str, list[float]]:
    """indicator → its weekly sums (breakdown 'all') over the Mondays in ``weeks``."""
    if not weeks or not indicators:
        return {}
    fct = ctx.wh.table("fct_township_daily")
    rows = ctx.wh.tuples(
        f"select indicator, cast(date_trunc('week', date) as date), sum(value) from {fct} "
        f"where township_code = ? and breakdown = ? and indicator in ({', '.join('?' for _ in indicators)}) "
        f"and date between ? and ? group by 1, 2",
        [town, breakdown, *indicators, weeks[0], weeks[-1] + dt.timedelta(days=6)],
    )[1]
    got = {(i, w): float(v or 0) for i, w, v in rows}
    return {i: [got.get((i, w), 0.0) for w in weeks] for i in indicators}


def alarm_weeks(ctx: SiteContext, town: str, weeks: list[dt.date], subcategory: str = "all") -> dict[str, list]:
    """Valid alarms per week (Mondays in ``weeks``) and the same ISO week a year earlier, from
    mart_alarm_trends_weekly; last year is None where the mart says the feed does not reach
    back to it (has_prior_data: 无同期数据, not 0)."""
    rows = ctx.wh.tuples(
        f"select cast(week_start as date), valid_alarms, valid_alarms_last_year, has_prior_data "
        f"from {ctx.wh.table('mart_alarm_trends_weekly')} "
        f"where township_code = ? and alarm_subcategory = ? and week_start between ? and ?",
        [town, subcategory, weeks[0], weeks[-1]],
    )[1]
    now = {w: float(v or 0) for w, v, _, _ in rows}
    before = {w: float(p or 0) for w, _, p, covered in rows if covered}
    return {
        "weeks": [w.isoformat() for w in weeks],
        "now": [now.get(w, 0.0) for w in weeks],
        "before": [before.get(w) for w in weeks],
    }
