"""Read one inbox file into an all-text table with contract column names.

Nothing is parsed here: every cell arrives as a string (or null), so no reader coerces a
value behind our back. What the readers do decide:

- the encoding of text files (UTF-8, UTF-8 with BOM, else GB18030, all strict);
- the sheet of a workbook (one named like the source, else the first);
- the header row (the first row holding every required column of the source);
- which id cells arrived as numbers (xlsx numeric cells, JSON numbers), so the
  `id_precision_lost` check can see what the text alone does not show.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.contract import Source

from .mapping import Mapping, apply_values
from .parsing import TRIM_CHARS

HEADER_SEARCH_ROWS = 30  # title rows above the header: the contract says 1-3
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
ROW = "_row_number"
NUMERIC_PREFIX = "__num__"
BAD_LINE = "__bad_line__"  # Boolean: the line could not be parsed (quarantined `bad_line`)
BAD_LINE_DETAIL = "__bad_line_detail__"  # why, in Chinese
MAX_RECORD_LINES = 20  # a quoted csv field may span lines; an open quote beyond this is a bad line


class UnreadableFile(Exception):
    """The file as a whole cannot be read (manifest status `unreadable`); the message is Chinese."""


@dataclass
class RawTable:
    df: pl.DataFrame  # contract columns + extras (all String), ROW, NUMERIC_PREFIX+<id col> (Boolean)
    extras: list[str] = field(default_factory=list)
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    mapping: str | None = None  # the mapping file applied (lineage `_mapping`)


# --- headers ---------------------------------------------------------------------------


def _norm_header(h: object) -> str:
    s = "" if h is None else str(h)
    s = s.strip(TRIM_CHARS).replace("*", "").replace("＊", "")
    return re.sub(r"[\s\u3000\u00a0]+", "", s)


def header_map(source: Source, mapping: Mapping | None = None) -> dict[str, str]:
    """Header spelling (Chinese, pinyin key, English name; a mapping's export headers first) ->
    contract column name."""
    m: dict[str, str] = {}
    for h, name in mapping.headers.items() if mapping is not None else ():
        m.setdefault(_norm_header(h), name)
        m.setdefault(_norm_header(h).lower(), name)
    for c in source.columns:
        for h in c.header_names:
            m.setdefault(_norm_header(h), c.name)
            m.setdefault(_norm_header(h).lower(), c.name)
    return m


def lookup(hmap: dict[str, str], header: object) -> str | None:
    h = _norm_header(header)
    return hmap.get(h) or hmap.get(h.lower())


_lookup = lookup


def required_columns(source: Source, mapping: Mapping | None = None) -> list[str]:
    """Required contract columns the file must name (a mapping's constants supply theirs)."""
    given = set(mapping.constants) if mapping is not None else set()
    return [c.name for c in source.required if c.name not in given]


# Words exports use for the contract's (for "looks like" hints only).
_HINT_SYNONYMS = (("时间", "日期"), ("街道", "镇街"), ("数量", "数"), ("情况", "状态"), ("单位", "对象"))


def _close_matches(missing: list[str], cells: list[str]) -> dict[str, str]:
    """Missing column (Chinese) -> the header cell that looks like it, one cell per column."""

    def similar(zh: str, cell: str) -> float:
        alt = cell
        for a, b in _HINT_SYNONYMS:
            alt = alt.replace(a, b)
        return max(difflib.SequenceMatcher(None, zh, c).ratio() for c in (cell, alt))

    pairs = sorted(((similar(zh, c), i, zh, c) for i, zh in enumerate(missing) for c in cells), reverse=True)
    hints: dict[str, str] = {}
    for score, _, zh, cell in pairs:
        if score >= 0.6 and zh not in hints and cell not in hints.values():
            hints[zh] = cell
    return hints


def find_header(rows: list[list[object]], source: Source, mapping: Mapping | None = None, start: int = 0) -> int:
    """Index of the first row containing every required column, searched in the
    HEADER_SEARCH_ROWS rows from `start` (a sheet's first non-empty row); UnreadableFile otherwise."""
    hmap = header_map(source, mapping)
    required = set(required_columns(source, mapping))
    best: tuple[int, int, set[str]] | None = None
    for i, row in enumerate(rows[start : start + HEADER_SEARCH_ROWS], start=start):
        found = {lookup(hmap, v) for v in row} - {None}
        missing = required - found
        if not missing:
            return i
        if found and (best is None or len(found) > best[1]):
            best = (i, len(found), missing)
    if best is None:
        raise UnreadableFile(
            f"找不到表头：前 {HEADER_SEARCH_ROWS} 行中没有一行含有{source.zh}的列名"
            f"（如 {'、'.join(c.zh for c in source.required[:3])}）"
        )
    cells = [_norm_header(v) for v in rows[best[0]] if v is not None and lookup(hmap, v) is None]
    order = [c.name for c in source.columns]
    missing = [source.column(n).zh for n in sorted(best[2], key=order.index)]
    hints = _close_matches(missing, [c for c in cells if c])
    zh = [m + (f"（是否为“{hints[m]}”？）" if m in hints else "") for m in missing]
    raise UnreadableFile(f"表头（第 {best[0] + 1} 行）缺少必填列：{'、'.join(zh)}")


def _name_columns(header: list[object], source: Source, mapping: Mapping | None = None) -> tuple[list[str | None], list[str]]:
    """Output name per position (None = drop) and the extra column names."""
    hmap = header_map(source, mapping)
    taken: set[str] = set()
    names: list[str | None] = []
    extras: list[str] = []
    for i, h in enumerate(header):
        name = lookup(hmap, h)
        if name is not None and name not in taken:
            taken.add(name)
            names.append(name)
            continue
        label = _norm_header(h) or f"列{i + 1}"
        while label in taken or label.startswith("_"):
            label = f"{label}_{i + 1}"
        taken.add(label)
        names.append(label)
        extras.append(label)
    return names, extras


def _finish(
    df: pl.DataFrame,
    names: list[str | None],
    extras: list[str],
    source: Source,
    first_row_number: int,
    numeric: dict[str, pl.Series] | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Rename positional columns, add missing contract columns, row numbers and numeric masks."""
    df = df.rename({old: new for old, new in zip(df.columns, names)})
    # Extra columns with no header and no data are layout, not data.
    empty_extras = [e for e in extras if e.startswith("列") and df[e].null_count() == df.height]
    df = df.drop(empty_extras)
    extras = [e for e in extras if e not in empty_extras]
    cols = [pl.col(c.name) if c.name in df.columns else pl.lit(None, pl.String).alias(c.name) for c in source.columns]
    num_cols = []
    for c in source.columns:
        if c.type == "id" or c.pii in ("id_number", "id_number_unless_unit"):
            s = (numeric or {}).get(c.name)
            num_cols.append(
                pl.lit(False).alias(NUMERIC_PREFIX + c.name)
                if s is None
                else pl.lit(s.fill_null(False)).alias(NUMERIC_PREFIX + c.name)
            )
    df = df.with_columns(pl.all().cast(pl.String)).select(
        *cols,
        *[pl.col(e) for e in extras],
        pl.int_range(first_row_number, first_row_number + pl.len(), dtype=pl.Int64).alias(ROW),
        *num_cols,
    )
    return df, extras


# --- text files ------------------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes) -> tuple[str, str]:
    """Strict UTF-8 (BOM noted), else strict GB18030; never a lossy guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise UnreadableFile(
                f"以 UTF-8 BOM 开头，但第 {_line_of(data, e.start + 3)} 行不是有效的 UTF-8 文本；请重新导出"
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnreadableFile("以 UTF-16 BOM 开头，但不是有效的 UTF-16 文本；请重新导出") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise UnreadableFile(
            f"无法读取：第 {_line_of(data, e.start)} 行既不是 UTF-8 也不是 GBK/GB18030 文本（可能不是 csv 文件，或文件已损坏）"
        ) from None


def _csv_header(text: str, source: Source, mapping: Mapping | None) -> tuple[int, list[str], str]:
    """(header index, header cells, separator): the first separator whose rows name the columns."""
    head_text = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 5])
    error: UnreadableFile | None = None
    for sep in (",", "\t", ";", "|"):
        rows = list(csv.reader(io.StringIO(head_text), delimiter=sep))
        try:
            idx = find_header(rows, source, mapping)
            return idx, rows[idx], sep
        except UnreadableFile as e:
            error = error or e
    raise error  # type: ignore[misc]


def _one_record(lines: list[str], i: int, sep: str) -> tuple[list[str] | None, int]:
    """The csv record starting at physical line i and the lines it spans; (None, 1) when no
    closing quote comes within MAX_RECORD_LINES lines (or the quotes are malformed)."""
    for k in range(1, min(MAX_RECORD_LINES, len(lines) - i) + 1):
        try:
            recs = list(csv.reader(io.StringIO("\n".join(lines[i : i + k])), delimiter=sep, strict=True))
        except csv.Error:
            continue
        return (recs[0] if recs else []), k
    return None, 1


def _csv_rows_slow(text: str, start: int, sep: str, width: int) -> pl.DataFrame:
    """Row by row with Python's csv module (only when polars refuses the body): a line that
    cannot be parsed becomes an empty row marked BAD_LINE, the rest is kept."""
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    cells: list[list[str | None]] = []
    numbers: list[int] = []
    bad: list[bool] = []
    i = start
    while i < len(lines):
        rec, used = _one_record(lines, i, sep)
        if rec == [] or (rec is None and not lines[i].strip(TRIM_CHARS)):
            i += used
            continue
        ok = rec is not None and (used == 1 or len(rec) <= width)
        row = (rec + [None] * width)[:width] if ok else [None] * width
        cells.append([v if v != "" else None for v in row] if ok else row)
        numbers.append(i + 1)
        bad.append(not ok)
        i += used if ok else 1
    df = pl.DataFrame(cells, schema={f"c{j}": pl.String for j in range(width)}, orient="row")
    return df.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64), pl.Series(BAD_LINE, bad, dtype=pl.Boolean))


