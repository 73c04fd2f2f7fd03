"""行政执法办案系统 cases: thousands, with the party's personal data, mixed money and boolean
spellings, a few 撤销立案, police transfers and repeat parties. About 40 % come from grid
events flagged as enforcement leads (关联事件编号 ↔ the event's 关联案件编号).
"""

from __future__ import annotations

import datetime as dt
import random

from .common import (
    END,
    UNKNOWN_TOWNS,
    YIQIAO,
    Ctx,
    at,
    company_name,
    days,
    landline,
    mobile,
    person_name,
    poisson,
    resident_id,
    uscc,
)
from .grid_events import Event, same_export
from .reference import Matter, TownRef
from .writers import Raw

# cases per day: (before the township's reform, after it)
RATES = {"330109118": (1.1, 4.6), "330109121": (5.6, 6.6)}
LEAD_SHARE = 0.4  # share of cases that started as a grid-event lead
# which 执法领域 a lead's 事件大类 turns into
LEAD_DOMAINS = {
    "市容环境": ("市容环境卫生",),
    "安全隐患": ("消防救援", "应急管理", "住房城乡建设"),
    "违章搭建": ("城乡规划", "自然资源"),
    "生态环境": ("生态环境", "水利", "农业农村"),
    "交通秩序": ("交通运输", "市政公用"),
}
OTHER_SOURCES = ("巡查发现", "投诉举报", "部门移送", "警情移交")
OUTCOMES = ("罚款", "警告", "不予处罚", "移送公安", "撤销立案")
OUTCOME_WEIGHTS = (63, 16, 13, 3, 3)
FINES = (50, 100, 200, 200, 300, 500, 500, 800, 1000, 1200, 1500, 2000, 2500, 3000, 5000, 8000, 10000, 12500, 20000, 50000)
FINE_WEIGHTS = (6, 10, 10, 6, 6, 12, 6, 4, 8, 3, 4, 6, 2, 4, 4, 1.5, 2, 0.5, 1, 0.3)


def _matter_weights(rng: random.Random, matters: list[Matter]) -> list[float]:
    """A few matters carry most of the caseload (Zipf), street-order matters most of all."""
    ranks = list(range(len(matters)))
    rng.shuffle(ranks)
    return [(3.0 if m.domain == "市容环境卫生" else 1.0) / (r + 5) for m, r in zip(matters, ranks)]


def build(ctx: Ctx, ref: TownRef, events: list[Event]) -> tuple[list[list[tuple]], list[dict]]:
    town = ref.town
    rng = ctx.rng(f"cases:{town.code}")
    before, after = RATES[town.code]
    officers = [person_name(rng) for _ in range(22 if town is YIQIAO else 51)]
    repeaters = [(person_name(rng), resident_id(rng), mobile(rng)) for _ in range(40 if town is YIQIAO else 120)]
    matters = ref.matters
    weights = _matter_weights(rng, matters)
    by_domain: dict[str, list[int]] = {}
    for i, m in enumerate(matters):
        by_domain.setdefault(m.domain, []).append(i)

    # (filed day, source, lead event or None)
    plan: list[tuple[dt.date, str, Event | None]] = []
    for day in days():
        rate = after if day >= town.reform_start else before
        for _ in range(poisson(rng, ctx.scale * rate * (1 - LEAD_SHARE) * (0.5 if day.weekday() >= 5 else 1.2))):
            plan.append((day, rng.choice(OTHER_SOURCES), None))
    leads = [e for e in events if e.is_lead and e.category in LEAD_DOMAINS]
    n_leads = min(len(leads), round(len(plan) * LEAD_SHARE / (1 - LEAD_SHARE)))
    for e in rng.sample(leads, n_leads):
        filed = (e.reported_at + dt.timedelta(days=rng.randint(1, 10))).date()
        if filed <= END:
            plan.append((filed, "网格上报", e))
    plan.sort(key=lambda p: (p[0], p[2].id if p[2] else ""))

    histories, seq = [], {}
    for day, source, lead in plan:
        seq[day.year] = seq.get(day.year, 0) + 1
        case_id = f"AJ{town.code[-3:]}{day.year}{seq[day.year]:05d}"
        if lead is not None:
            idx = by_domain[rng.choice([d for d in LEAD_DOMAINS[lead.category] if d in by_domain])]
            m = matters[rng.choices(idx, [weights[i] for i in idx])[0]]
            grid = lead.grid_code
            lead.case_link = (case_id, at(day, rng, 9, 17))
        else:
            m = matters[rng.choices(range(len(matters)), weights)[0]]
            g = ref.pick(rng)[0]
            r = rng.random()
            grid = g.parent if r < 0.05 else None if r < 0.07 else g.code
        histories.append(_case(ctx, rng, town, case_id, day, source, lead, m, grid, officers, repeaters))
    return histories, _defects(ctx, ref, rng, officers) if not ctx.clean else []


