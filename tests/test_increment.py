"""When a night continues the live warehouse, and what it lists as changed (pipelines/increment.py).

These build no warehouse with dbt: a lake of manifests and parts, and a DuckDB file holding a
build record. That an incremental build then equals a full one is shown on real runs in
tests/test_demo_incremental.py.
"""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import polars as pl
import pytest

from pipelines import increment
from pipelines.increment import FULL_REBUILD_ENV, FULL_REBUILD_EVERY, Plan, plan_build, record_build, start_build
from pipelines.ingest import lake as lk

CODE = "code-1"
AS_OF = dt.date(2022, 8, 31)


def _lake(tmp_path, files: dict[str, bytes]):
    """A lake whose manifests list `files` (source_file → part bytes); one sha per content."""
    lake = tmp_path / "lake"
    by_source: dict[str, list[dict]] = {}
    for source_file, content in files.items():
        source, rel = source_file.split("/", 1)
        part = lk.part_paths(lake, source, lk.file_key(rel))[0]
        part.parent.mkdir(parents=True, exist_ok=True)
        if not part.exists() or part.read_bytes() != content:  # as ingest: same bytes, file untouched
            part.write_bytes(content)
        row = {c: None for c in lk.MANIFEST_SCHEMA}
        row |= {"source": source, "source_file": source_file, "sha256": str(hash(content)), "ingest_context": "ctx"}
        by_source.setdefault(source, []).append(row)
    for source in increment.SOURCES:
        path = lk.manifest_path(lake, source)
        path.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(by_source.get(source, []), schema=lk.MANIFEST_SCHEMA).write_parquet(path)
    return lake


@pytest.fixture
def live(tmp_path):
    """A live warehouse recorded as a full build of a two-file lake."""
    lake = _lake(tmp_path, {"cases/a.csv": b"a1", "grid_events/b.csv": b"b1"})
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    record_build(warehouse, lake, CODE, AS_OF, Plan(False, "full"))
    return warehouse, lake, tmp_path


def test_an_unchanged_lake_continues_the_live_warehouse_with_nothing_listed(live):
    warehouse, lake, _ = live
    plan, changed = plan_build(warehouse, lake, CODE)
    assert plan.incremental and plan.increments == 1, plan
    assert changed == []
    assert "as of 2022-08-31" in plan.why


def test_new_rewritten_and_withdrawn_files_are_all_listed(live):
    warehouse, _, tmp_path = live
    # a.csv re-exported (other bytes), b.csv withdrawn, c.csv new
    lake = _lake(tmp_path, {"cases/a.csv": b"a2", "notices/c.csv": b"c1"})
    lk.part_paths(lake, "grid_events", "b.csv")[0].unlink()
    plan, changed = plan_build(warehouse, lake, CODE)
    assert plan.incremental
    assert changed == ["cases/a.csv", "grid_events/b.csv", "notices/c.csv"]


def test_a_part_rewritten_with_the_same_manifest_row_is_listed(live):
    # e.g. ingest re-read the file under another pseudonym secret: the part's bytes differ
    warehouse, lake, _ = live
    part = lk.part_paths(lake, "cases", "a.csv")[0]
    part.write_bytes(b"a1-other-bytes")
    assert plan_build(warehouse, lake, CODE)[1] == ["cases/a.csv"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("code", "the code changed"),
        ("weekly", "the weekly one"),
        ("env", FULL_REBUILD_ENV),
        ("wal", "write-ahead log"),
        ("no record", "no build record"),
        ("no warehouse", "no live warehouse"),
    ],
)
def test_a_full_build_when_the_live_warehouse_cannot_be_continued(live, monkeypatch, change, why):
    warehouse, lake, _ = live
    code = CODE
    if change == "code":
        code = "code-2"
    elif change == "weekly":
        record_build(warehouse, lake, CODE, AS_OF, Plan(True, "incremental", FULL_REBUILD_EVERY - 1))
    elif change == "env":
        monkeypatch.setenv(FULL_REBUILD_ENV, "1")
    elif change == "wal":
        warehouse.with_name(warehouse.name + ".wal").write_bytes(b"")
    elif change == "no record":
        with duckdb.connect(str(warehouse)) as con:
            con.execute(f"drop schema {increment.SCHEMA} cascade")
    elif change == "no warehouse":
        warehouse.unlink()
    plan, changed = plan_build(warehouse, lake, code)
    assert not plan.incremental and why in plan.why, plan
    assert changed == []


def test_the_increment_count_goes_up_each_night_and_restarts_after_a_full_build(live):
    warehouse, lake, _ = live
    for night in range(1, FULL_REBUILD_EVERY):
        plan, _ = plan_build(warehouse, lake, CODE)
        assert plan.incremental and plan.increments == night
        record_build(warehouse, lake, CODE, AS_OF, plan)
    plan, _ = plan_build(warehouse, lake, CODE)
    assert not plan.incremental
    record_build(warehouse, lake, CODE, AS_OF, plan)
    assert plan_build(warehouse, lake, CODE)[0].increments == 1


def test_the_build_starts_as_a_copy_listing_the_changes_and_the_record_replaces_the_list(live):
    warehouse, _, tmp_path = live
    lake = _lake(tmp_path, {"cases/a.csv": b"a2", "grid_events/b.csv": b"b1"})
    build = tmp_path / ".build" / "warehouse.duckdb"
    build.parent.mkdir()
    plan = start_build(warehouse, build, lake, CODE)
    assert plan.incremental
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute(f"select * from {increment.SCHEMA}.changed_files").fetchall() == [("cases/a.csv",)]
        assert con.execute(f"select as_of_date from {increment.SCHEMA}.built").fetchone() == (AS_OF,)
    record_build(build, lake, CODE, AS_OF + dt.timedelta(days=1), plan)
    with duckdb.connect(str(build), read_only=True) as con:
        tables = {
            t
            for (t,) in con.execute(f"select table_name from duckdb_tables() where schema_name = '{increment.SCHEMA}'").fetchall()
        }
        assert tables == {"built", "lake_files"}
        assert con.execute(f"select kind, increments from {increment.SCHEMA}.built").fetchone() == ("incremental", 1)


def test_a_full_build_leaves_no_copy(live):
    warehouse, lake, tmp_path = live
    build = tmp_path / "build.duckdb"
    assert not start_build(warehouse, build, lake, "code-2").incremental
    assert not build.exists()
    assert os.path.exists(warehouse)
