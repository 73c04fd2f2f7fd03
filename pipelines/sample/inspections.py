"""一网统管 inspection tasks: 综合查一次 vs 单部门检查, targets identified by 统一社会信用代码
(enterprises) or house numbers (shops, rental rooms), and the special campaigns. A rental
room's 检查对象名称 is its landlord's name (personal data, contract §5 v1.1), its code the room.

Calibrated here (contract §9), counted after versioning:
- 义桥镇: exactly 1029 综合查一次 inspections dated 2022-06-01 … 2022-08-24;
- 瓜沥镇 除险保安 (all dated 2022-06-15 … 2022-08-14): 296 enterprises, 5295 street shops and
  17232 rental rooms checked (distinct 检查对象编码), 107 distinct targets 依法取缔.
Later versions of an inspection only change 整改状态 / 验收日期 — never its method, date,
target or campaign — so overlapping exports cannot move these counts.
"""

from __future__ import annotations

import datetime as dt
import random

from .common import (
    END,
    GUALI,
    UNKNOWN_TOWNS,
    YIQIAO,
    Ctx,
    Town,
    at,
    company_name,
    days,
    person_name,
    poisson,
    shop_name,
    spread,
    uscc,
)
from .reference import ROADS, ZHAODONG, Grid, TownRef
from .writers import Raw

ONE_VISIT, SINGLE = "综合查一次", "单部门检查"
TYPES = ("企业", "沿街商铺", "出租房", "其他")
DEPTS = ("市场监管所", "消防救援站", "应急管理办", "生态环境分局", "卫生监督所", "城建办", "派出所", "农业农村办")
YIQIAO_WINDOW = (dt.date(2022, 6, 1), dt.date(2022, 8, 24))
YIQIAO_ONE_VISIT = 1029
CAMPAIGN = "除险保安"
CAMPAIGN_WINDOW = (dt.date(2022, 6, 15), dt.date(2022, 8, 14))
CAMPAIGN_TARGETS = {"企业": 296, "沿街商铺": 5295, "出租房": 17232}
CAMPAIGN_BANNED = {"沿街商铺": 71, "出租房": 36}  # 107 scrap-cloth workshops in 昭东片区
# Draws of a new target's code before it is numbered on: at --scale 9 the 除险保安 campaign
# wants ~48 k shops, more than a town's streets × 600 house numbers (it looped forever). At
# scale 1 twenty straight repeats never happen, so the demo's targets are drawn as before.
MAX_DRAWS = 20
# other campaigns (not calibrated): name, town, target type, period, share of such inspections
OTHER_CAMPAIGNS = (
    ("迎亚运市容环境整治", YIQIAO.code, "沿街商铺", dt.date(2022, 7, 1), dt.date(2022, 8, 31), 0.6),
    ("燃气安全专项整治", GUALI.code, "沿街商铺", dt.date(2021, 7, 1), dt.date(2021, 9, 30), 0.5),
    ("消防安全大排查", GUALI.code, "出租房", dt.date(2021, 11, 1), dt.date(2021, 12, 31), 0.7),
)
# regular inspections per day: one-visit (2021, 2022 before reform, after), single-department (before, after)
RATES = {YIQIAO.code: ((1.4, 2.5, 12.1), (5.0, 3.0)), GUALI.code: ((9.0, 11.0, 11.0), (8.0, 8.0))}


class Targets:
    """A town's inspectable targets, created on first use so codes are unique per type."""

    def __init__(self, rng: random.Random, ref: TownRef, seed: int = 0):
        self.rng, self.ref, self.town, self.seed = rng, ref, ref.town, seed
        self.used: set[str] = set()
        self.pools: dict[str, list] = {t: [] for t in TYPES}

    def new(self, kind: str, village: str | None = None) -> tuple[str, str, Grid]:
        rng, ref, town = self.rng, self.ref, self.town
        attempt = 0
        while True:
            grids = ref.by_village[village] if village else None
            g = rng.choice(grids) if grids else ref.pick(rng)[0]
            if kind == "企业":
                code, name = uscc(rng), company_name(rng, town)
            elif kind == "沿街商铺":
                street = rng.choice(ROADS[town.code]) if village is None and rng.random() < 0.7 else g.village
                code = f"{town.name}{street}{rng.randint(1, 600)}号"
                name = shop_name(rng, town)
            elif kind == "出租房":
                house = f"{town.name}{g.village}{rng.randint(1, 16)}组{rng.randint(1, 80)}号"
                room = f"{rng.randint(1, 4)}{rng.randint(1, 12):02d}室"
                code, name = house + room, self.landlord(house)
            else:
                code = f"{town.code}-QT-{rng.randint(1, 9999):04d}"
                name = rng.choice(("建筑工地", "农贸市场", "物流园区", "加油站", "学校周边", "农家乐")) + f"{code[-4:]}"
            if attempt >= MAX_DRAWS:  # the code space is nearly used up (a large --scale): number on
                code = f"{code}-{len(self.used)}"
            if code not in self.used:
                self.used.add(code)
                return code, name, g
            attempt += 1

    def landlord(self, house: str) -> str:
        """A rental room is named after its landlord, a natural person (contract §5 v1.1):
        one name per house, drawn from its own stream so the other draws stay as they were."""
        return person_name(random.Random(f"{self.seed}:landlord:{self.town.code}:{house}"))

    def pick(self, kind: str) -> tuple[str, str, Grid]:
        """An existing target (re-inspected) or a new one."""
        pool = self.pools[kind]
        if pool and self.rng.random() < 0.55:
            return self.rng.choice(pool)
        target = self.new(kind)
        pool.append(target)
        return target


