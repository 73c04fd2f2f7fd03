"""Quiet nights cost nothing (issue 11): a `zhifa run` that finds nothing changed since the
last published run skips Dagster, dbt, the gate and the site, says so in one line, records
`unchanged` in runs.jsonl and exits like the published run (0, or 3 when it published
incomplete). The comparison (pipelines/publish.py) is tested fast on a hand-made workdir;
the whole loop end to end on the fixture inbox (slow)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from pipelines import publish, runs
from pipelines.dbt_parse import PARSE_CACHE, dbt_paths
from pipelines.settings import Settings
from tests.conftest import FIXTURE_INBOX
from tests.helpers import zhifa

SOURCES = ["grid_events", "cases"]
DAY = dt.date(2022, 8, 31)


def _workdir(tmp_path: Path, dates=("2022-08-30", "2022-08-31")) -> Settings:
    """A published workdir as a run leaves it: inbox, lake, key, warehouse, site symlink."""
    inbox, work = tmp_path / "inbox", tmp_path / "work"
    for source in SOURCES:
        (inbox / source).mkdir(parents=True)
        (inbox / source / f"{source}_20220831.csv").write_text("id,date\n1,2022-08-31\n", encoding="utf-8")
        (work / "lake" / source).mkdir(parents=True)
        (work / "lake" / "_files").mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as con:
            values = ", ".join(f"(date '{d}')" for d in dates)
            con.execute(
                f"copy (select * from (values {values}) t(_counting_date)) "
                f"to '{work / 'lake' / source / 'part.parquet'}' (format parquet)"
            )
            con.execute(f"copy (select 1 as x) to '{work / 'lake' / '_files' / (source + '.parquet')}' (format parquet)")
    (work / ".secret").mkdir()
    (work / ".secret" / "pseudonym.key").write_bytes(b"k" * 32)
    (work / "warehouse.duckdb").write_bytes(b"warehouse")
    release = work / ".site-releases" / "20220901T023000-abcdef12"
    release.mkdir(parents=True)
    (release / "index.html").write_text("<html></html>", encoding="utf-8")
    (work / "site").symlink_to(os.path.relpath(release, work))
    return Settings(inbox=inbox, workdir=work)


def _publish(settings: Settings, code: int = 3, today: dt.date = DAY) -> None:
    before = publish.inputs_before(settings)
    state = publish.record_published_inputs(
        settings,
        before,
        "incomplete" if code == 3 else "published",
        ["police_alarms: missing — no export"],
        "2022-08-31",
        SOURCES,
        {s: 3 for s in SOURCES},
    )
    data = json.loads(state.read_text(encoding="utf-8"))
    data["recorded_on"] = today.isoformat()
    state.write_text(json.dumps(data), encoding="utf-8")


def _why(settings: Settings, last: str | None = "incomplete", today: dt.date = DAY) -> str:
    state, _, why = publish.unchanged_since_publish(settings, last, today=today)
    return "unchanged" if state is not None else why


def test_nothing_changed_is_unchanged_and_a_touched_file_with_the_same_content_too(tmp_path):
    s = _workdir(tmp_path)
    _publish(s)
    assert _why(s) == "unchanged"
    f = s.inbox / "cases" / "cases_20220831.csv"
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    assert _why(s) == "unchanged"
    # the new time is remembered: the next look needs no hashing
    assert publish.read_published_inputs(s.workdir)["files"]["cases/cases_20220831.csv"][1] == f.stat().st_mtime_ns


@pytest.mark.parametrize("change", ["content", "new file", "removed file", "excel lock file"])
def test_an_inbox_change_runs(tmp_path, change):
    s = _workdir(tmp_path)
    _publish(s)
    f = s.inbox / "cases" / "cases_20220831.csv"
    if change == "content":
        f.write_text("id,date\n2,2022-08-31\n", encoding="utf-8")
    elif change == "new file":
        (s.inbox / "cases" / "cases_20220901.csv").write_text("id,date\n", encoding="utf-8")
    elif change == "removed file":
        f.unlink()
    else:  # Excel's lock file of an open workbook: ingest ignores it, so does the comparison
        (s.inbox / "cases" / "~$cases.xlsx").write_bytes(b"lock")
        assert _why(s) == "unchanged"
        return
    assert "inbox file(s) new, changed or removed" in _why(s)


def test_what_else_makes_a_night_run(tmp_path):
    s = _workdir(tmp_path)
    _publish(s)
    assert "did not publish" in _why(s, last="blocked")
    assert "did not publish" in _why(s, last=None)
    assert "--as-of" in _why(Settings(inbox=s.inbox, workdir=s.workdir, as_of=dt.date(2022, 8, 20)))
    assert _why(Settings(inbox=s.inbox, workdir=s.workdir, as_of=dt.date(2022, 8, 31))) == "unchanged"
    assert "moves today" in _why(s, today=dt.date(2022, 8, 30))  # the clock went back
    (s.workdir / ".secret" / "pseudonym.key").write_bytes(b"n" * 32)
    assert "key" in _why(s)


def test_the_default_as_of_moves_when_a_later_record_is_no_longer_in_the_future(tmp_path):
    # a record dated 2022-09-02 was after the run's day: the default as-of was 2022-08-31
    s = _workdir(tmp_path, dates=("2022-08-31", "2022-09-02"))
    _publish(s)
    state = json.loads((s.workdir / publish.PUBLISHED_INPUTS).read_text(encoding="utf-8"))
    state.update(default_as_of="2022-08-31", next_date_after_today="2022-09-02")
    (s.workdir / publish.PUBLISHED_INPUTS).write_text(json.dumps(state), encoding="utf-8")
    assert _why(s, today=dt.date(2022, 9, 1)) == "unchanged"
    assert "moves today" in _why(s, today=dt.date(2022, 9, 2))


def test_a_rollback_a_pending_build_or_a_changed_lake_runs(tmp_path):
    s = _workdir(tmp_path)
    _publish(s)
    s.warehouse_build_done.parent.mkdir(parents=True)
    s.warehouse_build_done.write_text("2022-08-31", encoding="utf-8")
    assert "warehouse" in _why(s)
    s.warehouse_build_done.unlink()
    manifest = s.lake / "_files" / "cases.parquet"
    os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 1))
    assert "lake" in _why(s)
    _publish(s)
    older = s.workdir / ".site-releases" / "20220801T023000-00000000"
    older.mkdir()
    (older / "index.html").write_text("old", encoding="utf-8")
    (s.workdir / "site").unlink()
    (s.workdir / "site").symlink_to(os.path.relpath(older, s.workdir))
    assert "live site" in _why(s)


def test_another_workdir_or_inbox_path_runs(tmp_path):
    s = _workdir(tmp_path)
    _publish(s)
    copy = tmp_path / "copy"
    shutil.copytree(s.workdir, copy, symlinks=True)
    assert "another workdir" in _why(Settings(inbox=s.inbox, workdir=copy))
    inbox2 = tmp_path / "inbox2"
    shutil.copytree(s.inbox, inbox2)
    assert "another inbox" in _why(Settings(inbox=inbox2, workdir=s.workdir))


def test_code_version_follows_content_not_times(tmp_path):
    repo = Path(publish.__file__).resolve().parent.parent
    code = tmp_path / "code"
    for part in publish.CODE_DIRS:
        shutil.copytree(repo / part, code / part, ignore=shutil.ignore_patterns("__pycache__", "target", "logs"))
    shutil.copy(repo / "dagster.yaml", code / "dagster.yaml")
    assert publish.code_version(code) == publish.code_version(repo)
    (code / "dbt" / "models" / "marts" / "core" / "fct_township_daily.sql").open("a").write("\n-- edited\n")
    assert publish.code_version(code) != publish.code_version(repo)


def test_the_nightly_schedule_skips_a_quiet_night_and_stages_the_inputs_of_a_real_one(tmp_path):
    from pipelines.sensors import quiet_night

    s = _workdir(tmp_path)
    _publish(s, today=dt.date.today())
    skip, tags = quiet_night(s, "published")
    assert "无新数据：沿用上次发布" in skip.skip_message and "20220901T023000-abcdef12" in skip.skip_message
    assert tags == {}
    assert quiet_night(s, "failure")[0] is None  # the newest Dagster run failed: run
    (s.inbox / "cases" / "cases_20220831.csv").write_text("id,date\n2,2022-08-31\n", encoding="utf-8")
    skip, tags = quiet_night(s, "published")
    assert skip is None
    staged = publish.take_staged_inputs(tags[publish.INPUTS_TAG])  # what the site asset records
    assert staged.files["cases/cases_20220831.csv"] == publish.inbox_snapshot(s.inbox)["cases/cases_20220831.csv"]
    assert not Path(tags[publish.INPUTS_TAG]).exists()  # read once


def test_a_release_published_without_a_staged_snapshot_forgets_the_record(tmp_path):
    # e.g. a run started from the UI: what it read is not known, so the next night runs
    s = _workdir(tmp_path)
    _publish(s)
    publish.remember_release(s, None)
    assert publish.read_published_inputs(s.workdir) is None
    assert "no record" in _why(s)


def _record_sensor_tick(instance, result, workdir: Path, inbox: Path):
    """One evaluation of the daemon's run recorder for a finished run (success or failure)."""
    from dagster import build_run_status_sensor_context

    from pipelines.definitions import nightly_job, publish_job
    from pipelines.resources import RunSettings
    from pipelines.sensors import build_run_recorders

    # the sensors as the definitions build them, without building Definitions here (that
    # exports the env and loads a repository against whichever instance Dagster saw last)
    status = "success" if result.success else "failure"
    sensor = {s.name: s for s in build_run_recorders(nightly_job, publish_job)}[f"record_{status}_runs"]
    context = build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=result.get_run_success_event() if result.success else result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"run_settings": RunSettings(inbox=str(inbox), workdir=str(workdir))},
    )
    return sensor(context)


