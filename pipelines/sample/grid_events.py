"""一网统管 events: tens of thousands a year per town, reported by grid workers, cameras,
citizens and the 12345 hotline; about 10 % are enforcement leads, some of which become cases.

Events are built in two steps because a lead's final version names the case it became:
`build()` makes the events and the list of leads, cases pick leads, `histories()` then
writes each event's versions (处置中 → 已办结, later 关联案件编号).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from .common import END, UNKNOWN_TOWNS, Ctx, Town, at, days, landline, mobile, person_name, poisson, resident_id
from .reference import ROADS, Grid, TownRef
from .writers import Raw

SOURCES = ("网格员巡查", "微网格长上报", "视频巡查", "群众举报", "12345热线", "部门移交")
SOURCE_WEIGHTS = (35, 25, 10, 10, 15, 5)
# 事件大类: (weight, share that are enforcement leads, days allowed, {事件小类: description})
CATEGORIES = {
    "市容环境": (
        30,
        0.14,
        3,
        {
            "乱堆放": "有杂物乱堆放，影响通行",
            "占道经营": "有流动摊贩占道经营",
            "垃圾分类不规范": "垃圾未按规定分类投放",
            "乱张贴": "墙面有小广告乱张贴",
            "油烟扰民": "餐饮店油烟直排，居民反映强烈",
            "非机动车乱停放": "人行道上非机动车乱停放",
            "暴露垃圾": "路边有暴露垃圾未清运",
        },
    ),
    "安全隐患": (
        15,
        0.12,
        3,
        {
            "消防通道堵塞": "消防通道被杂物堵塞",
            "电动车违规充电": "楼道内电动车飞线充电",
            "燃气使用隐患": "餐饮店液化气钢瓶存放不规范",
            "违规住人": "厂房内违规住人",
            "危房": "老旧房屋墙体开裂，存在安全隐患",
        },
    ),
    "违章搭建": (
        8,
        0.30,
        7,
        {"违法建筑": "有人正在搭建违法建筑", "私搭乱建": "屋顶私搭彩钢棚", "违规改建": "擅自改变房屋外立面"},
    ),
    "矛盾纠纷": (
        10,
        0.0,
        7,
        {
            "邻里纠纷": "邻里因排水问题发生纠纷",
            "家庭纠纷": "家庭成员因赡养问题发生矛盾",
            "劳资纠纷": "工人反映被拖欠工资",
            "土地纠纷": "村民因宅基地边界发生纠纷",
            "物业纠纷": "业主与物业因停车收费发生纠纷",
        },
    ),
    "信访": (
        3,
        0.0,
        15,
        {"来信": "群众来信反映拆迁补偿问题", "来访": "群众来访反映村务公开问题", "网上信访": "网上信访反映噪音扰民问题"},
    ),
    "生态环境": (
        8,
        0.15,
        5,
        {
            "河道污染": "河道有污水排入，水体发黑",
            "露天焚烧": "有人露天焚烧垃圾",
            "违规排污": "小作坊向雨水管网排放废水",
            "非法捕捞": "江边有人使用地笼捕鱼",
        },
    ),
    "交通秩序": (12, 0.08, 3, {"车辆乱停": "机动车占用消防通道停放", "道路破损": "路面出现坑洞"}),
    "民生服务": (14, 0.0, 5, {"路灯损坏": "路灯不亮", "供水问题": "自来水水压不足", "求助": "独居老人需要帮助"}),
}
CAT_NAMES = tuple(CATEGORIES)
CAT_WEIGHTS = tuple(v[0] for v in CATEGORIES.values())
DEPARTMENTS = ("综合行政执法队", "城建办", "平安办", "农业农村办", "社会事务办", "生态环境办", "市场监管所", "村社")
# events per day (2021, 2022): Yiqiao ~22k → ~28k a year, Guali ~48k → ~53k
RATES = {"330109118": (60, 77), "330109121": (131, 145)}


@dataclass
class Event:
    id: str
    reported_at: dt.datetime
    category: str
    subcategory: str
    grid_code: str | None
    row: dict
    final_status: str
    closed_at: dt.datetime | None
    is_lead: bool
    final_at: dt.datetime  # when it reached its final status (办结, 流转 or 作废)
    case_link: tuple[str, dt.datetime] | None = None  # (案件编号, 立案 time) once a case is filed


def same_export(a: dt.datetime, b: dt.datetime) -> bool:
    """True when two changes land in the same monthly export (so the earlier state is never seen)."""
    cut = dt.datetime(2022, 8, 24, 23, 59, 59)
    return (a.year, a.month) == (b.year, b.month) and (a <= cut) == (b <= cut)


def build(ctx: Ctx, ref: TownRef) -> tuple[list[Event], list[dict]]:
    town = ref.town
    rng = ctx.rng(f"events:{town.code}")
    r21, r22 = RATES[town.code]
    parents = [p[0] for p in ref.parents]
    workers = {g.code: person_name(rng) for g in ref.micro}  # each micro-grid's 微网格长
    full_time = {p: person_name(rng) for p in parents}  # each 全科网格's 专职网格员
    events: list[Event] = []
    for day in days():
        rate = (r21 if day.year == 2021 else r22) * (0.72 if day.weekday() >= 5 else 1.1)
        n = poisson(rng, ctx.scale * rate)
        grids = ref.pick(rng, n)
        for seq, g in enumerate(grids, start=1):
            events.append(_event(ctx, rng, town, day, seq, g, full_time, workers))
    return events, _defects(ctx, ref, rng) if not ctx.clean else []


def _event(ctx: Ctx, rng: random.Random, town: Town, day: dt.date, seq: int, g: Grid, full_time: dict, workers: dict) -> Event:
    """The `seq`-th event of `day` in micro-grid `g`, as first reported (status 已受理)."""
    t0 = at(day, rng, 6, 21)
    cat = rng.choices(CAT_NAMES, CAT_WEIGHTS)[0]
    _, lead_share, allowed, subs = CATEGORIES[cat]
    sub = rng.choice(tuple(subs))
    source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
    if source == "网格员巡查":
        reporter = full_time[g.parent]
    elif source == "微网格长上报":
        reporter = workers[g.code]
    else:
        reporter = person_name(rng)
    phone = mobile(rng)
    grid_code = _reported_grid(ctx, rng, town, g)
    desc = _description(rng, town, g, subs[sub], reporter)
    final, closed, t_end, is_lead = _outcome(rng, t0, allowed, lead_share)
    eid = f"SJ{town.code[-3:]}{day:%Y%m%d}{seq:04d}"
    row = {
        "event_id": eid,
        "reported_at": t0,
        "event_source": source,
        "event_category": cat,
        "event_subcategory": sub,
        "township_code": town.code,
        "grid_code": grid_code,
        "reporter_pseudonym": reporter,
        "reporter_phone_pseudonym": phone,
        "description": desc,
        "status": "已受理",
        "due_at": t0 + dt.timedelta(days=allowed),
        "closed_at": None,
        "is_enforcement_lead": is_lead,
        "related_case_id": None,
        "updated_at": t0,
        "dept": rng.choice(DEPARTMENTS),
    }
    return Event(eid, t0, cat, sub, grid_code, row, final, closed, is_lead, t_end)


def _reported_grid(ctx: Ctx, rng: random.Random, town: Town, g: Grid) -> str | None:
    """The grid code as reported: mostly the micro-grid, some the 全科网格, a few none or unknown."""
    r = rng.random()
    if r < 0.05:
        return g.parent  # reported against the 全科网格 only
    if r < 0.07:
        return None
    if r < 0.072:  # a code not in the reference (drawn in clean mode too: same data either way)
        bogus = f"{town.code}9{rng.randint(10, 99)}{rng.randint(1, 20):02d}"
        return g.code if ctx.clean else bogus
    return g.code


def _description(rng: random.Random, town: Town, g: Grid, what: str, reporter: str) -> str:
    """Where and what; a few carry a phone or id number, or name the reporter."""
    place = rng.choice(
        (
            f"{g.village}{rng.randint(1, 15)}组附近",
            f"{rng.choice(ROADS[town.code])}{rng.randint(1, 400)}号附近",
            f"{g.village}文化礼堂旁",
        )
    )
    desc = f"{place}{what}"
    p = rng.random()
    if p < 0.04:
        desc += f"，联系电话{mobile(rng)}"
    elif p < 0.05:
        desc += f"，当事人身份证号{resident_id(rng)}"
    elif p < 0.08:
        desc = f"{reporter}反映：{desc}"
    elif p < 0.085:
        desc += f"，座机{landline(rng)}"
    return desc


def _outcome(rng: random.Random, t0: dt.datetime, allowed: int, lead_share: float) -> tuple:
    """(final status, closed at, time of the last change, is an enforcement lead)."""
    s = rng.random()
    if s < 0.02:
        final, closed = "已作废", None  # duplicate or invalid report, voided within hours
        t_end = t0 + dt.timedelta(seconds=rng.randint(1800, 8 * 3600))
    else:
        # whole seconds: xlsx date cells would otherwise show fractions of a second
        t_end = t0 + dt.timedelta(seconds=int(rng.expovariate(1 / (allowed * 14)) * 3600) + 1800)
        final = "已流转" if s < 0.11 else "已办结"
        closed = t_end if final == "已办结" else None
    is_lead = final != "已作废" and rng.random() < lead_share  # ≈ 10 % overall
    return final, closed, t_end, is_lead


def histories(events: list[Event]) -> list[list[tuple[dt.datetime, dict]]]:
    """Each event's versions: in progress (if an export can see it), final, then the case link."""
    end = dt.datetime(END.year, END.month, END.day, 23, 59, 59)
    out = []
    for e in events:
        t0 = e.reported_at
        t_final = e.final_at
        versions = []
        if not same_export(t0, t_final) or t_final > end:
            t1 = t0 + dt.timedelta(minutes=20)
            versions.append((t1, {**e.row, "status": "处置中", "updated_at": t1}))
        if t_final <= end:
            versions.append((t_final, {**e.row, "status": e.final_status, "closed_at": e.closed_at, "updated_at": t_final}))
        if e.case_link and e.case_link[1] <= end:
            case_id, t_case = e.case_link
            # the link is the event's last change (after it closed, and within the data's range)
            t_case = min(max(t_case, versions[-1][0] + dt.timedelta(minutes=5)), end)
            last = versions[-1][1]
            versions.append((t_case, {**last, "related_case_id": case_id, "updated_at": t_case}))
        out.append(versions)
    return out


