"""The contract v1.1 quirks of the default sample inbox (none of them with clean=True).

Each is a handful of rows, drawn from its own random stream (so every other record of the
sample stays as it was), and placed where no figure of contract §9 can see it:

- damaged colliding ids (§2 v1.1): five 瓜沥 alarms in 2022 — never 非法捕捞, never merged —
  whose 接警单编号 reached the csv feed as Excel's `3.30109E+18` (pairs with different
  报警时间; one on a month's last day, so it is in two overlapping exports with the same
  报警时间 — a real second version); and two pairs of 义桥 2022 events whose 19-digit
  12345-hotline 事件编号 the xlsx export wrote as numeric cells (15 digits survive, so each
  pair arrives as one number) — non-leads, so no case refers to them;
- unusable secondary dates (§2 v1.1): per town two cases with 结案日期 `2202-…` (a year
  typo) or `…-32`, and two single-department inspections with such a 验收日期;
- versions with and without 更新时间 (§2 v1.1): four 瓜沥 July events voided on 8/20 in an
  export without the column (`guali_grid_events_voided_20220820.csv`) — the July export
  that has it shows them 已办结 / 已流转 (and 义桥's 2021 csv events, from the old platform,
  have no 更新时间 at all: see `_plans`);
- police push files (§4 v1.1): the last three days' single valid calls of 义桥 pushed again
  as daily JSON Lines that leave out empty keys (hbbh and wxyy never appear);
- full-width 事项编码 (§2 v1.1): a few notices (义桥 only after 8/24) and cases;
- a subfolder (§2 v1.1): `cases/archive/guali_cases_20220825.csv`, an overlapping export
  whose name sorts after `guali_cases_20220824.csv` (its folder path sorts before);
- 简易程序 cases (§2 v1.1): five per town, July–August 2022: no 立案日期, a 结案日期 and a
  fine of at most 200 元.

(Rental rooms named after their landlord are not a quirk but the data: inspections.py.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict

from .common import GUALI, YIQIAO, Ctx, at, mobile, person_name, resident_id
from .exports import FilePlan, Version, Window
from .inspections import ONE_VISIT
from .police_alarms import FISHING
from .reference import PARKING, TownRef
from .writers import NumericId, Raw, fullwidth

History = list[Version]
EXPORT_CUTOFF = dt.date(2022, 8, 24)


def _d(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)


def _day_end(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, 23, 59, 59)


def _day_start(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)


def apply(
    ctx: Ctx, ref: TownRef, built: dict, plans: dict[str, list[FilePlan]]
) -> tuple[list[tuple[FilePlan, list[History]]], dict[str, int]]:
    """Add one town's v1.1 quirks to its built records (in place). Returns the extra export
    files to write (plan, records) and a count per quirk for the summary."""
    town = ref.town
    extra: list[tuple[FilePlan, list[History]]] = []
    counts: dict[str, int] = {}
    case_hist = built["cases"][0]
    if town is GUALI:
        counts["alarm ids as 3.30109E+18 (csv)"] = _damaged_alarm_ids(ctx, built["police_alarms"][0])
        voided = _voided_events(ctx, built["grid_events"][0], plans["grid_events"][0])
        extra.append(voided)
        counts["events voided in an export without 更新时间"] = len(voided[1])
    else:
        counts["event ids as numeric xlsx cells"] = _numeric_event_ids(ctx, built["grid_events"][0])
        push = _push_files(ctx, built["police_alarms"][0], plans["police_alarms"][0])
        extra.append(push)
        counts["push files without hbbh/wxyy"] = len(push[0].wins or [])
    counts["unusable 结案日期"] = _secondary_dates(ctx, town.code, case_hist, "closed_on", _closed_ok)
    counts["unusable 验收日期"] = _secondary_dates(ctx, town.code, built["inspections"][0], "accepted_on", _accepted_ok)
    counts["full-width 事项编码"] = _fullwidth_codes(ctx, town.code, built["notices"][0], case_hist)
    simple = _summary_procedure(ctx, ref)
    case_hist.extend(simple)
    counts["简易程序 cases"] = len(simple)
    if town is GUALI:  # after the 简易程序 cases: the archive export holds them too
        extra.append(_archive(case_hist, plans["cases"][0]))
        counts["cases/archive/ exports"] = 1
    return extra, counts


# ---- damaged ids ---------------------------------------------------------------------------


def _reported_at(row: dict) -> dt.datetime:
    return row["reported_at"]


def _pair(rng: random.Random, rows: list[dict], lo: dt.date, hi: dt.date, when) -> list[dict]:
    """Two rows in [lo, hi], on the same day when possible (else on two days)."""
    by_day: dict[dt.date, list[dict]] = defaultdict(list)
    for r in rows:
        if lo <= when(r).date() <= hi:
            by_day[when(r).date()].append(r)
    full = sorted(d for d, rs in by_day.items() if len({when(r) for r in rs}) >= 2)
    if full:
        rs = by_day[rng.choice(full)]
        first = rng.choice(rs)
        return [first, rng.choice([r for r in rs if when(r) != when(first)])]
    pool = [r for d in sorted(by_day) for r in by_day[d]]
    return rng.sample(pool, min(2, len(pool)))


def _damaged_alarm_ids(ctx: Ctx, hist: list[History]) -> int:
    """瓜沥 csv alarms whose 接警单编号 went through Excel: `3.30109E+18` (all of them alike).
    Single calls without 合并编号, never 非法捕捞; distinct 报警时间 tell them apart."""
    rng = ctx.rng("quirks:alarm_ids")
    rows = [h[0][1] for h in hist]
    ok = [
        r
        for r in rows
        if r["reported_at"].year == 2022
        and r["alarm_subcategory"] != FISHING
        and r["merge_id"] is None
        and isinstance(r["alarm_id"], str)
    ]
    picked = _pair(rng, ok, _d(2022, 3, 1), _d(2022, 7, 25), _reported_at)
    # in August: each is in the 8/24 and the 8/31 export (a second version, same 报警时间)
    picked += _pair(rng, ok, _d(2022, 8, 1), _d(2022, 8, 20), _reported_at)
    # on a month's last day: in that month's export and, overlapping by two days, the next one's
    month_end = [
        r
        for r in ok
        if r["reported_at"].date() <= _d(2022, 7, 31)
        and (r["reported_at"] + dt.timedelta(days=1)).month != r["reported_at"].month
        and all(r is not p for p in picked)
    ]
    if month_end:
        picked.append(rng.choice(month_end))
    seen: set[dt.datetime] = set()
    n = 0
    for r in picked:
        if r["reported_at"] in seen:  # never two damaged alarms at the same second
            continue
        seen.add(r["reported_at"])
        r["alarm_id"] = NumericId(r["alarm_id"])
        n += 1
    return n


def _numeric_event_ids(ctx: Ctx, hist: list[History]) -> int:
    """义桥 2022 events taken over from the 12345 hotline keep its 19-digit 工单编号 as
    事件编号, which the xlsx export writes as a number: two pairs whose ids share their first
    15 digits arrive as one number. Non-leads (no case names them), all versions in 2022."""
    rng = ctx.rng("quirks:event_ids")
    ok = [
        h
        for h in hist
        if h[0][1]["reported_at"] >= dt.datetime(2022, 2, 1)
        and not any(row["is_enforcement_lead"] or row["related_case_id"] for _, row in h)
    ]
    heads = {id(h[0][1]): h for h in ok}
    n = 0
    for lo, hi in ((_d(2022, 4, 1), _d(2022, 7, 25)), (_d(2022, 8, 1), _d(2022, 8, 20))):
        pair = _pair(rng, [h[0][1] for h in ok], lo, hi, _reported_at)
        if len(pair) < 2:
            continue
        day = min(_reported_at(r) for r in pair).date()
        seq = rng.randint(1000, 8000)
        for k, r in enumerate(sorted(pair, key=_reported_at)):
            digits = f"330109{day:%Y%m%d}0{seq + k * rng.randint(1, 60):04d}"
            for _, row in heads[id(r)]:
                row["event_id"] = NumericId(digits)
                row["event_source"] = "12345热线"
            n += 1
    return n


# ---- versions with and without 更新时间 --------------------------------------------------


def _voided_events(ctx: Ctx, hist: list[History], base: FilePlan) -> tuple[FilePlan, list[History]]:
    """July events voided on 8/20 (duplicates found in a clean-up), exported from the 作废
    view, which has no 更新时间 column; the platform's July export (with the column) still
    shows them closed. Only the file date (8/20) says which version is newer."""
    rng = ctx.rng("quirks:voided")
    ok = [
        h
        for h in hist
        if _d(2022, 7, 1) <= h[0][1]["reported_at"].date() <= _d(2022, 7, 25)
        and h[-1][0] < dt.datetime(2022, 7, 31)
        and h[-1][1]["status"] in ("已办结", "已流转")
        and not any(row["is_enforcement_lead"] or row["related_case_id"] for _, row in h)
    ]
    picked = sorted(rng.sample(ok, min(4, len(ok))), key=lambda h: h[0][1]["event_id"])
    day = _d(2022, 8, 20)
    records = []
    for h in picked:
        t = dt.datetime(2022, 8, 20, rng.randint(9, 16), rng.randint(0, 59), rng.randint(0, 59))
        records.append([(t, {**h[-1][1], "status": "已作废", "closed_at": None, "updated_at": t})])
    plan = dataclasses.replace(
        base,
        stem=f"{base.stem}_voided",
        wins=[Window(day, _day_start(_d(2022, 8, 1)), _day_end(day))],
        drop=("updated_at",),
        title="一网统管作废事件清单",
        title_share=1.0,
        dup_rate=0,
        encodings=("gbk",),
        defects=False,
    )
    return plan, records


# ---- police push files ---------------------------------------------------------------------


def _push_files(ctx: Ctx, hist: list[History], base: FilePlan) -> tuple[FilePlan, list[History]]:
    """The exchange's daily push of 义桥's single valid calls for the last three days with
    such calls (8/29–8/31 in the demo), sent again in the month's dump: keys with empty values are left out, so hbbh and
    wxyy never appear in these files."""
    ok = [
        h
        for h in hist
        if (r := h[0][1])["is_valid"]
        and r["merge_id"] is None
        and r["invalid_reason"] is None
        and isinstance(r["alarm_id"], str)
        and r["reported_at"].year == 2022
    ]
    push_days = sorted({h[0][1]["reported_at"].date() for h in ok})[-3:]
    records = [h for h in ok if h[0][1]["reported_at"].date() in push_days]
    plan = dataclasses.replace(
        base,
        stem=f"{base.stem}_push",
        wins=[Window(d, _day_start(d), _day_end(d)) for d in push_days],
        overlap_days=0,
        dup_rate=0,
        omit_empty=True,
        defects=False,
    )
    return plan, records


# ---- unusable secondary dates ----------------------------------------------------------------


def _closed_ok(row: dict) -> bool:
    return row["outcome"] not in (None, "撤销立案") and isinstance(row["filed_on"], dt.date)


def _accepted_ok(row: dict) -> bool:
    # never a 综合查一次 inspection (义桥's 1029): single-department ones only
    return (
        row["rectification_status"] == "已整改"
        and row["inspection_method"] != ONE_VISIT
        and row["accepted_on"] != row["inspected_on"]
    )


def _secondary_dates(ctx: Ctx, code: str, hist: list[History], column: str, fits) -> int:
    """Two records whose final version carries an unusable secondary date: a year typo
    (`2202-08-11`, after the as-of date) and an impossible day (`2022-08-32`)."""
    rng = ctx.rng(f"quirks:{column}:{code}")
    ok = [
        h for h in hist if isinstance(d := h[-1][1][column], dt.date) and _d(2022, 5, 1) <= d <= EXPORT_CUTOFF and fits(h[-1][1])
    ]
    picked = rng.sample(ok, min(2, len(ok)))
    for k, h in enumerate(picked):
        d = h[-1][1][column]
        h[-1][1][column] = Raw(f"2202-{d.month:02d}-{d.day:02d}" if k == 0 else f"{d.year}-{d.month:02d}-32")
    return len(picked)


# ---- full-width codes ------------------------------------------------------------------------


def _fullwidth_codes(ctx: Ctx, code: str, notices: list[History], cases: list[History]) -> int:
    """事项编码 typed with a full-width input method (`３３００…`): notices (in 义桥 only after
    the 8/24 window of the calibrated 首违提醒 figure) and cases, all versions alike."""
    rng = ctx.rng(f"quirks:fullwidth:{code}")
    if code == YIQIAO.code:
        ok = [h for h in notices if h[0][1]["notice_date"] > EXPORT_CUTOFF]
        ok.sort(key=lambda h: (h[0][1]["matter_name"] != PARKING, h[0][1]["notice_id"]))  # parking first
        picked = ok[:3]
    else:
        ok = [h for h in notices if _d(2022, 7, 1) <= h[0][1]["notice_date"] <= EXPORT_CUTOFF]
        picked = rng.sample(ok, min(3, len(ok)))
    ok_cases = [
        h
        for h in cases
        if isinstance(h[0][1]["filed_on"], dt.date)
        and max(YIQIAO.reform_start, _d(2022, 6, 1)) <= h[0][1]["filed_on"] <= EXPORT_CUTOFF
        and isinstance(h[0][1]["matter_code"], str)
    ]
    picked += rng.sample(ok_cases, min(1 if code == YIQIAO.code else 2, len(ok_cases)))
    for h in picked:
        for _, row in h:
            row["matter_code"] = Raw(fullwidth(row["matter_code"]))
    return len(picked)


# ---- 简易程序 cases ----------------------------------------------------------------------------


def _summary_procedure(ctx: Ctx, ref: TownRef) -> list[History]:
    """Penalties decided on the spot (简易程序): never filed, so no 立案日期; accepted and
    closed the same day with a fine of at most 200 元, no legal review."""
    town = ref.town
    rng = ctx.rng(f"quirks:simple:{town.code}")
    matters = [m for m in ref.matters if m.domain == "市容环境卫生" and m.empowered_on <= _d(2022, 7, 1)]
    out = []
    for i, day in enumerate(sorted(_d(2022, 7, 1) + dt.timedelta(days=rng.randint(0, 54)) for _ in range(5))):
        m = rng.choice(matters)
        t = at(day, rng, 9, 17)
        row = {
            "case_id": f"JY{town.code[-3:]}{day.year}{i + 1:05d}",
            "case_source": "巡查发现",
            "related_event_id": None,
            "cause": m.name.removeprefix("对").removesuffix("的行政处罚") + "案",
            "matter_code": m.code,
            "enforcement_domain": m.domain,
            "township_code": town.code,
            "grid_code": ref.pick(rng)[0].code,
            "accepted_on": day,
            "filed_on": None,
            "first_handler_pseudonym": person_name(rng),
            "lead_handler_pseudonym": person_name(rng),
            "co_handler_pseudonym": None,
            "party_type": "个人",
            "party_pseudonym": person_name(rng),
            "party_id_pseudonym": resident_id(rng),
            "party_phone_pseudonym": mobile(rng),
            "outcome": "罚款",
            "fine_yuan": float(rng.choice((50, 100, 100, 200))),
            "has_legal_review": False,
            "has_review_board": False,
            "closed_on": day,
            "police_transfer_on": None,
            "reconsideration_litigation": "无",
            "updated_at": t,
        }
        out.append([(t, row)])
    return out


# ---- a subfolder -----------------------------------------------------------------------------


def _archive(hist: list[History], base: FilePlan) -> tuple[FilePlan, list[History]]:
    """A re-export of August to 8/25 a clerk filed under cases/archive/: its name
    (`guali_cases_20220825.csv`) sorts after `guali_cases_20220824.csv`, its path before."""
    day = _d(2022, 8, 25)
    plan = dataclasses.replace(
        base,
        stem=f"archive/{base.stem}",
        wins=[Window(day, _day_start(_d(2022, 8, 1)), _day_end(day))],
        encodings=("utf-8-sig",),
        defects=False,
    )
    return plan, hist