def test_a_run_the_daemon_started_is_recorded_and_alerted_like_a_cli_run(tmp_path):
    """A failed run started by the schedule writes its runs.jsonl line and the alert file with
    the step's own words; a run `zhifa run` started is left to the CLI (recorded once)."""
    from dagster import DagsterInstance, job, op

    from pipelines.cli import CLI_PID_TAG

    @op
    def lake__cases():
        raise ValueError("cases_20220831.csv row 7: 立案日期 '2022-13-01' is not a date")

    @job
    def nightly():
        lake__cases()

    s = _workdir(tmp_path)
    with DagsterInstance.ephemeral() as instance:
        daemon = nightly.execute_in_process(
            instance=instance, raise_on_error=False, tags={"dagster/schedule_name": "nightly_schedule"}
        )
        skip = _record_sensor_tick(instance, daemon, s.workdir, s.inbox)
        assert "recorded in runs.jsonl: failed" in skip.skip_message
        record = _last_run(s.workdir)
        assert (record.command, record.outcome, record.exit_code) == ("dagster nightly_schedule", "failed", 1)
        assert record.log == f"Dagster run {daemon.run_id}" and record.seconds >= 0
        assert any("lake__cases failed" in r and "row 7" in r for r in record.reasons), record.reasons
        alerts = list((s.workdir / runs.ALERTS_DIR).iterdir())
        assert len(alerts) == 1 and "运行失败，未发布" in alerts[0].read_text(encoding="utf-8")
        assert "row 7" in alerts[0].read_text(encoding="utf-8")

        cli = nightly.execute_in_process(instance=instance, raise_on_error=False, tags={CLI_PID_TAG: "12345"})
        assert "recorded this run itself" in _record_sensor_tick(instance, cli, s.workdir, s.inbox).skip_message
        assert len(runs.read_runs(s.workdir)) == 1


