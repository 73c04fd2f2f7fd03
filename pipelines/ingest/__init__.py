"""Ingestion: inbox exports -> lake parquet (ARCHITECTURE.md §1), incremental by content hash.

    ref = ingest_reference(inbox, lake)
    report = ingest_source("cases", inbox, lake, secret, ref)
    print(report.summary())

One module per source holds its specific rules (`RULES`); readers, parsing, reference
lookups, the generic transform and the lake layout are shared. The lake's columns
(lineage `_file_name`, `_file_date`, `_counting_date`, `_record_key`, `_flag_details`) and
quarantine reasons are described in lake.py; the transform stages in transform.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.contract import CONTRACT_PATH, load_contract

from ..pii import secret_fingerprint
from . import cases, grid_events, inspections, notices, police_alarms
from . import lake as lk
from .mapping import Mapping, load_mappings, mapping_for
from .readers import UnreadableFile, read_file
from .reference import Reference, ReferenceDataError, ingest_reference, load_reference, read_reference
from .transform import Rules, transform
from .workers import FileJob, read_ahead, read_files

__all__ = [
    "SOURCES",
    "RULES",
    "Reference",
    "ReferenceDataError",
    "SourceReport",
    "ingest_reference",
    "ingest_source",
    "load_mappings",
    "load_reference",
    "read_reference",
    "read_sources_ahead",
    "PARSER_VERSION",
]

# Bump when parsing or transform rules change: every file is then read again.
PARSER_VERSION = "3"  # 2: contract v1.1 (lineage columns, bad_date, codes, optional police keys)
# 3: issue 9 (bad_line quarantine, `empty` files, Chinese errors, `_mapping` lineage)

RULES: dict[str, Rules] = {m.RULES.source: m.RULES for m in (grid_events, inspections, cases, notices, police_alarms)}
SOURCES: tuple[str, ...] = tuple(load_contract().sources)
assert set(SOURCES) == set(RULES), "every contract source needs an ingest module"


@dataclass
class SourceReport:
    source: str
    files_read: list[str] = field(default_factory=list)
    files_unchanged: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)  # the manifest rows, one per inbox file
    # The source folder was absent or held no export file: the previous import is kept.
    folder_missing: bool = False

    @property
    def rows_read(self) -> int:
        return sum(f["rows_read"] for f in self.files)

    @property
    def rows_lake(self) -> int:
        return sum(f["rows_lake"] for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f["rows_quarantined"] for f in self.files)

    @property
    def unreadable(self) -> list[str]:
        return [f["source_file"] for f in self.files if f["status"] == "unreadable"]

    @property
    def empty(self) -> list[str]:
        return [f["source_file"] for f in self.files if f["status"] == "empty"]

    def summary(self) -> str:
        if self.folder_missing:
            kept = f"kept {len(self.files)} file(s) of the previous import" if self.files else "nothing imported before"
            return f"{self.source}: FOLDER MISSING OR EMPTY ({self.source}/) — {kept}; lake unchanged"
        s = (
            f"{self.source}: {len(self.files)} file(s) — {len(self.files_read)} read, "
            f"{len(self.files_unchanged)} unchanged, {len(self.files_removed)} removed; "
            f"rows read {self.rows_read:,} = lake {self.rows_lake:,} + quarantined {self.rows_quarantined:,}"
        )
        if self.unreadable:
            s += f"; UNREADABLE: {', '.join(self.unreadable)}"
        if self.empty:
            s += f"; HEADER ONLY (no data rows): {', '.join(self.empty)}"
        return s


def _context(ref: Reference, secret: bytes) -> str:
    h = hashlib.sha256()
    for part in (PARSER_VERSION, CONTRACT_PATH.read_bytes().hex(), ref.fingerprint, secret_fingerprint(secret)):
        h.update(str(part).encode() + b"\0")
    return h.hexdigest()[:16]


def _file_context(context: str, mapping: Mapping | None) -> str:
    """The ingest context of one file: a mapping's hash joins it, so editing a mapping re-reads its files."""
    if mapping is None:
        return context
    return hashlib.sha256(f"{context}\0{mapping.name}\0{mapping.sha256}".encode()).hexdigest()[:16]


