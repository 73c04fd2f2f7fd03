"""`zhifa`: the command data staff use.

    zhifa sample  --out DIR [--seed N] [--clean] [--towns N] [--scale S]
                                                        write a calibrated demo (or district) inbox
    zhifa run     [--inbox DIR] [--workdir DIR] [--as-of YYYY-MM-DD] [--force]
                                                        inbox → lake → marts → gate → site
                                                        (skipped when nothing changed since the last publish)
    zhifa publish [--workdir DIR]                       re-run the gate and publish only
    zhifa status  [--workdir DIR]                       last runs, what is published, freshness
    zhifa rollback [--workdir DIR]                      put the previously published site back
    zhifa check   [--inbox DIR] [--workdir DIR]         inspect an inbox; writes nothing

`run` materializes the same Dagster definitions that `dagster dev -m pipelines.definitions`
shows and the nightly schedule runs, in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import os
import sys
import time
from pathlib import Path

from pipelines import runs
from pipelines.runlock import WorkdirBusy, lock_holder, workdir_lock
from pipelines.runs import (  # exit codes of `zhifa run` / `zhifa publish` (README "Exit codes")
    EXIT_BLOCKED,
    EXIT_BUSY,
    EXIT_CHECK_LOSS,
    EXIT_INCOMPLETE,
    EXIT_PUBLISHED,
    EXIT_USAGE,
    EXIT_WORKDIR,
    OUTCOME_EXIT,
)
from pipelines.settings import REPO_ROOT, Settings

# OS errors that mean "the workdir cannot take the run's files", by errno.
WORKDIR_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.ENOTDIR}
# The same, as they appear in the text of errors that crossed a process or library boundary
# (dbt, DuckDB, SQLite): a step failure carries only the message.
WORKDIR_ERROR_TEXTS = (
    "No space left on device",
    "Read-only file system",
    "Permission denied",
    "Disk quota exceeded",
    "database or disk is full",
    "Not a directory",
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _towns(text: str) -> int:
    from pipelines.sample.district import MAX_TOWNS

    n = int(text) if text.isdigit() else 0
    if not 2 <= n <= MAX_TOWNS:
        raise argparse.ArgumentTypeError(f"--towns must be 2 … {MAX_TOWNS}: {text!r}")
    return n


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 10:
        raise argparse.ArgumentTypeError(f"--scale must be a number in (0, 10]: {text!r}")
    return value


def cmd_sample(args: argparse.Namespace) -> int:
    from pipelines.sample import generate_inbox

    started = time.perf_counter()
    try:
        summary = generate_inbox(
            Path(args.out), seed=args.seed, clean=args.clean, overwrite=args.overwrite, towns=args.towns, scale=args.scale
        )
    except FileExistsError:
        print(f"error: {args.out} is not empty; use --overwrite to replace the sample's folders", file=sys.stderr)
        return 2
    size = f"{args.towns} towns, scale {args.scale:g}, " if (args.towns, args.scale) != (2, 1.0) else ""
    print(
        f"sample inbox written to {Path(args.out).resolve()} ({size}seed {args.seed}"
        f"{', clean' if args.clean else ''}) in {time.perf_counter() - started:.1f} s"
    )
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


def _instance(settings: Settings):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    home = settings.workdir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = (REPO_ROOT / "dagster.yaml").read_text(encoding="utf-8")
    if not config.exists() or config.read_text(encoding="utf-8") != wanted:
        config.write_text(wanted, encoding="utf-8")
    # the same files as Dagster's default storage, written through kept engines (event_log.py)
    events = {
        "module": "pipelines.event_log",
        "class": "KeptEngineSqliteEventLogStorage",
        "config": {"base_dir": str(home / "history" / "runs")},
    }
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides={"event_log_storage": events}))


def execute(settings: Settings, job_name: str = "nightly", staged_inputs=None):
    """Execute a job of the project's definitions in this process; returns (result, log path).
    `staged_inputs`: the inputs snapshot taken before the run (the site asset records it)."""
    from pipelines.assets import set_progress
    from pipelines.child import release_warm_children

    settings.workdir.mkdir(parents=True, exist_ok=True)
    settings.export_env()
    from pipelines.dbt_parse import parse_in_child, prepare_manifest

    # A stale manifest (new dbt code since `make install` parsed it) is parsed in a child while
    # this process imports Dagster and opens the instance: the parse alone is ~5 s on the demo.
    parsing = parse_in_child()
    from pipelines.assets import warm_at_start

    if job_name == "nightly":
        _read_ahead(settings, staged_inputs)
    warm_at_start(settings.inbox)
    import pipelines.dbt_project  # noqa: F401 - Dagster and dagster-dbt, the slow imports

    logs = settings.workdir / "logs"
    logs.mkdir(exist_ok=True)
    runs.prune_logs(logs)
    log_path = logs / f"{job_name}-{dt.datetime.now():%Y%m%dT%H%M%S}.log"
    print(f"  log (dbt output and step details): {log_path}", flush=True)
    # dagster-dbt streams every dbt log line to stdout and Dagster logs its events to stderr:
    # both go to the run's log file; the terminal gets one progress line per stage (the
    # assets write them to the stdout kept here) and the summary `report` prints.
    set_progress(sys.stdout)
    with (
        _instance(settings) as instance,
        log_path.open("w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        fail_orphaned_runs(instance)
        if parsing is not None:
            parsing.join()
        prepare_manifest()  # fresh now, or it parses again here and raises dbt's own error
        from pipelines.assets.publish import drop_site_beside_gate
        from pipelines.dbt_child import release_warm_dbt
        from pipelines.definitions import build_definitions
        from pipelines.ingest.workers import release_workers

        job = build_definitions(settings).resolve_job_def(job_name)
        run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        tags = {CLI_PID_TAG: str(os.getpid())}
        if staged_inputs is not None:
            from pipelines import publish

            with contextlib.suppress(OSError):  # without it the next night simply runs
                tags[publish.INPUTS_TAG] = str(publish.stage_inputs(settings.workdir, staged_inputs))
        try:
            result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=tags)
        finally:
            set_progress(None)
            drop_site_beside_gate()
            release_warm_children()
            release_warm_dbt()
            release_workers()  # reads ahead that no step took (the run failed before dbt)
    return result, log_path


CLI_PID_TAG = "zhifa/cli_pid"


def _read_ahead(settings: Settings, staged_inputs) -> None:
    """Start reading the inbox's new files in the ingest workers now, before this process
    imports Dagster and opens its instance (~5 s on one core); the run's ingest steps take
    the results (pipelines/ingest/workers.py). Any error here is left to those steps: they
    read again and report it in the run."""
    from pipelines.ingest import SOURCES, ingest_reference, read_sources_ahead
    from pipelines.pii import load_or_create_secret

    known = staged_inputs.files if staged_inputs is not None and staged_inputs.inbox == str(settings.inbox) else None
    try:
        ref = ingest_reference(settings.inbox, settings.lake)
        read_sources_ahead(list(SOURCES), settings.inbox, settings.lake, load_or_create_secret(settings.workdir), ref, known)
    except Exception:  # noqa: BLE001, S110 - said by the step that reads again
        pass


def fail_orphaned_runs(instance) -> list[str]:
    """Mark FAILED the CLI runs still STARTED whose process is gone (killed mid-run).

    Called under the workdir lock, so no other CLI run is alive in this workdir; without
    this a killed run would show as STARTED in the Dagster UI forever."""
    from dagster import DagsterRunStatus, RunsFilter

    orphans = []
    active = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]
    for run in instance.get_runs(filters=RunsFilter(statuses=active)):
        pid = run.tags.get(CLI_PID_TAG)
        if pid is None or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"the zhifa process (PID {pid}) ended without finishing this run")
        orphans.append(run.run_id)
    return orphans


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _root_cause(error) -> str:
    """The innermost error of Dagster's wrapped chain: the one that names file, row and problem."""
    while error is not None and (error.cause or error.context) is not None:
        error = error.cause or error.context
    return error.message.strip() if error is not None else "unknown error"


