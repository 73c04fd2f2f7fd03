"""公安警情 alarms. An incident is one or more calls sharing a 合并编号: repeat calls are
usually marked invalid (重复); some incidents start with an invalid call (无声, 误报) and a
valid one follows; some are invalid throughout. Most alarms carry no grid, only lon/lat.

Calibrated: 义桥镇 valid incidents whose first valid alarm is 非法捕捞, dated by the
incident's first call: May–June 2021 = 120, May–June 2022 = 38 (−68.3 %). The monthly
counts below are exact; edge cases (a first call on 4/30 23:58 whose valid repeat comes
on 5/1, a 非法捕捞 call following another valid call, all-invalid 非法捕捞 incidents) are
placed so that only the §7 reading gives these numbers.
"""

from __future__ import annotations

import datetime as dt
import random

from .common import END, END_TS, UNKNOWN_TOWNS, YIQIAO, Ctx, days, mobile, person_name, poisson
from .reference import Grid, TownRef
from .writers import JsonNumber, Raw

FISHING = "非法捕捞"
# Yiqiao: valid 非法捕捞 incidents per month (2021, 2022); spring is the fishing-ban season
FISHING_2021 = (8, 10, 35, 45, 62, 58, 30, 25, 18, 12, 8, 6)  # May + June = 120
FISHING_2022 = (7, 9, 30, 28, 20, 18, 12, 10)  # May + June = 38
SUBCATS = {  # 警情细类: (警情类别, weight, summary)
    "盗窃": ("刑事", 8, "电动车被盗"),
    "诈骗": ("刑事", 5, "接到陌生电话被骗转账"),
    "故意伤害": ("刑事", 1, "有人持械伤人"),
    "噪音扰民": ("治安", 9, "楼下KTV噪音扰民"),
    "打架斗殴": ("治安", 5, "有人在路边打架"),
    "赌博": ("治安", 2, "有人聚众赌博"),
    FISHING: ("治安", 0, "江边有人电鱼"),
    "交通事故": ("交通", 14, "两车相撞，无人员受伤"),
    "交通堵塞": ("交通", 4, "路口车辆拥堵"),
    "求助": ("群众求助", 10, "老人走失需要帮助"),
    "开锁": ("群众求助", 4, "钥匙锁在屋内"),
    "家庭纠纷": ("纠纷", 8, "夫妻吵架"),
    "邻里纠纷": ("纠纷", 7, "邻居因停车发生争吵"),
    "经济纠纷": ("纠纷", 4, "讨要货款发生争执"),
    "劳资纠纷": ("纠纷", 4, "工人讨薪"),
    "火警": ("其他", 2, "有烟雾冒出"),
    "其他": ("其他", 6, "情况不明"),
}
BACKGROUND = [k for k in SUBCATS if k != FISHING]
BG_WEIGHTS = [SUBCATS[k][1] for k in BACKGROUND]
INVALID = ("骚扰", "误报", "无声", "咨询")
RATES = {"330109118": 11.0, "330109121": 30.0}  # incidents per day
VALID_RESULTS = ("已处理", "现场调解", "告诫教育", "受案调查", "移交相关部门", "现场劝离")


