"""A 萧消119-style fire-safety check export and the inbox mapping that reads it (issue 9).

The 萧消119 app exports its checks with its own headers (任务编号, 检查时间, 所属街道, 单位类型,
单位名称, 单位编码, 隐患数量, 整改情况, 复查日期) and value words (单位 / 九小场所, 已完成 /
无隐患), and has no 检查方式, 参与部门, 专项行动 or 处置结果. `inbox/_mappings/xiaoxiao119.yaml`
maps it onto the inspections source, so the demo loads it without code.

Placed where no contract §9 figure counts it: 瓜沥镇, 单部门检查 (not 综合查一次), no 专项行动
(not 除险保安), companies and street shops only (no rental rooms, so no landlord names).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .common import GUALI, Ctx, company_name, shop_name, uscc
from .reference import TownRef
from .writers import write_xlsx

MAPPING_PATH = "_mappings/xiaoxiao119.yaml"
EXPORT_PATH = "inspections/萧消119_20220831.xlsx"
HEADER = [
    "序号",
    "任务编号",
    "检查时间",
    "所属街道",
    "所属网格",
    "单位类型",
    "单位名称",
    "单位编码",
    "隐患数量",
    "整改期限",
    "整改情况",
    "复查日期",
]
ROWS = 60
FIRST_DAY = dt.date(2022, 7, 1)

MAPPING = """\
# 萧消119 消防安全检查导出 -> 检查任务 (inspections)
# 把 inspections/ 下名为 萧消119_*.xlsx 的文件按下表读作检查任务导出。
source: inspections
files: "inspections/萧消119_*.xlsx"
columns:              # 导出表头: 合同表头
  任务编号: 检查编号
  检查时间: 检查日期
  所属街道: 所属镇街
  单位类型: 检查对象类型
  单位名称: 检查对象名称
  单位编码: 检查对象编码
  隐患数量: 发现隐患数
  整改情况: 整改状态
  复查日期: 验收日期
values:               # 合同列: {导出值: 合同值}
  检查对象类型: {单位: 企业, 九小场所: 沿街商铺}
  整改状态: {已完成: 已整改, 未完成: 整改中, 无隐患: 无需整改}
constants:            # 导出中没有的列（留空表示没有值）
  检查方式: 单部门检查
  参与部门: 消防
  专项行动:
  处置结果:
"""


def _row(ctx: Ctx, ref: TownRef, n: int) -> list:
    rng = ctx.rng("xiaoxiao119")
    day = FIRST_DAY + dt.timedelta(days=rng.randrange(0, 55))
    unit = rng.random() < 0.4
    hazards = rng.choice((0, 0, 0, 1, 1, 2, 3))
    due = day + dt.timedelta(days=15) if hazards else None
    done = hazards and rng.random() < 0.7
    status = "无隐患" if not hazards else "已完成" if done else "未完成"
    accepted = day + dt.timedelta(days=rng.randrange(3, 15)) if done else None
    name = company_name(rng, ref.town) if unit else shop_name(rng, ref.town)
    return [
        n,
        f"XX119-{day:%Y%m%d}-{n:04d}",
        day,
        ref.town.name,
        ref.pick(rng)[0].code,
        "单位" if unit else "九小场所",
        name,
        uscc(rng),
        hazards,
        due,
        status,
        accepted,
    ]


def write(ctx: Ctx, out: Path, refs: dict[str, TownRef]) -> dict[str, int]:
    """The export (瓜沥镇, sorted by 检查时间) and its mapping file: {path: rows}."""
    ref = refs[GUALI.code]
    rows = sorted((_row(ctx, ref, n) for n in range(1, max(2, ctx.n(ROWS)) + 1)), key=lambda r: (r[2], r[0]))
    for i, r in enumerate(rows, start=1):
        r[0] = i
    write_xlsx(out / EXPORT_PATH, "检查记录", HEADER, rows, titles=("萧消119 消防安全检查记录",))
    (out / MAPPING_PATH).parent.mkdir(parents=True, exist_ok=True)
    (out / MAPPING_PATH).write_text(MAPPING, encoding="utf-8")
    return {EXPORT_PATH: len(rows), MAPPING_PATH: 0}