def report(result, settings: Settings, progress_shown: bool = True) -> tuple[int, str, list[str]]:
    """Print what the run did; return (exit code, outcome, reasons): published (0), published
    but incomplete (3), blocked (1), or the workdir could not be written (6)."""
    from dagster import AssetKey

    from pipelines.asof import AsOfOutOfRange

    for event in result.all_events if not progress_shown else ():
        if event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            summary = mat.metadata.get("summary")
            if summary is not None:
                print(f"  {mat.asset_key.to_user_string()}: {summary.value}")
    failed_checks, reasons = _report_checks(result, progress_shown)
    failures = result.get_step_failure_events()
    for failure in failures:
        cause = _root_cause(failure.event_specific_data.error)
        if AsOfOutOfRange.PREFIX in cause:  # a bad argument: one line, nothing changed
            # Dagster's message may start with the exception's class name: keep our words only
            message = cause.split(AsOfOutOfRange.PREFIX, 1)[1].strip()
            print(f"error: {message}", file=sys.stderr)
            return EXIT_USAGE, "usage", [message]
    problem = None
    if failures or not result.success:
        texts = [_error_text(f.event_specific_data.error) for f in failures]
        problem = next((t for text in texts for t in WORKDIR_ERROR_TEXTS if t in text), None) or workdir_problem(settings.workdir)
    if problem:  # disk full, read-only or no permission: one line, not a traceback per step
        line = workdir_error_line(settings.workdir, problem)
        print(f"error: {line}", file=sys.stderr)
        return EXIT_WORKDIR, "failed", [line]
    for failure in failures:
        cause = _root_cause(failure.event_specific_data.error)
        print(f"  step {failure.step_key} failed: {cause}", file=sys.stderr)
        reasons.append(f"step {failure.step_key} failed: {cause}"[:300])

    published = any(
        e.event_specific_data.materialization.asset_key == AssetKey(["site"])
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    )
    if published:
        print(f"site published: {settings.site / 'index.html'} (release {settings.site.resolve().name})")
        from pipelines.publish import source_alerts

        alerts = source_alerts(settings.warehouse)
        if not alerts:
            return EXIT_PUBLISHED, "published", []
        print("published, but INCOMPLETE — every page shows this warning:", file=sys.stderr)
        for line in alerts:
            print(f"  {line}", file=sys.stderr)
        return EXIT_INCOMPLETE, "incomplete", alerts
    if failed_checks:
        print("publishing BLOCKED by failed checks: " + ", ".join(failed_checks), file=sys.stderr)
        outcome = "blocked"
    else:
        print("publishing BLOCKED: the run failed before the quality gate (see step failures above)", file=sys.stderr)
        outcome = "failed"
    print(f"the previous site (if any) is unchanged: {settings.site}", file=sys.stderr)
    return EXIT_BLOCKED, outcome, reasons


