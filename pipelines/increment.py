"""Tonight's warehouse built on top of the live one, when only a little changed (issue 11).

The five versions tables (dbt/macros/versioning.sql) are most of a district's dbt build: each
ranks every version of every record. A night that adds a day of exports changes few records,
so when the live warehouse was built by the same code, the night copies it and dbt re-ranks
only the records a change can touch; everything after the versions tables is rebuilt as
always. What the copy needs is written into it, schema `zhifa_build`:

- `built`: the as-of date, code version and kind of the build the tables come from;
- `lake_files`: each inbox file's fingerprint when it was built (manifest sha256 and ingest
  context, and the lake part's size and mtime: a part is rewritten only when its bytes change);
- `changed_files` (tonight, in the copy only): inbox files whose fingerprint differs, new or gone.

A full build instead: no live warehouse, no record in it, other code, a live warehouse with an
unmerged write-ahead log, FULL_REBUILD_EVERY nights since the last full one (a weekly full
build bounds the file's growth and proves the increments again), or ZHIFA_FULL_REBUILD=1.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest import SOURCES
from pipelines.ingest import lake as lk

SCHEMA = "zhifa_build"
FULL_REBUILD_EVERY = 7  # nights
FULL_REBUILD_ENV = "ZHIFA_FULL_REBUILD"
Fingerprint = tuple[str | None, str | None, int | None, int | None]


@dataclass(frozen=True)
class Plan:
    incremental: bool
    why: str  # for the run's progress line
    increments: int = 0  # incremental builds since the last full one, this one included


def lake_files(lake: Path) -> dict[str, Fingerprint]:
    """source_file → fingerprint, for every inbox file in the lake's manifests."""
    found: dict[str, Fingerprint] = {}
    for source in SOURCES:
        for row in lk.read_manifest(lake, source).iter_rows(named=True):
            rel = row["source_file"].removeprefix(f"{source}/")
            part = lk.part_paths(lake, source, lk.file_key(rel))[0]
            try:
                st = part.stat()
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:  # an unreadable or empty file has no part
                size = mtime = None
            found[row["source_file"]] = (row["sha256"], row["ingest_context"], size, mtime)
    return found


def _recorded(warehouse: Path) -> tuple[dict, dict[str, Fingerprint]] | None:
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            cols = ("as_of_date", "code_version", "increments")
            built = con.execute(f"select {', '.join(cols)} from {SCHEMA}.built").fetchone()
            files = con.execute(
                f"select source_file, sha256, ingest_context, size_bytes, mtime_ns from {SCHEMA}.lake_files"
            ).fetchall()
    except duckdb.Error:  # no record (built before this module, or not by a run)
        return None
    return dict(zip(cols, built, strict=True)), {f[0]: tuple(f[1:]) for f in files}


def plan_build(warehouse: Path, lake: Path, code: str) -> tuple[Plan, list[str]]:
    """Whether tonight continues `warehouse` (the live one), and the inbox files changed since."""
    if os.environ.get(FULL_REBUILD_ENV, "") not in ("", "0"):
        return Plan(False, f"full: {FULL_REBUILD_ENV} is set"), []
    if not warehouse.exists():
        return Plan(False, "full: no live warehouse yet"), []
    if warehouse.with_name(warehouse.name + ".wal").exists():
        return Plan(False, "full: the live warehouse has an unmerged write-ahead log"), []
    recorded = _recorded(warehouse)
    if recorded is None:
        return Plan(False, "full: the live warehouse has no build record"), []
    built, before = recorded
    if built["code_version"] != code:
        return Plan(False, "full: the code changed since the live warehouse was built"), []
    if built["increments"] + 1 >= FULL_REBUILD_EVERY:
        return Plan(False, f"full: the weekly one ({FULL_REBUILD_EVERY} nights since the last)"), []
    now = lake_files(lake)
    changed = sorted(f for f in before.keys() | now.keys() if before.get(f) != now.get(f))
    return (
        Plan(
            True,
            f"incremental: on the live warehouse (as of {built['as_of_date']}), {len(changed)} inbox file(s) changed since",
            built["increments"] + 1,
        ),
        changed,
    )


def start_build(live: Path, build: Path, lake: Path, code: str) -> Plan:
    """Make `build` (absent) the live warehouse's copy with tonight's changed files, when the
    plan says so; otherwise leave it absent for a full build."""
    plan, changed = plan_build(live, lake, code)
    if not plan.incremental:
        return plan
    shutil.copyfile(live, build)
    with duckdb.connect(str(build)) as con:
        con.register("changed", pl.DataFrame({"source_file": changed}, schema={"source_file": pl.String}))
        con.execute(f"create or replace table {SCHEMA}.changed_files as select * from changed")
    return plan


def record_build(build: Path, lake: Path, code: str, as_of: dt.date, plan: Plan) -> None:
    """After dbt built `build`: what it was built from, for the next night's plan."""
    files = pl.DataFrame(
        [(f, *fp) for f, fp in sorted(lake_files(lake).items())],
        schema={
            "source_file": pl.String,
            "sha256": pl.String,
            "ingest_context": pl.String,
            "size_bytes": pl.Int64,
            "mtime_ns": pl.Int64,
        },
        orient="row",
    )
    with duckdb.connect(str(build)) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(f"drop table if exists {SCHEMA}.changed_files")
        con.execute(
            f"create or replace table {SCHEMA}.built as select ?::date as as_of_date, ? as code_version,"
            " ? as kind, ?::integer as increments, now() as built_at",
            [as_of, code, "incremental" if plan.incremental else "full", plan.increments],
        )
        con.register("files", files)
        con.execute(f"create or replace table {SCHEMA}.lake_files as select * from files")
