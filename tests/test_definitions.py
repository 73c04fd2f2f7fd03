"""The Dagster definitions load, and the asset graph reads like the folder tree."""

from __future__ import annotations

from dagster import AssetKey

from pipelines.definitions import NIGHTLY_JOB, PUBLISH_JOB, defs


def test_definitions_load_with_every_stage():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for source in ("reference", "grid_events", "inspections", "cases", "notices", "police_alarms"):
        assert f"lake/{source}" in keys
    for mart in ("fct_township_daily", "mart_campaigns", "mart_grid_colors", "mart_ingest_report"):
        assert f"marts/{mart}" in keys
    assert "site" in keys
    assert any(k.startswith("staging/stg_") for k in keys)
    assert any(k.startswith("intermediate/int_") for k in keys)


def test_dbt_sources_are_the_ingest_assets():
    graph = defs.resolve_asset_graph()
    staging = [k for k in graph.get_all_asset_keys() if k.path[0] == "staging"]
    upstream = {p for k in staging for p in graph.get(k).parent_keys}
    assert AssetKey(["lake", "cases"]) in upstream
    assert AssetKey(["lake", "police_alarms"]) in upstream


def test_jobs_and_schedule():
    assert defs.resolve_job_def(NIGHTLY_JOB)
    assert defs.resolve_job_def(PUBLISH_JOB)
    schedule = defs.resolve_schedule_def(NIGHTLY_JOB + "_schedule")
    assert schedule.execution_timezone == "Asia/Shanghai"


def test_inbox_sensor_waits_for_a_copy_to_settle_then_runs_once(tmp_path):
    import os
    import time

    from dagster import build_sensor_context

    from pipelines.resources import RunSettings
    from pipelines.sensors import SETTLE_SECONDS

    inbox = tmp_path / "inbox"
    (inbox / "cases").mkdir(parents=True)
    old = time.time() - SETTLE_SECONDS - 10
    export = inbox / "cases" / "a.csv"
    export.write_text("x", encoding="utf-8")
    os.utime(export, (old, old))
    sensor = defs.get_sensor_def("inbox_changed")
    paths = RunSettings(inbox=str(inbox), workdir=str(tmp_path / "work"))

    def tick(cursor):
        context = build_sensor_context(cursor=cursor, resources={"run_settings": paths})
        return sensor(context), context.cursor

    first, cursor = tick(None)  # first look: remember it, wait for the next tick
    assert "settle" in first.skip_message
    second, cursor = tick(cursor)  # unchanged and old enough: run
    assert second.run_key
    third, cursor = tick(cursor)
    assert "unchanged" in third.skip_message
    (inbox / "cases" / "b.csv.part").write_text("half", encoding="utf-8")  # a copy in progress: ignored
    assert "unchanged" in tick(cursor)[0].skip_message
    growing = inbox / "cases" / "b.csv"
    growing.write_text("y", encoding="utf-8")  # new, but just written: wait
    fourth, cursor = tick(cursor)
    assert "settle" in fourth.skip_message
    assert "settle" in tick(cursor)[0].skip_message  # still too fresh
    os.utime(growing, (old, old))
    fifth, cursor = tick(cursor)  # changed since the last look (mtime): wait once more
    assert "settle" in fifth.skip_message
    sixth, cursor = tick(cursor)
    assert sixth.run_key and sixth.run_key != second.run_key