class Alarms:
    """Builds one town's alarms; `incident()` appends the calls of one incident."""

    def __init__(self, ctx: Ctx, ref: TownRef, rng: random.Random):
        self.ctx, self.ref, self.rng, self.town = ctx, ref, rng, ref.town
        self.rows: list[dict] = []
        self.seq: dict[dt.date, int] = {}
        self.river = [g for g in ref.micro if g.riverside]
        self.river_w = [g.weight for g in self.river]

    def _id(self, t: dt.datetime) -> str:
        d = t.date()
        self.seq[d] = self.seq.get(d, 0) + 1
        base = 10000 if self.town is YIQIAO else 50000
        return f"330109{d:%Y%m%d}{base + self.seq[d]:05d}"

    def incident(
        self, t: dt.datetime, calls: list[tuple[str, bool, str | None]], grid: Grid | None = None, merge: bool | None = None
    ) -> list[dict]:
        """calls: (警情细类, valid, 无效原因) in order; later calls come minutes apart."""
        rng, ref = self.rng, self.ref
        if t + dt.timedelta(minutes=110) > END_TS:
            # repeat calls must not spill past the data's last day (it would move the as-of date)
            t -= dt.timedelta(minutes=110)
        g = grid or ref.pick(rng)[0]
        lon, lat = g.point(rng)
        rows, hbbh = [], None
        for k, (sub, valid, reason) in enumerate(calls):
            jjdbh = self._id(t)
            if k == 0 and (len(calls) > 1 or (merge if merge is not None else rng.random() < 0.5)):
                hbbh = "HB" + jjdbh
            cat, _, summary = SUBCATS[sub]
            r = rng.random()
            sswg = g.code if r < 0.38 else g.parent if r < 0.43 else None
            if r > 0.998:  # a code not in the reference (drawn in clean mode too: same data either way)
                bogus = f"{self.town.code}9{rng.randint(10, 99)}{rng.randint(1, 20):02d}"
                sswg = sswg if self.ctx.clean else bogus
            caller = person_name(rng)
            text = f"报警人称{g.village}附近{summary}"
            p = rng.random()
            if p < 0.05:
                text += f"，回拨电话{mobile(rng)}"
            elif p < 0.08:
                text = f"报警人{caller}称{g.village}附近{summary}"
            if reason == "无声":
                text, caller = "无声电话，回拨无人接听", None
            elif reason == "重复":
                text = "重复报警：" + text
            row = {
                "alarm_id": jjdbh,
                "reported_at": t,
                "alarm_category": cat,
                "alarm_subcategory": sub,
                "is_valid": valid,
                "invalid_reason": reason,
                "merge_id": hbbh,
                "township_code": self.town.code,
                "grid_code": sswg,
                "longitude": lon,
                "latitude": lat,
                "police_station": rng.choice(self.town.police_stations),
                "caller_pseudonym": caller,
                "caller_phone_pseudonym": mobile(rng),
                "summary": text,
                "disposition": rng.choice(VALID_RESULTS) if valid else "无效警情",
            }
            rows.append(row)
            t += dt.timedelta(minutes=rng.randint(2, 25), seconds=rng.randint(0, 59))
        self.rows += rows
        return rows

    def shape(self, sub: str) -> list[tuple[str, bool, str | None]]:
        """A typical incident of a subcategory: one call, an invalid call, or repeats."""
        r = self.rng.random()
        if r < 0.78:
            return [(sub, True, None)]
        if r < 0.88:
            return [(sub, False, self.rng.choice(INVALID))]
        if r < 0.97:
            return [(sub, True, None)] + [(sub, False, "重复")] * self.rng.randint(1, 3)
        if r < 0.99:  # silent first call, the caller rings back and is taken
            return [(sub, False, "无声"), (sub, True, None)] + [(sub, False, "重复")] * self.rng.randint(0, 1)
        return [(sub, False, "无声")] + [(sub, False, "重复")] * self.rng.randint(1, 2)  # never valid


def _night(day: dt.date, rng: random.Random) -> dt.datetime:
    hour = rng.choice((4, 5, 6, 19, 20, 21, 22))
    return dt.datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))


def _month_days(year: int, month: int) -> list[dt.date]:
    return [
        d for d in days(dt.date(year, month, 1), min(END, dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)))
    ]


def build(ctx: Ctx, ref: TownRef) -> tuple[list[list[tuple]], list[dict]]:
    town = ref.town
    rng = ctx.rng(f"alarms:{town.code}")
    a = Alarms(ctx, ref, rng)
    rate = RATES[town.code]
    for day in days():
        for _ in range(poisson(rng, ctx.scale * rate * (1.15 if day.weekday() >= 5 else 1.0))):
            sub = rng.choices(BACKGROUND, BG_WEIGHTS)[0]
            if town is not YIQIAO and rng.random() < 0.01:
                sub = FISHING  # Guali has a little river fishing too (not calibrated)
            t = dt.datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
            a.incident(t, a.shape(sub))
    if town is YIQIAO:
        _fishing(ctx, a, rng)
    _id_as_number(a, rng, apply=not ctx.clean)
    rows = sorted(a.rows, key=lambda r: (r["reported_at"], r["alarm_id"]))
    return [[(r["reported_at"], r)] for r in rows], _defects(ctx, ref, rng) if not ctx.clean else []