def _csv_rows_fast(text: str, start: int, sep: str, width: int) -> pl.DataFrame:
    df = (
        pl.read_csv(
            text.encode("utf-8"),
            has_header=False,
            skip_rows=start,
            infer_schema=False,
            separator=sep,
            truncate_ragged_lines=True,
            new_columns=[f"c{i}" for i in range(width)],
            raise_if_empty=False,
            quote_char='"',
            missing_columns="insert",
        )
        if text.strip()
        else pl.DataFrame()
    )
    if df.width == 0:
        df = pl.DataFrame({f"c{i}": pl.Series([], dtype=pl.String) for i in range(width)})
    if df.width < width:
        df = df.with_columns(pl.lit(None, pl.String).alias(f"c{i}") for i in range(df.width, width))
    return df.select(f"c{i}" for i in range(width))


def read_csv(data: bytes, source: Source, mapping: Mapping | None = None) -> RawTable:
    text, encoding = decode(data)
    header_idx, header, sep = _csv_header(text, source, mapping)
    names, extras = _name_columns(header, source, mapping)
    width = len(header)
    slow = None
    if text.count('"') % 2 == 0:  # an odd count: some quote is unbalanced, polars would merge lines
        try:
            df = _csv_rows_fast(text, header_idx + 1, sep, width)
        except Exception:  # polars ComputeError etc.: a malformed line somewhere in the body
            slow = True
    if slow or text.count('"') % 2:
        raw = _csv_rows_slow(text, header_idx + 1, sep, width)
        df, extras = _finish(raw.drop(ROW, BAD_LINE), names, extras, source, header_idx + 2)
        detail = pl.format("第 {} 行无法解析（引号不成对或格式错误），已隔离；该文件其余行照常导入", pl.col(ROW))
        df = df.with_columns(raw[ROW], raw[BAD_LINE]).with_columns(pl.when(pl.col(BAD_LINE)).then(detail).alias(BAD_LINE_DETAIL))
    else:
        df, extras = _finish(df, names, extras, source, header_idx + 2)
    return RawTable(df=df, extras=extras, sheet=None, header_row=header_idx + 1, encoding=encoding)


