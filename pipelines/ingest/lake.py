"""Lake layout (ARCHITECTURE.md §1): schemas, file keys, hashing, manifest, deterministic parquet.

`<source>/*.parquet` (one part per inbox file): the contract columns, typed, then lineage:

- `_source_file` inbox path (`cases/archive/cases_20220825.csv`), `_sheet`, `_row_number`;
- `_flags` `;`-joined soft-problem codes (id_precision_lost, id_checksum_failed,
  unknown_grid, grid_from_location, bad_date, bad_value), `_extra` non-contract columns as JSON;
- `_file_name` the file's base name (`cases_20220825.csv`; "name sorts last" compares this);
- `_file_date` end of the export date in the file name: the last group of exactly 8 digits
  that is a valid YYYYMMDD, at 23:59:59 (`ev_20220820.csv` -> 2022-08-20 23:59:59); NULL if none;
- `_counting_date` the row's primary counting date (contract §2 v1.1; first non-empty
  column of contract.yaml `counting_date`);
- `_record_key` the record identity for versioning: the key, or `<key>|<counting time>` when
  the key lost precision (`3.30109E+18|2022-06-01 08:30:00`), so damaged ids never merge records;
- `_flag_details` JSON array, one `{"flag", "column", "raw_value"}` per flagged column
  (personal values masked, free text scrubbed); `[]` when none;
- `_mapping` the inbox mapping file (`_mappings/xiaoxiao119.yaml` -> `xiaoxiao119.yaml`) that
  renamed the export's headers and values onto the contract (mapping.py); NULL for a contract export.

`_quarantine/<source>/*.parquet`: rows refused, with `column` and `raw_value` (masked) and a
reason: missing_key, missing_date, bad_date, unknown_township, bad_line (a csv line that
cannot be parsed, e.g. an unbalanced quote; `_row_number` names the line), unreadable_file.

`_files/<source>.parquet`, the manifest: one row per inbox file. `status` is `loaded`,
`empty` (a header but no data row: nothing to load, listed so staff see it) or `unreadable`
(`error` says why, in Chinese). `folder_missing` is true on every row when the source folder
was absent or held no export file on the last run: the rows (and the lake parts) are those
of the previous import, kept so a missing folder never reads as an empty source. `mapping` names
the mapping file applied to the file (NULL when none).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
from pathlib import Path, PurePosixPath

import polars as pl

from pipelines.contract import LAKE_TYPES, Source

_POLARS_TYPES = {
    "str": pl.String,
    "datetime": pl.Datetime("us"),
    "date": pl.Date,
    "int": pl.Int64,
    "float": pl.Float64,
    "bool": pl.Boolean,
}

LINEAGE_SCHEMA = {
    "_source_file": pl.String,
    "_sheet": pl.String,
    "_row_number": pl.Int64,
    "_flags": pl.String,
    "_extra": pl.String,
    "_file_name": pl.String,
    "_file_date": pl.Datetime("us"),
    "_counting_date": pl.Date,
    "_record_key": pl.String,
    "_flag_details": pl.String,
    "_mapping": pl.String,
}

# Keep in sync with the explanation macro dbt/macros/quality.sql (quality_explanation).
QUARANTINE_REASONS = ("missing_key", "missing_date", "bad_date", "unknown_township", "bad_line", "unreadable_file")
FILE_STATUSES = ("loaded", "empty", "unreadable")
QUARANTINE_SCHEMA = {
    "source": pl.String,
    "_source_file": pl.String,
    "_sheet": pl.String,
    "_row_number": pl.Int64,
    "record_key": pl.String,
    "column": pl.String,
    "raw_value": pl.String,
    "reason": pl.String,
    "detail": pl.String,
}

MANIFEST_SCHEMA = {
    "source": pl.String,
    "source_file": pl.String,
    "sha256": pl.String,
    "size_bytes": pl.Int64,
    "status": pl.String,
    "error": pl.String,
    "rows_read": pl.Int64,
    "rows_lake": pl.Int64,
    "rows_quarantined": pl.Int64,
    "sheet": pl.String,
    "header_row": pl.Int64,
    "encoding": pl.String,
    # Extension: hash of parser version, reference data and key fingerprint. A file
    # is re-read when it changes, so an incremental run equals a full rebuild.
    "ingest_context": pl.String,
    # Extension (issue 9): the source folder was missing or empty; these rows are kept.
    "folder_missing": pl.Boolean,
    # Extension (issue 9): the inbox mapping file applied (mapping.py), NULL when none.
    "mapping": pl.String,
}

QUARANTINE_DIR = "_quarantine"
MANIFEST_DIR = "_files"
EMPTY = "_empty.parquet"


def polars_type(contract_type: str) -> pl.DataType:
    return _POLARS_TYPES[LAKE_TYPES[contract_type]]


def row_schema(source: Source) -> dict[str, pl.DataType]:
    """Typed columns of `<source>/*.parquet`, in contract order, then lineage."""
    return {c.name: polars_type(c.type) for c in source.columns} | LINEAGE_SCHEMA


_EIGHT_DIGITS = re.compile(r"(?<!\d)\d{8}(?!\d)")


def file_name(source_file: str) -> str:
    """The base name of an inbox path (`cases/archive/cases_20220825.csv` -> `cases_20220825.csv`)."""
    return PurePosixPath(source_file).name


def file_date(name: str) -> dt.datetime | None:
    """End of the export date in a file name: the last group of exactly 8 digits (not part of
    a longer digit run) that is a valid YYYYMMDD, at 23:59:59; None when there is none."""
    for digits in reversed(_EIGHT_DIGITS.findall(file_name(name))):
        try:
            day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            continue
        return dt.datetime.combine(day, dt.time(23, 59, 59))
    return None


def file_key(rel_to_source_dir: PurePosixPath | str) -> str:
    return str(PurePosixPath(rel_to_source_dir)).replace("/", "__")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def parquet_bytes(df: pl.DataFrame) -> bytes:
    # Deterministic: no timestamps in rows or metadata, fixed compression and row groups.
    buf = io.BytesIO()
    df.write_parquet(buf, compression="zstd", compression_level=3, statistics=True, row_group_size=250_000)
    return buf.getvalue()


def write_parquet(df: pl.DataFrame, path: Path) -> bool:
    """Write atomically, and only when the bytes differ. Returns True if the file changed."""
    data = parquet_bytes(df)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def empty_frame(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def manifest_path(lake: Path, source: str) -> Path:
    return lake / MANIFEST_DIR / f"{source}.parquet"


def read_manifest(lake: Path, source: str) -> pl.DataFrame:
    path = manifest_path(lake, source)
    if not path.exists():
        return empty_frame(MANIFEST_SCHEMA)
    df = pl.read_parquet(path)
    missing = [c for c in MANIFEST_SCHEMA if c not in df.columns]
    # An older manifest without a column means "re-read everything" (context unknown).
    return df.with_columns(pl.lit(None, MANIFEST_SCHEMA[c]).alias(c) for c in missing).select(
        [pl.col(c).cast(t) for c, t in MANIFEST_SCHEMA.items()]
    )


def part_paths(lake: Path, source: str, key: str) -> tuple[Path, Path]:
    return lake / source / f"{key}.parquet", lake / QUARANTINE_DIR / source / f"{key}.parquet"