def _report_checks(result, progress_shown: bool) -> tuple[list[str], list[str]]:
    """Print the dbt-test tally, freshness warnings and gate results; return the checks that
    block publishing and their reasons (a WARN-severity check publishes)."""
    from dagster import AssetCheckSeverity

    failed_checks, reasons = [], []
    dbt_tests = [
        e for e in result.get_asset_check_evaluations() if not e.check_name.startswith("gx_") and e.check_name != "freshness"
    ]
    if dbt_tests:
        print(f"  dbt tests: {sum(e.passed for e in dbt_tests)} of {len(dbt_tests)} passed")
    late = [e for e in result.get_asset_check_evaluations() if e.check_name == "freshness" and not e.passed]
    if late:  # a warning, not a gate: the pages carry the 数据滞后 banner when it matters for the as-of date
        print(
            "  freshness warning (newest record vs today): " + "; ".join(f"{e.asset_key.path[-1]} {e.description}" for e in late)
        )
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name == "freshness":
            continue
        warn_only = evaluation.severity == AssetCheckSeverity.WARN
        if (evaluation.check_name.startswith("gx_") and not progress_shown) or not evaluation.passed:
            mark = "passed" if evaluation.passed else ("WARNING (publishes)" if warn_only else "FAILED")
            print(
                f"  check {evaluation.asset_key.to_user_string()} {evaluation.check_name}: {mark} — "
                f"{evaluation.description or ''}"
            )
        if not evaluation.passed and not warn_only:
            failed_checks.append(evaluation.check_name)
            reasons.append(f"check {evaluation.check_name} failed: {evaluation.description or ''}"[:300])
    return failed_checks, reasons


def _error_text(error) -> str:
    """Every message of Dagster's wrapped error chain, joined."""
    parts = []
    while error is not None:
        parts.append(error.message or "")
        error = error.cause or error.context
    return "\n".join(parts)


