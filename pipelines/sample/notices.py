"""柔性执法 records: 首违提醒 (a 《道路违停提示单》 for a first sidewalk-parking offence),
以服代罚 (garbage-sorting offenders serving on a public-welfare post), 轻微免罚.

Calibrated: 义桥镇 issued exactly 371 首违提醒 for 对在人行道违法停放非机动车的行政处罚
dated 2022-06-01 … 2022-08-24 (the reform took effect on 6/1, so none earlier).
"""

from __future__ import annotations

import datetime as dt
import random

from .common import UNKNOWN_TOWNS, YIQIAO, Ctx, at, days, mobile, person_name, poisson, resident_id, spread
from .reference import GARBAGE, PARKING, Matter, TownRef
from .writers import Raw

FIRST, SERVICE, MINOR = "首违提醒", "以服代罚", "轻微免罚"
PARKING_WINDOW = (dt.date(2022, 6, 1), dt.date(2022, 8, 24))
PARKING_COUNT = 371
# per day after the township's reform: parking reminders (outside the calibrated window),
# other first-violation reminders, service in lieu, minor-offence exemptions
RATES = {"330109118": (4.4, 1.2, 0.4, 0.6), "330109121": (3.6, 2.2, 0.8, 1.2)}
DOC = {FIRST: "首违提", SERVICE: "以服", MINOR: "不罚"}


def build(ctx: Ctx, ref: TownRef) -> tuple[list[list[tuple]], list[dict]]:
    town = ref.town
    rng = ctx.rng(f"notices:{town.code}")
    parking = next(m for m in ref.matters if m.name == PARKING)
    exempt = [m for m in ref.matters if m.first_violation_exempt and m.name != PARKING]
    garbage = [m for m in ref.matters if m.name in GARBAGE]
    minor = [m for m in ref.matters if m.mitigation_allowed and m.name not in GARBAGE]
    r_park, r_first, r_service, r_minor = RATES[town.code]
    plan: list[tuple[dt.date, str, Matter]] = []
    start = max(town.reform_start, dt.date(2021, 1, 1))
    for day in days(start):
        wk = 1.15 if day.weekday() < 5 else 0.6
        if not (town is YIQIAO and PARKING_WINDOW[0] <= day <= PARKING_WINDOW[1]):
            plan += [(day, FIRST, parking)] * poisson(rng, ctx.scale * r_park * wk)
        for kind, rate, pool in ((FIRST, r_first, exempt), (SERVICE, r_service, garbage), (MINOR, r_minor, minor)):
            live = [m for m in pool if m.empowered_on <= day]
            plan += [(day, kind, rng.choice(live)) for _ in range(poisson(rng, ctx.scale * rate * wk))]
    if town is YIQIAO:
        win = list(days(*PARKING_WINDOW))
        weights = [1.15 if d.weekday() < 5 else 0.6 for d in win]
        plan += [(d, FIRST, parking) for d in spread(rng, ctx.n(PARKING_COUNT), win, weights)]
    plan.sort(key=lambda p: (p[0], p[1], p[2].code))
    histories, seq, doc_seq = [], {}, {}
    for day, kind, m in plan:
        seq[day.year] = seq.get(day.year, 0) + 1
        dkey = (day.year, kind, m is parking)
        doc_seq[dkey] = doc_seq.get(dkey, 0) + 1
        doc = f"{town.abbr}综执{'违停提' if m is parking else DOC[kind]}〔{day.year}〕{doc_seq[dkey]:04d}号"
        histories.append([_notice(rng, ref, f"RX{town.code[-3:]}{day.year}{seq[day.year]:05d}", day, kind, m, doc)])
    return histories, _defects(ctx, ref, rng, parking) if not ctx.clean else []


def _notice(rng: random.Random, ref: TownRef, nid: str, day: dt.date, kind: str, m: Matter, doc: str) -> tuple:
    g = ref.pick(rng)[0]
    r = rng.random()
    pid = resident_id(rng, bad_checksum=True) if r < 0.01 else None if r < 0.08 else resident_id(rng)
    t = at(day, rng, 8, 19)
    row = {
        "notice_id": nid,
        "notice_date": day,
        "township_code": ref.town.code,
        "grid_code": g.code if rng.random() < 0.9 else g.parent,
        "notice_type": kind,
        "matter_code": m.code,
        "matter_name": m.name,
        "party_pseudonym": person_name(rng),
        "party_id_pseudonym": pid,
        "party_phone_pseudonym": mobile(rng),
        "document_no": doc,
        "updated_at": t,
    }
    return (t, row)


def _defects(ctx: Ctx, ref: TownRef, rng: random.Random, parking: Matter) -> list[dict]:
    """Parking reminders in the calibrated window that must be quarantined, not counted."""
    town, out = ref.town, []
    for i in range(8):
        day = dt.date(2022, rng.randint(6, 8), rng.randint(1, 24))
        nid, t, doc = f"RX{town.code[-3:]}{day.year}9{i:04d}", at(day, rng, 8, 19), f"{town.abbr}综执违停提〔2022〕9{i:03d}号"
        _, row = _notice(rng, ref, nid, day, FIRST, parking, doc)
        row["_t"] = t
        kind = i % 4
        if kind == 0:
            row["township_code"] = Raw(UNKNOWN_TOWNS[i % len(UNKNOWN_TOWNS)])
        elif kind == 1:
            row["notice_id"] = Raw(rng.choice(("", "null", "/")))
        elif kind == 2:
            row["notice_date"] = Raw(rng.choice(("2022-06-31", "六月五日", "2022/7/32")))
        else:
            row["notice_date"] = day.replace(year=2032)
        out.append(row)
    return out
