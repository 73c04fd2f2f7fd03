"""What starts a run in the Dagster daemon.

The nightly schedule (02:30 Beijing time, after the platforms' overnight exports) skips a
quiet night: when nothing a run reads changed since the live release was published
(pipelines/publish.py, the same comparison `zhifa run` makes) the tick is skipped with the
reason `无新数据：沿用上次发布 …`, shown in the UI's tick history; otherwise it stages the
inputs snapshot and requests the run.

The inbox sensor starts a run when data staff drop new or changed exports in the inbox, instead of
waiting for the night. Off by default (the nightly schedule is the routine); turn it on in
the Dagster UI where staff want same-day reports.

Two run-status sensors record every run the daemon started (schedule, sensor or the UI's
launch) as `zhifa run` records its own: a line in WORKDIR/runs.jsonl and, when the run did
not publish cleanly, an alert file and the webhook. The outcome is read back from the run's
Dagster event log by the same `report` the CLI prints, so both speak one vocabulary.

Debounced: a file still being copied changes size or time between two looks, so a run is
requested only when the inbox looks the same at two evaluations in a row and its newest
file is at least SETTLE_SECONDS old. Partial-copy names (`.part`, `.tmp`, `~$…`, dot files)
are never looked at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import time
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    run_status_sensor,
    schedule,
    sensor,
)

from pipelines import publish, runs
from pipelines.resources import RunSettings

SETTLE_SECONDS = 120
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")


def _inbox_files(inbox: Path) -> list[Path]:
    return sorted(
        p
        for p in inbox.rglob("*")
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.lower().endswith(IN_PROGRESS_SUFFIXES)
    )


def inbox_fingerprint(inbox: Path) -> tuple[str, float]:
    """(hash of names, sizes and modification times, newest mtime): cheap, no file is read."""
    h = hashlib.sha256()
    newest = 0.0
    for path in _inbox_files(inbox):
        stat = path.stat()
        newest = max(newest, stat.st_mtime)
        h.update(f"{path.relative_to(inbox)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return h.hexdigest(), newest


def decide(cursor: str | None, fingerprint: str, newest_mtime: float, now: float) -> tuple[bool, str, str]:
    """(run?, new cursor, reason). The cursor remembers the last look and the last run."""
    state = json.loads(cursor) if cursor and cursor.startswith("{") else {"seen": None, "ran": cursor}
    if fingerprint == state.get("ran"):
        return False, json.dumps({"seen": fingerprint, "ran": state.get("ran")}), "inbox unchanged since the last run"
    if fingerprint != state.get("seen") or now - newest_mtime < SETTLE_SECONDS:
        return (
            False,
            json.dumps({"seen": fingerprint, "ran": state.get("ran")}),
            "inbox changed; waiting for the copy to settle before running",
        )
    return True, json.dumps({"seen": fingerprint, "ran": fingerprint}), "inbox changed and settled"


def build_inbox_sensor(job):
    @sensor(
        job=job,
        minimum_interval_seconds=300,
        default_status=DefaultSensorStatus.STOPPED,
        description="Runs the nightly job when the inbox changed and has settled (checked every 5 minutes).",
    )
    def inbox_changed(context: SensorEvaluationContext, run_settings: RunSettings):
        inbox = Path(run_settings.inbox)
        if not inbox.is_dir():
            return SkipReason(f"inbox {inbox} does not exist")
        fingerprint, newest = inbox_fingerprint(inbox)
        run, cursor, reason = decide(context.cursor, fingerprint, newest, time.time())
        context.update_cursor(cursor)
        return RunRequest(run_key=fingerprint, tags=staged_inputs_tags(run_settings.settings)) if run else SkipReason(reason)

    return inbox_changed


def last_run_outcome(instance, job_name: str) -> str | None:
    """How the job's newest run ended, in the words of runs.jsonl: a run that succeeded
    published (the release check of the comparison catches one that did not)."""
    found = instance.get_runs(filters=RunsFilter(job_name=job_name), limit=1)
    if not found:
        return None
    return "published" if found[0].status == DagsterRunStatus.SUCCESS else found[0].status.value.lower()


def quiet_night(settings, last_outcome: str | None) -> tuple[SkipReason | None, dict[str, str]]:
    """(SkipReason, {}) when nothing changed since the live release; else (None, the run's tags
    naming the staged inputs snapshot). A comparison that fails runs the night."""
    try:
        state, inputs, why = publish.unchanged_since_publish(settings, last_outcome)
        if state is not None:
            return SkipReason(publish.unchanged_message(state)), {}
    except Exception:  # noqa: BLE001 - an unreadable record or inbox: run, without the snapshot
        return None, {}
    return None, staged_inputs_tags(settings, inputs)


def staged_inputs_tags(settings, inputs: dict | None = None) -> dict[str, str]:
    """The run's tag naming its inputs snapshot, taken now, before it starts (the site asset
    records it once the release is live, so the next quiet night can be skipped); {} when the
    inbox cannot be read: the next night then simply runs."""
    try:
        return {publish.INPUTS_TAG: str(publish.stage_inputs(settings.workdir, inputs or publish.inputs_before(settings)))}
    except Exception:  # noqa: BLE001
        return {}


def build_nightly_schedule(job):
    @schedule(
        job=job,
        cron_schedule="30 2 * * *",
        execution_timezone="Asia/Shanghai",
        default_status=DefaultScheduleStatus.RUNNING,
        description="The night's run at 02:30 Beijing time; skipped when nothing changed since the last publish.",
    )
    def nightly_schedule(context: ScheduleEvaluationContext, run_settings: RunSettings):
        skip, tags = quiet_night(run_settings.settings, last_run_outcome(context.instance, job.name))
        return skip or RunRequest(tags=tags)

    return nightly_schedule


# ---------------------------------------------------------------- runs the daemon finished


class StoredRun:
    """A finished run read back from the instance's event log, offering what `zhifa run`'s
    report reads of an in-process result (pipelines/cli.py `report`)."""

    def __init__(self, instance, run) -> None:
        self.success = run.status == DagsterRunStatus.SUCCESS
        self.all_events = [e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event is not None]

    def get_asset_check_evaluations(self) -> list:
        return [e.event_specific_data for e in self.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]

    def get_step_failure_events(self) -> list:
        return [e for e in self.all_events if e.event_type == DagsterEventType.STEP_FAILURE]


def record_daemon_run(instance, run, settings) -> runs.RunRecord:
    """runs.jsonl line and, unless it published cleanly, the alert for a run the daemon started."""
    from pipelines import cli

    stats = instance.get_run_stats(run.run_id)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code, outcome, reasons = cli.report(StoredRun(instance, run), settings)
    start = stats.start_time or stats.launch_time or time.time()
    record = runs.RunRecord(
        command="dagster "
        + (run.tags.get("dagster/schedule_name") or run.tags.get("dagster/sensor_name") or f"launch {run.job_name}"),
        started=dt.datetime.fromtimestamp(start).isoformat(sep=" ", timespec="seconds"),
        seconds=round((stats.end_time or time.time()) - start, 1),
        outcome=outcome,
        exit_code=code,
        as_of=cli.live_as_of(settings),
        release=cli.live_release(settings),
        log=f"Dagster run {run.run_id}",
        reasons=reasons,
    )
    runs.keep(settings.workdir, record)
    return record


def build_run_recorders(*jobs) -> list:
    """One sensor for the jobs' successful runs, one for their failed ones."""

    def recorder(status: DagsterRunStatus):
        @run_status_sensor(
            run_status=status,
            monitored_jobs=list(jobs),
            name=f"record_{status.value.lower()}_runs",
            default_status=DefaultSensorStatus.RUNNING,
            description="Writes the run to runs.jsonl and, unless it published cleanly, the alert (as zhifa run does).",
        )
        def _record(context: RunStatusSensorContext, run_settings: RunSettings):
            from pipelines.cli import CLI_PID_TAG

            if CLI_PID_TAG in context.dagster_run.tags:
                return SkipReason("zhifa run recorded this run itself")
            record = record_daemon_run(context.instance, context.dagster_run, run_settings.settings)
            return SkipReason(f"recorded in runs.jsonl: {record.outcome}")

        return _record

    return [recorder(DagsterRunStatus.SUCCESS), recorder(DagsterRunStatus.FAILURE)]
