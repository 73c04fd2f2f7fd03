"""Inbox mapping files: another system's export read as a contract source, without code.

Staff put a small YAML file in `inbox/_mappings/` (folders starting with `_` at the inbox
top level are not sources):

    # inbox/_mappings/xiaoxiao119.yaml — 萧消119 消防安全检查导出
    source: inspections                      # the contract source it feeds
    files: "inspections/萧消119_*.xlsx"      # glob relative to the inbox
    columns: {检查时间: 检查日期, 单位名称: 检查对象名称}   # export header -> contract header
    values: {检查对象类型: {单位: 企业, 九小场所: 沿街商铺}} # contract column: value -> value
    constants: {检查方式: 单部门检查, 参与部门: 消防}       # columns the export lacks

A file matched by `files` is read with the export headers renamed (`columns`), then its
values replaced (`values`, on the trimmed text), then the `constants` filled where empty;
the normal load rules follow. Every lake row it loads carries `_mapping` = the mapping
file's name, the manifest row `mapping`, and the mapping's hash is part of the file's
ingest context (a changed mapping re-reads its files). A mapping that does not validate
makes every file it matches unreadable with a Chinese sentence naming the mapping file and
key. The files must lie in the source's own folder (`inspections/…`).
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from pipelines.contract import Source, load_contract

from .parsing import TRIM_CHARS

MAPPINGS_DIR = "_mappings"
KEYS = ("source", "files", "columns", "values", "constants")


@dataclass(frozen=True)
class Mapping:
    name: str  # the mapping file's name, e.g. xiaoxiao119.yaml (lineage `_mapping`)
    sha256: str
    source: str | None = None
    files: str | None = None  # glob relative to the inbox
    headers: dict[str, str] = field(default_factory=dict)  # export header -> contract column name
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column name -> {value: value}
    constants: dict[str, str] = field(default_factory=dict)  # column name -> value
    error: str | None = None  # why the mapping is unusable (Chinese), None when valid

    def matches(self, rel_to_inbox: str) -> bool:
        return self.files is not None and fnmatch.fnmatchcase(rel_to_inbox, self.files)


def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    return str(v).strip(TRIM_CHARS)


class _Invalid(Exception):
    pass


def _column_name(src: Source, header: object, where: str) -> str:
    from .readers import header_map, lookup  # readers imports this module

    name = lookup(header_map(src), header)
    if name is None:
        raise _Invalid(f"{where}中的「{header}」不是{src.zh}（{src.name}）的列")
    return name


def _table(raw: dict, key: str) -> dict:
    v = raw.get(key) or {}
    if not isinstance(v, dict):
        raise _Invalid(f"{key} 应为“键: 值”的表")
    return v


def _validate(raw: object, name: str) -> dict:
    """The mapping's parts with contract column names; _Invalid with a Chinese sentence otherwise."""
    if not isinstance(raw, dict):
        raise _Invalid("内容应为“键: 值”的表（source、files、columns、values、constants）")
    files = raw.get("files")
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise _Invalid(f"未知的键「{unknown[0]}」（可用：{'、'.join(KEYS)}）")
    sources = load_contract().sources
    source = raw.get("source")
    if source not in sources:
        raise _Invalid(f"source「{source}」不是合同中的来源（应为 {'、'.join(sources)} 之一）")
    src = sources[source]
    if not isinstance(files, str) or not files.startswith(f"{source}/"):
        raise _Invalid(f'files 应为 {source}/ 文件夹下的文件匹配模式，如 "{source}/萧消119_*.xlsx"')
    headers = {str(k): _column_name(src, v, "columns") for k, v in _table(raw, "columns").items()}
    values = {}
    for col, table in _table(raw, "values").items():
        if not isinstance(table, dict):
            raise _Invalid(f"values 中「{col}」应为“原值: 新值”的表")
        values[_column_name(src, col, "values")] = {_text(k): _text(v) for k, v in table.items()}
    constants = {_column_name(src, k, "constants"): _text(v) for k, v in _table(raw, "constants").items()}
    return {"source": source, "files": files, "headers": headers, "values": values, "constants": constants}


def _files_glob(raw: object) -> str | None:
    files = raw.get("files") if isinstance(raw, dict) else None
    return files if isinstance(files, str) else None


def read_mapping(path: Path) -> Mapping:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    where = f"映射文件 {MAPPINGS_DIR}/{path.name}："
    try:
        raw = yaml.safe_load(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        mark = getattr(e, "problem_mark", None)
        line = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        return Mapping(path.name, sha, error=f"{where}不是有效的 UTF-8 YAML{line}")
    try:
        parts = _validate(raw, path.name)
    except _Invalid as e:
        src = raw.get("source") if isinstance(raw, dict) else None
        return Mapping(path.name, sha, source=src if isinstance(src, str) else None, files=_files_glob(raw), error=where + str(e))
    return Mapping(path.name, sha, **parts)


@cache
def _read_cached(path: Path, mtime_ns: int, size: int) -> Mapping:
    return read_mapping(path)


def load_mappings(inbox: Path) -> list[Mapping]:
    """Every mapping file of the inbox (`_mappings/*.yaml|yml`), valid or not, by name."""
    folder = Path(inbox) / MAPPINGS_DIR
    if not folder.is_dir():
        return []
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith((".", "~$"))
    )
    return [_read_cached(p, p.stat().st_mtime_ns, p.stat().st_size) for p in paths]


def mapping_for(mappings: list[Mapping], rel_to_inbox: str) -> Mapping | None:
    """The mapping that applies to a file; an invalid one stands for two that both match."""
    hits = [m for m in mappings if m.matches(rel_to_inbox)]
    if len(hits) <= 1:
        return hits[0] if hits else None
    names = "、".join(m.name for m in hits)
    return Mapping(
        names, hashlib.sha256(names.encode()).hexdigest(), error=f"有多个映射文件匹配此文件（{names}）；每个文件只能用一个映射"
    )


def apply_values(df: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """`values` replaced on the trimmed text, then `constants` filled where the column is empty."""
    exprs = [
        pl.col(c).str.strip_chars(TRIM_CHARS).replace(table).alias(c) for c, table in mapping.values.items() if c in df.columns
    ]
    if exprs:
        df = df.with_columns(exprs)
    # A constant fills only the cells the export left empty (or the column it lacks).
    blank = {c: pl.col(c).is_null() | (pl.col(c).str.strip_chars(TRIM_CHARS) == "") for c in mapping.constants}
    return df.with_columns(
        pl.when(blank[c]).then(pl.lit(v, pl.String)).otherwise(pl.col(c)).alias(c)
        for c, v in mapping.constants.items()
        if c in df.columns
    )