def workdir_problem(workdir: Path, probe_bytes: int = 1 << 20) -> str | None:
    """Why the workdir cannot take a run's files (the OS's words), or None if it can: a
    probe file of 1 MiB is written and removed (dbt and DuckDB report a full disk only as
    text in their own logs, so the run's failure alone does not say it)."""
    probe = workdir / f".write-probe-{os.getpid()}"
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as f:
            f.write(b"\0" * probe_bytes)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        return e.strerror or str(e)
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def workdir_error_line(workdir: Path, why: str) -> str:
    return f"the workdir {workdir} is not writable ({why}): nothing was published; the previous site is unchanged"


def _is_workdir_error(error: BaseException) -> str | None:
    """The OS's words when `error` (or what caused it) means the workdir cannot be written."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in WORKDIR_ERRNOS:
            return error.strerror or str(error)
        text = str(error)
        hit = next((t for t in WORKDIR_ERROR_TEXTS if t in text), None)
        if hit:
            return hit
        error = error.__cause__ or error.__context__
    return None


def _locked_run(settings: Settings, job_name: str, command: str, force: bool = False) -> int:
    """Run a job under the workdir lock; record it in runs.jsonl and alert when it was not clean.

    `zhifa run` first compares the inputs with those the live release was built from
    (pipelines/publish.py): when nothing changed it skips the job (no Dagster, dbt, gate or
    site), reports the published state again and exits with the published run's code."""
    started_at, started = runs.now(), time.perf_counter()
    log_path, inputs, skipped = None, None, None
    why = workdir_problem(settings.workdir)
    if why:  # before anything is touched: one line, nothing was run
        print(f"error: {workdir_error_line(settings.workdir, why)}", file=sys.stderr)
        return EXIT_WORKDIR
    try:
        with workdir_lock(settings.workdir, command=command):
            if command == "zhifa run":
                skipped, inputs = _unchanged_night(settings, force)
            if skipped is not None:
                code, outcome, reasons = OUTCOME_EXIT[skipped["outcome"]], "unchanged", list(skipped["reasons"])
            else:
                result, log_path = execute(settings, job_name, staged_inputs=inputs)
                code, outcome, reasons = report(result, settings)
    except WorkdirBusy as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BUSY
    except Exception as e:  # noqa: BLE001 - only a workdir that cannot be written is handled here
        # the error's own words, else a probe: SQLite says only "disk I/O error" on a full disk
        why = _is_workdir_error(e) or workdir_problem(settings.workdir)
        if why is None:
            raise
        from pipelines.assets import progress_end

        progress_end("stopped")
        line = workdir_error_line(settings.workdir, why)
        print(f"error: {line}", file=sys.stderr)
        code, outcome, reasons = EXIT_WORKDIR, "failed", [line]
    record = runs.RunRecord(
        command=command,
        started=started_at,
        seconds=round(time.perf_counter() - started, 1),
        outcome=outcome,
        exit_code=code,
        as_of=skipped["as_of"] if skipped else live_as_of(settings),
        log=str(log_path) if log_path else None,
        reasons=reasons,
        release=live_release(settings),
    )
    try:  # the history and the alert are best effort when the workdir is what failed
        path, error = runs.keep(settings.workdir, record)
        if path:
            print(f"alert written: {path}" + (f" (webhook failed: {error})" if error else ""), file=sys.stderr)
    except OSError as e:
        if code != EXIT_WORKDIR:
            print(f"error: {workdir_error_line(settings.workdir, e.strerror or str(e))}", file=sys.stderr)
            return EXIT_WORKDIR
        print("  (no history line or alert file could be written to the workdir)")
    print(f"{command} finished in {record.seconds:.1f} s; warehouse {settings.warehouse}")
    return code