class JsonNumber(str):
    """The source text of a JSON number (so ids sent as numbers can be told apart)."""


def _json_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)


def read_jsonl(data: bytes, source: Source, mapping: Mapping | None = None) -> RawTable:
    text, encoding = decode(data)
    hmap = header_map(source, mapping)
    records, line_numbers, bad_lines = _json_objects(text)
    keys_seen: dict[str, str | None] = {}
    for obj in records:
        for k in obj:
            if k not in keys_seen:
                keys_seen[k] = _lookup(hmap, k)
    _require_json_keys(source, mapping, records, keys_seen)
    key_to_col, extras = _json_columns(keys_seen)
    columns: dict[str, list[str | None]] = {c: [None] * len(records) for c in key_to_col.values()}
    numeric: dict[str, list[bool]] = {c.name: [False] * len(records) for c in source.columns if c.type == "id"}
    for i, obj in enumerate(records):
        for k, v in obj.items():
            col = key_to_col[k]
            columns[col][i] = _json_text(v)
            if col in numeric and isinstance(v, JsonNumber):
                numeric[col][i] = True
    df = pl.DataFrame({c: pl.Series(v, dtype=pl.String) for c, v in columns.items()})
    names = list(df.columns)
    df, extras = _finish(df, names, extras, source, 1, {c: pl.Series(v, dtype=pl.Boolean) for c, v in numeric.items()})
    df = df.with_columns(pl.Series(ROW, line_numbers, dtype=pl.Int64))
    if bad_lines:  # kept as rows without a key: quarantined missing_key, "该行不是有效的 JSON 对象"
        df = df.with_columns(pl.col(ROW).is_in(bad_lines).alias(BAD_LINE))
    return RawTable(df=df, extras=extras, sheet=None, header_row=None, encoding=encoding)


