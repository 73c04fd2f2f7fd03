"""`zhifa check`: look at an inbox before a run, without writing anything.

Each file goes through the run's own reader and transform (`pipelines.ingest`), in memory,
with a throwaway pseudonym key, so what this says is what a run would do: the encoding,
sheet and header row found, rows, the range of the primary counting date, the rows that
would be quarantined (by reason) and the unknown townships. A file the run could not read
is named with the reason and, when required columns are missing, the close matches among
the headers it does have ("「检查时间」是否应为「检查日期」？").

With `--workdir`, files are also compared with the lake's manifest (new / changed /
unchanged) and files gone from the inbox are listed; nothing in the workdir is written.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

REASON_ZH = {
    "missing_key": "主键为空",
    "missing_date": "计数日期为空",
    "bad_date": "计数日期无法解析",
    "unknown_township": "镇街不在参考表中",
    "unreadable_file": "文件无法读取",
}
HEAD_ROWS = 30


@dataclass
class FileCheck:
    source: str
    path: str  # relative to the inbox
    state: str = ""  # new | changed | unchanged (vs the workdir's lake), '' without one
    readable: bool = True
    error: str | None = None
    suggestions: list[tuple[str, str]] = field(default_factory=list)  # (missing column, close header)
    encoding: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    rows: int = 0
    rows_lake: int = 0
    quarantined: Counter = field(default_factory=Counter)
    unknown_townships: Counter = field(default_factory=Counter)
    date_min: object = None
    date_max: object = None
    counting_date_zh: str = ""


@dataclass
class SourceCheck:
    source: str
    zh: str
    folder_exists: bool
    files: list[FileCheck] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # in the lake, gone from the inbox

    @property
    def lost(self) -> list[FileCheck]:
        return [f for f in self.files if not f.readable]


@dataclass
class InboxCheck:
    inbox: Path
    reference_error: str | None = None
    reference_summary: str = ""
    sources: list[SourceCheck] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # top-level folders that are not sources

    @property
    def lost(self) -> list[FileCheck]:
        return [f for s in self.sources for f in s.lost]

    @property
    def run_would_lose_something(self) -> bool:
        return bool(self.reference_error or self.lost)


# --- reading headers ourselves, only to explain a missing column -----------------------


def _norm(h: object) -> str:
    s = "" if h is None else str(h)
    return re.sub(r"[\s\u3000\u00a0*＊]+", "", s).strip()


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _head_rows(path: Path) -> list[list[object]]:
    """The first rows of a file as the run's readers see them (best effort; [] if unreadable)."""
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}:
            import fastexcel

            reader = fastexcel.read_excel(path)
            rows: list[list[object]] = []
            for i in range(len(reader.sheet_names)):
                sheet = reader.load_sheet(i, header_row=None, dtypes="string", n_rows=HEAD_ROWS).to_polars()
                rows.extend(list(r) for r in sheet.rows())
            return rows
        text = _decode(path.read_bytes())
        if text is None:
            return []
        if suffix in {".jsonl", ".ndjson", ".json"}:
            keys: dict[str, None] = {}
            for line in text.splitlines()[:200]:
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    keys.update(dict.fromkeys(obj))
            return [list(keys)]
        head = "\n".join(text.splitlines()[:HEAD_ROWS])
        rows = []
        for sep in (",", "\t", ";", "|"):
            rows.extend(csv.reader(io.StringIO(head), delimiter=sep))
        return rows
    except Exception:  # noqa: BLE001 - only used to explain an error the reader already reported
        return []


def close_matches(path: Path, spec) -> list[tuple[str, str]]:
    """(missing required column, the header that looks like it) for the row that names the
    most columns of the source; a missing column with no close header gets ''."""
    from pipelines.ingest.readers import header_map

    hmap = header_map(spec)
    best: tuple[int, list[object]] | None = None
    for row in _head_rows(path):
        found = {hmap.get(_norm(v)) or hmap.get(_norm(v).lower()) for v in row} - {None}
        if best is None or len(found) > best[0]:
            best = (len(found), row)
    if best is None or best[0] == 0:
        return []  # no row names any column of the source: nothing to compare
    row = best[1]
    found = {hmap.get(_norm(v)) or hmap.get(_norm(v).lower()) for v in row} - {None}
    unknown = [_norm(v) for v in row if _norm(v) and (hmap.get(_norm(v)) or hmap.get(_norm(v).lower())) is None]
    out = []
    for c in spec.required:
        if c.name in found:
            continue
        match = difflib.get_close_matches(c.zh, unknown, n=1, cutoff=0.5)
        out.append((c.zh, match[0] if match else ""))
    return out


