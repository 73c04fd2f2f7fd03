"""The CSV downloads of contract §6, written from the marts.

Encoding decision: UTF-8 **with BOM** (``utf-8-sig``). Excel on Chinese Windows opens a
BOM-less UTF-8 csv as GBK and shows mojibake; with the BOM it opens correctly, and
polars, pandas, DuckDB and ``csv`` with ``encoding="utf-8-sig"`` all read the header
cleanly. Line ends are ``\\n``; NULL is an empty field; dates are ``YYYY-MM-DD``;
whole-number values are written without ``.0``. Rows are sorted, so the same warehouse
gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .i18n import N_
from .mart_reader import Warehouse

ENCODING = "utf-8-sig"
CSV_BATCH_ROWS = 100_000


@dataclass(frozen=True)
class Download:
    file: str  # path under the site, e.g. data/township_daily.csv
    mart: str
    columns: tuple[str, ...]
    order_by: tuple[str, ...]
    title: str
    description: str


QUALITY_COLUMNS = ("source", "file", "sheet", "row_number", "record_key", "reason_or_flag", "column", "raw_value", "explanation")

# Column lists exactly as contract §6, in that order.
DOWNLOADS: tuple[Download, ...] = (
    Download(
        "data/township_daily.csv",
        "fct_township_daily",
        ("township_code", "township_name", "date", "indicator", "breakdown", "value"),
        ("township_code", "date", "indicator", "breakdown"),
        N_("镇街每日指标"),
        N_("每个镇街、每天、每个指标及分项一行；合计行 breakdown 为 all；值可加总（件数，或罚没金额的元）。"),
    ),
    Download(
        "data/campaigns.csv",
        "mart_campaigns",
        (
            "township_code",
            "campaign",
            "target_type",
            "targets_checked",
            "inspections",
            "hazards_found",
            "hazards_accepted",
            "banned",
        ),
        ("township_code", "campaign", "target_type"),
        N_("专项行动"),
        N_(
            "每个专项行动按检查对象类型一行（含 all 合计）：检查对象数（不重复检查对象编码）、检查次数、隐患、整改验收、依法取缔对象数。"
        ),
    ),
    Download(
        "data/grid_colors.csv",
        "mart_grid_colors",
        (
            "grid_code",
            "grid_name",
            "township_code",
            "window_start",
            "window_end",
            "population",
            "penalties",
            "petitions_disputes",
            "valid_alarms",
            "score",
            "color",
        ),
        ("township_code", "grid_code"),
        N_("五色图"),
        N_("每个微网格在截至日前56天内的行政处罚、信访矛调、有效警情、综合得分与颜色。"),
    ),
    Download(
        "data/ingest_report.csv",
        "mart_ingest_report",
        ("source", "file", "rows_read", "rows_loaded", "rows_quarantined", "rows_superseded"),
        ("source", "file"),
        N_("导入报告"),
        N_("每个导出文件一行：读取行数 = 入库 + 隔离 + 被新版本替代。"),
    ),
    # Contract §6 v1.1: every quarantined and every flagged row, where staff correct data.
    Download(
        "data/quarantine.csv",
        "mart_quarantine",
        QUALITY_COLUMNS,
        ("source", "file", "row_number", "record_key", "reason_or_flag", "column"),
        N_("隔离记录"),
        N_("未入库的每一行：来源、文件、工作表、行号、记录编号、原因、字段、原值（个人信息已遮盖）及中文说明。"),
    ),
    Download(
        "data/flags.csv",
        "mart_flags",
        QUALITY_COLUMNS,
        ("source", "file", "row_number", "record_key", "reason_or_flag", "column"),
        N_("标记记录"),
        N_("已入库但有问题的每一行（如日期无法识别或晚于截至日、编号精度丢失、网格未知），每个问题一行，附原值与中文说明。"),
    ),
    # Issue 10: the open-item lists behind the 检查 and 案件 pages (their pages show the oldest).
    Download(
        "data/open_items.csv",
        "mart_report_open_items",
        ("township_code", "item_type", "item_id", "grid_code", "category", "opened_on", "due_on", "days_open"),
        ("township_code", "item_type", "days_open", "item_id"),
        N_("待办清单"),
        N_(
            "截至日仍未办结的事项，每项一行：event_overdue 超期未办结事件、hazard_open 未整改隐患、"
            "hazard_overdue 逾期未整改隐患、case_open_90d 立案超过90天未结案件；days_open 为截至日距开始的天数。"
        ),
    ),
)

# Issue 10, item 5: the daily series behind each KPI card, one file per indicator.
SERIES_MART = "mart_report_daily_series"
SERIES_COLUMNS = ("township_code", "township_name", "date", "value", "value_28d")


def series_file(indicator: str) -> str:
    """The CSV of one indicator's daily series, relative to the site root."""
    return f"data/series/{indicator}.csv"


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer():
            return str(int(v))
        return repr(round(v, 6))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _text(s: pl.Series) -> pl.Series:
    """A column as the text `_cell` gives each value, vectorised for the common types (a
    district's downloads are millions of cells); other types go through `_cell` itself."""
    if s.dtype == pl.String:
        return s.fill_null("")
    if s.dtype.is_integer():
        return s.cast(pl.String).fill_null("")
    if s.dtype == pl.Boolean:
        return s.replace_strict({True: "true", False: "false"}, default="", return_dtype=pl.String)
    if s.dtype == pl.Date:
        return s.dt.strftime("%Y-%m-%d").fill_null("")
    if s.dtype == pl.Float64:
        whole = s.is_finite() & (s == s.floor()) & (s.abs() < 2**63)
        ints = pl.select(pl.when(whole).then(s.cast(pl.Int64, strict=False)).alias("v"))["v"].cast(pl.String)
        rest = s.filter(~whole.fill_null(True) & s.is_not_null())  # fractions (and ±inf): Python's repr
        if rest.len() == 0:
            return ints.fill_null("")
        uniq = rest.unique()
        reprs = pl.Series([_cell(v) for v in uniq.to_list()], dtype=pl.String)
        return ints.fill_null(s.replace_strict(uniq, reprs, default="", return_dtype=pl.String)).fill_null("")
    return pl.Series([_cell(v) for v in s.to_list()], dtype=pl.String)


