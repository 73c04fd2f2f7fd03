"""Start a run when data staff drop new or changed exports in the inbox, instead of
waiting for the night. Off by default (the nightly schedule is the routine); turn it on in
the Dagster UI where staff want same-day reports."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.resources import WarehousePaths


def inbox_fingerprint(inbox: Path) -> str:
    """Names, sizes and modification times of every file: cheap, no file is read."""
    h = hashlib.sha256()
    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith((".", "~$"))):
        stat = path.stat()
        h.update(f"{path.relative_to(inbox)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()


def build_inbox_sensor(job):
    @sensor(job=job, minimum_interval_seconds=300, default_status=DefaultSensorStatus.STOPPED,
            description="Runs the nightly job when the inbox changes (checked every 5 minutes).")
    def inbox_changed(context: SensorEvaluationContext, paths: WarehousePaths):
        inbox = Path(paths.inbox)
        if not inbox.is_dir():
            return SkipReason(f"inbox {inbox} does not exist")
        fingerprint = inbox_fingerprint(inbox)
        if fingerprint == context.cursor:
            return SkipReason("inbox unchanged")
        context.update_cursor(fingerprint)
        return RunRequest(run_key=fingerprint)

    return inbox_changed
