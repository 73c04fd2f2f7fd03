"""`zhifa`: the command data staff use.

    zhifa sample  --out DIR [--seed N] [--clean]        write a calibrated demo inbox
    zhifa run     [--inbox DIR] [--workdir DIR] [--as-of YYYY-MM-DD]
                                                        inbox → lake → marts → gate → site
    zhifa publish [--workdir DIR]                       re-run the gate and publish only

`run` materializes the same Dagster definitions that `dagster dev -m pipelines.definitions`
shows and the nightly schedule runs, in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

from pipelines.settings import REPO_ROOT, Settings


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_sample(args: argparse.Namespace) -> int:
    from pipelines.sample import generate_inbox

    started = time.perf_counter()
    try:
        summary = generate_inbox(Path(args.out), seed=args.seed, clean=args.clean, overwrite=args.overwrite)
    except FileExistsError:
        print(f"error: {args.out} is not empty; use --overwrite to replace the sample's folders", file=sys.stderr)
        return 2
    print(f"sample inbox written to {Path(args.out).resolve()} (seed {args.seed}{', clean' if args.clean else ''}) "
          f"in {time.perf_counter() - started:.1f} s")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


def _instance(settings: Settings):
    from dagster import DagsterInstance

    home = settings.workdir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = (REPO_ROOT / "dagster.yaml").read_text(encoding="utf-8")
    if not config.exists() or config.read_text(encoding="utf-8") != wanted:
        config.write_text(wanted, encoding="utf-8")
    return DagsterInstance.from_config(str(home))


def execute(settings: Settings, job_name: str = "nightly"):
    """Execute a job of the project's definitions in this process; returns the result."""
    from pipelines.warehouse import prepare_manifest

    settings.workdir.mkdir(parents=True, exist_ok=True)
    prepare_manifest()
    from pipelines.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def(job_name)
    logs = settings.workdir / "logs"
    logs.mkdir(exist_ok=True)
    log_path = logs / f"{job_name}-{dt.datetime.now():%Y%m%dT%H%M%S}.log"
    print(f"  log (dbt output and step details): {log_path}")
    # dagster-dbt streams every dbt log line to stdout and Dagster logs its events to stderr:
    # both go to the run's log file; the terminal gets the summary `report` prints.
    with (
        _instance(settings) as instance,
        log_path.open("w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        return job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)


def _root_cause(error) -> str:
    """The innermost error of Dagster's wrapped chain: the one that names file, row and problem."""
    while error is not None and (error.cause or error.context) is not None:
        error = error.cause or error.context
    return error.message.strip() if error is not None else "unknown error"


def report(result, settings: Settings) -> int:
    """Print what the run did; exit code 0 only when the site was published."""
    from dagster import AssetKey

    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            summary = mat.metadata.get("summary")
            if summary is not None:
                print(f"  {mat.asset_key.to_user_string()}: {summary.value}")
    failed_checks = []
    dbt_tests = [e for e in result.get_asset_check_evaluations() if not e.check_name.startswith("gx_")]
    if dbt_tests:
        print(f"  dbt tests: {sum(e.passed for e in dbt_tests)} of {len(dbt_tests)} passed")
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name.startswith("gx_") or not evaluation.passed:
            mark = "passed" if evaluation.passed else "FAILED"
            print(f"  check {evaluation.asset_key.to_user_string()} {evaluation.check_name}: {mark} — {evaluation.description or ''}")
        if not evaluation.passed:
            failed_checks.append(evaluation.check_name)
    for failure in result.get_step_failure_events():
        print(f"  step {failure.step_key} failed: {_root_cause(failure.event_specific_data.error)}", file=sys.stderr)

    published = any(
        e.event_specific_data.materialization.asset_key == AssetKey(["site"])
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    )
    if published:
        print(f"site published: {settings.site / 'index.html'} (release {settings.site.resolve().name})")
        return 0
    if failed_checks:
        print("publishing BLOCKED by failed checks: " + ", ".join(failed_checks), file=sys.stderr)
    else:
        print("publishing BLOCKED: the run failed before the quality gate (see step failures above)", file=sys.stderr)
    print(f"the previous site (if any) is unchanged: {settings.site}", file=sys.stderr)
    return 1


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings(inbox=Path(args.inbox).resolve(), workdir=Path(args.workdir).resolve(), as_of=args.as_of)
    if not settings.inbox.is_dir():
        print(f"error: inbox folder not found: {settings.inbox}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    print(f"run: inbox {settings.inbox} → workdir {settings.workdir}")
    result = execute(settings)
    code = report(result, settings)
    print(f"run finished in {time.perf_counter() - started:.1f} s; warehouse {settings.warehouse}")
    return code


def cmd_publish(args: argparse.Namespace) -> int:
    settings = Settings(inbox=Path(args.workdir).resolve() / "inbox", workdir=Path(args.workdir).resolve())
    if not settings.warehouse.exists():
        print(f"error: no warehouse at {settings.warehouse}; run `zhifa run` first", file=sys.stderr)
        return 2
    return report(execute(settings, "publish"), settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhifa", description="Township enforcement warehouse (大综合一体化)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write a calibrated sample inbox")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=20220824)
    p.add_argument("--clean", action="store_true", help="no format quirks or bad rows")
    p.add_argument("--overwrite", action="store_true", help="replace reference/ and the source folders in --out")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("run", help="inbox → lake → marts → quality gate → site")
    p.add_argument("--inbox", default="data/inbox")
    p.add_argument("--workdir", default="data")
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("publish", help="re-run the quality gate and publish from the existing warehouse")
    p.add_argument("--workdir", default="data")
    p.set_defaults(func=cmd_publish)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