def _quoted(s: pl.Series) -> pl.Series:
    """csv.QUOTE_MINIMAL: a field with a comma, a quote or a line break is quoted, quotes doubled."""
    quoted = pl.lit('"') + s.str.replace_all('"', '""', literal=True) + pl.lit('"')
    return pl.select(pl.when(s.str.contains(r'[,"\r\n]')).then(quoted).otherwise(s).alias(s.name)).to_series()


def write_csv(path: Path, header: list[str] | tuple[str, ...], frames: Iterable[pl.DataFrame]) -> None:
    """The frames' rows under `header`, as `_cell` text, UTF-8 with BOM, `\n` line ends.
    polars writes the lines from its own buffers, a batch at a time (flags.csv is 158 MB at
    district: row-wise Python took 18 s, a whole-table frame 1.4 GB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write((",".join(_quoted(pl.Series("h", list(header))).to_list()) + "\n").encode(ENCODING))
        for part in frames:
            text = pl.DataFrame([_quoted(_text(part[c]).alias(c)) for c in part.columns])
            line = text.select(pl.concat_str(text.columns, separator=",").alias("line"))
            line.write_csv(f, include_header=False, quote_style="never")


def _batches(wh: Warehouse, sql: str, params: list | None = None) -> Iterator[pl.DataFrame]:
    for batch in wh.con.sql(sql, params=params or None).to_arrow_reader(CSV_BATCH_ROWS):
        yield pl.from_arrow(batch)


def write_downloads(wh: Warehouse, out_dir: Path) -> list[Path]:
    written = []
    for d in DOWNLOADS:
        cols = ", ".join(f'"{c}"' for c in d.columns)
        order = ", ".join(f'"{c}"' for c in d.order_by)
        path = out_dir / d.file
        write_csv(path, d.columns, _batches(wh, f"select {cols} from {wh.table(d.mart)} order by {order}"))
        written.append(path)
    return written + write_series(wh, out_dir)


def write_series(wh: Warehouse, out_dir: Path) -> list[Path]:
    """``data/series/<indicator>.csv`` for every indicator of the daily-series mart: each
    township's every day (0 when nothing was recorded) and the 28-day running total."""
    mart = wh.table(SERIES_MART)
    cols = ", ".join(f'"{c}"' for c in SERIES_COLUMNS)
    written = []
    for (indicator,) in wh.tuples(f"select distinct indicator from {mart} order by 1")[1]:
        rows = _batches(wh, f"select {cols} from {mart} where indicator = ? order by township_code, date", [indicator])
        path = out_dir / series_file(indicator)
        write_csv(path, SERIES_COLUMNS, rows)
        written.append(path)
    return written
