"""Incremental ingest by content hash; results equal a from-scratch rebuild."""

import hashlib
import shutil

import polars as pl
import pytest

from pipelines.ingest import SOURCES, ReferenceDataError, ingest_reference, ingest_source
from pipelines.pii import load_or_create_secret


def run_all(inbox, lake, secret):
    ref = ingest_reference(inbox, lake)
    return {s: ingest_source(s, inbox, lake, secret, ref) for s in SOURCES}


def snapshot(lake):
    return {p.relative_to(lake).as_posix(): p.read_bytes() for p in sorted(lake.rglob("*.parquet"))}


def test_rerun_unchanged_reads_nothing(inbox_copy, tmp_path):
    secret = load_or_create_secret(tmp_path)
    lake = tmp_path / "lake"
    run_all(inbox_copy, lake, secret)
    before = snapshot(lake)
    mtimes = {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}
    reports = run_all(inbox_copy, lake, secret)
    assert all(r.files_read == [] and r.files_removed == [] for r in reports.values())
    assert sum(len(r.files_unchanged) for r in reports.values()) == 31
    assert snapshot(lake) == before
    assert {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")} == mtimes  # not even rewritten


def test_add_and_remove_files(inbox_copy, tmp_path):
    secret = load_or_create_secret(tmp_path)
    lake = tmp_path / "lake"
    run_all(inbox_copy, lake, secret)
    new = inbox_copy / "cases" / "2022" / "cases_20220825.csv"
    new.parent.mkdir()
    shutil.copy(inbox_copy / "cases" / "money_forms.csv", new)
    (inbox_copy / "notices" / "unknown_township.csv").unlink()
    reports = run_all(inbox_copy, lake, secret)
    assert reports["cases"].files_read == ["cases/2022/cases_20220825.csv"]
    assert (lake / "cases" / "2022__cases_20220825.csv.parquet").exists()
    assert reports["notices"].files_removed == ["notices/unknown_township.csv"]
    assert not (lake / "notices" / "unknown_township.csv.parquet").exists()
    assert not (lake / "_quarantine" / "notices" / "unknown_township.csv.parquet").exists()
    assert pl.read_parquet(lake / "_files" / "notices.parquet")["source_file"].to_list() == ["notices/fullwidth_codes.csv"]
    assert all(r.files_read == [] for s, r in reports.items() if s != "cases")
    # equals a from-scratch rebuild
    fresh = tmp_path / "fresh"
    run_all(inbox_copy, fresh, secret)
    assert snapshot(fresh) == snapshot(lake)


def test_changed_file_and_reference_change_reread(inbox_copy, tmp_path):
    secret = load_or_create_secret(tmp_path)
    lake = tmp_path / "lake"
    run_all(inbox_copy, lake, secret)
    f = inbox_copy / "notices" / "unknown_township.csv"
    f.write_bytes(f.read_bytes() + "N-T-6,2022-06-06,义桥镇,YQ01-02,首违提醒,M002,x,周星星,,,文书\r\n".encode())
    reports = run_all(inbox_copy, lake, secret)
    assert reports["notices"].files_read == ["notices/unknown_township.csv"]
    notices = {r["source_file"]: r for r in reports["notices"].files}
    assert notices["notices/unknown_township.csv"]["rows_read"] == 6
    # a new alias makes 新街镇 known: every file is read again, the row leaves quarantine
    t = inbox_copy / "reference" / "townships.csv"
    t.write_text(t.read_text(encoding="utf-8").replace("义桥;萧山区义桥镇", "义桥;萧山区义桥镇;新街镇"), encoding="utf-8")
    reports = run_all(inbox_copy, lake, secret)
    assert len(reports["grid_events"].files_read) == 11
    notices = {r["source_file"]: r for r in reports["notices"].files}
    assert notices["notices/unknown_township.csv"]["rows_quarantined"] == 1


def test_reference_errors_name_file_row_problem(inbox_copy, tmp_path):
    g = inbox_copy / "reference" / "grids.csv"
    g.write_text(g.read_text(encoding="utf-8") + "GL02,瓜沥二,全科网格,,330109012,瓜沥,很多\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"reference/grids.csv row 7: 实有人口 '很多' is not a valid int"):
        ingest_reference(inbox_copy, tmp_path / "lake")
    (inbox_copy / "reference" / "matters.csv").unlink()
    g.write_text("网格编码\nX\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"reference/grids.csv: 表头（第 1 行）缺少必填列：网格名称"):
        ingest_reference(inbox_copy, tmp_path / "lake")


def test_reference_missing_file(inbox_copy, tmp_path):
    (inbox_copy / "reference" / "matters.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"reference/matters.csv: reference file missing"):
        ingest_reference(inbox_copy, tmp_path / "lake")


def test_reference_lake(ingested):
    _, lake, _, _ = ingested
    t = pl.read_parquet(lake / "reference" / "townships.parquet")
    assert t.columns == [
        "township_code",
        "township_name",
        "aliases",
        "district",
        "area_km2",
        "registered_population",
        "floating_population",
        "resident_population",
        "reform_start_date",
    ]
    assert t.filter(pl.col("township_code") == "330109012")["area_km2"][0] == 126.9
    g = pl.read_parquet(lake / "reference" / "grid_polygons.parquet")
    assert g["grid_code"].to_list() == ["GL01-01", "YQ01-01", "YQ01-02"]
    assert g["wkt"][0].startswith("MULTIPOLYGON (((") and g["wkt"][2].count("(") == 3


def test_load_reference_from_lake_equals_ingested(ingested, tmp_path):
    from pipelines.ingest import load_reference, read_reference

    inbox, lake, secret, _ = ingested
    from_lake, from_inbox = load_reference(lake), read_reference(inbox)
    assert from_lake.fingerprint == from_inbox.fingerprint
    assert from_lake.township_lookup == from_inbox.township_lookup
    pts = ([120.205, 120.215, 120.2115, 120.425, 121.0], [30.055, 30.055, 30.051, 30.205, 31.0])
    assert (
        from_lake.polygons.locate(*map(__import__("numpy").array, pts))
        == from_inbox.polygons.locate(*map(__import__("numpy").array, pts))
        == ["YQ01-01", None, "YQ01-02", "GL01-01", None]
    )
    assert "2 townships" in from_lake.summary()
    # the Dagster path: reference asset, then sources with load_reference(lake) -> nothing re-read
    report = ingest_source("notices", inbox, lake, secret, from_lake)
    assert report.files_read == []


def _serial_then_pooled(inbox, tmp_path, monkeypatch):
    """(the key, the serial read of `inbox` into tmp_path/serial); later reads use two
    workers for any number of files."""
    from pipelines.ingest import workers

    secret = load_or_create_secret(tmp_path)
    monkeypatch.setenv("ZHIFA_INGEST_WORKERS", "1")
    serial = run_all(inbox, tmp_path / "serial", secret)
    monkeypatch.setenv("ZHIFA_INGEST_WORKERS", "2")
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(workers, "POOL_MIN_FILES", 2)
    return secret, serial


def test_worker_processes_land_the_same_lake(inbox_copy, tmp_path, monkeypatch):
    """The fixture inbox (every quirk: xlsx, GBK, JSON lines, bad lines, mapped exports,
    unreadable files) read by two spawned workers equals the serial read byte for byte,
    manifests included."""
    from pipelines.ingest import workers

    secret, serial = _serial_then_pooled(inbox_copy, tmp_path, monkeypatch)
    pooled = run_all(inbox_copy, tmp_path / "pooled", secret)
    assert workers._POOL, "the pool was not used"
    assert snapshot(tmp_path / "pooled") == snapshot(tmp_path / "serial")
    assert {s: r.files for s, r in pooled.items()} == {s: r.files for s, r in serial.items()}
    assert sum(len(r.files_read) for r in pooled.values()) == 31


def test_reading_ahead_lands_the_same_lake_and_a_file_changed_meanwhile_is_read_again(inbox_copy, tmp_path, monkeypatch):
    """Reading every source's new files ahead in one pool queue (`zhifa run`, before Dagster
    starts) and then ingesting each source equals the serial read byte for byte; a file that
    changes between the read-ahead and its source's step is read again, never taken stale."""
    from pipelines.ingest import read_sources_ahead, workers

    secret, serial = _serial_then_pooled(inbox_copy, tmp_path, monkeypatch)
    lake = tmp_path / "ahead"
    ref = ingest_reference(inbox_copy, lake)
    assert read_sources_ahead(list(SOURCES), inbox_copy, lake, secret, ref) == 31
    ahead = {s: ingest_source(s, inbox_copy, lake, secret, ref) for s in SOURCES}
    assert not workers._AHEAD, "a file read ahead was not taken by its source"
    assert snapshot(lake) == snapshot(tmp_path / "serial")
    assert {s: r.files for s, r in ahead.items()} == {s: r.files for s, r in serial.items()}

    # a notices export re-exported (one row fewer) after the read-ahead started
    changed = next(p for p in sorted((inbox_copy / "notices").iterdir()) if p.suffix == ".csv")
    lines = changed.read_bytes().splitlines(keepends=True)
    lake2 = tmp_path / "ahead2"
    ref = ingest_reference(inbox_copy, lake2)
    read_sources_ahead(list(SOURCES), inbox_copy, lake2, secret, ref)
    for future in workers._AHEAD.values():
        future.result()  # the stale read is complete (its part written) before the file changes
    changed.write_bytes(b"".join(lines[:-1]))
    report = ingest_source("notices", inbox_copy, lake2, secret, ref)
    row = next(f for f in report.files if f["source_file"] == changed.relative_to(inbox_copy).as_posix())
    assert row["sha256"] == hashlib.sha256(changed.read_bytes()).hexdigest()
    assert row["rows_read"] == next(f for f in serial["notices"].files if f["source_file"] == row["source_file"])["rows_read"] - 1
    workers.release_workers()


def test_reading_ahead_takes_the_hashes_of_the_runs_inputs_snapshot_while_size_and_mtime_hold(inbox_copy, tmp_path):
    """The inbox is hashed once per run: `zhifa run` hashed it for its inputs snapshot
    (publish.inbox_snapshot) just before, and the read-ahead takes those hashes for files of
    the same size and mtime; a file changed since is hashed again."""
    from pipelines.ingest import read_sources_ahead, workers
    from pipelines.publish import inbox_snapshot

    secret = load_or_create_secret(tmp_path)
    known = inbox_snapshot(inbox_copy)
    notices = sorted(p.relative_to(inbox_copy).as_posix() for p in (inbox_copy / "notices").iterdir() if p.suffix == ".csv")
    marked, changed = notices[0], notices[1]
    known[marked][2] = "0" * 64  # a hash nothing computes: found in the manifest only if it was taken
    path = inbox_copy / changed
    path.write_bytes(path.read_bytes() + b"\n")  # changed after the snapshot: size and mtime differ
    lake = tmp_path / "lake"
    ref = ingest_reference(inbox_copy, lake)
    read_sources_ahead(list(SOURCES), inbox_copy, lake, secret, ref, known)
    files = {f["source_file"]: f for f in ingest_source("notices", inbox_copy, lake, secret, ref).files}
    assert files[marked]["sha256"] == "0" * 64
    assert files[changed]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() != known[changed][2]
    for s in SOURCES:
        ingest_source(s, inbox_copy, lake, secret, ref)
    assert not workers._AHEAD
    workers.release_workers()


_READ_AHEAD_OF_THE_RUN = """
import sys
from pathlib import Path

from pipelines.cli import _read_ahead
from pipelines.ingest import SOURCES, load_reference, read_sources_ahead, workers
from pipelines.pii import load_or_create_secret
from pipelines.settings import Settings

workers.POOL_MIN_BYTES = 0  # the fixture inbox is smaller than a pool pays for
s = Settings(inbox=Path(sys.argv[1]), workdir=Path(sys.argv[2]))
_read_ahead(s, None)
assert "dagster" not in sys.modules, "reading ahead imported Dagster"
started = dict(workers._AHEAD)
if started:  # reading ahead again starts nothing again
    read_sources_ahead(list(SOURCES), s.inbox, s.lake, load_or_create_secret(s.workdir), load_reference(s.lake))
    assert workers._AHEAD == started, "a file was read ahead twice"
workers.release_workers()
print(len(started))
"""


def _read_ahead_of_the_run(inbox, workdir) -> int:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _READ_AHEAD_OF_THE_RUN, str(inbox), str(workdir)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout)


def test_zhifa_run_starts_reading_ahead_before_it_imports_dagster_and_no_file_twice(inbox_copy, tmp_path):
    """`zhifa run` starts the ingest workers before it imports Dagster (pipelines/cli.py
    `_read_ahead`); reading ahead again starts no file again."""
    assert _read_ahead_of_the_run(inbox_copy, tmp_path / "work") == 31


def test_a_read_ahead_that_fails_is_left_to_the_steps_that_read_again(inbox_copy, tmp_path):
    """A broken reference (here: no townships file) raises nothing before the run: the
    run's reference step reads it again and reports it where the run's errors are said."""
    (inbox_copy / "reference" / "townships.csv").unlink()
    assert _read_ahead_of_the_run(inbox_copy, tmp_path / "work") == 0