def _json_objects(text: str) -> tuple[list[dict], list[int], list[int]]:
    """(one object per non-blank line ({} for a line that is not a JSON object), line numbers,
    the numbers of those bad lines). Numbers are kept as JsonNumber (their exact text)."""
    records: list[dict[str, object]] = []
    line_numbers: list[int] = []
    bad_lines: list[int] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip(TRIM_CHARS):
            continue
        try:
            obj = json.loads(line, parse_int=JsonNumber, parse_float=JsonNumber)
        except json.JSONDecodeError:
            obj = None
        if not isinstance(obj, dict):
            bad_lines.append(n)
            obj = {}
        records.append(obj)
        line_numbers.append(n)
    return records, line_numbers, bad_lines


def _require_json_keys(source: Source, mapping: Mapping | None, records: list[dict], keys_seen: dict) -> None:
    """UnreadableFile unless the objects carry every required column's key."""
    found = set(keys_seen.values()) - {None}
    missing = [
        source.column(n).zh + (f"（{source.column(n).pinyin}）" if source.column(n).pinyin else "")
        for n in required_columns(source, mapping)
        if n not in found
    ]
    if not records or (missing and not found):
        raise UnreadableFile(f"没有一行是含有{source.zh}字段的 JSON 对象")
    if missing:
        raise UnreadableFile(f"JSON 行缺少必填键：{'、'.join(missing)}")


def _json_columns(keys_seen: dict[str, str | None]) -> tuple[dict[str, str], list[str]]:
    """({key: column}, extra columns): a key names its contract column unless another key took
    it first; any other key is kept as an extra column under its own (unique) label."""
    taken: set[str] = set()
    key_to_col: dict[str, str] = {}
    extras: list[str] = []
    for k, name in keys_seen.items():
        if name is not None and name not in taken:
            key_to_col[k] = name
        else:
            label = _norm_header(k) or "_"
            while label in taken or label.startswith("_"):
                label = f"x{label}"
            key_to_col[k] = label
            extras.append(label)
        taken.add(key_to_col[k])
    return key_to_col, extras


# --- workbooks -------------------------------------------------------------------------