def _unchanged_night(settings: Settings, force: bool):
    """(the published state, None) when nothing changed since the live release was published
    and the run is skipped (its lines printed); else (None, the inputs snapshot or None)."""
    from pipelines import publish

    try:
        history = runs.read_runs(settings.workdir, last=1)
        state, inputs, why = publish.unchanged_since_publish(settings, history[-1].outcome if history else None)
    except Exception as e:  # noqa: BLE001 - a record or inbox the comparison cannot read: the night runs
        state, inputs, why = None, None, f"cannot compare ({type(e).__name__}: {e})"
    if state is None or force:
        if state is not None:
            print("  --force: running although nothing changed since the last publish", flush=True)
        elif publish.read_published_inputs(settings.workdir) is not None:  # say why the night runs
            print(f"  since the last publish: {why}", flush=True)
        try:  # what tonight's run reads, taken before it starts (a file changed meanwhile runs again tomorrow)
            return None, inputs or publish.inputs_before(settings)
        except OSError:
            return None, None
    release = state["release"]
    print(f"  {publish.unchanged_message(state)}: ingest, dbt, quality gate and site skipped; --force runs anyway", flush=True)
    today = dt.date.today()
    late = []
    for source, newest in sorted(state["newest"].items()):
        limit = state["stale_after_days"].get(source)
        lag = (today - dt.date.fromisoformat(newest)).days if newest else None
        if lag is None or (limit is not None and lag > limit):
            late.append(
                f"{source} "
                + (
                    f"no {source} records"
                    if newest is None
                    else f"newest record {newest}, {lag} days before today (limit {limit})"
                )
            )
    if late:  # the same warning a run prints: on a quiet night it matters most
        print("  freshness warning (newest record vs today): " + "; ".join(late))
    print(f"site unchanged: {settings.site / 'index.html'} (release {release})")
    if state["outcome"] == "incomplete":
        print("published, but INCOMPLETE — every page shows this warning:", file=sys.stderr)
        for line in state["reasons"]:
            print(f"  {line}", file=sys.stderr)
    return state, None


def live_release(settings: Settings) -> str | None:
    """The folder name of the release the site points at (None before the first publish)."""
    return settings.site.resolve().name if settings.site.exists() else None


def live_as_of(settings: Settings) -> str | None:
    from pipelines.asof import warehouse_as_of

    try:
        return warehouse_as_of(settings.warehouse).isoformat() if settings.warehouse.exists() else None
    except Exception:  # an unreadable warehouse is reported by `zhifa status`, not here
        return None


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings(
        inbox=Path(args.inbox).resolve(),
        workdir=Path(args.workdir).resolve(),
        as_of=args.as_of,
        as_of_beyond_data=args.as_of_beyond_data,
    )
    if not settings.inbox.is_dir():
        print(f"error: inbox folder not found: {settings.inbox}", file=sys.stderr)
        return EXIT_USAGE
    print(f"run: inbox {settings.inbox} → workdir {settings.workdir}", flush=True)
    return _locked_run(settings, "nightly", "zhifa run", force=args.force)


def cmd_check(args: argparse.Namespace) -> int:
    """What a run over the inbox would do, without writing anything (pipelines/inbox_check.py)."""
    from pipelines.inbox_check import check_inbox, render

    inbox = Path(args.inbox).resolve()
    if not inbox.is_dir():
        print(f"error: inbox folder not found: {inbox}", file=sys.stderr)
        return EXIT_USAGE
    workdir = Path(args.workdir).resolve() if args.workdir else None
    result = check_inbox(inbox, workdir if workdir and workdir.is_dir() else None)
    for line in render(result):
        print(line)
    return EXIT_CHECK_LOSS if result.run_would_lose_something else EXIT_PUBLISHED


def cmd_publish(args: argparse.Namespace) -> int:
    settings = Settings(inbox=Path(args.workdir).resolve() / "inbox", workdir=Path(args.workdir).resolve())
    if not settings.newest_warehouse().exists():
        print(f"error: no warehouse at {settings.warehouse}; run `zhifa run` first", file=sys.stderr)
        return EXIT_USAGE
    return _locked_run(settings, "publish", "zhifa publish")


def cmd_status(args: argparse.Namespace) -> int:
    """The last runs, what is published and as of when, and each source's freshness."""
    workdir = Path(args.workdir).resolve()
    settings = Settings(inbox=workdir / "inbox", workdir=workdir)
    history = runs.read_runs(workdir, last=args.last)
    print(f"workdir {workdir}")
    holder = lock_holder(workdir)
    if holder:
        print(f"running now: {holder}")
    print("last runs:" if history else "last runs: none recorded")
    for r in history:
        print(f"  {r.started}  {r.seconds:7.1f} s  {r.outcome:<10} exit {r.exit_code}  as of {r.as_of or '—'}  {r.command}")
        for reason in r.reasons[:3]:
            print(f"      {reason}")
    if not settings.site.exists() or not settings.warehouse.exists():
        print("published: nothing yet")
        return EXIT_BLOCKED
    release = settings.site.resolve()
    published_at = dt.datetime.fromtimestamp(release.stat().st_mtime).isoformat(sep=" ", timespec="seconds")
    print(
        f"published: {settings.site / 'index.html'} (release {release.name}, {published_at}), data as of {live_as_of(settings)}"
    )
    if settings.warehouse_build_done.exists():
        print(f"not published: a newer warehouse build ({settings.warehouse_build}) did not pass the gate")
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute(
            "select source, status, files, files_unreadable, newest_record_date, lag_days, "
            "stale_after_days from mart_source_status order by source"
        ).fetchall()
    print("sources (newest record vs the as-of date):")
    for source, status, files, bad, newest, lag, limit in rows:
        print(
            f"  {source:<14} {status:<10} files {files:>3} (unreadable {bad})  newest {newest or '—'}  "
            f"lag {lag if lag is not None else '—'} d (stale after {limit} d)"
        )
    last = history[-1].exit_code if history else EXIT_PUBLISHED
    return last if last in (EXIT_PUBLISHED, EXIT_INCOMPLETE) else EXIT_BLOCKED