# --- end to end ------------------------------------------------------------------------------


def _schedule_tick(inbox: Path, workdir: Path):
    """One evaluation of the daemon's nightly schedule over this workdir's Dagster instance."""
    from dagster import DagsterInstance, build_schedule_context

    from pipelines.definitions import NIGHTLY_JOB, defs
    from pipelines.resources import RunSettings

    with DagsterInstance.from_config(str(workdir / "dagster")) as instance:
        context = build_schedule_context(
            instance=instance, resources={"run_settings": RunSettings(inbox=str(inbox), workdir=str(workdir))}
        )
        return defs.resolve_schedule_def(NIGHTLY_JOB + "_schedule")(context)


def _last_run(workdir: Path) -> runs.RunRecord:
    return runs.read_runs(workdir, last=1)[-1]


@pytest.mark.slow
def test_unchanged_night_is_skipped_end_to_end(tmp_path):
    inbox, workdir = tmp_path / "inbox", tmp_path / "work"
    shutil.copytree(FIXTURE_INBOX, inbox)

    first = zhifa("run", "--inbox", str(inbox), "--workdir", str(workdir), check=False)
    assert first.returncode == 3, first.stdout + first.stderr  # the fixture has unreadable files
    assert "every data test: first build of this code here" in first.stdout
    release = (workdir / "site").resolve().name
    full = _last_run(workdir)

    started = time.perf_counter()
    quiet = zhifa("run", "--inbox", str(inbox), "--workdir", str(workdir), check=False)
    quiet_seconds = time.perf_counter() - started
    assert quiet.returncode == 3, quiet.stdout + quiet.stderr  # the published state: incomplete
    assert "无新数据：沿用上次发布" in quiet.stdout and release in quiet.stdout
    assert "dbt build" not in quiet.stdout and "ingest" not in quiet.stdout.replace("ingest, dbt", "")
    assert "grid_events: incomplete" in quiet.stderr  # the same warning as the published run
    assert (workdir / "site").resolve().name == release
    record = _last_run(workdir)
    assert (record.outcome, record.exit_code, record.release) == ("unchanged", 3, release)
    assert record.reasons == full.reasons
    # the cost is reported (make bench measures the ratio), never asserted as a time
    print(f"unchanged night: {quiet_seconds:.1f} s wall, {record.seconds:.1f} s in the run; full run {full.seconds:.1f} s")

    # the daemon's nightly schedule makes the same comparison, with Dagster's record of the run
    assert "无新数据：沿用上次发布" in _schedule_tick(inbox, workdir).skip_message

    # touched, same content: still nothing to do
    f = next((inbox / "cases").iterdir())
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    again = zhifa("run", "--inbox", str(inbox), "--workdir", str(workdir), check=False)
    assert again.returncode == 3 and "无新数据" in again.stdout, again.stdout + again.stderr

    # one changed file: a real run, with only the tests that guard the marts (same code)
    shutil.copy(FIXTURE_INBOX / "reference" / "townships.csv", inbox / "cases" / "zz_not_a_case_export.csv")
    changed = zhifa("run", "--inbox", str(inbox), "--workdir", str(workdir), check=False)
    assert changed.returncode == 3, changed.stdout + changed.stderr
    assert "无新数据" not in changed.stdout
    assert "无新数据" in _schedule_tick(inbox, workdir).skip_message  # the run just now published it
    assert "dbt build" in changed.stdout and "guarding the marts" in changed.stdout
    assert (workdir / "site").resolve().name != release
    assert _last_run(workdir).outcome == "incomplete"

    # --force runs although nothing changed
    forced = zhifa("run", "--inbox", str(inbox), "--workdir", str(workdir), "--force", check=False)
    assert forced.returncode == 3, forced.stdout + forced.stderr
    assert "--force" in forced.stdout and "dbt build" in forced.stdout

    # a run launched outside zhifa run (as the daemon or the UI do) is recorded and alerted too
    daemon_run_is_recorded(inbox, workdir, incomplete_reasons=_last_run(workdir).reasons)


