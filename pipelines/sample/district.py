"""The district-scale sample (issue 11): the other townships and streets of 萧山, vectorised.

`zhifa sample --towns N` adds N − 2 townships to the demo's 义桥镇 and 瓜沥镇 (which stay
exactly as the demo writes them). Their records are drawn with numpy and rendered and
written with polars — one array per column, no Python loop per row — so 22 towns
(≈ 4 M export rows, ≈ 1 GB) take minutes. The exports carry the demo's quirks: GBK /
UTF-8-BOM / UTF-8 csv, xlsx with title rows, 序号 and Excel serial dates, police JSON Lines
with pinyin keys, date spellings mixed per file, padding, full-width digits, null tokens,
mixed boolean / money / township spellings, overlapping monthly or quarterly exports with
the state as of each export's end, exact duplicate rows, quarantine-bound defect rows
(unknown township, no key, bad date, a 2032 typo), and the v1.1 quirks (events without
更新时间, unusable 结案日期 / 验收日期, full-width 事项编码, 简易程序 cases without 立案日期,
alarm ids damaged into `3.30100E+18`, a `cases/archive/` subfolder, rental rooms named after
their landlords). Nothing here touches a §9 figure: those are 义桥's and 瓜沥's.

Volumes (scale 1, 20 extra towns): ≈ 1.66 M event rows, 1.23 M alarm rows, 0.67 M inspection
rows, 0.25 M notice rows and 0.16 M case rows, split by 常住人口; with the demo's two towns
that is the district of issue 11.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import zipfile
import zlib
from pathlib import Path

import numpy as np
import polars as pl

from . import cases as cases_mod
from . import grid_events as events_mod
from . import inspections as insp_mod
from . import notices as notices_mod
from . import police_alarms as alarms_mod
from . import reference
from .common import (
    COMPANY_TRADES,
    COMPANY_WORDS,
    END,
    END_TS,
    EXPORT_CUTOFF,
    GUALI,
    MOBILE_PREFIXES,
    SHOP_TRADES,
    START,
    Column,
    Ctx,
    Town,
    columns,
    person_name,
    resident_id,
    uscc,
)
from .exports import (
    ALARM_STYLE,
    BOOL_FORM_CHOICES,
    DATE_FORMS,
    DEPT_COLUMN,
    SHEETS,
    TITLES,
    Window,
    title_rows,
    windows,
)
from .reference import GARBAGE, PARKING, Matter, TownRef
from .writers import BOOL_FORMS, NULL_TOKENS, Style, fmt_date, fmt_money, fmt_ts, fullwidth

# name, code, area km², 户籍, 常住, reform start — 萧山's other townships and streets (临浦镇 and
# 进化镇 are left out: the demo's defect rows name them as townships unknown to the reference)
EXTRA = (
    ("城厢街道", "330109001", 36.9, 128000, 214000, dt.date(2021, 7, 1)),
    ("北干街道", "330109002", 19.8, 98000, 170000, dt.date(2021, 7, 1)),
    ("蜀山街道", "330109003", 37.5, 71000, 118000, dt.date(2021, 10, 1)),
    ("新塘街道", "330109004", 30.6, 69000, 131000, dt.date(2021, 10, 1)),
    ("靖江街道", "330109005", 28.9, 41000, 63000, dt.date(2022, 1, 1)),
    ("南阳街道", "330109006", 45.6, 47000, 71000, dt.date(2022, 1, 1)),
    ("义蓬街道", "330109008", 59.0, 76000, 120000, dt.date(2022, 1, 1)),
    ("河庄街道", "330109009", 54.0, 52000, 80000, dt.date(2022, 3, 1)),
    ("党湾镇", "330109119", 60.8, 41000, 56000, dt.date(2022, 3, 1)),
    ("益农镇", "330109120", 44.5, 36000, 49000, dt.date(2022, 3, 1)),
    ("衙前镇", "330109111", 31.1, 27000, 53000, dt.date(2022, 6, 1)),
    ("宁围街道", "330109010", 36.8, 62000, 162000, dt.date(2021, 7, 1)),
    ("新街街道", "330109011", 41.6, 66000, 143000, dt.date(2022, 1, 1)),
    ("所前镇", "330109110", 53.5, 38000, 60000, dt.date(2022, 6, 1)),
    ("浦阳镇", "330109104", 72.6, 43000, 53000, dt.date(2022, 6, 1)),
    ("戴村镇", "330109103", 87.5, 41000, 50000, dt.date(2022, 6, 1)),
    ("河上镇", "330109102", 90.1, 30000, 35000, dt.date(2022, 6, 1)),
    ("楼塔镇", "330109101", 72.2, 26000, 30000, dt.date(2022, 6, 1)),
    ("闻堰街道", "330109012", 28.4, 33000, 74000, dt.date(2022, 1, 1)),
    ("盈丰街道", "330109013", 11.2, 31000, 93000, dt.date(2021, 10, 1)),
)
MAX_TOWNS = 2 + len(EXTRA)
TOTAL_RESIDENT = sum(t[4] for t in EXTRA)
# records over the 20 towns at scale 1 (export rows are ~1.1–1.3× these: overlapping exports)
TARGET_RECORDS = {
    "grid_events": 1_500_000,
    "police_alarms": 1_050_000,
    "inspections": 555_000,
    "notices": 149_000,
    "cases": 128_500,
}
VILLAGE_WORDS = (
    "东",
    "西",
    "南",
    "北",
    "新",
    "联合",
    "永兴",
    "红旗",
    "光明",
    "五星",
    "先锋",
    "胜利",
    "友谊",
    "长河",
    "前进",
    "和平",
    "兴隆",
    "丰收",
    "湖滨",
    "江南",
    "东湖",
    "里河",
    "新华",
    "建设",
    "民主",
    "群益",
    "利民",
    "金星",
    "东方",
    "安华",
)
ROAD_WORDS = (
    "人民路",
    "建设路",
    "文化路",
    "工人路",
    "育才路",
    "通惠路",
    "市心路",
    "金城路",
    "新华路",
    "江寺路",
    "山阴路",
    "环城路",
    "振宁路",
    "湘湖路",
    "浦阳路",
    "闻堰路",
)
STATIONS = "萧山区公安分局{}派出所"
N_DAYS = (END - START).days + 1
EPOCH = np.datetime64("1970-01-01T00:00:00", "s")
DAY0 = np.datetime64(START.isoformat(), "D")
END_S = np.datetime64(END_TS.isoformat(), "s")
CUT_S = np.datetime64(dt.datetime(2022, 8, 24, 23, 59, 59).isoformat(), "s")


# ---- towns and reference -------------------------------------------------------------------


def towns(n: int) -> list[Town]:
    """The first n − 2 extra towns, with lattices and villages registered in reference.py."""
    out = []
    for i, (name, code, area, registered, resident, reform) in enumerate(EXTRA[: max(0, n - 2)]):
        short2 = name[:2]
        lon = 119.95 + (i % 5) * 0.22
        lat = 30.27 + (i // 5) * 0.15
        out.append(
            Town(
                code=code,
                name=name,
                short=f"t{code[-3:]}",
                abbr=f"萧{name[:1]}{name[1]}"[:3],
                aliases=(short2, f"萧山区{name}"),
                area_km2=area,
                registered=registered,
                floating=max(0, resident - registered + resident // 10),
                resident=resident,
                reform_start=reform,
                lon=lon,
                lat=lat,
                police_stations=(STATIONS.format(short2),),
            )
        )
    return out


def _register(town: Town) -> None:
    """Lattice (cols × rows ≈ one micro-grid per ~230 people, cells ≲ 0.13° tall), villages, roads."""
    micro = max(60, round(town.resident / 230))
    rows = max(4, min(24, int((micro / 2) ** 0.5)))
    cols = max(4, -(-micro // rows))
    reference.LATTICE[town.code] = (cols, rows, max(4, round(cols * rows / 14)))
    suffix = "村" if town.name.endswith("镇") else "社区"
    reference.VILLAGES[town.code] = tuple(f"{town.name[:2]}{w}{suffix}" for w in VILLAGE_WORDS)
    reference.ROADS[town.code] = tuple(f"{town.name[:2]}{w}" for w in ROAD_WORDS[:10])


def build_refs(ctx: Ctx, refs: dict[str, TownRef], n: int) -> dict[str, TownRef]:
    """TownRefs of the extra towns: grids (own random streams) and ~350 matters of the district
    catalogue each (the 首违不罚 parking matter and the garbage matters always among them)."""
    catalogue = refs[GUALI.code].matters
    fixed = {PARKING, *GARBAGE}
    out = {}
    for town in towns(n):
        _register(town)
        micro, parents = reference._build_grids(ctx, town)
        rng = ctx.rng(f"matters:{town.code}")
        rest = [m for m in catalogue if m.name not in fixed]
        picked = {m.code for m in rng.sample(rest, 345)}
        matters = [
            dataclasses.replace(m, empowered_on=town.reform_start) for m in catalogue if m.name in fixed or m.code in picked
        ]
        out[town.code] = TownRef(town, micro, parents, matters)
    return out


# ---- vectorised building blocks -----------------------------------------------------------


class Arrays:
    """A town's reference as arrays (grids, weights, villages) and pools of names and ids."""

    def __init__(self, ctx: Ctx, ref: TownRef, g: np.random.Generator):
        self.ref, self.town = ref, ref.town
        self.code = np.array([x.code for x in ref.micro])
        self.parent = np.array([x.parent for x in ref.micro])
        self.village = np.array([x.village for x in ref.micro])
        self.box = np.array([(x.lon0, x.lat0, x.lon1, x.lat1) for x in ref.micro])
        self.cum = np.cumsum(np.array(ref.weights))
        rng = random.Random(f"{ctx.seed}:pools:{ref.town.code}")
        self.names = np.array([person_name(rng) for _ in range(4000)])
        self.ids = np.array([resident_id(rng) for _ in range(3000)])
        self.bad_ids = np.array([resident_id(rng, bad_checksum=True) for _ in range(100)])
        self.short_ids = np.array([(f := resident_id(rng))[:6] + f[8:17] for _ in range(100)])
        self.usccs = np.array([uscc(rng) for _ in range(1500)])
        t2 = ref.town.name[:2]
        self.companies = np.array(
            [f"杭州{w}{t}有限公司" for w in COMPANY_WORDS for t in COMPANY_TRADES]
            + [f"杭州萧山{t2}{w}{t}有限公司" for w in COMPANY_WORDS for t in COMPANY_TRADES]
        )
        self.shops = np.array([f"萧山区{ref.town.name}{w}{t}" for w in COMPANY_WORDS for t in SHOP_TRADES])
        self.roads = np.array(reference.ROADS[ref.town.code])
        self.g = g

    def grids(self, n: int) -> np.ndarray:
        """n micro-grid indices, weighted by activity (population × hot spots)."""
        cum = self.cum
        return np.minimum(np.searchsorted(cum, self.g.random(n) * cum[-1], side="right"), len(self.code) - 1)

    def pick(self, pool: np.ndarray, n: int) -> np.ndarray:
        return pool[self.g.integers(0, len(pool), n)]

    def mobiles(self, n: int) -> pl.Series:
        pre = pl.Series(self.pick(np.array(MOBILE_PREFIXES), n))
        return pre + pl.Series(self.g.integers(0, 10**8, n)).cast(pl.String).str.zfill(8)

    def landlines(self, n: int) -> pl.Series:
        return "0571-8" + pl.Series(self.g.integers(10**6, 10**7, n)).cast(pl.String)

    def choose(self, values, weights, n: int) -> np.ndarray:
        p = np.asarray(weights, dtype=float)
        return np.asarray(values)[self.g.choice(len(p), n, p=p / p.sum())]