def _defects(ctx: Ctx, ref: TownRef, rng: random.Random) -> list[dict]:
    """Rows ingestion must quarantine: unknown township, missing key, bad date, year-2032 typo."""
    town, out = ref.town, []
    for i in range(9):
        g = ref.pick(rng)[0]
        t = dt.datetime(2022, rng.randint(1, 8), rng.randint(1, 24), rng.randint(8, 18), rng.randint(0, 59))
        row = {
            "event_id": f"SJ{town.code[-3:]}{t:%Y%m%d}9{i:03d}",
            "reported_at": t,
            "event_source": "网格员巡查",
            "event_category": "市容环境",
            "event_subcategory": "乱堆放",
            "township_code": town.code,
            "grid_code": g.code,
            "reporter_pseudonym": person_name(rng),
            "reporter_phone_pseudonym": mobile(rng),
            "description": f"{g.village}路边有杂物乱堆放",
            "status": "已受理",
            "due_at": t + dt.timedelta(days=3),
            "closed_at": None,
            "is_enforcement_lead": False,
            "related_case_id": None,
            "updated_at": t,
            "dept": "综合行政执法队",
            "_t": t,
        }
        kind = i % 4
        if kind == 0:
            row["township_code"] = Raw(UNKNOWN_TOWNS[i % len(UNKNOWN_TOWNS)])
        elif kind == 1:
            row["event_id"] = Raw(rng.choice(("", "无", "/")))
        elif kind == 2:
            row["reported_at"] = Raw(rng.choice(("2022-13-45 08:00", "待核实", "2022年6月", "2022/02/30 09:15")))
        else:
            row["reported_at"] = row["updated_at"] = t.replace(year=2032)  # typo: quarantined as future_date
        out.append(row)
    return out
