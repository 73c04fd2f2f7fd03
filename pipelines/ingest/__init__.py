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

from ..pii import secret_fingerprint
from . import cases, grid_events, inspections, notices, police_alarms
from . import lake as lk
from .readers import UnreadableFile, read_file
from .reference import Reference, ReferenceDataError, ingest_reference, load_reference, read_reference
from .spec import CONTRACT_PATH, load_contract
from .transform import Rules, transform

__all__ = ["SOURCES", "RULES", "Reference", "ReferenceDataError", "SourceReport", "ingest_reference",
           "ingest_source", "load_reference", "read_reference", "PARSER_VERSION"]

# Bump when parsing or transform rules change: every file is then read again.
PARSER_VERSION = "2"  # 2: contract v1.1 (lineage columns, bad_date, codes, optional police keys)

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

    def summary(self) -> str:
        s = (f"{self.source}: {len(self.files)} file(s) — {len(self.files_read)} read, "
             f"{len(self.files_unchanged)} unchanged, {len(self.files_removed)} removed; "
             f"rows read {self.rows_read:,} = lake {self.rows_lake:,} + quarantined {self.rows_quarantined:,}")
        if self.unreadable:
            s += f"; UNREADABLE: {', '.join(self.unreadable)}"
        return s


def _context(ref: Reference, secret: bytes) -> str:
    h = hashlib.sha256()
    for part in (PARSER_VERSION, CONTRACT_PATH.read_bytes().hex(), ref.fingerprint, secret_fingerprint(secret)):
        h.update(str(part).encode() + b"\0")
    return h.hexdigest()[:16]


def _inbox_files(src_dir: Path) -> list[Path]:
    if not src_dir.is_dir():
        return []
    return sorted(p for p in src_dir.rglob("*") if p.is_file()
                  and not any(part.startswith((".", "~$")) for part in p.relative_to(src_dir).parts))


def ingest_source(source: str, inbox: Path, lake: Path, secret: bytes, ref: Reference) -> SourceReport:
    """Bring lake/<source>/ in line with inbox/<source>/, reading only new or changed files."""
    if source not in RULES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    inbox, lake = Path(inbox), Path(lake)
    spec = load_contract().sources[source]
    rules = RULES[source]
    src_dir = inbox / source
    context = _context(ref, secret)
    previous = {r["source_file"]: r for r in lk.read_manifest(lake, source).iter_rows(named=True)}
    report = SourceReport(source=source)
    keep_parts: set[str] = set()

    for path in _inbox_files(src_dir):
        rel = path.relative_to(inbox).as_posix()
        key = lk.file_key(path.relative_to(src_dir).as_posix())
        lake_part, q_part = lk.part_paths(lake, source, key)
        keep_parts.add(f"{key}.parquet")
        sha = lk.sha256_file(path)
        prev = previous.get(rel)
        if (prev is not None and prev["sha256"] == sha and prev["ingest_context"] == context
                and lake_part.exists() and q_part.exists()):
            report.files_unchanged.append(rel)
            report.files.append(prev)
            continue
        report.files_read.append(rel)
        row = {"source": source, "source_file": rel, "sha256": sha, "size_bytes": path.stat().st_size,
               "status": "loaded", "error": None, "sheet": None, "header_row": None, "encoding": None,
               "ingest_context": context}
        try:
            raw = read_file(path, spec, set(rules.suffixes))
            rows, quarantined = transform(raw, spec, rules, ref, secret, rel)
            row.update(sheet=raw.sheet, header_row=raw.header_row, encoding=raw.encoding)
        except UnreadableFile as e:
            error = str(e)
            rows = lk.empty_frame(lk.row_schema(spec))
            quarantined = pl.DataFrame(
                [{"source": source, "_source_file": rel, "_sheet": None, "_row_number": None,
                  "record_key": None, "column": None, "raw_value": None, "reason": "unreadable_file",
                  "detail": error}],
                schema=lk.QUARANTINE_SCHEMA)
            row.update(status="unreadable", error=error)
        row.update(rows_read=rows.height + (quarantined.height if row["status"] == "loaded" else 0),
                   rows_lake=rows.height,
                   rows_quarantined=quarantined.height if row["status"] == "loaded" else 0)
        lk.write_parquet(rows, lake_part)
        lk.write_parquet(quarantined, q_part)
        report.files.append(row)

    current = {f["source_file"] for f in report.files}
    report.files_removed = sorted(set(previous) - current)
    # Remove parts of files gone from the inbox (and any stray part a crashed run left).
    for d in (lake / source, lake / lk.QUARANTINE_DIR / source):
        if d.is_dir():
            for p in d.glob("*.parquet"):
                if p.name != lk.EMPTY and p.name not in keep_parts:
                    p.unlink()
    lk.write_parquet(lk.empty_frame(lk.row_schema(spec)), lake / source / lk.EMPTY)
    lk.write_parquet(lk.empty_frame(lk.QUARANTINE_SCHEMA), lake / lk.QUARANTINE_DIR / source / lk.EMPTY)
    manifest = pl.DataFrame(sorted(report.files, key=lambda r: r["source_file"]), schema=lk.MANIFEST_SCHEMA)
    lk.write_parquet(manifest, lk.manifest_path(lake, source))
    report.files = manifest.to_dicts()
    return report