def _departments(rng: random.Random, method: str) -> str:
    if method == ONE_VISIT:
        return "、".join(("综合行政执法队", *rng.sample(DEPTS, rng.randint(1, 3))))
    return rng.choice(("综合行政执法队", *DEPTS))


def _inspection(
    rng: random.Random,
    town: Town,
    iid: str,
    day: dt.date,
    kind: str,
    target,
    method: str,
    campaign: str | None,
    disposition: str | None = None,
) -> list[tuple]:
    """One inspection's versions: as inspected, then rectified / overdue (method, date, target fixed)."""
    code, name, g = target
    hazards = poisson(rng, 1.6 if kind == "企业" else 0.9)
    if disposition:  # a workshop ordered to rectify, then banned, had hazards on record
        hazards = max(hazards, 2)
    t0 = at(day, rng, 8, 17)
    row = {
        "inspection_id": iid,
        "inspected_on": day,
        "township_code": town.code,
        "grid_code": g.code if rng.random() < 0.93 else g.parent,
        "target_type": kind,
        "target_name": name,
        "target_code": code,
        "inspection_method": method,
        "departments": _departments(rng, method),
        "campaign": campaign,
        "hazards_found": hazards,
        "rectification_due_on": None,
        "rectification_status": "无需整改",
        "accepted_on": None,
        "disposition": disposition or "未发现问题",
        "updated_at": t0,
    }
    if hazards == 0:
        return [(t0, row)]
    on_the_spot = disposition is None and rng.random() < 0.15
    due = day + dt.timedelta(days=0 if on_the_spot else rng.choice((7, 10, 15, 30)))
    row.update(
        rectification_due_on=due,
        rectification_status="已整改" if on_the_spot else "整改中",
        accepted_on=day if on_the_spot else None,
        disposition=disposition or ("当场整改" if on_the_spot else rng.choices(("责令限期整改", "立案查处"), (92, 8))[0]),
    )
    if on_the_spot or disposition == "依法取缔":
        return [(t0, row)]
    end = dt.datetime(END.year, END.month, END.day, 23, 59, 59)
    if rng.random() < 0.87:
        accepted = day + dt.timedelta(days=rng.randint(2, (due - day).days + 3))
        t1 = at(accepted, rng, 9, 17)
        final = {**row, "rectification_status": "已整改", "accepted_on": accepted, "updated_at": t1}
    else:
        t1 = at(due + dt.timedelta(days=1), rng, 9, 12)
        final = {**row, "rectification_status": "逾期未整改", "updated_at": t1}
    if t1 > end:
        return [(t0, row)]
    # both versions kept: the campaign's exports (7/15, 8/15) don't follow month ends
    return [(t0, row), (t1, final)]


def _campaign_for(town: Town, kind: str, day: dt.date, rng: random.Random) -> str | None:
    for name, code, ctype, start, stop, share in OTHER_CAMPAIGNS:
        if code == town.code and ctype == kind and start <= day <= stop and rng.random() < share:
            return name
    return None


def build(ctx: Ctx, ref: TownRef) -> tuple[list[list[tuple]], list[dict]]:
    """Regular inspections (both towns), Yiqiao's 1029 calibrated ones included."""
    town = ref.town
    rng = ctx.rng(f"inspections:{town.code}")
    targets = Targets(rng, ref, ctx.seed)
    (ov21, ov22, ov_after), (single_before, single_after) = RATES[town.code]
    plan: list[tuple[dt.date, str]] = []
    win_days = [d for d in days(*YIQIAO_WINDOW)]
    for day in days():
        weekday = 1.2 if day.weekday() < 5 else 0.5
        in_window = YIQIAO_WINDOW[0] <= day <= YIQIAO_WINDOW[1]
        if not (town is YIQIAO and in_window):  # the window's one-visit count is drawn exactly below
            rate = ov21 if day.year == 2021 else ov22 if day < town.reform_start else ov_after
            plan += [(day, ONE_VISIT)] * poisson(rng, ctx.scale * rate * weekday)
        rate = single_after if day >= town.reform_start else single_before
        plan += [(day, SINGLE)] * poisson(rng, ctx.scale * rate * weekday)
    if town is YIQIAO:
        weights = [1.2 if d.weekday() < 5 else 0.45 for d in win_days]
        plan += [(d, ONE_VISIT) for d in spread(rng, ctx.n(YIQIAO_ONE_VISIT), win_days, weights)]
    plan.sort()
    histories, seq = [], {}
    for day, method in plan:
        seq[day] = seq.get(day, 0) + 1
        iid = f"JC{town.code[-3:]}{day:%Y%m%d}{seq[day]:04d}"
        kind = rng.choices(TYPES, (35, 40, 15, 10))[0]
        histories.append(_inspection(rng, town, iid, day, kind, targets.pick(kind), method, _campaign_for(town, kind, day, rng)))
    return histories, _defects(ctx, ref, rng, targets, None) if not ctx.clean else []