def daemon_run_is_recorded(inbox: Path, workdir: Path, incomplete_reasons: list[str]) -> None:
    import subprocess
    import sys

    from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

    env = {**os.environ, "DAGSTER_HOME": str(workdir / "dagster"), "ZHIFA_INBOX": str(inbox), "ZHIFA_WORKDIR": str(workdir)}
    tags = json.dumps({"dagster/schedule_name": "nightly_schedule"})
    dagster = Path(sys.executable).with_name("dagster")
    launched = subprocess.run(
        [str(dagster), "job", "execute", "-m", "pipelines.definitions", "-j", "nightly", "--tags", tags],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    with DagsterInstance.from_config(str(workdir / "dagster")) as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.tags.get("dagster/schedule_name") == "nightly_schedule", launched.stderr[-2000:]
        assert run.status == DagsterRunStatus.SUCCESS, launched.stderr[-2000:]

        class Finished:  # what _record_sensor_tick reads of an in-process result
            success, dagster_run, run_id = True, run, run.run_id

            @staticmethod
            def get_run_success_event():
                return next(
                    e.dagster_event
                    for e in instance.all_logs(run.run_id)
                    if e.dagster_event and e.dagster_event.event_type == DagsterEventType.RUN_SUCCESS
                )

        _record_sensor_tick(instance, Finished, workdir, inbox)
    record = _last_run(workdir)
    assert (record.command, record.outcome, record.exit_code) == ("dagster nightly_schedule", "incomplete", 3)
    assert record.reasons == incomplete_reasons and record.release == (workdir / "site").resolve().name
    assert any(p.name.endswith("-incomplete.txt") for p in (workdir / runs.ALERTS_DIR).iterdir())


@pytest.mark.slow
def test_a_fresh_workdir_reuses_the_one_parse_of_the_dbt_project(demo_run):
    """dbt runs in the workdir with the lake and warehouse paths relative to it (pipelines/
    dbt_child.py), so the parse in the user's cache is valid in every workdir, and the as-of
    date is read only when its model runs: the fresh workdir's build parses nothing. (dbt
    rewrites its partial-parse cache whenever it parsed a file again.)"""
    log = Path(re.search(r"log \(dbt output and step details\): (\S+)", demo_run.output).group(1))
    text = log.read_text(encoding="utf-8")
    assert "Running dbt command" in text
    assert "Unable to do partial parsing" not in text, "the fresh workdir parsed the whole dbt project"
    seeded = dbt_paths().manifest_path.with_name(PARSE_CACHE)
    after = demo_run.workdir / "dbt-target" / PARSE_CACHE
    assert after.read_bytes() == seeded.read_bytes(), "the build parsed a file again (an env var read while parsing?)"


@pytest.mark.slow
def test_a_run_and_its_children_end_without_leaving_anything_for_the_resource_tracker(demo_run):
    """`zhifa run` and its children end without the interpreter's teardown but with their exit
    functions (pipelines/child.py `exit_without_teardown`). Without those, the semaphore that
    tqdm creates under Great Expectations is left behind, and multiprocessing's resource
    tracker warns about it at the end of the run's output."""
    assert "resource_tracker" not in demo_run.output and "leaked" not in demo_run.output


@pytest.mark.slow
def test_the_first_build_of_a_code_version_runs_every_data_test_and_no_unit_test(demo_run):
    """Nightly builds run only the tests guarding the marts once the code passed them all in
    the workdir; the first build (as in every fresh workdir of the suite) runs every data test
    of the project, and they pass. Unit tests (fixture inputs, not data) are left to CI."""
    manifest = json.loads((demo_run.workdir / "dbt-target" / "manifest.json").read_text(encoding="utf-8"))  # the build's own
    results = json.loads((demo_run.workdir / "dbt-target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    ran = {r["unique_id"]: r["status"] for r in results}
    tests = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and node["config"].get("enabled", True) and "demo_figures" not in node.get("tags", [])
    }
    assert tests <= set(ran), sorted(tests - set(ran))[:10]
    assert {ran[uid] for uid in tests} == {"pass"}
    assert manifest["unit_tests"] and not set(manifest["unit_tests"]) & set(ran)
    assert (demo_run.workdir / "dbt-target" / "full-build.code").read_text(encoding="utf-8") == publish.code_version()