def _party(rng: random.Random, town, repeaters) -> tuple[str, str, str, str]:
    kind = rng.choices(("个人", "个体工商户", "单位"), (55, 30, 15))[0]
    if kind == "单位":
        return kind, company_name(rng, town), uscc(rng), landline(rng) if rng.random() < 0.6 else mobile(rng)
    if rng.random() < 0.09:
        name, pid, phone = rng.choice(repeaters)  # the same person again, within months
        return kind, name, pid, phone
    r = rng.random()
    if r < 0.015:
        pid = resident_id(rng, bad_checksum=True)
    elif r < 0.02:
        full = resident_id(rng)
        pid = full[:6] + full[8:17]  # legacy 15-digit number
    else:
        pid = resident_id(rng)
    return kind, person_name(rng), pid, mobile(rng)


def _case(ctx, rng, town, case_id, day, source, lead, m: Matter, grid, officers, repeaters) -> list[tuple]:
    accepted = day - dt.timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3, 5)))
    kind, name, pid, phone = _party(rng, town, repeaters)
    lead_handler, co = rng.sample(officers, 2)
    outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
    fine = float(rng.choices(FINES, FINE_WEIGHTS)[0]) if outcome == "罚款" else None
    filed_at = at(day, rng, 9, 17)
    closed = day + dt.timedelta(days=rng.randint(2, 12) if outcome == "撤销立案" else int(rng.expovariate(1 / 18)) + 3)
    transfer = day + dt.timedelta(days=rng.randint(2, 15)) if outcome == "移送公安" else None
    if transfer and transfer > closed:
        closed = transfer + dt.timedelta(days=rng.randint(0, 5))
    cause = m.name.removeprefix("对").removesuffix("的行政处罚") + "案"
    row = {
        "case_id": case_id,
        "case_source": source,
        "related_event_id": lead.id if lead else None,
        "cause": cause,
        "matter_code": m.code,
        "enforcement_domain": m.domain,
        "township_code": town.code,
        "grid_code": grid,
        "accepted_on": accepted,
        "filed_on": day,
        "first_handler_pseudonym": rng.choice(officers),
        "lead_handler_pseudonym": lead_handler,
        "co_handler_pseudonym": co if rng.random() < 0.45 else None,
        "party_type": kind,
        "party_pseudonym": name,
        "party_id_pseudonym": pid,
        "party_phone_pseudonym": phone,
        "outcome": None,
        "fine_yuan": None,
        "has_legal_review": False,
        "has_review_board": False,
        "closed_on": None,
        "police_transfer_on": None,
        "reconsideration_litigation": "无",
        "updated_at": filed_at,
    }
    end = dt.datetime(END.year, END.month, END.day, 23, 59, 59)
    t_close = at(closed, rng, 9, 18)
    versions = []
    if not same_export(filed_at, t_close) or t_close > end:
        versions.append((filed_at, row))
    if t_close <= end:
        big = (fine or 0) >= 10000 or outcome == "移送公安"
        final = {
            **row,
            "outcome": outcome,
            "fine_yuan": fine,
            "closed_on": closed,
            "police_transfer_on": transfer,
            "has_legal_review": outcome != "撤销立案" and (big or rng.random() < 0.7),
            "has_review_board": big and rng.random() < 0.8,
            "reconsideration_litigation": rng.choices(("无", "复议", "诉讼"), (97.5, 1.8, 0.7))[0] if outcome == "罚款" else "无",
            "updated_at": t_close,
        }
        versions.append((t_close, final))
    return versions


def _defects(ctx: Ctx, ref: TownRef, rng: random.Random, officers: list[str]) -> list[dict]:
    town, out = ref.town, []
    for i in range(8):
        day = dt.date(2022, rng.randint(1, 8), rng.randint(1, 24))
        m = rng.choice(ref.matters)
        t = at(day, rng, 9, 17)
        row = {
            "case_id": f"AJ{town.code[-3:]}{day.year}9{i:04d}",
            "case_source": "巡查发现",
            "related_event_id": None,
            "cause": m.name.removeprefix("对").removesuffix("的行政处罚") + "案",
            "matter_code": m.code,
            "enforcement_domain": m.domain,
            "township_code": town.code,
            "grid_code": ref.pick(rng)[0].code,
            "accepted_on": day,
            "filed_on": day,
            "first_handler_pseudonym": officers[0],
            "lead_handler_pseudonym": officers[1],
            "co_handler_pseudonym": None,
            "party_type": "个人",
            "party_pseudonym": person_name(rng),
            "party_id_pseudonym": resident_id(rng),
            "party_phone_pseudonym": mobile(rng),
            "outcome": None,
            "fine_yuan": None,
            "has_legal_review": False,
            "has_review_board": False,
            "closed_on": None,
            "police_transfer_on": None,
            "reconsideration_litigation": "无",
            "updated_at": t,
            "_t": t,
        }
        kind = i % 4
        if kind == 0:
            row["township_code"] = Raw(UNKNOWN_TOWNS[i % len(UNKNOWN_TOWNS)])
        elif kind == 1:
            row["case_id"] = Raw(rng.choice(("", "暂无", "-")))
        elif kind == 2:
            row["filed_on"] = Raw(rng.choice(("2022-02-30", "二〇二二年六月", "20221345")))
        else:
            row["filed_on"] = row["accepted_on"] = day.replace(year=2032)
        out.append(row)
    return out
