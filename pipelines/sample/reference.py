"""Reference tables: townships, the grid lattice (全科网格 → 微网格, polygons) and the
empowered-matters catalogue. Sources draw their grids, places and matters from here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from .common import GUALI, TOWNS, YIQIAO, Ctx, Town
from .writers import write_csv

VILLAGES = {
    YIQIAO.code: (
        "义桥社区",
        "城西社区",
        "义桥村",
        "湘南村",
        "渔浦村",
        "新坝村",
        "联三村",
        "民丰村",
        "勤联村",
        "罗幕村",
        "山后村",
        "昇光村",
        "许贤村",
        "杜家村",
        "七里村",
        "东方村",
        "前庄村",
        "峡山村",
        "云峰村",
        "新浦村",
        "顾村村",
        "井山村",
    ),
    GUALI.code: (
        "东灵社区",
        "瓜沥社区",
        "永兴社区",
        "航民村",
        "山北村",
        "友谊村",
        "长巷村",
        "大园村",
        "新发村",
        "明朗村",
        "梅林村",
        "沿塘村",
        "坎山村",
        "光明村",
        "党山村",
        "东恩村",
        "前兴村",
        "塘头村",
        "运东村",
        "大林村",
        "八里桥村",
        "棉北村",
        "凤升村",
        "群围村",
        "东河村",
        "新港村",
        "益农村",
        # 昭东片区: the six villages where the campaign banned 107 scrap-cloth workshops
        "昭东村",
        "东湖村",
        "姚家埭村",
        "湖东村",
        "湖西村",
        "上溪村",
    ),
}
ZHAODONG = ("昭东村", "东湖村", "姚家埭村", "湖东村", "湖西村", "上溪村")
ROADS = {
    YIQIAO.code: ("义桥大道", "湘南路", "渔浦街", "新坝路", "民丰路", "昇光路", "许贤路", "峡山路", "罗幕路", "杜家路"),
    GUALI.code: (
        "航坞路",
        "东灵路",
        "瓜港路",
        "建设路",
        "友谊路",
        "八一路",
        "育才路",
        "人民路",
        "新街路",
        "沿塘路",
        "党山路",
        "坎山路",
        "瓜沥大道",
        "明朗路",
        "梅林路",
        "永兴路",
    ),
}
# lattice shape (cols × rows) and number of 全科网格 per town
LATTICE = {YIQIAO.code: (28, 20, 40), GUALI.code: (44, 25, 80)}
GREY_SHARE = 0.036  # micro-grids with fewer than 50 people (fields, riverbanks, industrial lots)


@dataclass
class Grid:
    code: str
    name: str
    parent: str
    village: str
    population: int
    col: int
    row: int
    lon0: float
    lat0: float
    lon1: float
    lat1: float
    weight: float = 1.0  # activity weight: population × local hot-spot factor
    riverside: bool = False

    def point(self, rng: random.Random) -> tuple[float, float]:
        """A location strictly inside the cell (so point-in-polygon finds this grid)."""
        fx, fy = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)
        return self.lon0 + fx * (self.lon1 - self.lon0), self.lat0 + fy * (self.lat1 - self.lat0)


@dataclass
class Matter:
    code: str
    name: str
    domain: str
    empowered_on: dt.date
    first_violation_exempt: bool
    mitigation_allowed: bool


@dataclass
class TownRef:
    town: Town
    micro: list[Grid]
    parents: list[tuple[str, str, str, int]]  # code, name, village, population
    matters: list[Matter]
    by_village: dict[str, list[Grid]] = field(default_factory=dict)

    def __post_init__(self):
        for g in self.micro:
            self.by_village.setdefault(g.village, []).append(g)
        self.weights = [g.weight for g in self.micro]

    def pick(self, rng: random.Random, k: int = 1, weights: list[float] | None = None) -> list[Grid]:
        return rng.choices(self.micro, weights=weights or self.weights, k=k)


# ---- grids -------------------------------------------------------------------------------


def _build_grids(ctx: Ctx, town: Town) -> tuple[list[Grid], list[tuple]]:
    rng = ctx.rng(f"grids:{town.code}")
    cols, rows, n_parents = LATTICE[town.code]
    side_km = math.sqrt(town.area_km2 / (cols * rows))
    dlon, dlat = side_km / (111.32 * math.cos(math.radians(town.lat))), side_km / 110.57
    # serpentine through horizontal strips two cells tall, so consecutive cells are neighbours
    order = []
    for strip in range(0, rows, 2):
        for c in range(cols):
            for r in range(strip, min(strip + 2, rows)):
                order.append((c, r))
    n = len(order)
    sizes = [n // n_parents + (1 if i < n % n_parents else 0) for i in range(n_parents)]
    villages = VILLAGES[town.code]
    micro, parents, pos = [], [], 0
    for p, size in enumerate(sizes):
        village = villages[p * len(villages) // n_parents]
        k_in_village = sum(1 for q in range(p) if villages[q * len(villages) // n_parents] == village) + 1
        pcode = f"{town.code}{p + 1:03d}"
        for j in range(size):
            c, r = order[pos]
            pos += 1
            micro.append(
                Grid(
                    code=f"{pcode}{j + 1:02d}",
                    name=f"{village}{k_in_village}号网格第{j + 1}微网格",
                    parent=pcode,
                    village=village,
                    population=0,
                    col=c,
                    row=r,
                    lon0=round(town.lon + c * dlon, 6),
                    lat0=round(town.lat + r * dlat, 6),
                    lon1=round(town.lon + (c + 1) * dlon, 6),
                    lat1=round(town.lat + (r + 1) * dlat, 6),
                    riverside=(c <= 1 or r >= rows - 2),
                )
            )
        parents.append([pcode, f"{village}{k_in_village}号网格", village, 0])
    # populations: lognormal around the mean, a few near-empty (grey) cells, total ≈ 常住人口
    n_grey = max(1, round(len(micro) * GREY_SHARE))
    grey = set(rng.sample(range(len(micro)), n_grey))
    raw = [rng.lognormvariate(0, 0.45) for _ in micro]
    live = sum(r for i, r in enumerate(raw) if i not in grey)
    for i, g in enumerate(micro):
        g.population = rng.randint(0, 45) if i in grey else max(60, round(raw[i] / live * town.resident))
    hot = set(rng.sample(range(len(micro)), max(1, len(micro) // 20)))
    for i, g in enumerate(micro):
        g.weight = (g.population + 20) ** 0.9 * rng.lognormvariate(0, 0.5) * (3.5 if i in hot else 1.0)
    by_parent = {}
    for g in micro:
        by_parent[g.parent] = by_parent.get(g.parent, 0) + g.population
    for p in parents:
        p[3] = by_parent[p[0]]
    return micro, [tuple(p) for p in parents]


# ---- matters -----------------------------------------------------------------------------

# 执法领域 and, per domain, verb-object phrases that make up the 事项名称 "对{修饰}{行为}的行政处罚".
# Guali: the first 21 domains since the 2020 pilot, the last four added in 2022 (689 → 882 matters).
DOMAINS: dict[str, tuple[str, ...]] = {
    "市容环境卫生": (
        "设置户外广告设施",
        "设置店招店牌",
        "占道经营",
        "在街巷内堆放物料",
        "倾倒建筑垃圾",
        "运输渣土",
        "晾晒衣物",
        "张贴小广告",
        "焚烧垃圾",
        "饲养家禽家畜",
        "排放餐饮油烟",
        "设置摊点",
        "清运餐厨垃圾",
    ),
    "城乡规划": (
        "建设建筑物",
        "建设构筑物",
        "改变建筑用途",
        "搭建临时建筑",
        "改建房屋外立面",
        "进行农村村民住宅建设",
        "变更规划许可内容",
        "进行地下空间建设",
    ),
    "市政公用": (
        "挖掘城市道路",
        "占用城市道路",
        "在城市桥梁上架设管线",
        "损坏市政设施",
        "接入排水管网",
        "排放污水",
        "迁移供水设施",
        "占用路灯设施",
    ),
    "园林绿化": ("砍伐城市树木", "占用城市绿地", "损坏绿化设施", "迁移古树名木", "在绿地内停放车辆", "改变绿地用途"),
    "生态环境": (
        "排放大气污染物",
        "露天焚烧秸秆",
        "排放工业噪声",
        "进行夜间施工",
        "贮存危险废物",
        "排放水污染物",
        "设置排污口",
        "处置一般工业固体废物",
        "使用高污染燃料",
    ),
    "水利": (
        "在河道管理范围内建设",
        "在河道内采砂",
        "向河道倾倒废弃物",
        "侵占水利工程",
        "取用水资源",
        "围垦河道",
        "在堤防上挖筑",
    ),
    "自然资源": ("占用耕地建房", "非法占用土地", "破坏耕地", "采矿", "转让土地使用权", "改变土地用途"),
    "住房城乡建设": (
        "使用燃气设施",
        "经营瓶装燃气",
        "施工建设工程",
        "装修房屋",
        "委托无资质单位施工",
        "拆除房屋",
        "进行物业管理",
        "出租住房",
    ),
    "交通运输": ("占用公路", "在公路上设置障碍", "从事道路运输经营", "超限运输", "在公路用地内堆放物品", "设置非公路标志"),
    "农业农村": ("使用禁用农药", "经营农药", "销售种子", "屠宰生猪", "捕捞水产品", "使用禁用渔具", "处置病死动物"),
    "市场监管": ("经营食品", "生产食品", "销售过期食品", "使用计量器具", "明码标价", "设置广告", "经营无照", "销售产品"),
    "卫生健康": ("从事公共场所经营", "提供生活饮用水", "开展医疗美容", "控制吸烟场所", "开展消毒服务", "从事职业病危害作业"),
    "应急管理": (
        "生产经营危险化学品",
        "开展安全生产培训",
        "配备安全生产管理人员",
        "储存烟花爆竹",
        "排查事故隐患",
        "设置安全警示标志",
    ),
    "消防救援": ("占用消防通道", "设置消防设施", "使用易燃材料装修", "堵塞安全出口", "为电动自行车充电", "在住人场所生产经营"),
    "文化旅游": ("经营网吧", "经营娱乐场所", "从事出版物经营", "组织营业性演出", "经营旅游业务"),
    "林业": ("毁坏林木", "采伐林木", "占用林地", "运输木材", "猎捕野生动物"),
    "人防": ("拆除人防工程", "占用人防工程", "改变人防工程用途", "建设防空地下室"),
    "民政": ("设置殡葬设施", "建造坟墓", "从事社会组织活动", "制造销售封建迷信殡葬用品"),
    "教育": ("举办校外培训机构", "开展学科类培训", "设立民办学校", "发布招生广告"),
    "人力社保": ("招用未成年工", "拖欠劳动报酬", "经营职业中介", "订立劳动合同"),
    "商务": ("经营单用途预付卡", "回收报废机动车", "经营二手车交易", "回收再生资源"),
    "体育": ("经营高危险性体育项目", "举办体育赛事", "经营游泳场所"),
    "粮食物资储备": ("收购粮食", "储存粮食", "销售陈化粮"),
    "气象": ("施放气球", "设置气象设施", "发布气象信息"),
    "统计": ("报送统计资料", "伪造统计数据", "拒绝统计调查"),
}
MODIFIERS = ("擅自", "未按规定", "违反规定", "未经批准", "未经许可", "不按规定", "违规", "无证")
GUALI_NEW_DOMAINS = ("体育", "粮食物资储备", "气象", "统计")
PARKING = "对在人行道违法停放非机动车的行政处罚"
GARBAGE = (
    "对单位和个人未按规定分类投放生活垃圾的行政处罚",
    "对未按规定分类收集、运输生活垃圾的行政处罚",
    "对生活垃圾分类管理责任人未履行分类管理责任的行政处罚",
    "对混合收集已分类的生活垃圾的行政处罚",
)
# Guali matters per domain (sums to 882: 689 in the 21 pilot domains, 141 + 52 added in 2022)
GUALI_SIZES = {
    "市容环境卫生": 90,
    "城乡规划": 48,
    "市政公用": 48,
    "园林绿化": 36,
    "生态环境": 56,
    "水利": 42,
    "自然资源": 40,
    "住房城乡建设": 52,
    "交通运输": 38,
    "农业农村": 44,
    "市场监管": 56,
    "卫生健康": 38,
    "应急管理": 40,
    "消防救援": 38,
    "文化旅游": 30,
    "林业": 26,
    "人防": 22,
    "民政": 22,
    "教育": 20,
    "人力社保": 22,
    "商务": 22,
    "体育": 16,
    "粮食物资储备": 12,
    "气象": 12,
    "统计": 12,
}
YIQIAO_DOMAINS = tuple(list(DOMAINS)[:18])
YIQIAO_SIZES = {
    "市容环境卫生": 45,
    "城乡规划": 24,
    "市政公用": 22,
    "园林绿化": 17,
    "生态环境": 26,
    "水利": 20,
    "自然资源": 18,
    "住房城乡建设": 24,
    "交通运输": 16,
    "农业农村": 20,
    "市场监管": 24,
    "卫生健康": 16,
    "应急管理": 18,
    "消防救援": 18,
    "文化旅游": 13,
    "林业": 11,
    "人防": 9,
    "民政": 9,
}


def _build_matters(ctx: Ctx) -> dict[str, list[Matter]]:
    """One district catalogue (Guali holds all 882); Yiqiao took over 350 of them on 2022-06-01."""
    assert sum(GUALI_SIZES.values()) == 882 and sum(YIQIAO_SIZES.values()) == 350
    rng = ctx.rng("matters")
    guali, yiqiao = [], []
    for d_idx, (domain, phrases) in enumerate(DOMAINS.items(), start=1):
        names = [f"对{m}{p}的行政处罚" for p in phrases for m in MODIFIERS]
        rng.shuffle(names)
        fixed = (PARKING, *GARBAGE) if domain == "市容环境卫生" else ()
        names = list(fixed) + [n for n in names if n not in fixed]
        names = names[: GUALI_SIZES[domain]]
        assert len(names) == GUALI_SIZES[domain], domain
        new_domain = domain in GUALI_NEW_DOMAINS
        in_yiqiao = (
            set(fixed) | set(rng.sample(names[len(fixed) :], YIQIAO_SIZES.get(domain, 0) - len(fixed)))
            if domain in YIQIAO_DOMAINS
            else set()
        )
        for i, name in enumerate(names):
            exempt = name == PARKING or (name not in GARBAGE and rng.random() < 0.12)
            mitigation = name in GARBAGE or rng.random() < 0.15
            code = f"330{d_idx:02d}2{i + 1:03d}000"
            # 2022 additions: the four new domains plus the tail of each old domain's list (141 + 52)
            added_2022 = new_domain or i >= GUALI_SIZES[domain] - (7 if d_idx <= 15 else 6)
            guali.append(
                Matter(code, name, domain, dt.date(2022, 1, 1) if added_2022 else GUALI.reform_start, exempt, mitigation)
            )
            if name in in_yiqiao:
                yiqiao.append(Matter(code, name, domain, YIQIAO.reform_start, exempt, mitigation))
    return {YIQIAO.code: yiqiao, GUALI.code: guali}


# ---- writing -----------------------------------------------------------------------------


def build(ctx: Ctx) -> dict[str, TownRef]:
    matters = _build_matters(ctx)
    refs = {}
    for town in TOWNS:
        micro, parents = _build_grids(ctx, town)
        refs[town.code] = TownRef(town, micro, parents, matters[town.code])
    return refs


TOWNSHIP_HEADER = ["镇街编码", "镇街名称", "别名", "所属区县", "面积平方公里", "户籍人口", "流动人口", "常住人口", "改革起始日期"]
GRID_HEADER = ["网格编码", "网格名称", "网格类型", "上级网格编码", "镇街编码", "村社", "实有人口"]
MATTER_HEADER = ["事项编码", "事项名称", "执法领域", "镇街编码", "赋权日期", "首违不罚", "减轻从轻"]


def write(out: Path, refs: dict[str, TownRef]) -> dict[str, int]:
    """Reference files are plain UTF-8 csv in every mode (staff maintain them by hand)."""
    towns = [_township_row(t) for t in (*TOWNS, *(r.town for r in refs.values() if r.town not in TOWNS))]
    write_csv(out / "reference/townships.csv", TOWNSHIP_HEADER, towns)
    grid_rows, features, matter_rows = [], [], []
    for ref in refs.values():
        rows, feats = _grid_rows(ref)
        grid_rows += rows
        features += feats
        matter_rows += [_matter_row(ref.town, m) for m in ref.matters]
    write_csv(out / "reference/grids.csv", GRID_HEADER, grid_rows)
    (out / "reference/grids.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    write_csv(out / "reference/matters.csv", MATTER_HEADER, matter_rows)
    return {
        "reference/townships.csv": len(towns),
        "reference/grids.csv": len(grid_rows),
        "reference/grids.geojson": len(features),
        "reference/matters.csv": len(matter_rows),
    }


def _township_row(t: Town) -> list:
    return [
        t.code,
        t.name,
        ";".join(t.aliases),
        "萧山区",
        f"{t.area_km2:.1f}",
        t.registered,
        t.floating,
        t.resident,
        t.reform_start.isoformat(),
    ]


def _grid_rows(ref: TownRef) -> tuple[list[list], list[dict]]:
    """A town's grids.csv rows (each 全科网格, then its micro-grids) and the micro-grids' polygons."""
    micro_of: dict[str, list[Grid]] = {}
    for g in ref.micro:
        micro_of.setdefault(g.parent, []).append(g)
    rows, features = [], []
    for code, name, village, pop in ref.parents:
        rows.append([code, name, "全科网格", "", ref.town.code, village, pop])
        for g in micro_of[code]:
            rows.append([g.code, g.name, "微网格", g.parent, ref.town.code, g.village, g.population])
            ring = [[g.lon0, g.lat0], [g.lon1, g.lat0], [g.lon1, g.lat1], [g.lon0, g.lat1], [g.lon0, g.lat0]]
            features.append(
                {
                    "type": "Feature",
                    "properties": {"网格编码": g.code, "网格名称": g.name},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
    return rows, features


def _matter_row(town: Town, m: Matter) -> list:
    return [
        m.code,
        m.name,
        m.domain,
        town.code,
        m.empowered_on.isoformat(),
        "是" if m.first_violation_exempt else "否",
        "是" if m.mitigation_allowed else "否",
    ]
