"""The CLI's event log storage writes what Dagster's stock SQLite storage reads."""

from __future__ import annotations

import time

from dagster import AssetKey, AssetMaterialization
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines import event_log


def _materializations(run_id: str, n: int) -> list[EventLogEntry]:
    return [
        EventLogEntry(
            error_info=None,
            level=20,
            user_message="",
            run_id=run_id,
            timestamp=time.time(),
            job_name="nightly",
            dagster_event=DagsterEvent(
                DagsterEventType.ASSET_MATERIALIZATION.value,
                "nightly",
                event_specific_data=StepMaterializationData(AssetMaterialization(AssetKey(["marts", f"m{i}"]))),
            ),
        )
        for i in range(n)
    ]


def test_kept_engines_write_what_the_stock_storage_reads(tmp_path):
    kept = event_log.KeptEngineSqliteEventLogStorage(str(tmp_path))
    runs = [f"run-{k}" for k in range(event_log.KEEP_ENGINES + 2)]
    for run_id in runs:  # more run databases than engines kept: the oldest are disposed
        for entry in _materializations(run_id, 5):
            kept.store_event(entry)
        assert len(kept._engines) <= event_log.KEEP_ENGINES
    kept.dispose()
    assert not kept._engines

    stock = SqliteEventLogStorage(str(tmp_path))
    for run_id in runs:
        records = stock.get_records_for_run(run_id, limit=100).records
        assert [r.event_log_entry.asset_materialization.asset_key for r in records] == [
            AssetKey(["marts", f"m{i}"]) for i in range(5)
        ]
    # the cross-run index saw every materialization too (the asset catalogue reads it)
    latest = stock.get_latest_materialization_events([AssetKey(["marts", "m4"])])
    assert latest[AssetKey(["marts", "m4"])].run_id == runs[-1]
    stock.dispose()