def _inbox_files(src_dir: Path) -> list[Path]:
    if not src_dir.is_dir():
        return []
    return sorted(
        p
        for p in src_dir.rglob("*")
        if p.is_file() and not any(part.startswith((".", "~$")) for part in p.relative_to(src_dir).parts)
    )


def _unreadable(source: str, rel: str, spec, error: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = lk.empty_frame(lk.row_schema(spec))
    quarantined = pl.DataFrame(
        [
            {
                "source": source,
                "_source_file": rel,
                "_sheet": None,
                "_row_number": None,
                "record_key": None,
                "column": None,
                "raw_value": None,
                "reason": "unreadable_file",
                "detail": error,
            }
        ],
        schema=lk.QUARANTINE_SCHEMA,
    )
    return rows, quarantined


def _read_one(
    path: Path, rel: str, source: str, ref: Reference, secret: bytes, row: dict, mapping: Mapping | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lake and quarantine rows of one file; fills the manifest row (status, counts, error)."""
    spec, rules = load_contract().sources[source], RULES[source]
    try:
        raw = read_file(path, spec, set(rules.suffixes), mapping)
        rows, quarantined = transform(raw, spec, rules, ref, secret, rel)
        row.update(sheet=raw.sheet, header_row=raw.header_row, encoding=raw.encoding)
    except UnreadableFile as e:
        rows, quarantined = _unreadable(source, rel, spec, str(e))
        row.update(status="unreadable", error=str(e), rows_read=0, rows_lake=0, rows_quarantined=0)
        return rows, quarantined
    row.update(rows_read=rows.height + quarantined.height, rows_lake=rows.height, rows_quarantined=quarantined.height)
    if row["rows_read"] == 0:  # a header and nothing under it: not an error, but not fine either
        where = f"（第 {raw.header_row} 行）" if raw.header_row else ""
        row.update(status="empty", error=f"只有表头{where}，没有数据行")
    return rows, quarantined


def _keep_previous(source: str, lake: Path, previous: dict[str, dict]) -> SourceReport:
    """The source folder is missing or empty: keep the lake parts and manifest rows of the
    previous import, marked `folder_missing`, so the source shows as missing, not as zero."""
    spec = load_contract().sources[source]
    report = SourceReport(source=source, folder_missing=True)
    report.files = [{**r, "folder_missing": True} for r in previous.values()]
    _write_manifest(lake, source, spec, report)
    return report


def _write_manifest(lake: Path, source: str, spec, report: SourceReport) -> None:
    lk.write_parquet(lk.empty_frame(lk.row_schema(spec)), lake / source / lk.EMPTY)
    lk.write_parquet(lk.empty_frame(lk.QUARANTINE_SCHEMA), lake / lk.QUARANTINE_DIR / source / lk.EMPTY)
    manifest = pl.DataFrame(sorted(report.files, key=lambda r: r["source_file"]), schema=lk.MANIFEST_SCHEMA)
    lk.write_parquet(manifest, lk.manifest_path(lake, source))
    report.files = manifest.to_dicts()


def _remove_stale_parts(lake: Path, source: str, keep_parts: set[str]) -> None:
    """Remove parts of files gone from the inbox (and any stray part a crashed run left)."""
    for d in (lake / source, lake / lk.QUARANTINE_DIR / source):
        if d.is_dir():
            for p in d.glob("*.parquet"):
                if p.name != lk.EMPTY and p.name not in keep_parts:
                    p.unlink()


def ingest_source(source: str, inbox: Path, lake: Path, secret: bytes, ref: Reference) -> SourceReport:
    """Bring lake/<source>/ in line with inbox/<source>/, reading only new or changed files.

    A missing or empty source folder keeps the previous import (`_keep_previous`); a file
    removed while others remain has its parts removed (an export withdrawn). Many new files
    are read by worker processes (workers.py); the result is the same as reading them here."""
    plan = _plan(source, Path(inbox), Path(lake), secret, ref)
    if plan is None:
        return _keep_previous(source, Path(lake), _previous(Path(lake), source))
    report, to_read, keep_parts, previous = plan
    report.files.extend(read_files(to_read, lake, ref, secret))
    report.files_removed = sorted(set(previous) - {f["source_file"] for f in report.files})
    _remove_stale_parts(lake, source, keep_parts)
    _write_manifest(lake, source, load_contract().sources[source], report)
    return report


def read_sources_ahead(
    sources: list[str], inbox: Path, lake: Path, secret: bytes, ref: Reference, known: dict[str, list] | None = None
) -> int:
    """Start reading the new files of `sources` in the worker pool now (workers.read_ahead);
    each `ingest_source` then takes its files' results. The number of files started.
    `known`: {path in the inbox: [size, mtime_ns, sha256]} as the run's inputs snapshot
    (`pipelines.publish.inbox_snapshot`) hashed them; a file of that size and mtime is not
    hashed again (the rule that snapshot itself follows)."""
    _SHA256.clear()
    for rel, (size, mtime_ns, sha) in (known or {}).items():
        _SHA256[(str(Path(inbox) / rel), size, mtime_ns)] = sha
    plans = [_plan(source, Path(inbox), Path(lake), secret, ref, remember=True) for source in sources]
    return read_ahead([job for plan in plans if plan is not None for job in plan[1]], Path(lake), ref, secret)


def _previous(lake: Path, source: str) -> dict[str, dict]:
    return {r["source_file"]: r for r in lk.read_manifest(lake, source).iter_rows(named=True)}


def _plan(source: str, inbox: Path, lake: Path, secret: bytes, ref: Reference, remember: bool = False):
    """(the report of the unchanged files, the jobs of the new or changed ones, the lake parts
    to keep, the previous manifest rows); None when the folder holds no export."""
    if source not in RULES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    src_dir = inbox / source
    previous = _previous(lake, source)
    paths = _inbox_files(src_dir)
    if not any(p.suffix.lower() in RULES[source].suffixes for p in paths):
        return None
    context, mappings = _context(ref, secret), load_mappings(inbox)
    report = SourceReport(source=source)
    keep_parts: set[str] = set()
    to_read: list[FileJob] = []
    for path in paths:
        rel = path.relative_to(inbox).as_posix()
        key = lk.file_key(path.relative_to(src_dir).as_posix())
        lake_part, q_part = lk.part_paths(lake, source, key)
        keep_parts.add(f"{key}.parquet")
        mapping = mapping_for(mappings, rel)
        file_context, sha, prev = _file_context(context, mapping), _sha256(path, remember), previous.get(rel)
        if (
            prev is not None
            and prev["sha256"] == sha
            and prev["ingest_context"] == file_context
            and lake_part.exists()
            and q_part.exists()
        ):
            report.files_unchanged.append(rel)
            report.files.append({**prev, "folder_missing": False})
            continue
        report.files_read.append(rel)
        row = {
            "source": source,
            "source_file": rel,
            "sha256": sha,
            "size_bytes": path.stat().st_size,
            "status": "loaded",
            "error": None,
            "sheet": None,
            "header_row": None,
            "encoding": None,
            "ingest_context": file_context,
            "folder_missing": False,
            "mapping": mapping.name if mapping is not None else None,
        }
        to_read.append(FileJob(path, rel, source, row, mapping, lake_part, q_part))
    return report, to_read, keep_parts, previous


# The hashes reading ahead took or was given, each used once by the source's own plan (a
# district's inbox is ~1 GB to hash), if the file's size and mtime are still the same.
_SHA256: dict[tuple, str] = {}


def _sha256(path: Path, remember: bool) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if remember:
        if key not in _SHA256:
            _SHA256[key] = lk.sha256_file(path)
        return _SHA256[key]
    return _SHA256.pop(key, None) or lk.sha256_file(path)


def ingest_file(job: FileJob, ref: Reference, secret: bytes) -> dict:
    """Read, transform and land one file; its manifest row (workers.py runs this too)."""
    rows, quarantined = _read_one(job.path, job.rel, job.source, ref, secret, job.row, job.mapping)
    lk.write_parquet(rows, job.lake_part)
    lk.write_parquet(quarantined, job.quarantine_part)
    return job.row
