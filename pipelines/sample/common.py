"""Shared pieces of the sample generator: towns, dates, the contract's columns, fake people.

Everything random goes through one `random.Random` per concern, seeded from the run seed,
so the same seed writes byte-identical files (no clock, no hash randomisation).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from pipelines.contract import Column, load_contract

START = dt.date(2021, 1, 1)
END = dt.date(2022, 8, 31)  # the last day real records fall on (the pipeline's as-of)
END_TS = dt.datetime(2022, 8, 31, 23, 59, 59)
EXPORT_CUTOFF = dt.date(2022, 8, 24)  # the mid-month export the article quotes ("截至8月24日")


def columns(source: str) -> tuple[Column, ...]:
    """The source's columns as the contract spells them (headers are never hard-coded here)."""
    return load_contract().sources[source].columns


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    short: str  # file-name stem
    abbr: str  # 文书编号 abbreviation
    aliases: tuple[str, ...]
    area_km2: float
    registered: int
    floating: int
    resident: int
    reform_start: dt.date
    lon: float  # south-west corner of the grid lattice
    lat: float
    police_stations: tuple[str, ...]


YIQIAO = Town(
    code="330109118",
    name="义桥镇",
    short="yiqiao",
    abbr="萧义",
    aliases=("义桥", "萧山区义桥镇", "义桥街道"),
    area_km2=72.6,
    registered=60000,
    floating=54000,
    resident=95400,
    reform_start=dt.date(2022, 6, 1),
    lon=120.150,
    lat=30.045,
    police_stations=("萧山区公安分局义桥派出所",),
)
GUALI = Town(
    code="330109121",
    name="瓜沥镇",
    short="guali",
    abbr="萧瓜",
    aliases=("瓜沥", "萧山区瓜沥镇", "瓜沥街道"),
    area_km2=126.9,
    registered=162000,
    floating=171000,
    resident=300000,
    reform_start=dt.date(2020, 9, 1),
    lon=120.380,
    lat=30.160,
    police_stations=("萧山区公安分局瓜沥派出所", "萧山区公安分局党山派出所", "萧山区公安分局坎山派出所"),
)
TOWNS = (YIQIAO, GUALI)
# Townships that are not in the reference: rows naming them must be quarantined.
UNKNOWN_TOWNS = ("临浦镇", "330109107", "进化镇")


@dataclass
class Ctx:
    """Run-wide settings handed to every source module."""

    seed: int
    clean: bool
    scale: float = 1.0
    _rngs: dict = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        # one independent stream per concern: adding rows to one source never shifts another
        if name not in self._rngs:
            self._rngs[name] = random.Random(f"{self.seed}:{name}")
        return self._rngs[name]

    def n(self, count: float) -> int:
        """A volume, scaled (calibrated counts too, so a small test inbox stays consistent)."""
        return int(round(count * self.scale))


def days(start: dt.date = START, end: dt.date = END):
    d = start
    while d <= end:
        yield d
        d += dt.timedelta(days=1)


def at(day: dt.date, rng: random.Random, lo: int = 7, hi: int = 20) -> dt.datetime:
    """A time of day between lo:00 and hi:59 (office / patrol hours), whole seconds."""
    return dt.datetime(day.year, day.month, day.day, rng.randint(lo, hi), rng.randint(0, 59), rng.randint(0, 59))


def poisson(rng: random.Random, lam: float) -> int:
    # Knuth for small means, normal approximation above (fast enough, deterministic)
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, lam**0.5))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def spread(rng: random.Random, total: int, day_list: list[dt.date], weights: list[float] | None = None) -> list[dt.date]:
    """Exactly `total` dates drawn from day_list (weighted), sorted: calibrated counts use this."""
    return sorted(rng.choices(day_list, weights=weights, k=total))


# ---- fake people (GBK-representable characters only) -------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤楼傅来俞"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平刚桂兰文辉鹏飞玲红霞志斌燕春梅海波宇浩凯峰云亮"
    "晓雪琴林欣婷佳俊杰新民德福荣祥根宝水金土妹珍美丹萍娇凤凌坚成康永忠良海燕利群"
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
# 萧山 (330181 old county-level city, 330109 district), Zhejiang, and typical 流动人口 origins
ID_REGIONS = (
    "330181",
    "330181",
    "330181",
    "330109",
    "330109",
    "330121",
    "330106",
    "330621",
    "330782",
    "412723",
    "412725",
    "513022",
    "522422",
    "342221",
    "362331",
    "432524",
    "452128",
    "411422",
    "511381",
)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    return f"0571-8{rng.randrange(10**6, 10**7):07d}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(first17: str) -> str:
    """GB 11643 check character."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def resident_id(rng: random.Random, bad_checksum: bool = False) -> str:
    birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 49))
    first17 = f"{rng.choice(ID_REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    check = id_check_char(first17)
    if bad_checksum:  # a typo in the check digit: the row stays, flagged id_checksum_failed
        check = rng.choice([c for c in "0123456789X" if c != check])
    return first17 + check


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(rng: random.Random) -> str:
    """统一社会信用代码 (GB 32100, valid check character); newer ones carry the `MA` marker."""
    body = "91330109" + (
        "MA2" + "".join(rng.choice(_USCC_CHARS[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
        if rng.random() < 0.8
        else "".join(rng.choice(_USCC_CHARS[:10]) for _ in range(8)) + "X"
    )
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


COMPANY_WORDS = (
    "恒达",
    "盛泰",
    "华联",
    "金鑫",
    "永盛",
    "宏源",
    "东方",
    "江南",
    "天成",
    "鑫源",
    "富春",
    "钱江",
    "万顺",
    "兴业",
    "振华",
    "新世纪",
    "明月",
    "安达",
    "荣盛",
    "航民",
    "丰华",
    "嘉诚",
    "浦阳",
    "湘湖",
    "瑞丰",
    "中兴",
    "杭萧",
)
COMPANY_TRADES = (
    "纺织",
    "化纤",
    "五金",
    "机械",
    "印染",
    "物流",
    "建材",
    "家具",
    "包装",
    "电器",
    "汽配",
    "服饰",
    "塑料制品",
    "食品",
    "装饰工程",
    "钢结构",
    "新材料",
    "贸易",
    "仓储",
    "布料",
)
SHOP_TRADES = (
    "小吃店",
    "面馆",
    "五金店",
    "便利店",
    "理发店",
    "水果店",
    "烧烤店",
    "超市",
    "快餐店",
    "手机维修店",
    "服装店",
    "早餐店",
    "电动车行",
    "烟酒店",
    "药店",
    "洗车店",
    "棋牌室",
    "奶茶店",
    "汽修店",
    "粮油店",
)


def company_name(rng: random.Random, town: Town) -> str:
    return (
        f"杭州{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"
        if rng.random() < 0.6
        else f"杭州萧山{town.name[:2]}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"
    )


def shop_name(rng: random.Random, town: Town) -> str:
    return f"萧山区{town.name}{rng.choice(COMPANY_WORDS)}{rng.choice(SHOP_TRADES)}"
