"""inspections — 一网统管检查任务导出 (综合查一次, 专项行动).

Source rules:
- 参与部门 is a `、`-separated list; exports also use `,` `，` `;` `；` `/` — normalised to
  `、` so departments can be split downstream.
- 检查对象名称 of a 出租房 (rental room) is usually the landlord's name, a natural person
  (contract §5 v1.1): pseudonymised and scrubbed from free text; for every other target
  type (企业, 沿街商铺, 其他) it is a business name and kept raw. An empty 检查对象类型 is
  treated as personal (pseudonymised): when in doubt, protect. 检查对象编码 stays raw, so
  repeat visits to one target still count.
"""

import polars as pl

from .readers import CSV_SUFFIXES, EXCEL_SUFFIXES
from .transform import Rules

RENTAL_ROOM = "出租房"


def _finish(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("departments").str.replace_all(r"\s*[,，;；/、]\s*", "、").str.strip_chars("、"))


RULES = Rules(
    source="inspections",
    suffixes=frozenset(CSV_SUFFIXES | EXCEL_SUFFIXES),
    finish=_finish,
    is_unit=lambda: pl.col("target_type") != RENTAL_ROOM,
)