def _fishing(ctx: Ctx, a: Alarms, rng: random.Random) -> None:
    """Yiqiao's 非法捕捞 incidents: exact valid counts per month plus the edge cases."""
    F = FISHING
    for year, counts in ((2021, FISHING_2021), (2022, FISHING_2022)):
        for month, count in enumerate(counts, start=1):
            n = ctx.n(count)
            special = 0
            if (year, month) == (2022, 4) and n:
                # first call 4/30 23:58 silent, valid repeat 5/1 00:04: an April incident, not May
                a.incident(
                    dt.datetime(2022, 4, 30, 23, 58, 11),
                    [(F, False, "无声"), (F, True, None)],
                    rng.choices(a.river, a.river_w)[0],
                )
                special = 1
            if (year, month) == (2021, 6) and n:
                # valid on 6/30 23:51, repeat after midnight: a June incident
                a.incident(
                    dt.datetime(2021, 6, 30, 23, 51, 40),
                    [(F, True, None), (F, False, "重复")],
                    rng.choices(a.river, a.river_w)[0],
                )
                special = 1
            for day in spread_days(rng, n - special, _month_days(year, month)):
                g = rng.choices(a.river, a.river_w)[0]
                r = rng.random()
                if r < 0.05:  # a valid 非法捕捞 call followed by a valid call of another kind
                    calls = [(F, True, None), ("其他", True, None)]
                else:
                    calls = a.shape(F)
                    while not any(v for _, v, _ in calls):
                        calls = a.shape(F)
                a.incident(_night(day, rng), calls, g)
            if month in (5, 6):
                # calls that must NOT count: all-invalid 非法捕捞 incidents, and a 非法捕捞 call
                # merged into an incident whose first valid call was something else
                for day in spread_days(rng, ctx.n(3), _month_days(year, month)):
                    a.incident(
                        _night(day, rng), [(F, False, rng.choice(("误报", "骚扰", "咨询")))], rng.choices(a.river, a.river_w)[0]
                    )
                for day in spread_days(rng, ctx.n(2), _month_days(year, month)):
                    a.incident(_night(day, rng), [("噪音扰民", True, None), (F, True, None)], rng.choices(a.river, a.river_w)[0])


def spread_days(rng: random.Random, n: int, day_list: list[dt.date]) -> list[dt.date]:
    return sorted(rng.choice(day_list) for _ in range(max(0, n)))


def _id_as_number(a: Alarms, rng: random.Random, apply: bool) -> None:
    """A few alarms whose 接警单编号 the feed sent as a JSON number: two as floats (digits
    lost, e.g. 3.30109202206011e+18) and two as integers beyond 2^53. Each is its own
    single-call, non-fishing incident on its own day, so a lossy key can't merge two alarms."""
    sizes: dict[str, int] = {}
    for row in a.rows:
        if row["merge_id"]:
            sizes[row["merge_id"]] = sizes.get(row["merge_id"], 0) + 1
    eligible = [
        r
        for r in a.rows
        if r["alarm_subcategory"] != FISHING and r["merge_id"] == "HB" + r["alarm_id"] and sizes[r["merge_id"]] == 1
    ]
    picked, used_days = [], set()
    for row in rng.sample(eligible, min(len(eligible), 40)):
        if row["reported_at"].date() not in used_days and len(picked) < 4:
            picked.append(row)
            used_days.add(row["reported_at"].date())
    for i, row in enumerate(picked if apply else ()):
        jjdbh = row["alarm_id"]
        row["alarm_id"] = JsonNumber(f"{float(jjdbh):.14e}" if i < 2 else jjdbh)


def _defects(ctx: Ctx, ref: TownRef, rng: random.Random) -> list[dict]:
    """Quarantine-bound alarms, valid 非法捕捞 calls in May–June 2022 among them."""
    a = Alarms(ctx, ref, random.Random(rng.getrandbits(64)))
    a.seq = {d: 900 for d in days()}  # ids far from the real ones
    out = []
    for i in range(8):
        t = dt.datetime(2022, rng.choice((5, 6)), rng.randint(1, 28), rng.randint(19, 22), rng.randint(0, 59))
        (row,) = a.incident(t, [(FISHING, True, None)], rng.choice(ref.micro), merge=True)
        row["_t"] = t
        kind = i % 4
        if kind == 0:
            row["township_code"] = Raw(UNKNOWN_TOWNS[i % len(UNKNOWN_TOWNS)])
        elif kind == 1:
            row["alarm_id"] = Raw("")
        elif kind == 2:
            row["reported_at"] = Raw(rng.choice(("2022-05-32 21:10:00", "20220631211000", "昨晚九点")))
        else:
            row["reported_at"] = t.replace(year=2032)
        out.append(row)
    return out