# --- the check -------------------------------------------------------------------------


def _inbox_files(folder: Path) -> list[Path]:
    """The files a run reads: as pipelines.ingest does, hidden and ~$ lock files skipped."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith((".", "~$")) for part in p.relative_to(folder).parts)
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _lake_manifest(workdir: Path | None, source: str) -> dict[str, str]:
    if workdir is None:
        return {}
    path = workdir / "lake" / "_files" / f"{source}.parquet"
    if not path.is_file():
        return {}
    try:
        df = pl.read_parquet(path, columns=["source_file", "sha256"])
    except Exception:  # noqa: BLE001 - an unreadable manifest: every file counts as new
        return {}
    return dict(zip(df["source_file"], df["sha256"]))


def check_file(path: Path, inbox: Path, source: str, spec, rules, ref, secret: bytes, mappings=()) -> FileCheck:
    """What a run would do with one file; `mappings` are the inbox's `_mappings/` (a mapped
    export reads through its mapping, exactly as in a run)."""
    from pipelines.ingest.mapping import mapping_for
    from pipelines.ingest.readers import UnreadableFile, read_file
    from pipelines.ingest.transform import transform

    rel = path.relative_to(inbox).as_posix()
    mapping = mapping_for(list(mappings), rel)
    fc = FileCheck(source=source, path=rel, counting_date_zh="/".join(spec.column(n).zh for n in spec.counting_dates))
    try:
        raw = read_file(path, spec, set(rules.suffixes), mapping)
        rows, quarantined = transform(raw, spec, rules, ref, secret, rel)
    except UnreadableFile as e:
        fc.readable, fc.error = False, str(e)
        fc.suggestions = close_matches(path, spec)  # [] unless a header row was found
        return fc
    except Exception as e:  # noqa: BLE001 - a reader crash is a lost file too; say what it was
        fc.readable, fc.error = False, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return fc
    fc.encoding, fc.sheet, fc.header_row = raw.encoding, raw.sheet, raw.header_row
    fc.rows_lake = rows.height
    fc.rows = rows.height + quarantined.height
    fc.quarantined = Counter(quarantined["reason"].to_list())
    unknown = quarantined.filter(pl.col("reason") == "unknown_township")
    fc.unknown_townships = Counter(v if v is not None else "（空）" for v in unknown["raw_value"].to_list())
    if rows.height and "_counting_date" in rows.columns:
        fc.date_min, fc.date_max = rows["_counting_date"].min(), rows["_counting_date"].max()
    return fc


def check_inbox(inbox: Path, workdir: Path | None = None) -> InboxCheck:
    """What a run over `inbox` would do; reads only (a throwaway pseudonym key, no lake)."""
    from pipelines.contract import load_contract
    from pipelines.ingest import RULES, SOURCES, load_mappings
    from pipelines.ingest.reference import read_reference

    inbox = Path(inbox)
    result = InboxCheck(inbox=inbox)
    try:
        ref = read_reference(inbox)
        names = sum(
            len([a for a in (r["aliases"] or "").replace("；", ";").split(";") if a.strip()]) + 1
            for r in ref.townships.iter_rows(named=True)
        )
        result.reference_summary = (
            f"{ref.townships.height} townships 镇街 ({names} names incl. aliases 含别名), "
            f"{ref.grids.height} grids 网格, {ref.matters.height} matters 赋权事项"
        )
    except Exception as e:  # noqa: BLE001 - missing folder, missing file, bad reference data
        result.reference_error = f"{type(e).__name__}: {e}" if not isinstance(e, (OSError, ValueError)) else str(e)
        ref = None
    secret = os.urandom(32)  # never stored: pseudonyms made here are thrown away
    contract = load_contract()
    mappings = load_mappings(inbox) if inbox.is_dir() else []
    result.ignored = (
        sorted(
            p.name
            for p in inbox.iterdir()
            if p.is_dir() and p.name not in SOURCES and p.name != "reference" and not p.name.startswith((".", "_"))
        )
        if inbox.is_dir()
        else []
    )
    for source in SOURCES:
        spec = contract.sources[source]
        folder = inbox / source
        sc = SourceCheck(source=source, zh=spec.zh, folder_exists=folder.is_dir())
        previous = _lake_manifest(workdir, source)
        for path in _inbox_files(folder):
            if ref is None:
                fc = FileCheck(
                    source=source,
                    path=path.relative_to(inbox).as_posix(),
                    readable=False,
                    error="not checked: the reference tables cannot be read",
                )
            else:
                fc = check_file(path, inbox, source, spec, RULES[source], ref, secret, mappings)
            if workdir is not None:
                sha = previous.get(fc.path)
                fc.state = "new" if sha is None else ("unchanged" if sha == _sha256(path) else "changed")
            sc.files.append(fc)
        sc.removed = sorted(set(previous) - {f.path for f in sc.files})
        result.sources.append(sc)
    return result


# --- the report ------------------------------------------------------------------------

STATE_ZH = {"new": "新文件", "changed": "已变更", "unchanged": "未变更"}


def render(result: InboxCheck) -> list[str]:
    out = [f"inbox check 收件箱检查: {result.inbox} (read only 只读，不写任何文件)"]
    if result.reference_error:
        out.append(f"✗ reference 参考表: CANNOT BE READ 无法读取 — {result.reference_error}")
    else:
        out.append(f"✓ reference 参考表: {result.reference_summary}")
    for sc in result.sources:
        if not sc.folder_exists:
            out.append(f"— {sc.source} {sc.zh}: folder missing 文件夹不存在 → the run marks it `missing` 缺失")
            continue
        if not sc.files:
            out.append(f"— {sc.source} {sc.zh}: no files 无文件 → the run marks it `missing` 缺失")
            continue
        rows = sum(f.rows for f in sc.files)
        out.append(
            f"{'✗' if sc.lost else '✓'} {sc.source} {sc.zh}: {len(sc.files)} file(s) 文件, "
            f"{rows:,} rows 行" + (f", {len(sc.lost)} UNREADABLE 无法读取" if sc.lost else "")
        )
        for f in sc.files:
            state = f" [{f.state} {STATE_ZH[f.state]}]" if f.state else ""
            if not f.readable:
                out.append(f"    ✗ {f.path}{state}: UNREADABLE 无法读取 (unreadable_file) — {f.error}")
                for column, like in f.suggestions:
                    if like:
                        out.append(
                            f"        missing required column 缺少必填列「{column}」: "
                            f"「{like}」是否应为「{column}」？ ({like} looks like {column})"
                        )
                    else:
                        out.append(f"        missing required column 缺少必填列「{column}」 (no similar header 无相近列名)")
                continue
            where = ", ".join(
                x
                for x in (
                    f.encoding and f"encoding 编码 {f.encoding}",
                    f.sheet and f"sheet 工作表 {f.sheet}",
                    f.header_row and f"header row 表头行 {f.header_row}",
                )
                if x
            )
            dates = f"{f.counting_date_zh} {f.date_min} … {f.date_max}" if f.date_min is not None else f"{f.counting_date_zh} —"
            out.append(f"    ✓ {f.path}{state}: {f.rows:,} rows 行 ({where}); {dates}")
            if f.quarantined:
                parts = ", ".join(
                    f"{n} {reason} {REASON_ZH.get(reason, '')}".rstrip() for reason, n in sorted(f.quarantined.items())
                )
                out.append(f"        would be quarantined 将隔离: {parts}")
            if f.unknown_townships:
                names = ", ".join(f"'{v}' ×{n}" for v, n in f.unknown_townships.most_common(10))
                out.append(f"        unknown townships 未知镇街: {names}")
        for gone in sc.removed:
            out.append(f"    − {gone}: gone from the inbox 已不在收件箱 → its rows leave the lake 将从数据湖移除")
    for name in result.ignored:
        out.append(f"— {name}/: not a source folder 非数据源文件夹 → ignored by the run 运行时忽略")
    out.append(verdict(result))
    return out


def verdict(result: InboxCheck) -> str:
    if result.reference_error:
        return (
            "verdict 结论: a run would FAIL 运行将失败 — the reference tables cannot be read; nothing would be published 不会发布"
        )
    files = [f for s in result.sources for f in s.files]
    ok = [f for f in files if f.readable]
    rows = sum(f.rows_lake for f in ok)
    quarantined = sum(sum(f.quarantined.values()) for f in ok)
    missing = [s.source for s in result.sources if not s.files]
    text = (
        f"verdict 结论: a run would load {rows:,} rows 行 from {len(ok)} of {len(files)} file(s) 文件"
        f" and quarantine {quarantined:,} 隔离"
    )
    if result.lost:
        text += (
            f"; it would LOSE {len(result.lost)} file(s) 将丢失文件: "
            + ", ".join(f.path for f in result.lost)
            + " → published but incomplete 发布但不完整 (exit 3)"
        )
    if missing:
        text += f"; missing sources 缺失数据源: {', '.join(missing)} (exit 3)"
    if not result.lost and not missing:
        text += "; every file is readable 全部可读"
    return text