def pick_sheet(sheet_names: list[str], source: Source) -> str:
    """A sheet named like the source (key or Chinese name, e.g. `grid_events`, `一网统管事件`,
    `事件`), else the first sheet."""

    def norm(s: str) -> str:
        return _norm_header(s).lower()

    names = [norm(n) for n in sheet_names]
    for target in (source.name.lower(), norm(source.zh)):
        if target in names:
            return sheet_names[names.index(target)]
    zh = norm(source.zh)
    for n, raw in zip(names, sheet_names):
        if len(n) >= 2 and (zh in n or n in zh):
            return raw
    return sheet_names[0]


def read_excel(path: Path, source: Source, mapping: Mapping | None = None) -> RawTable:
    """The picked sheet of a workbook, read by calamine (fastexcel) with `skip_rows=0`: the
    grid then starts at sheet row 1 (calamine's default would drop the leading empty rows),
    so grid index i is the physical Excel row i + 1 in every format (xlsx, xlsm, xls, xlsb, ods)."""
    try:
        reader = fastexcel.read_excel(path)
        sheet = pick_sheet(reader.sheet_names, source)
        sheet_index = reader.sheet_names.index(sheet)
        grid = reader.load_sheet(sheet_index, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except Exception as e:  # calamine raises a family of errors for broken workbooks
        first = (str(e).splitlines() or [""])[0][:120]
        raise UnreadableFile(
            f"无法读取：不是有效的 {path.suffix.lower().lstrip('.')} 文件（文件已损坏、未下载完整或实为其他格式；"
            f"{type(e).__name__}: {first}）"
        ) from None
    # The header is searched from the first row holding a value (leading empty rows do not
    # count against HEADER_SEARCH_ROWS).
    used = grid.select(pl.any_horizontal(pl.all().is_not_null())).to_series().arg_true() if grid.width else []
    start = int(used[0]) if len(used) else 0
    head = [list(r) for r in grid.slice(0, start + HEADER_SEARCH_ROWS).rows()]
    header_idx = find_header(head, source, mapping, start=start)
    header = head[header_idx]
    names, extras = _name_columns(header, source, mapping)
    body = grid.slice(header_idx + 1)
    # Which id cells are numbers: a boolean read yields null for text cells only.
    id_positions = {
        i: n
        for i, n in enumerate(names)
        if n is not None
        and n in {c.name for c in source.columns if c.type == "id" or c.pii in ("id_number", "id_number_unless_unit")}
    }
    numeric: dict[str, pl.Series] = {}
    # Only when some id cell could be a number is the sheet read a second time (~1 s per 100k rows).
    id_positions = {
        i: n
        for i, n in id_positions.items()
        if body[body.columns[i]].str.strip_chars().str.contains(r"^[+-]?[\d.]+([eE][+-]?\d+)?$").any()
    }
    if id_positions and body.height:
        cols = grid.columns
        mask = (
            reader.load_sheet(
                sheet_index, header_row=None, skip_rows=0, dtypes="boolean", use_columns=[cols[i] for i in id_positions]
            )
            .to_polars()
            .slice(header_idx + 1)
        )
        for n, col in zip(id_positions.values(), mask.columns):
            numeric[n] = mask[col].is_not_null()
    df, extras = _finish(body, names, extras, source, header_idx + 2, numeric)
    return RawTable(df=df, extras=extras, sheet=sheet, header_row=header_idx + 1, encoding=None)


def read_file(path: Path, source: Source, allowed: set[str], mapping: Mapping | None = None) -> RawTable:
    """One inbox file as an all-text table; `mapping` (mapping.py) renames another system's
    headers and values onto the contract first. UnreadableFile (Chinese message) otherwise."""
    if mapping is not None and mapping.error:
        raise UnreadableFile(mapping.error)
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise UnreadableFile(f"不支持的文件类型 {suffix or '（无扩展名）'}：{source.zh}应为 {'、'.join(sorted(allowed))} 文件")
    if suffix in EXCEL_SUFFIXES:
        raw = read_excel(path, source, mapping)
    elif suffix in JSONL_SUFFIXES:
        raw = read_jsonl(path.read_bytes(), source, mapping)
    else:
        raw = read_csv(path.read_bytes(), source, mapping)
    if mapping is not None:
        raw.df = apply_values(raw.df, mapping)
        raw.mapping = mapping.name
    return raw