def cmd_rollback(args: argparse.Namespace) -> int:
    """Restore the previously published site (the releases are kept; nothing is deleted)."""
    from pipelines.publish import roll_back

    workdir = Path(args.workdir).resolve()
    site = workdir / "site"
    if not site.is_symlink():
        print(f"error: no published site at {site}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with workdir_lock(workdir, command="zhifa rollback"):
            live = site.resolve().name
            target = roll_back(site)
    except (WorkdirBusy, LookupError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BUSY if isinstance(e, WorkdirBusy) else EXIT_USAGE
    print(f"site rolled back: {live} → {target.name} ({site / 'index.html'})")
    return EXIT_PUBLISHED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhifa", description="Township enforcement warehouse (大综合一体化)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_sample(sub)
    _add_run(sub)
    _add_check(sub)
    _add_workdir_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def entry() -> None:
    """The `zhifa` command: `main`, then exit without unloading Dagster, dbt, polars and
    pandas (pipelines/child.py `exit_without_teardown`). An exception ends the usual way,
    with its traceback."""
    code = main()
    from pipelines.child import exit_without_teardown

    exit_without_teardown(code)


def _add_sample(sub) -> None:
    p = sub.add_parser("sample", help="write a calibrated sample inbox")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=20220824)
    p.add_argument("--clean", action="store_true", help="no format quirks or bad rows")
    p.add_argument("--overwrite", action="store_true", help="replace reference/ and the source folders in --out")
    p.add_argument(
        "--towns",
        type=_towns,
        default=2,
        help="2 (the demo: 义桥镇, 瓜沥镇) … 22 (萧山's townships and streets; the demo towns unchanged)",
    )
    p.add_argument(
        "--scale",
        type=_scale,
        default=1.0,
        help="volume factor (1 = the demo; with --towns 22 the district: ~4 M rows, ~1 GB); "
        "only 1 reproduces the published figures",
    )
    p.set_defaults(func=cmd_sample)


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="inbox → lake → marts → quality gate → site")
    p.add_argument("--inbox", default="data/inbox")
    p.add_argument("--workdir", default="data")
    p.add_argument("--as-of", type=_date, default=None)
    p.add_argument(
        "--as-of-beyond-data", action="store_true", help="allow an --as-of after the newest record (recent figures then read 0)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run even when nothing changed since the last published run (by default that night is skipped)",
    )
    p.set_defaults(func=cmd_run)


def _add_check(sub) -> None:
    p = sub.add_parser(
        "check", help="inspect an inbox before a run (reads only): files, headers, rows, dates, what would be quarantined or lost"
    )
    p.add_argument("--inbox", default="data/inbox")
    p.add_argument(
        "--workdir", default=None, help="compare with this workdir's lake (new / changed / unchanged files); not written"
    )
    p.set_defaults(func=cmd_check)


def _add_workdir_commands(sub) -> None:
    """publish, status, rollback: they work on a workdir only."""
    p = sub.add_parser("publish", help="re-run the quality gate and publish from the existing warehouse")
    p.add_argument("--workdir", default="data")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("status", help="last runs, what is published, freshness per source")
    p.add_argument("--workdir", default="data")
    p.add_argument("--inbox", default=None, help="accepted for symmetry with run; not read")
    p.add_argument("--last", type=int, default=10, help="how many past runs to show")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("rollback", help="put the previously published site back")
    p.add_argument("--workdir", default="data")
    p.set_defaults(func=cmd_rollback)


if __name__ == "__main__":
    entry()