def _days(g: np.random.Generator, rate: np.ndarray) -> np.ndarray:
    """Day index of each record: Poisson counts per day (rate per day as an array)."""
    return np.repeat(np.arange(len(rate)), g.poisson(np.maximum(rate, 0)))


def _day_array(start: dt.date = START) -> np.ndarray:
    d = DAY0 + np.arange(N_DAYS)
    return d[d >= np.datetime64(start.isoformat(), "D")]


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7  # Monday = 0


def _at(g: np.random.Generator, days: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """A time of day between lo:00 and hi:59:59, whole seconds."""
    return days.astype("datetime64[s]") + g.integers(lo * 3600, (hi + 1) * 3600, len(days)).astype("timedelta64[s]")


def _str(a: np.ndarray) -> pl.Series:
    """A String series from an object array holding None."""
    return pl.Series(a.tolist(), dtype=pl.String)


def _ts(a: np.ndarray) -> pl.Series:
    return pl.Series(a.astype("datetime64[ms]"))


def _date(a: np.ndarray) -> pl.Series:
    return pl.Series(a.astype("datetime64[D]"))


def _seq(df: pl.DataFrame, by: str) -> pl.Series:
    """1-based running number within `by` in the frame's order."""
    return df.select(pl.int_range(1, pl.len() + 1).over(by).alias("s"))["s"]


def _same_export(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ma, mb = a.astype("datetime64[M]"), b.astype("datetime64[M]")
    return (ma == mb) & ((a <= CUT_S) == (b <= CUT_S))


def _rate(source: str, town: Town, scale: float) -> float:
    return TARGET_RECORDS[source] * town.resident / TOTAL_RESIDENT / N_DAYS * scale


def _with_time(df: pl.DataFrame, name: str, values: np.ndarray) -> pl.DataFrame:
    return df.with_columns(_ts(values).alias(name))


# ---- sources ----------------------------------------------------------------------------


def build_events(ctx: Ctx, a: Arrays) -> tuple[pl.DataFrame, pl.DataFrame, list[dict], dict]:
    """(base rows, versions, defect rows, arrays cases need); versions: _rid, _vt and the
    columns that change between versions."""
    t0 = _event_times(ctx, a)
    n = len(t0)
    cat, sub, desc, allowed, lead_share = _event_kinds(a, n)
    gi, grid = _event_grids(ctx, a, n)
    source, reporter, text = _event_texts(a, gi, desc)
    t_end, final, is_lead = _event_outcomes(a.g, t0, allowed, lead_share)
    base = _event_base(a, t0, cat, sub, grid, source, reporter, text, allowed, is_lead)
    versions, t_last = _event_versions(t0, t_end, final)
    meta = {"t0": t0, "t_last": t_last, "lead": is_lead, "cat": cat, "grid": grid}
    defects = _defects(ctx, a, events_mod._defects, 1) if not ctx.clean else []
    return base, versions, defects, meta


def _event_times(ctx: Ctx, a: Arrays) -> np.ndarray:
    """Report times, sorted: fewer on weekends, more in 2022."""
    days = _day_array()
    wk = np.where(_weekday(days) >= 5, 0.72, 1.1)
    rate = _rate("grid_events", a.town, ctx.scale) * wk * np.where(days < np.datetime64("2022-01-01"), 0.9, 1.1)
    t0 = _at(a.g, days[_days(a.g, rate)], 6, 21)
    return t0[np.argsort(t0, kind="stable")]


def _event_kinds(a: Arrays, n: int) -> tuple:
    """(category, subcategory, description, days allowed, share that are enforcement leads)."""
    g = a.g
    cats = list(events_mod.CATEGORIES)
    ci = a.choose(np.arange(len(cats)), events_mod.CAT_WEIGHTS, n)
    sub = np.empty(n, dtype=object)
    desc = np.empty(n, dtype=object)
    allowed = np.zeros(n, dtype=np.int64)
    lead_share = np.zeros(n)
    for k, c in enumerate(cats):
        m = ci == k
        _, share, days_allowed, subs = events_mod.CATEGORIES[c]
        names = np.array(list(subs))
        pick = g.integers(0, len(names), m.sum())
        sub[m] = names[pick]
        desc[m] = np.array([subs[s] for s in names])[pick]
        allowed[m], lead_share[m] = days_allowed, share
    return np.array(cats)[ci], sub, desc, allowed, lead_share


def _event_grids(ctx: Ctx, a: Arrays, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(micro-grid index, grid code as reported): 5 % name the parent grid, 2 % none, a few
    (not in the clean inbox) a grid that does not exist."""
    g, town = a.g, a.town
    gi = a.grids(n)
    r = g.random(n)
    grid = np.where(r < 0.05, a.parent[gi], a.code[gi]).astype(object)
    grid[(r >= 0.05) & (r < 0.07)] = None
    bogus = (r >= 0.07) & (r < 0.072) & (not ctx.clean)
    grid[bogus] = [f"{town.code}9{x}{y:02d}" for x, y in zip(g.integers(10, 100, bogus.sum()), g.integers(1, 21, bogus.sum()))]
    return gi, grid


def _event_texts(a: Arrays, gi: np.ndarray, desc: np.ndarray) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """(event source, reporter, description): a place near the grid, some with a phone number
    or the reporter's name in the text."""
    g, n = a.g, len(gi)
    source = a.choose(events_mod.SOURCES, events_mod.SOURCE_WEIGHTS, n)
    reporter = a.pick(a.names, n)
    place_kind = g.integers(0, 3, n)
    village = a.village[gi]
    place = np.where(
        place_kind == 0,
        village + g.integers(1, 16, n).astype(str) + "组附近",
        np.where(place_kind == 1, a.pick(a.roads, n) + g.integers(1, 401, n).astype(str) + "号附近", village + "文化礼堂旁"),
    )
    text = pl.Series(place + desc.astype(str))
    p = g.random(n)
    text = pl.select(
        pl.when(pl.Series(p < 0.04))
        .then(text + "，联系电话" + a.mobiles(n))
        .when(pl.Series((p >= 0.05) & (p < 0.08)))
        .then(pl.Series(reporter) + "反映：" + text)
        .otherwise(text)
    ).to_series()
    return source, reporter, text


def _event_outcomes(g: np.random.Generator, t0: np.ndarray, allowed: np.ndarray, lead_share: np.ndarray) -> tuple:
    """(time of the last change, final status, is an enforcement lead)."""
    n = len(t0)
    s = g.random(n)
    voided = s < 0.02
    hours = g.exponential(1.0, n) * allowed * 14
    t_end = t0 + np.where(voided, g.integers(1800, 8 * 3600, n), (hours * 3600).astype(np.int64) + 1800).astype("timedelta64[s]")
    final = np.where(voided, "已作废", np.where(s < 0.11, "已流转", "已办结"))
    is_lead = ~voided & (g.random(n) < lead_share)
    return t_end, final, is_lead


def _event_base(a: Arrays, t0, cat, sub, grid, source, reporter, text, allowed, is_lead) -> pl.DataFrame:
    """The columns that do not change between an event's versions."""
    town, n = a.town, len(t0)
    base = pl.DataFrame({"_day": _date(t0.astype("datetime64[D]"))})
    ids = "SJ" + town.code[-3:] + base["_day"].dt.strftime("%Y%m%d") + _seq(base, "_day").cast(pl.String).str.zfill(4)
    return pl.DataFrame(
        {
            "event_id": ids,
            "reported_at": _ts(t0),
            "event_source": source,
            "event_category": cat,
            "event_subcategory": sub.astype(str),
            "township_code": pl.repeat(town.code, n, eager=True),
            "grid_code": _str(grid),
            "reporter_pseudonym": reporter,
            "reporter_phone_pseudonym": a.mobiles(n),
            "description": text,
            "due_at": _ts(t0 + (allowed * 86400).astype("timedelta64[s]")),
            "is_enforcement_lead": is_lead,
            "dept": a.pick(np.array(events_mod.DEPARTMENTS), n),
        }
    )


def _event_versions(t0: np.ndarray, t_end: np.ndarray, final: np.ndarray) -> tuple[pl.DataFrame, np.ndarray]:
    """(versions, time of each event's last version): 处置中 twenty minutes after the report
    unless it closed inside the same export; the final status once it is within the data."""
    rid = np.arange(len(t0))
    v1 = ~_same_export(t0, t_end) | (t_end > END_S)
    v2 = t_end <= END_S
    t1 = t0 + np.timedelta64(20, "m")
    parts = [
        pl.DataFrame(
            {
                "_rid": rid[v1],
                "_vt": _ts(t1[v1]),
                "status": pl.repeat("处置中", int(v1.sum()), eager=True),
                "closed_at": _ts(t1[v1]).clear(int(v1.sum())),
            }
        ),
        pl.DataFrame(
            {
                "_rid": rid[v2],
                "_vt": _ts(t_end[v2]),
                "status": final[v2],
                "closed_at": pl.Series(np.where(final[v2] == "已办结", t_end[v2], np.datetime64("NaT")).astype("datetime64[ms]")),
            }
        ),
    ]
    versions = pl.concat([p.with_columns(pl.lit(None, pl.String).alias("related_case_id")) for p in parts])
    return versions.with_columns(pl.col("_vt").alias("updated_at")), np.where(v2, t_end, t1)


def build_cases(ctx: Ctx, a: Arrays, events: pl.DataFrame, meta: dict) -> tuple:
    filed, source, lead_ev = _case_filings(ctx, a, meta)
    n = len(filed)
    m_code, m_domain, cause = _case_matters(a, meta, lead_ev)
    grid = _case_grids(a, meta, lead_ev)
    case_id = _case_ids(a.town, filed)
    officers = np.array([person_name(random.Random(f"{ctx.seed}:officer:{a.town.code}:{i}")) for i in range(30)])
    kind, name, pid, phone = _case_parties(a, n)
    o = _case_outcomes(a, filed)
    base = pl.DataFrame(
        {
            "case_id": case_id,
            "case_source": source.astype(str),
            "related_event_id": _str(np.where(lead_ev >= 0, events["event_id"].to_numpy()[np.maximum(lead_ev, 0)], None)),
            "cause": cause,
            "matter_code": m_code,
            "enforcement_domain": m_domain,
            "township_code": pl.repeat(a.town.code, n, eager=True),
            "grid_code": _str(grid),
            **_case_handlers(a, filed, officers),
            "party_type": kind,
            "party_pseudonym": name,
            "party_id_pseudonym": pid,
            "party_phone_pseudonym": phone,
        }
    )
    versions = _case_versions(a, o)
    links = _case_links(a.g, filed, lead_ev, meta, case_id)
    defects = _defects(ctx, a, cases_mod._defects, 3, list(officers)) if not ctx.clean else []
    return base, versions, defects, links


def _case_filings(ctx: Ctx, a: Arrays, meta: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(filing day, case source, lead event index or -1), by filing day: cases found by other
    means at the town's pre/post-reform rates, plus cases filed on grid events' leads."""
    g, town = a.g, a.town
    days = _day_array()
    before, after = cases_mod.RATES["330109121"]
    k = _rate("cases", town, ctx.scale) / 6.3
    rate = np.where(days >= np.datetime64(town.reform_start.isoformat()), after, before) * k
    rate = rate * (1 - cases_mod.LEAD_SHARE) * np.where(_weekday(days) >= 5, 0.5, 1.2)
    filed = days[_days(g, rate)]
    source = a.pick(np.array(cases_mod.OTHER_SOURCES), len(filed)).astype(object)
    lead_ev = np.full(len(filed), -1)
    leads = np.flatnonzero(meta["lead"] & np.isin(meta["cat"], list(cases_mod.LEAD_DOMAINS)))
    n_leads = min(len(leads), round(len(filed) * cases_mod.LEAD_SHARE / (1 - cases_mod.LEAD_SHARE)))
    chosen = np.sort(g.choice(leads, n_leads, replace=False)) if n_leads else np.array([], dtype=np.int64)
    lead_filed = meta["t0"][chosen].astype("datetime64[D]") + g.integers(1, 11, len(chosen))
    ok = lead_filed <= np.datetime64(END.isoformat())
    chosen, lead_filed = chosen[ok], lead_filed[ok]
    filed = np.concatenate([filed, lead_filed])
    source = np.concatenate([source, np.full(len(chosen), "网格上报", dtype=object)])
    lead_ev = np.concatenate([lead_ev, chosen])
    order = np.lexsort((lead_ev, filed))
    return filed[order], source[order], lead_ev[order]


def _case_matters(a: Arrays, meta: dict, lead_ev: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(matter code, domain, cause): a few matters are common (市容环境卫生 most), a lead's
    matter belongs to its event's category."""
    g, n = a.g, len(lead_ev)
    matters = a.ref.matters
    mw = np.array([(3.0 if m.domain == "市容环境卫生" else 1.0) / (r + 5) for m, r in zip(matters, g.permutation(len(matters)))])
    mi = a.choose(np.arange(len(matters)), mw, n)
    is_lead = lead_ev >= 0
    for cat, domains in cases_mod.LEAD_DOMAINS.items():
        sel = is_lead & (meta["cat"][np.maximum(lead_ev, 0)] == cat)
        idx = np.array([i for i, m in enumerate(matters) if m.domain in domains])
        if sel.any() and len(idx):
            mi[sel] = a.choose(idx, mw[idx], int(sel.sum()))
    m_code = np.array([m.code for m in matters])[mi]
    m_domain = np.array([m.domain for m in matters])[mi]
    cause = np.array([m.name.removeprefix("对").removesuffix("的行政处罚") + "案" for m in matters])[mi]
    return m_code, m_domain, cause


def _case_grids(a: Arrays, meta: dict, lead_ev: np.ndarray) -> np.ndarray:
    """Grid codes: 5 % the parent grid, 2 % none; a lead's case keeps its event's grid."""
    n = len(lead_ev)
    is_lead = lead_ev >= 0
    gi = a.grids(n)
    r = a.g.random(n)
    grid = np.where(r < 0.05, a.parent[gi], a.code[gi]).astype(object)
    grid[(r >= 0.05) & (r < 0.07)] = None
    grid[is_lead] = meta["grid"][lead_ev[is_lead]]
    return grid


def _case_ids(town: Town, filed: np.ndarray) -> pl.Series:
    """AJ + town + year + running number within the year."""
    frame = pl.DataFrame({"_day": _date(filed)})
    return (
        "AJ"
        + town.code[-3:]
        + frame["_day"].dt.year().cast(pl.String)
        + _seq(frame.with_columns(pl.col("_day").dt.year().alias("_y")), "_y").cast(pl.String).str.zfill(5)
    )


def _case_parties(a: Arrays, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(party type, name, id, phone): persons, sole traders and companies; some repeat
    offenders, a few damaged ids (bad checksum, 15 digits)."""
    g = a.g
    kind = a.choose(("个人", "个体工商户", "单位"), (55, 30, 15), n)
    unit = kind == "单位"
    rep = ~unit & (g.random(n) < 0.09)
    rr = g.random(n)
    pid = np.where(rr < 0.015, a.pick(a.bad_ids, n), np.where(rr < 0.02, a.pick(a.short_ids, n), a.pick(a.ids, n)))
    repeaters = g.integers(0, 40, n)
    name = np.where(unit, a.pick(a.companies, n), np.where(rep, a.names[repeaters], a.pick(a.names, n)))
    pid = np.where(unit, a.pick(a.usccs, n), np.where(rep, a.ids[repeaters], pid))
    phone = np.where(unit & (g.random(n) < 0.6), a.landlines(n).to_numpy(), a.mobiles(n).to_numpy())
    return kind, name, pid, phone


def _case_outcomes(a: Arrays, filed: np.ndarray) -> dict:
    """Outcome, fine, filing and closing times (a police transfer before the close)."""
    g, n = a.g, len(filed)
    outcome = a.choose(cases_mod.OUTCOMES, cases_mod.OUTCOME_WEIGHTS, n)
    fine = np.where(outcome == "罚款", a.choose(cases_mod.FINES, cases_mod.FINE_WEIGHTS, n).astype(float), np.nan)
    filed_at = _at(g, filed, 9, 17)
    revoked = outcome == "撤销立案"
    closed = filed + np.where(revoked, g.integers(2, 13, n), (g.exponential(18, n)).astype(np.int64) + 3)
    transfer = filed + g.integers(2, 16, n)
    is_tr = outcome == "移送公安"
    closed = np.where(is_tr & (transfer > closed), transfer + g.integers(0, 6, n), closed)
    t_close = _at(g, closed, 9, 18)
    return dict(
        outcome=outcome,
        fine=fine,
        filed_at=filed_at,
        revoked=revoked,
        closed=closed,
        transfer=transfer,
        is_tr=is_tr,
        t_close=t_close,
    )


def _case_handlers(a: Arrays, filed: np.ndarray, officers: np.ndarray) -> dict:
    """Acceptance day and the officers: who took it, who leads, (45 %) who assists."""
    g, n = a.g, len(filed)
    lead_h = g.integers(0, 30, n)
    co_h = (lead_h + g.integers(1, 30, n)) % 30
    return {
        "accepted_on": _date(filed - a.pick(np.array([0, 0, 0, 1, 1, 2, 3, 5]), n)),
        "filed_on": _date(filed),
        "first_handler_pseudonym": a.pick(officers, n),
        "lead_handler_pseudonym": officers[lead_h],
        "co_handler_pseudonym": _str(np.where(g.random(n) < 0.45, officers[co_h], None)),
    }


def _case_versions(a: Arrays, o: dict) -> pl.DataFrame:
    """Filed (no outcome yet, unless closed inside the same export) and closed versions."""
    g, filed_at, t_close = a.g, o["filed_at"], o["t_close"]
    n = len(filed_at)
    rid = np.arange(n)
    v1 = ~_same_export(filed_at, t_close) | (t_close > END_S)
    v2 = t_close <= END_S
    big = (np.nan_to_num(o["fine"]) >= 10000) | o["is_tr"]
    legal = ~o["revoked"] & (big | (g.random(n) < 0.7))
    board = big & (g.random(n) < 0.8)
    recon = np.where(o["outcome"] == "罚款", a.choose(("无", "复议", "诉讼"), (97.5, 1.8, 0.7), n), "无")
    nat = np.datetime64("NaT")
    n1 = int(v1.sum())
    filed_version = pl.DataFrame(
        {
            "_rid": rid[v1],
            "_vt": _ts(filed_at[v1]),
            "outcome": pl.Series([None] * n1, dtype=pl.String),
            "fine_yuan": pl.Series([None] * n1, dtype=pl.Float64),
            "has_legal_review": np.zeros(n1, bool),
            "has_review_board": np.zeros(n1, bool),
            "closed_on": _date(np.full(n1, nat, "datetime64[D]")),
            "police_transfer_on": _date(np.full(n1, nat, "datetime64[D]")),
            "reconsideration_litigation": pl.repeat("无", n1, eager=True),
        }
    )
    closed_version = pl.DataFrame(
        {
            "_rid": rid[v2],
            "_vt": _ts(t_close[v2]),
            "outcome": o["outcome"][v2],
            "fine_yuan": o["fine"][v2],
            "has_legal_review": legal[v2],
            "has_review_board": board[v2],
            "closed_on": _date(o["closed"][v2]),
            "police_transfer_on": _date(np.where(o["is_tr"], o["transfer"], nat)[v2]),
            "reconsideration_litigation": recon[v2],
        }
    )
    return pl.concat([filed_version, closed_version]).with_columns(
        pl.col("fine_yuan").fill_nan(None), pl.col("_vt").alias("updated_at")
    )


def _case_links(g: np.random.Generator, filed, lead_ev, meta: dict, case_id: pl.Series) -> pl.DataFrame:
    """The lead event's last change names the case (minutes after its last version, within the data)."""
    is_lead = lead_ev >= 0
    link_t = _at(g, filed, 9, 17)
    ev = lead_ev[is_lead]
    t_link = np.minimum(np.maximum(link_t[is_lead], meta["t_last"][ev] + np.timedelta64(5, "m")), END_S)
    keep = link_t[is_lead] <= END_S
    return pl.DataFrame({"_rid": ev[keep], "_t": _ts(t_link[keep]), "related_case_id": case_id.to_numpy()[is_lead][keep]})


def link_events(versions: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Append the case-link version to each linked event (its last version, plus the case id)."""
    last = versions.sort(["_rid", "_vt"]).unique("_rid", keep="last", maintain_order=True)
    new = last.join(links, on="_rid").with_columns(
        pl.col("_t").alias("_vt"), pl.col("_t").alias("updated_at"), pl.col("related_case_id_right").alias("related_case_id")
    )
    return pl.concat([versions, new.select(versions.columns)]).sort(["_rid", "_vt"])


def build_inspections(ctx: Ctx, a: Arrays) -> tuple:
    g, town = a.g, a.town
    day, method = _inspection_days(ctx, a)
    n = len(day)
    kind = a.choose(insp_mod.TYPES, (35, 40, 15, 10), n)
    t_code, t_name, gi = _inspection_targets(a, kind)
    o = _inspection_outcomes(a, day, kind)
    depts, campaign = _inspection_departments(a, day, method, kind)
    frame = pl.DataFrame({"_day": _date(day)})
    iid = "JC" + town.code[-3:] + frame["_day"].dt.strftime("%Y%m%d") + _seq(frame, "_day").cast(pl.String).str.zfill(4)
    nat = np.datetime64("NaT")
    base = pl.DataFrame(
        {
            "inspection_id": iid,
            "inspected_on": _date(day),
            "township_code": pl.repeat(town.code, n, eager=True),
            "grid_code": np.where(g.random(n) < 0.93, a.code[gi], a.parent[gi]),
            "target_type": kind,
            "target_name": t_name.astype(str),
            "target_code": t_code.astype(str),
            "inspection_method": method,
            "departments": depts,
            "campaign": _str(campaign),
            "hazards_found": o["hz"],
            "rectification_due_on": _date(np.where(o["hz"] > 0, o["due"], nat)),
            "disposition": o["disp"],
        }
    )
    versions = _inspection_versions(day, o)
    defects = []
    if not ctx.clean:
        rng = random.Random(f"{ctx.seed}:defects:4:{town.code}")
        defects = insp_mod._defects(ctx, a.ref, rng, insp_mod.Targets(rng, a.ref, ctx.seed), None)
    return base, versions, defects


def _inspection_days(ctx: Ctx, a: Arrays) -> tuple[np.ndarray, np.ndarray]:
    """(day, method) by day: 一次到位 joint visits grow after the reform, single-department ones shrink."""
    g = a.g
    days = _day_array()
    after = days >= np.datetime64(a.town.reform_start.isoformat())
    wk = np.where(_weekday(days) < 5, 1.2, 0.5)
    rate = _rate("inspections", a.town, ctx.scale) / 0.95
    ov = _days(g, rate * wk * np.where(after, 0.6, 0.25))
    single = _days(g, rate * wk * np.where(after, 0.35, 0.7))
    day = np.concatenate([days[ov], days[single]])
    method = np.concatenate([np.full(len(ov), insp_mod.ONE_VISIT), np.full(len(single), insp_mod.SINGLE)])
    order = np.argsort(day, kind="stable")
    return day[order], method[order]


def _inspection_targets(a: Arrays, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target code, target name, grid index): a pool per type about half as large as its
    inspections (so ~55 % are re-inspections)."""
    n = len(kind)
    t_code = np.empty(n, dtype=object)
    t_name = np.empty(n, dtype=object)
    gi = np.empty(n, dtype=np.int64)
    for k in insp_mod.TYPES:
        m = kind == k
        size = max(1, int(m.sum() * 0.5))
        pg = a.grids(size)
        codes, names = _target_pool(a, k, pg)
        pick = a.g.integers(0, size, int(m.sum()))
        t_code[m], t_name[m], gi[m] = codes[pick], names[pick], pg[pick]
    return t_code, t_name, gi


def _target_pool(a: Arrays, kind: str, pg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and names of `len(pg)` targets of one type in the grids `pg`."""
    g, town, size = a.g, a.town, len(pg)
    if kind == "企业":
        return a.usccs[np.arange(size) % len(a.usccs)], a.pick(a.companies, size)
    if kind == "沿街商铺":
        street = np.where(g.random(size) < 0.7, a.pick(a.roads, size), a.village[pg])
        codes = np.char.add(np.char.add(town.name + street, (np.arange(size) + 1).astype(str)), "号")
        return codes, a.pick(a.shops, size)
    if kind == "出租房":
        house = np.char.add(np.char.add(town.name + a.village[pg], (np.arange(size) // 40 + 1).astype(str)), "号")
        codes = np.char.add(house, np.char.add(((np.arange(size) % 40) + 101).astype(str), "室"))
        return codes, np.array([a.names[zlib.crc32(h.encode()) % len(a.names)] for h in house])  # the landlord
    codes = np.array([f"{town.code}-QT-{i + 1:04d}" for i in range(size)])
    names = np.char.add(
        a.pick(np.array(("建筑工地", "农贸市场", "物流园区", "加油站", "学校周边", "农家乐")), size),
        np.array([c[-4:] for c in codes]),
    )
    return codes, names


def _inspection_outcomes(a: Arrays, day: np.ndarray, kind: np.ndarray) -> dict:
    """Hazards found, rectified on the spot or by a due day, and the acceptance (or not)."""
    g, n = a.g, len(day)
    hz = g.poisson(np.where(kind == "企业", 1.6, 0.9))
    t0 = _at(g, day, 8, 17)
    spot = (hz > 0) & (g.random(n) < 0.15)
    due = day + np.where(spot, 0, a.pick(np.array([7, 10, 15, 30]), n))
    open_ = (hz > 0) & ~spot
    disp = np.where(hz == 0, "未发现问题", np.where(spot, "当场整改", a.choose(("责令限期整改", "立案查处"), (92, 8), n)))
    status0 = np.where(hz == 0, "无需整改", np.where(spot, "已整改", "整改中"))
    accepted_ok = g.random(n) < 0.87
    acc = day + (g.integers(0, 10**6, n) % np.maximum(1, (due - day).astype(np.int64) + 2)) + 2
    t1 = np.where(accepted_ok, _at(g, acc, 9, 17), _at(g, due + 1, 9, 12))
    return dict(
        hz=hz, t0=t0, spot=spot, due=due, open_=open_, disp=disp, status0=status0, accepted_ok=accepted_ok, acc=acc, t1=t1
    )


def _inspection_departments(a: Arrays, day, method, kind) -> tuple[np.ndarray, np.ndarray]:
    """(departments, campaign): joint visits list several departments; 60 % of shop-front
    inspections from July 2022 belong to the 迎亚运 campaign."""
    g, n = a.g, len(day)
    combos = np.array(["、".join(("综合行政执法队", *random.Random(i).sample(insp_mod.DEPTS, 1 + i % 3))) for i in range(60)])
    depts = np.where(method == insp_mod.ONE_VISIT, a.pick(combos, n), a.pick(np.array(("综合行政执法队", *insp_mod.DEPTS)), n))
    campaign = np.where(
        (kind == "沿街商铺") & (day >= np.datetime64("2022-07-01")) & (g.random(n) < 0.6), "迎亚运市容环境整治", None
    )
    return depts, campaign


def _inspection_versions(day: np.ndarray, o: dict) -> pl.DataFrame:
    """The inspection itself, then (if a rectification was open) its acceptance within the data."""
    nat = np.datetime64("NaT")
    rid = np.arange(len(day))
    v2 = o["open_"] & (o["t1"] <= END_S)
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "_rid": rid,
                    "_vt": _ts(o["t0"]),
                    "rectification_status": o["status0"],
                    "accepted_on": _date(np.where(o["spot"], day, nat)),
                }
            ),
            pl.DataFrame(
                {
                    "_rid": rid[v2],
                    "_vt": _ts(o["t1"][v2]),
                    "rectification_status": np.where(o["accepted_ok"], "已整改", "逾期未整改")[v2],
                    "accepted_on": _date(np.where(o["accepted_ok"], o["acc"], nat)[v2]),
                }
            ),
        ]
    ).with_columns(pl.col("_vt").alias("updated_at"))


def build_notices(ctx: Ctx, a: Arrays) -> tuple:
    g, town, ref = a.g, a.town, a.ref
    days = _day_array(max(town.reform_start, START))
    wk = np.where(_weekday(days) < 5, 1.15, 0.6)
    rate = _rate("notices", town, ctx.scale) * N_DAYS / max(1, len(days))
    parking = next(i for i, m in enumerate(ref.matters) if m.name == PARKING)
    pools = {
        notices_mod.FIRST: [i for i, m in enumerate(ref.matters) if m.first_violation_exempt and i != parking],
        notices_mod.SERVICE: [i for i, m in enumerate(ref.matters) if m.name in GARBAGE],
        notices_mod.MINOR: [i for i, m in enumerate(ref.matters) if m.mitigation_allowed and m.name not in GARBAGE],
    }
    parts = [(_days(g, rate * 0.5 * wk), notices_mod.FIRST, np.array([parking]))]
    for kind, share in ((notices_mod.FIRST, 0.25), (notices_mod.SERVICE, 0.1), (notices_mod.MINOR, 0.15)):
        parts.append((_days(g, rate * share * wk), kind, np.array(pools[kind])))
    day = np.concatenate([days[d] for d, _, _ in parts])
    kind = np.concatenate([np.full(len(d), k) for d, k, _ in parts])
    mi = np.concatenate([pool[g.integers(0, len(pool), len(d))] for d, _, pool in parts])
    order = np.lexsort((mi, kind, day))
    day, kind, mi = day[order], kind[order], mi[order]
    n = len(day)
    gi = a.grids(n)
    r = g.random(n)
    pid = np.where(r < 0.01, a.pick(a.bad_ids, n), a.pick(a.ids, n)).astype(object)
    pid[(r >= 0.01) & (r < 0.08)] = None
    is_park = mi == parking
    doc_kind = np.where(is_park, "违停提", np.vectorize(notices_mod.DOC.get)(kind))
    f = pl.DataFrame({"_day": _date(day), "_dk": doc_kind}).with_columns(pl.col("_day").dt.year().alias("_y"))
    seq = _seq(f, "_y")
    doc_seq = f.select(pl.int_range(1, pl.len() + 1).over("_y", "_dk").alias("s"))["s"]
    year = f["_y"].cast(pl.String)
    doc = f"{town.abbr}综执" + f["_dk"] + "〔" + year + "〕" + doc_seq.cast(pl.String).str.zfill(4) + "号"
    t = _at(g, day, 8, 19)
    base = pl.DataFrame(
        {
            "notice_id": "RX" + town.code[-3:] + year + seq.cast(pl.String).str.zfill(5),
            "notice_date": _date(day),
            "township_code": pl.repeat(town.code, n, eager=True),
            "grid_code": np.where(g.random(n) < 0.9, a.code[gi], a.parent[gi]),
            "notice_type": kind,
            "matter_code": np.array([m.code for m in ref.matters])[mi],
            "matter_name": np.array([m.name for m in ref.matters])[mi],
            "party_pseudonym": a.pick(a.names, n),
            "party_id_pseudonym": _str(pid),
            "party_phone_pseudonym": a.mobiles(n),
            "document_no": doc,
        }
    )
    versions = pl.DataFrame({"_rid": np.arange(n), "_vt": _ts(t)}).with_columns(pl.col("_vt").alias("updated_at"))
    defects = []
    if not ctx.clean:
        rng = random.Random(f"{ctx.seed}:defects:5:{town.code}")
        defects = notices_mod._defects(ctx, ref, rng, ref.matters[parking])
    return base, versions, defects


def build_alarms(ctx: Ctx, a: Arrays) -> tuple:
    g, town = a.g, a.town
    t_inc, sub = _alarm_incidents(ctx, a)
    m = len(t_inc)
    inc, k, kind, t, n_calls = _alarm_calls(g, t_inc)
    n = len(inc)
    ids = _alarm_ids(town, t)
    first = np.flatnonzero(k == 0)
    merged = (n_calls[inc] > 1) | (g.random(m)[inc] < 0.5)
    merge_id = np.where(merged, "HB" + ids.to_numpy()[first][np.searchsorted(first, np.arange(n), side="right") - 1], None)
    gi, grid, lon, lat = _alarm_places(ctx, a, inc, m)
    subs = sub[inc]
    cat, caller, text, reason = _alarm_texts(a, subs, kind, gi)
    valid = kind == 0
    base = pl.DataFrame(
        {
            "alarm_id": ids,
            "reported_at": _ts(t),
            "alarm_category": cat,
            "alarm_subcategory": subs,
            "is_valid": valid,
            "invalid_reason": _str(reason),
            "merge_id": _str(merge_id),
            "township_code": pl.repeat(town.code, n, eager=True),
            "grid_code": _str(grid),
            "longitude": lon,
            "latitude": lat,
            "police_station": pl.repeat(town.police_stations[0], n, eager=True),
            "caller_pseudonym": _str(caller),
            "caller_phone_pseudonym": a.mobiles(n),
            "summary": _str(text),
            "disposition": np.where(valid, a.pick(np.array(alarms_mod.VALID_RESULTS), n), "无效警情"),
        }
    )
    versions = pl.DataFrame({"_rid": np.arange(n), "_vt": _ts(t)})
    return base, versions, _alarm_defects(ctx, a)


def _alarm_incidents(ctx: Ctx, a: Arrays) -> tuple[np.ndarray, np.ndarray]:
    """(time, subcategory) of each incident; 1 % are fishing (电信诈骗) reports."""
    g = a.g
    days = _day_array()
    rate = _rate("police_alarms", a.town, ctx.scale) / 1.2 * np.where(_weekday(days) >= 5, 1.15, 1.0)
    inc_day = days[_days(g, rate)]
    m = len(inc_day)
    t_inc = inc_day.astype("datetime64[s]") + g.integers(0, 86400, m).astype("timedelta64[s]")
    t_inc = np.minimum(t_inc, END_S - np.timedelta64(110, "m"))
    sub = a.choose(alarms_mod.BACKGROUND, alarms_mod.BG_WEIGHTS, m)
    return t_inc, np.where(g.random(m) < 0.01, alarms_mod.FISHING, sub)


def _alarm_calls(g: np.random.Generator, t_inc: np.ndarray) -> tuple:
    """(incident, call number, kind, time, calls per incident) of each call, incidents by first
    call; kinds: 0 valid, 1 invalid (reason), 2 重复, 3 无声."""
    m = len(t_inc)
    r = g.random(m)
    extra = g.integers(1, 4, m)
    n_calls = np.where(r < 0.88, 1, np.where(r < 0.97, 1 + extra, np.where(r < 0.99, 2 + (extra > 2), 1 + (extra > 1) + 1)))
    inc = np.repeat(np.arange(m), n_calls)
    k = np.arange(len(inc)) - np.repeat(np.cumsum(n_calls) - n_calls, n_calls)
    ri = r[inc]
    kind = np.where(
        ri < 0.78,
        0,
        np.where(
            ri < 0.88,
            1,
            np.where(
                ri < 0.97,
                np.where(k == 0, 0, 2),
                np.where(ri < 0.99, np.where(k == 0, 3, np.where(k == 1, 0, 2)), np.where(k == 0, 3, 2)),
            ),
        ),
    )
    gap = g.integers(2 * 60, 26 * 60, len(inc)) * (k > 0)
    cs = np.cumsum(gap)
    offs = cs - cs[np.cumsum(n_calls) - n_calls][inc]
    t = t_inc[inc] + offs.astype("timedelta64[s]")
    order = np.lexsort((k, inc, t_inc[inc]))  # incidents by first call, calls in order
    return inc[order], k[order], kind[order], t[order], n_calls


def _alarm_ids(town: Town, t: np.ndarray) -> pl.Series:
    """3301 + town + day + running number within the day in time order."""
    n = len(t)
    frame = pl.DataFrame({"_day": _date(t.astype("datetime64[D]")), "_t": _ts(t)})
    seq_order = np.lexsort((np.arange(n), t))
    ranked = frame[seq_order].with_columns(pl.int_range(1, pl.len() + 1).over("_day").alias("s"))
    seq = np.empty(n, dtype=np.int64)
    seq[seq_order] = ranked["s"].to_numpy()
    return "3301" + town.code[-3:] + frame["_day"].dt.strftime("%Y%m%d") + pl.Series(seq).cast(pl.String).str.zfill(4)


def _alarm_places(ctx: Ctx, a: Arrays, inc: np.ndarray, m: int) -> tuple:
    """(grid index, grid code, longitude, latitude) of each call: the incident's grid (38 %
    micro, 5 % parent, else none; a few bogus) and a point inside it."""
    g, town, n = a.g, a.town, len(inc)
    gi = a.grids(m)[inc]
    rg = g.random(n)
    grid = np.where(rg < 0.38, a.code[gi], a.parent[gi]).astype(object)
    grid[rg >= 0.43] = None
    bogus = (rg > 0.998) & (not ctx.clean)
    grid[bogus] = [f"{town.code}9{x}{y:02d}" for x, y in zip(g.integers(10, 100, bogus.sum()), g.integers(1, 21, bogus.sum()))]
    box = a.box[gi]
    fx, fy = g.uniform(0.1, 0.9, n), g.uniform(0.1, 0.9, n)
    lon = np.round(box[:, 0] + fx * (box[:, 2] - box[:, 0]), 6)
    lat = np.round(box[:, 1] + fy * (box[:, 3] - box[:, 1]), 6)
    return gi, grid, lon, lat


def _alarm_texts(a: Arrays, subs: np.ndarray, kind: np.ndarray, gi: np.ndarray) -> tuple:
    """(category, caller, summary, invalid reason): silent calls have no caller, repeats say so."""
    g, n = a.g, len(subs)
    cat = np.vectorize(lambda s: alarms_mod.SUBCATS[s][0])(subs)
    summary = np.vectorize(lambda s: alarms_mod.SUBCATS[s][2])(subs)
    caller = a.pick(a.names, n).astype(object)
    text = "报警人称" + a.village[gi] + "附近" + summary
    p = g.random(n)
    phone_suffix = np.where(p < 0.05, "，回拨电话" + a.mobiles(n).to_numpy().astype(str), "")
    text = (text + phone_suffix).astype(object)
    silent = kind == 3
    text[silent] = "无声电话，回拨无人接听"
    caller[silent] = None
    rep = kind == 2
    text[rep] = np.char.add("重复报警：", text[rep].astype(str))
    reason = np.where(
        kind == 1, a.pick(np.array(alarms_mod.INVALID), n), np.where(kind == 2, "重复", np.where(kind == 3, "无声", None))
    )
    return cat, caller, text, reason


def _alarm_defects(ctx: Ctx, a: Arrays) -> list[dict]:
    """The demo's defect rows, with ids in this town's numbering."""
    if ctx.clean:
        return []
    defects = _defects(ctx, a, alarms_mod._defects, 2)
    for i, row in enumerate(defects):
        if isinstance(row["alarm_id"], str):
            row["alarm_id"] = f"3301{a.town.code[-3:]}{row['_t']:%Y%m%d}9{i:03d}"
            row["merge_id"] = "HB" + row["alarm_id"]
    return defects


def _defects(ctx: Ctx, a: Arrays, fn, k: int, *args) -> list[dict]:
    return fn(ctx, a.ref, random.Random(f"{ctx.seed}:defects:{k}:{a.town.code}"), *args)


# ---- exports ------------------------------------------------------------------------------


@dataclasses.dataclass
class Plan:
    source: str
    stem: str
    fmt: str  # csv | xlsx | jsonl
    period: str = "month"
    overlap_days: int = 0
    title: str = ""
    title_share: float = 1.0
    sheet: str = "Sheet1"
    encodings: tuple[str, ...] = ("utf-8",)
    serial_no: bool = False
    extras: tuple[tuple[str, str], ...] = ()
    dup_rate: float = 0.003
    sort_key: str = ""
    style: dict = dataclasses.field(default_factory=dict)
    wins: list | None = None
    drop_before: dt.date | None = None  # files dated before this have no 更新时间 (the old platform)
    defects: bool = True


CSV_ENCODINGS = (("gbk", "utf-8-sig", "utf-8"), ("utf-8-sig", "gbk"), ("utf-8", "gbk", "utf-8-sig"))  # by town, in turn


def plans(town: Town, i: int) -> list[Plan]:
    """The export files of the district's i-th extra town: formats and encodings vary by town."""
    s = town.short
    small = town.resident < 60000 and i % 2 == 0  # xlsx is slow to write: only small towns' inspections
    csv_enc = CSV_ENCODINGS[i % 3]
    even, third = i % 2 == 0, i % 3 == 1
    return [
        Plan(
            "grid_events",
            f"{s}_grid_events",
            "csv",
            encodings=csv_enc,
            title=TITLES["grid_events"],
            title_share=0.4,
            extras=DEPT_COLUMN,
            drop_before=dt.date(2022, 1, 1) if even else None,
        ),
        Plan(
            "inspections",
            f"{s}_inspections",
            "xlsx" if small else "csv",
            period="quarter",
            title=TITLES["inspections"],
            sheet=SHEETS["inspections"],
            serial_no=small,
            encodings=csv_enc,
        ),
        Plan(
            "cases",
            f"{s}_cases",
            "xlsx" if even else "csv",
            period="quarter",
            title=TITLES["cases"],
            sheet=SHEETS["cases"],
            serial_no=even,
            encodings=csv_enc[::-1],
            style={"bool_form": "mixed"},
        ),
        Plan(
            "notices",
            f"{s}_notices",
            "xlsx" if third else "csv",
            period="quarter",
            overlap_days=31,
            title=TITLES["notices"] if third else "",
            sheet=SHEETS["notices"],
            serial_no=third,
            encodings=csv_enc,
        ),
        Plan(
            "police_alarms",
            f"{s}_jq",
            "jsonl" if even else "csv",
            overlap_days=2,
            encodings=csv_enc,
            style=ALARM_STYLE,
            sort_key="reported_at",
        ),
    ]


@dataclasses.dataclass
class FStyle:
    g: np.random.Generator
    forms: tuple[str, ...]  # the town's township spellings: code, name, aliases
    date_form: str = "iso"
    date_cells: str = "text"
    mix: float = 0.0
    mix_forms: tuple[str, ...] = ("iso", "iso_min", "slash", "cn", "compact")
    pad: float = 0.0
    nbsp: bool = True
    fullwidth: float = 0.0
    null_tokens: float = 0.0
    bool_form: str = "zh"
    money_mixed: bool = False
    township: str = "code"
    key: str = ""


def _file_style(ctx: Ctx, g: np.random.Generator, plan: Plan, town: Town, key: str, gbk: bool, xlsx: bool) -> FStyle:
    forms = (town.code, town.name, *town.aliases)
    if ctx.clean:
        return FStyle(g, forms, township="name")
    c = lambda seq: seq[int(g.integers(0, len(seq)))]  # noqa: E731
    s = FStyle(
        g,
        forms,
        date_form=c(DATE_FORMS),
        date_cells=c(("text", "text", "serial")) if xlsx else "text",
        mix=0.03,
        pad=0.01,
        nbsp=not gbk,
        fullwidth=0.004,
        null_tokens=0.35,
        bool_form=c(BOOL_FORM_CHOICES),
        money_mixed=True,
        township="mixed",
        key=key,
    )
    for k, v in plan.style.items():
        setattr(s, k, c(v) if isinstance(v, list) else v)
    return s


def _fmt_expr(c: pl.Expr, form: str, ts: bool) -> pl.Expr:
    y, m, d = (c.dt.year().cast(pl.String), c.dt.month().cast(pl.String), c.dt.day().cast(pl.String))
    if form in ("iso", "iso_min", "compact"):
        f = {
            "iso": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
            "iso_min": ("%Y-%m-%d %H:%M", "%Y-%m-%d"),
            "compact": ("%Y%m%d%H%M%S", "%Y%m%d"),
        }[form]
        return c.dt.strftime(f[0] if ts else f[1])
    hh = c.dt.hour().cast(pl.String)
    if form == "slash":
        return pl.concat_str(
            [y, pl.lit("/"), m, pl.lit("/"), d] + ([pl.lit(" "), hh, pl.lit(":"), c.dt.strftime("%M")] if ts else [])
        )
    return pl.concat_str(
        [y, pl.lit("年"), m, pl.lit("月"), d, pl.lit("日")]
        + ([pl.lit(" "), hh, pl.lit("时"), c.dt.minute().cast(pl.String), pl.lit("分")] if ts else [])
    )


def _scatter(s: pl.Series, mask: np.ndarray, fn) -> pl.Series:
    idx = np.flatnonzero(mask)
    if not len(idx):
        return s
    values = [fn(v) for v in s.gather(idx).to_list()]
    return s.clone().scatter(idx, pl.Series(values, dtype=pl.String))


def _quirk(s: pl.Series, st: FStyle, fw: bool, nonnull: np.ndarray) -> pl.Series:
    n, g = len(s), st.g
    if fw and st.fullwidth:
        s = _scatter(s, nonnull & (g.random(n) < st.fullwidth), fullwidth)
    if st.pad:
        pads = ("\u3000", " ", "  ", "\u00a0" if st.nbsp else "\u3000")
        seed = int(g.integers(0, 2**32))
        rng = random.Random(seed)

        def pad(text: str) -> str:
            p = rng.choice(pads)
            return rng.choice((p + text, text + p, p + text + p))

        s = _scatter(s, nonnull & (g.random(n) < st.pad), pad)
    return s


def _render(df: pl.DataFrame, cols: list[Column], st: FStyle, xlsx: bool) -> list[pl.Series]:
    """Each contract column as the export spells it (String; Int for xlsx numbers)."""
    # one pass for the null masks and the dominant date spelling (few polars calls per file)
    nulls = df.select([pl.col(c.name).is_null() for c in cols]).to_numpy().T
    dated = [c for c in cols if c.type in ("timestamp", "date")]
    texts = df.select([_fmt_expr(pl.col(c.name), st.date_form, c.type == "timestamp").alias(c.name) for c in dated])
    return [_render_column(df[c.name], c, st, xlsx, texts, nulls[j]).alias(c.zh) for j, c in enumerate(cols)]


def _render_column(s: pl.Series, c: Column, st: FStyle, xlsx: bool, texts: pl.DataFrame, null: np.ndarray) -> pl.Series:
    """One column; `texts` holds the dated columns in the file's dominant spelling."""
    t = c.type
    nonnull = ~null
    if xlsx and t == "date" and st.date_cells == "serial":
        return (s - dt.date(1899, 12, 30)).dt.total_days()
    if xlsx and t == "int":
        return s
    if t in ("timestamp", "date"):
        r = _quirk(_mixed_dates(s, texts[c.name], st, t == "timestamp", nonnull), st, True, nonnull)
    elif t == "bool":
        r = _bools(s, st, nonnull)
    elif t == "money":
        forms = ("int", "int", "dec", "yuan", "rmb", "wan") if st.money_mixed else ("int",)
        picks = st.g.integers(0, len(forms), len(s))
        r = pl.Series([None if v is None else fmt_money(v, forms[k]) for v, k in zip(s.to_list(), picks)], dtype=pl.String)
        r = _quirk(r, st, False, nonnull)
    elif t == "int":
        r = _quirk(s.cast(pl.String), st, True, nonnull)
    elif t == "float":
        r = pl.Series([None if v is None else f"{v:.6f}" for v in s.to_list()], dtype=pl.String)
    elif t == "township":
        r = _quirk(_townships(s, st), st, True, nonnull)
    else:
        r = _quirk(s.cast(pl.String), st, t in ("grid", "id") and c.name != st.key, nonnull)
    return _with_null_tokens(r, st, null)


def _mixed_dates(s: pl.Series, r: pl.Series, st: FStyle, ts: bool, nonnull: np.ndarray) -> pl.Series:
    """The dominant spelling `r`, a share (st.mix) of the values in another one."""
    if not st.mix:
        return r
    g, n, forms = st.g, len(s), st.mix_forms
    picks = g.integers(0, len(forms), n)
    idx = np.flatnonzero((g.random(n) < st.mix) & nonnull)
    if len(idx):
        vals = [fmt_ts(v, forms[k]) if ts else fmt_date(v, forms[k]) for v, k in zip(s.gather(idx).to_list(), picks[idx])]
        r = r.scatter(idx, pl.Series(vals, dtype=pl.String))
    return r


def _bools(s: pl.Series, st: FStyle, nonnull: np.ndarray) -> pl.Series:
    """Yes/no in the file's spelling ("mixed": one spelling per value), nulls kept."""
    n = len(s)
    if st.bool_form == "mixed":
        keys = list(BOOL_FORMS)
        f = st.g.integers(0, len(keys), n)
        yes = np.array([BOOL_FORMS[k][0] for k in keys])[f]
        no = np.array([BOOL_FORMS[k][1] for k in keys])[f]
    else:
        yes, no = BOOL_FORMS[st.bool_form]
    r = pl.Series(np.where(s.fill_null(False).to_numpy(), yes, no), dtype=pl.String)
    return r.zip_with(pl.Series(nonnull), pl.Series([None] * n, dtype=pl.String))


def _townships(s: pl.Series, st: FStyle) -> pl.Series:
    """The township as code, name, or ("mixed") code 40 %, name 40 %, an alias 20 %."""
    n, g = len(s), st.g
    if st.township == "name":
        return pl.Series(np.full(n, st.forms[1]), dtype=pl.String)
    if st.township == "mixed":
        u = g.random(n)
        alias = np.array(st.forms[2:])[g.integers(0, len(st.forms) - 2, n)]
        return pl.Series(np.where(u < 0.4, st.forms[0], np.where(u < 0.8, st.forms[1], alias)), dtype=pl.String)
    return s


def _with_null_tokens(r: pl.Series, st: FStyle, null: np.ndarray) -> pl.Series:
    """A share (st.null_tokens) of the empty cells spelled 无 / NULL / - …"""
    if st.null_tokens and r.dtype == pl.String:
        g = st.g
        idx = np.flatnonzero(null & (g.random(len(r)) < st.null_tokens))
        if len(idx):
            r = r.scatter(idx, pl.Series(np.array(NULL_TOKENS)[g.integers(0, len(NULL_TOKENS), len(idx))]))
    return r


def _windows(plan: Plan) -> list[Window]:
    return plan.wins or windows(plan.period)


def _state(base: pl.DataFrame, versions: pl.DataFrame, lo: dt.datetime, hi: dt.datetime) -> pl.DataFrame:
    """Records changed in [lo, hi], in their state as of hi (base + the varying columns)."""
    touched = versions.filter(pl.col("_vt").is_between(lo, hi))["_rid"].unique()
    if touched.is_empty():
        return None
    state = (
        versions.filter(pl.col("_rid").is_in(touched.implode()) & (pl.col("_vt") <= hi))
        .sort(["_rid", "_vt"])
        .unique("_rid", keep="last", maintain_order=True)
    )
    return pl.concat([base[state["_rid"]], state.drop("_vt")], how="horizontal")


def write_source(
    ctx: Ctx,
    out: Path,
    town: Town,
    plan: Plan,
    base: pl.DataFrame,
    versions: pl.DataFrame,
    defects: list[dict],
    overrides: dict[str, dict[int, str]] | None = None,
) -> dict[str, int]:
    """All export files of one source for one extra town: {relative path: data rows}."""
    g = np.random.default_rng([ctx.seed, int(town.code), zlib.crc32(plan.stem.encode())])
    cols = columns(plan.source)
    key = cols[0].name
    sort_key = plan.sort_key or next(c.name for c in cols if c.type in ("timestamp", "date"))
    first_day = dt.datetime(START.year, START.month, START.day)
    batches = [Window(END, first_day, END_TS)] if ctx.clean else _windows(plan)
    pending = list(defects) if plan.defects and not ctx.clean else []
    written: dict[str, int] = {}
    for n_file, w in enumerate(batches):
        lo = first_day if ctx.clean else w.start - dt.timedelta(days=plan.overlap_days)
        rows = _state(base, versions, lo, w.end)
        if rows is None:
            continue
        mine = _defects_due(pending, batches, n_file)
        rows = rows.sort([sort_key, key], nulls_last=False)
        file_cols = [c for c in cols if not (c.name == "updated_at" and plan.drop_before and w.label < plan.drop_before)]
        encoding = "utf-8" if ctx.clean else plan.encodings[n_file % len(plan.encodings)]
        xlsx = plan.fmt == "xlsx"
        st = _file_style(ctx, g, plan, town, key, encoding == "gbk", xlsx)
        rendered = _render(rows, file_cols, st, xlsx)
        _apply_overrides(rendered, rows, file_cols, overrides or {})
        for d in mine:
            pending.remove(d)
        if plan.fmt == "jsonl":
            written.update(_write_jsonl(ctx, g, out, plan, w, _jsonl_lines(rows, file_cols, st, mine)))
        else:
            table = pl.DataFrame(rendered + [rows[k].alias(h) for h, k in plan.extras])
            written.update(_write_table(ctx, g, out, town, plan, w, st, key, file_cols, encoding, table, mine))
    return written


def _defects_due(pending: list[dict], batches: list[Window], n_file: int) -> list[dict]:
    """The defect rows this export carries: those dated inside its window; the next-to-last
    export also takes those whose date falls in no window."""
    w = batches[n_file]
    return [
        d
        for d in pending
        if w.start <= d["_t"] <= w.end or (n_file == len(batches) - 2 and not any(x.start <= d["_t"] <= x.end for x in batches))
    ]


def _apply_overrides(rendered: list[pl.Series], rows: pl.DataFrame, file_cols: list[Column], overrides: dict) -> None:
    """Put the spellings of `overrides` ({column: {_rid: text}}) into the rendered columns."""
    for name, by_rid in overrides.items():
        zh = next(c.zh for c in file_cols if c.name == name)
        j = next(i for i, c in enumerate(file_cols) if c.name == name)
        rid = rows["_rid"].to_numpy()
        hit = np.flatnonzero(np.isin(rid, list(by_rid)) & rows[name].is_not_null().to_numpy())
        if len(hit):
            rendered[j] = rendered[j].cast(pl.String).scatter(hit, pl.Series([by_rid[r] for r in rid[hit]]))
            rendered[j] = rendered[j].alias(zh)


def _with_dup_rows(ctx: Ctx, g: np.random.Generator, plan: Plan, frame: pl.DataFrame) -> pl.DataFrame:
    """Exact duplicate rows (a clerk pasting a block twice), each after its original."""
    if ctx.clean or not plan.dup_rate or not frame.height:
        return frame
    k = max(1, int(frame.height * plan.dup_rate))
    extra = g.choice(frame.height, k, replace=False)
    return frame[np.sort(np.concatenate([np.arange(frame.height), extra]), kind="stable")]


def _write_table(
    ctx: Ctx,
    g: np.random.Generator,
    out: Path,
    town: Town,
    plan: Plan,
    w: Window,
    st: FStyle,
    key: str,
    file_cols: list[Column],
    encoding: str,
    frame: pl.DataFrame,
    defects: list[dict],
) -> dict[str, int]:
    """One csv or xlsx export: duplicates, the defect rows first, title rows; {path: data rows}."""
    xlsx = plan.fmt == "xlsx"
    if not xlsx:
        frame = frame.cast(pl.String)
    frame = _with_dup_rows(ctx, g, plan, frame)
    # defect rows (few) rendered one by one; they sort first, like the demo's
    py = Style(rng=random.Random(int(g.integers(0, 2**32))), date_form=st.date_form, key=key)
    drows = [[_plain(py.render(c, d.get(c.name), xlsx)) for c in file_cols] + [d.get(k) for _, k in plan.extras] for d in defects]
    rel = f"{plan.source}/{plan.stem}_{w.label:%Y%m%d}.{plan.fmt}"
    n_rows = frame.height + len(drows)
    titles: tuple[str, ...] = ()
    if plan.title and not ctx.clean and g.random() < plan.title_share:
        titles = title_rows(town.name, plan.title, w.label, n_rows, g.random)
    serial = plan.serial_no and not ctx.clean
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if xlsx:
        _write_xlsx_export(path, plan.sheet, frame, drows, titles, serial)
    else:
        _write_csv_export(path, frame, drows, titles, serial, encoding)
    return {rel: n_rows}


def _write_xlsx_export(path: Path, sheet: str, frame: pl.DataFrame, drows: list[list], titles: tuple, serial: bool) -> None:
    header = frame.columns
    if serial:
        header = ["序号", *header]
        drows = [[i, *r] for i, r in enumerate(drows, start=1)]
        frame = frame.insert_column(0, pl.Series("序号", np.arange(len(drows) + 1, frame.height + len(drows) + 1)))
    write_xlsx_fast(path, sheet, header, drows, frame, titles)


def _write_csv_export(path: Path, frame: pl.DataFrame, drows: list[list], titles: tuple, serial: bool, encoding: str) -> None:
    """CRLF csv as Excel saves it; title rows padded with commas to the table's width."""
    if drows:
        dframe = pl.DataFrame([[None if v is None else str(v) for v in r] for r in drows], schema=frame.columns, orient="row")
        frame = pl.concat([dframe.cast(pl.String), frame])
    if serial:
        frame = frame.insert_column(0, pl.Series("序号", np.arange(1, frame.height + 1)).cast(pl.String))
    text = frame.write_csv(line_terminator="\r\n", quote_style="necessary")
    head = "".join(title + "," * (frame.width - 1) + "\r\n" for title in titles)
    path.write_bytes((head + text).encode(encoding))


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        f"</Relationships>"
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_NS}"><fonts count="2"><font><sz val="11"/><name val="等线"/></font>'
        f'<font><b/><sz val="14"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill '
        f'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
        f'<border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf '
        f'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" '
        f'fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" '
        f'xfId="0" applyFont="1"/></cellXfs></styleSheet>'
    ),
}


def _col_letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell_py(ref: str, v, style: str = "") -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f'<c r="{ref}"{style}><v>{v}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_esc(str(v))}</t></is></c>'


def write_xlsx_fast(
    path: Path, sheet: str, header: list[str], first: list[list], frame: pl.DataFrame, titles: tuple[str, ...] = ()
) -> None:
    """A one-sheet xlsx written with polars string expressions (xlsxwriter takes ~1 ms a row):
    inline strings, numbers for integer columns, merged bold title rows. `first` rows (Python
    values) come before the frame's rows. Fixed zip timestamps: byte-identical per seed."""
    letters = [_col_letter(j) for j in range(len(header))]
    lines = [f'<row r="{r}">' + _cell_py(f"A{r}", title, ' s="1"') + "</row>" for r, title in enumerate(titles, start=1)]
    for row in [header, *first]:
        r = len(lines) + 1
        lines.append(f'<row r="{r}">' + "".join(_cell_py(f"{L}{r}", v) for L, v in zip(letters, row)) + "</row>")
    body = _xlsx_body(frame, letters, len(lines)) if frame.height else ""
    merges = "".join(f'<mergeCell ref="A{i}:{letters[-1]}{i}"/>' for i in range(1, len(titles) + 1))
    xml = (
        f'{_XML}<worksheet xmlns="{_NS}" xmlns:r="{_REL}"><sheetData>'
        + "".join(lines)
        + body
        + "</sheetData>"
        + (f'<mergeCells count="{len(titles)}">{merges}</mergeCells>' if titles else "")
        + "</worksheet>"
    )
    parts = {
        **_PARTS,
        "xl/workbook.xml": (
            f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets><sheet name="{_esc(sheet)}" '
            f'sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/worksheets/sheet1.xml": xml,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2022, 8, 31, 18, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text if name == "xl/worksheets/sheet1.xml" else _XML + text, compresslevel=1)


def _xlsx_body(frame: pl.DataFrame, letters: list[str], above: int) -> str:
    """The frame's rows as sheet XML, numbered from `above` + 1; empty cells left out."""
    rn = pl.int_range(above + 1, above + 1 + pl.len()).cast(pl.String)
    cells = []
    for L, name in zip(letters, frame.columns):
        c = pl.col(name)
        if frame.schema[name].is_numeric():
            text = pl.concat_str([pl.lit(f'<c r="{L}'), rn, pl.lit('"><v>'), c.cast(pl.String), pl.lit("</v></c>")])
        else:
            esc = (
                c.cast(pl.String)
                .str.replace_all("&", "&amp;", literal=True)
                .str.replace_all("<", "&lt;", literal=True)
                .str.replace_all(">", "&gt;", literal=True)
            )
            inline = pl.lit('" t="inlineStr"><is><t xml:space="preserve">')
            text = pl.concat_str([pl.lit(f'<c r="{L}'), rn, inline, esc, pl.lit("</t></is></c>")])
        cells.append(pl.when(c.is_null() | (c.cast(pl.String) == "")).then(pl.lit("")).otherwise(text))
    row = pl.concat_str([pl.lit('<row r="'), rn, pl.lit('">'), *cells, pl.lit("</row>")])
    return frame.select(row.str.join("").alias("x"))["x"][0]


def _plain(v):
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    return v


def _jsonl_lines(rows: pl.DataFrame, cols: list[Column], st: FStyle, defects: list[dict]) -> pl.DataFrame:
    """Police-feed objects with pinyin keys: numbers stay numbers, empties null or ""."""
    g = st.g
    out = {}
    for c in cols:
        s = rows[c.name]
        n = len(s)
        if c.type == "bool":
            r = s.cast(pl.Int64)
        elif c.type == "float":
            r = s.round(6)
        elif c.type == "timestamp":
            r = rows.select(_fmt_expr(pl.col(c.name), st.date_form, True)).to_series()
            if st.mix:
                idx = np.flatnonzero(g.random(n) < st.mix)
                forms = st.mix_forms
                if len(idx):
                    r = r.scatter(
                        idx,
                        pl.Series(
                            [fmt_ts(v, forms[int(g.integers(0, len(forms)))]) for v in s.gather(idx).to_list()], dtype=pl.String
                        ),
                    )
        else:
            r = s.cast(pl.String)
            empty = r.is_null().to_numpy() & (g.random(n) >= 0.3)
            idx = np.flatnonzero(empty)
            if len(idx):
                r = r.scatter(idx, pl.Series([""] * len(idx)))
        out[c.pinyin] = r
    frame = pl.DataFrame(out)
    if defects:
        py = Style(rng=random.Random(0), date_form=st.date_form)
        extra = [
            {
                c.pinyin: (
                    d[c.name].text
                    if hasattr(d.get(c.name), "text")
                    else (1 if d[c.name] else 0)
                    if c.type == "bool"
                    else round(d[c.name], 6)
                    if c.type == "float" and d.get(c.name) is not None
                    else py.render(c, d.get(c.name))
                    if d.get(c.name) is not None
                    else ""
                )
                for c in cols
            }
            for d in defects
        ]
        frame = pl.concat([pl.DataFrame(extra, schema=frame.schema, orient="row"), frame])
    return frame


def _write_jsonl(ctx: Ctx, g: np.random.Generator, out: Path, plan: Plan, w: Window, frame: pl.DataFrame) -> dict:
    frame = _with_dup_rows(ctx, g, plan, frame)
    rel = f"{plan.source}/{plan.stem}_{w.label:%Y%m%d}.jsonl"
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_ndjson(path)
    return {rel: frame.height}


# ---- v1.1 quirks ---------------------------------------------------------------------------


def _secondary(g: np.random.Generator, versions: pl.DataFrame, column: str, ok: pl.Expr) -> dict[int, str]:
    """Two records whose dated version carries a year typo (2202-…) or an impossible day (…-32)."""
    cand = versions.filter(pl.col(column).is_between(dt.date(2022, 5, 1), EXPORT_CUTOFF) & ok)
    if cand.height < 2:
        return {}
    pick = cand[np.sort(g.choice(cand.height, 2, replace=False))]
    out = {}
    for k, (rid, d) in enumerate(zip(pick["_rid"], pick[column])):
        out[rid] = f"2202-{d.month:02d}-{d.day:02d}" if k == 0 else f"{d.year}-{d.month:02d}-32"
    return out


def _simple_cases(ctx: Ctx, a: Arrays, base: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """简易程序: five on-the-spot fines, no 立案日期, July–August 2022."""
    rng = random.Random(f"{ctx.seed}:simple:{a.town.code}")
    matters = [m for m in a.ref.matters if m.domain == "市容环境卫生"]
    rows, vers = [], []
    for i, day in enumerate(sorted(dt.date(2022, 7, 1) + dt.timedelta(days=rng.randint(0, 54)) for _ in range(5))):
        m: Matter = rng.choice(matters)
        t = dt.datetime(day.year, day.month, day.day, rng.randint(9, 17), rng.randint(0, 59), rng.randint(0, 59))
        rows.append(
            {
                "case_id": f"JY{a.town.code[-3:]}{day.year}{i + 1:05d}",
                "case_source": "巡查发现",
                "related_event_id": None,
                "cause": m.name.removeprefix("对").removesuffix("的行政处罚") + "案",
                "matter_code": m.code,
                "enforcement_domain": m.domain,
                "township_code": a.town.code,
                "grid_code": a.ref.pick(rng)[0].code,
                "accepted_on": day,
                "filed_on": None,
                "first_handler_pseudonym": person_name(rng),
                "lead_handler_pseudonym": person_name(rng),
                "co_handler_pseudonym": None,
                "party_type": "个人",
                "party_pseudonym": person_name(rng),
                "party_id_pseudonym": resident_id(rng),
                "party_phone_pseudonym": "1" + f"{rng.randrange(10**10):010d}",
            }
        )
        vers.append(
            {
                "_rid": base.height + i,
                "_vt": t,
                "outcome": "罚款",
                "fine_yuan": float(rng.choice((50, 100, 200))),
                "has_legal_review": False,
                "has_review_board": False,
                "closed_on": day,
                "police_transfer_on": None,
                "reconsideration_litigation": "无",
                "updated_at": t,
            }
        )
    return pl.DataFrame(rows, schema=base.schema), pl.DataFrame(vers)


# ---- one town -------------------------------------------------------------------------------


def write_town(ctx: Ctx, out: Path, ref: TownRef, i: int) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """All exports of one extra town: ({source: {path: rows}}, quirk counts). One source's
    frames at a time (the helpers drop them once written)."""
    town = ref.town
    g = np.random.default_rng([ctx.seed, int(town.code)])
    a = Arrays(ctx, ref, g)
    counts: dict[str, int] = {}
    p = {pl_.source: pl_ for pl_ in plans(town, i)}
    if ctx.clean:
        p = {k: dataclasses.replace(v, fmt="csv" if v.fmt == "xlsx" else v.fmt) for k, v in p.items()}
    written = _write_events_and_cases(ctx, out, a, p, i, counts)
    written["inspections"] = _write_inspections(ctx, out, a, p["inspections"], counts)
    n_base, n_vers, n_def = build_notices(ctx, a)
    written["notices"] = write_source(ctx, out, town, p["notices"], n_base, n_vers, n_def)
    del n_base, n_vers
    written["police_alarms"] = _write_alarms(ctx, out, a, p["police_alarms"], counts)
    return written, counts


def _write_events_and_cases(ctx: Ctx, out: Path, a: Arrays, p: dict[str, Plan], i: int, counts: dict) -> dict:
    """Events and cases (built together: cases link back to their lead events)."""
    town = a.town
    ev_base, ev_vers, ev_def, meta = build_events(ctx, a)
    c_base, c_vers, c_def, links = build_cases(ctx, a, ev_base, meta)
    ev_vers = link_events(ev_vers, links)
    overrides = None
    if not ctx.clean:
        c_base, c_vers, overrides = _case_quirks(ctx, a, c_base, c_vers, counts)
    written = {"grid_events": write_source(ctx, out, town, p["grid_events"], ev_base, ev_vers, ev_def)}
    del ev_base, ev_vers, meta
    written["cases"] = write_source(ctx, out, town, p["cases"], c_base, c_vers, c_def, overrides)
    if not ctx.clean and i == 1:  # a re-export filed under cases/archive/ (name sorts after the 8/24 one)
        day = dt.date(2022, 8, 25)
        arch = dataclasses.replace(
            p["cases"],
            stem=f"archive/{p['cases'].stem}",
            fmt="csv",
            serial_no=False,
            encodings=("utf-8-sig",),
            defects=False,
            wins=[Window(day, dt.datetime(2022, 8, 1), dt.datetime(2022, 8, 25, 23, 59, 59))],
        )
        written["cases"].update(write_source(ctx, out, town, arch, c_base, c_vers, [], overrides))
        counts["cases/archive/ exports"] = 1
    return written


def _case_quirks(ctx: Ctx, a: Arrays, c_base: pl.DataFrame, c_vers: pl.DataFrame, counts: dict) -> tuple:
    """(cases with the 简易程序 ones, their versions, overrides): two unusable 结案日期 and a
    full-width 事项编码."""
    q = np.random.default_rng([ctx.seed, int(a.town.code), 11])
    simple_base, simple_vers = _simple_cases(ctx, a, c_base)
    c_base = pl.concat([c_base, simple_base])
    c_vers = pl.concat([c_vers, simple_vers.cast(c_vers.schema)])
    counts["简易程序 cases"] = simple_base.height
    overrides = {"closed_on": _secondary(q, c_vers, "closed_on", pl.col("outcome").is_in(["罚款", "警告"]))}
    fw = c_base.with_row_index("_rid").filter(pl.col("filed_on") >= dt.date(2022, 6, 1))
    if fw.height:
        rid = fw["_rid"][int(q.integers(0, fw.height))]
        overrides["matter_code"] = {rid: fullwidth(c_base["matter_code"][rid])}
    counts["unusable 结案日期"] = len(overrides["closed_on"])
    counts["full-width 事项编码"] = len(overrides.get("matter_code", {}))
    return c_base, c_vers, overrides


def _write_inspections(ctx: Ctx, out: Path, a: Arrays, plan: Plan, counts: dict) -> dict[str, int]:
    """Inspections, with two unusable 验收日期 on single-department visits."""
    i_base, i_vers, i_def = build_inspections(ctx, a)
    overrides = None
    if not ctx.clean:
        q = np.random.default_rng([ctx.seed, int(a.town.code), 12])
        ok = pl.col("rectification_status") == "已整改"
        single = i_base.with_row_index("_rid").filter(pl.col("inspection_method") == insp_mod.SINGLE)["_rid"]
        overrides = {"accepted_on": _secondary(q, i_vers.filter(pl.col("_rid").is_in(single.implode())), "accepted_on", ok)}
        counts["unusable 验收日期"] = len(overrides["accepted_on"])
    return write_source(ctx, out, a.town, plan, i_base, i_vers, i_def, overrides)


def _write_alarms(ctx: Ctx, out: Path, a: Arrays, plan: Plan, counts: dict) -> dict[str, int]:
    """Police alarms; in a csv export three ids went through Excel (`3.30100E+18`)."""
    a_base, a_vers, a_def = build_alarms(ctx, a)
    if not ctx.clean and plan.fmt == "csv":
        a_base = _excel_damaged_ids(ctx, a.town, a_base, counts)
    return write_source(ctx, out, a.town, plan, a_base, a_vers, a_def)


def _excel_damaged_ids(ctx: Ctx, town: Town, a_base: pl.DataFrame, counts: dict) -> pl.DataFrame:
    """Three single unmerged 2022 calls at distinct seconds get their id as Excel shows it."""
    q = np.random.default_rng([ctx.seed, int(town.code), 13])
    cand = (
        a_base.with_row_index("_rid")
        .filter(
            pl.col("merge_id").is_null()
            & (pl.col("reported_at").dt.year() == 2022)
            & (pl.col("alarm_subcategory") != alarms_mod.FISHING)
        )
        .unique("reported_at", keep="first", maintain_order=True)
    )
    if cand.height < 3:
        return a_base
    rids = np.sort(q.choice(cand["_rid"].to_numpy(), 3, replace=False))
    ids = a_base["alarm_id"].to_numpy().copy()
    ids[rids] = [f"{int(x):.5E}" for x in ids[rids]]
    counts["alarm ids as 3.301xxE+18 (csv)"] = 3
    return a_base.with_columns(pl.Series("alarm_id", ids))
