"""inspections — 一网统管检查任务导出 (综合查一次, 专项行动).

Source rule: 参与部门 is a `、`-separated list; exports also use `,` `，` `;` `；` `/` —
normalised to `、` so departments can be split downstream.
"""
import polars as pl

from .readers import CSV_SUFFIXES, EXCEL_SUFFIXES
from .transform import Rules


def _finish(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.col("departments").str.replace_all(r"\s*[,，;；/、]\s*", "、").str.strip_chars("、"))


RULES = Rules(source="inspections", suffixes=frozenset(CSV_SUFFIXES | EXCEL_SUFFIXES), finish=_finish)