def build_campaign(ctx: Ctx, ref: TownRef) -> tuple[list[list[tuple]], list[dict]]:
    """Guali's 除险保安 campaign: every target once, some twice; 107 targets banned."""
    town = ref.town
    rng = ctx.rng(f"campaign:{town.code}")
    targets = Targets(rng, ref, ctx.seed)
    camp_days = list(days(*CAMPAIGN_WINDOW))
    # ramp-up in the first week, lighter weekends
    weights = [(0.5 if i < 7 else 1.0) * (1.0 if d.weekday() < 5 else 0.6) for i, d in enumerate(camp_days)]
    visits: list[tuple[dt.date, str, tuple, str | None]] = []
    for kind, count in CAMPAIGN_TARGETS.items():
        n_banned = ctx.n(CAMPAIGN_BANNED.get(kind, 0))
        n = ctx.n(count)
        dates = spread(rng, n, camp_days, weights)
        rng.shuffle(dates)  # banned workshops (the first n_banned) are spread over the campaign too
        for i, day in enumerate(dates):
            if i < n_banned:
                # a scrap-cloth workshop in one of the six 昭东片区 villages
                target = targets.new(kind, village=ZHAODONG[i % len(ZHAODONG)])
                day = min(day, CAMPAIGN_WINDOW[1] - dt.timedelta(days=12))
                if rng.random() < 0.3:
                    visits.append((day, kind, target, "依法取缔"))  # banned on the spot
                else:
                    visits.append((day, kind, target, "责令限期整改"))
                    visits.append((day + dt.timedelta(days=rng.randint(3, 12)), kind, target, "依法取缔"))
                continue
            target = targets.new(kind)
            visits.append((day, kind, target, None))
            revisit = day + dt.timedelta(days=rng.randint(5, 20))
            if rng.random() < 0.12 and revisit <= CAMPAIGN_WINDOW[1]:
                visits.append((revisit, kind, target, None))  # 复查: same target, new 检查编号
    visits.sort(key=lambda v: (v[0], v[1], v[2][0]))
    histories, seq = [], {}
    for day, kind, target, disposition in visits:
        seq[day] = seq.get(day, 0) + 1
        iid = f"JC{town.code[-3:]}{day:%Y%m%d}{5000 + seq[day]:04d}"
        method = ONE_VISIT if rng.random() < 0.8 else SINGLE
        hist = _inspection(rng, town, iid, day, kind, target, method, CAMPAIGN, disposition)
        if disposition == "责令限期整改":  # the re-check bans it: status stays 整改中 (never accepted)
            hist = hist[:1]
        for _, row in hist:
            row["departments"] = "综合行政执法队、消防救援站、派出所、村社" if method == ONE_VISIT else row["departments"]
        histories.append(hist)
    return histories, _defects(ctx, ref, rng, targets, CAMPAIGN) if not ctx.clean else []


def _defects(ctx: Ctx, ref: TownRef, rng: random.Random, targets: Targets, campaign: str | None) -> list[dict]:
    """Quarantine-bound rows with fresh ids and fresh targets (they must not reach any count)."""
    town, out = ref.town, []
    lo, hi = CAMPAIGN_WINDOW if campaign else YIQIAO_WINDOW
    for i in range(8):
        day = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
        kind = rng.choice(("沿街商铺", "出租房"))
        code, name, g = targets.new(kind)
        t = at(day, rng, 8, 17)
        row = {
            "inspection_id": f"JC{town.code[-3:]}{day:%Y%m%d}99{i:02d}",
            "inspected_on": day,
            "township_code": town.code,
            "grid_code": g.code,
            "target_type": kind,
            "target_name": name,
            "target_code": code,
            "inspection_method": ONE_VISIT,
            "departments": "综合行政执法队、消防救援站",
            "campaign": campaign,
            "hazards_found": 0,
            "rectification_due_on": None,
            "rectification_status": "无需整改",
            "accepted_on": None,
            "disposition": "未发现问题",
            "updated_at": t,
            "_t": t,
        }
        kind_of_defect = i % 4
        if kind_of_defect == 0:
            row["township_code"] = Raw(UNKNOWN_TOWNS[i % len(UNKNOWN_TOWNS)])
        elif kind_of_defect == 1:
            row["inspection_id"] = Raw(rng.choice(("", "NULL", "—")))
        elif kind_of_defect == 2:
            row["inspected_on"] = Raw(rng.choice(("2022-06-31", "6月下旬", "2022.13.01")))
        else:
            row["inspected_on"] = day.replace(year=2032)
        out.append(row)
    return out
