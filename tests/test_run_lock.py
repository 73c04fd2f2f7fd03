"""One run per workdir: a second `zhifa run` exits 4 with one line naming the holder, and
the lock goes away with its holder, even when that holder is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import FIXTURE_INBOX
from tests.helpers import REPO, zhifa

HOLD = """
import sys, time
from pathlib import Path
from pipelines.runlock import workdir_lock
with workdir_lock(Path(sys.argv[1]), command="zhifa run (test holder)"):
    print("held", flush=True)
    time.sleep(60)
"""


def _hold(workdir) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(workdir)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_exits_busy_naming_the_holder(tmp_path):
    holder = _hold(tmp_path)
    try:
        proc = zhifa("run", "--inbox", str(FIXTURE_INBOX), "--workdir", str(tmp_path), check=False)
        assert proc.returncode == 4
        assert f"PID {holder.pid} since " in proc.stderr and "zhifa run (test holder)" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1  # one clear line, no traceback
        assert not (tmp_path / "lake").exists()  # nothing was changed
    finally:
        holder.kill()
        holder.wait()


def test_lock_dies_with_a_killed_holder(tmp_path):
    from pipelines.runlock import workdir_lock

    holder = _hold(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    deadline = time.monotonic() + 5
    while True:
        try:
            with workdir_lock(tmp_path, command="test"):
                break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_killed_cli_run_is_marked_failed_at_the_next_start(tmp_path):
    """A CLI run killed mid-way stays STARTED in the run storage; the next run fails it."""
    from dagster import DagsterInstance, DagsterRunStatus
    from dagster._core.storage.dagster_run import DagsterRun

    from pipelines.cli import CLI_PID_TAG, fail_orphaned_runs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        killed = DagsterRun(
            job_name="nightly", run_id="a" * 36, status=DagsterRunStatus.STARTED, tags={CLI_PID_TAG: str(dead.pid)}
        )
        alive = DagsterRun(
            job_name="nightly", run_id="b" * 36, status=DagsterRunStatus.STARTED, tags={CLI_PID_TAG: str(os.getpid())}
        )
        instance.add_run(killed)
        instance.add_run(alive)
        assert fail_orphaned_runs(instance) == [killed.run_id]
        assert instance.get_run_by_id(killed.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED


def test_rollback_restores_the_previous_release(tmp_path):
    from pipelines.publish import swap_in

    site = tmp_path / "site"
    for name in ("20220824T023000-aaaaaaaa", "20220825T023000-bbbbbbbb"):
        release = tmp_path / ".site-releases" / name
        release.mkdir(parents=True)
        (release / "index.html").write_text(name, encoding="utf-8")
        swap_in(site, release)
    proc = zhifa("rollback", "--workdir", str(tmp_path), check=False)
    assert proc.returncode == 0, proc.stderr
    assert (site / "index.html").read_text(encoding="utf-8") == "20220824T023000-aaaaaaaa"
    assert zhifa("rollback", "--workdir", str(tmp_path), check=False).returncode == 2  # nothing older


def test_a_release_counts_only_once_complete_and_a_killed_build_is_removed_by_the_next_publish(tmp_path):
    from pipelines.publish import PARTIAL, complete_release, new_release_dir, releases, swap_in

    site = tmp_path / "site"
    good = new_release_dir(site, "aaaaaaaa-run")
    (good / "index.html").write_text("good", encoding="utf-8")
    good = complete_release(good)
    swap_in(site, good)
    killed = new_release_dir(site, "bbbbbbbb-run")  # a build SIGKILLed midway: never completed
    (killed / "index.html").write_text("half", encoding="utf-8")
    assert killed.name.startswith(PARTIAL) and releases(site) == [good]
    newer = new_release_dir(site, "cccccccc-run")
    (newer / "index.html").write_text("newer", encoding="utf-8")
    newer = complete_release(newer)
    swap_in(site, newer)  # the publish prunes the killed build
    assert not killed.exists() and releases(site) == [good, newer]
    proc = zhifa("rollback", "--workdir", str(tmp_path), check=False)
    assert proc.returncode == 0, proc.stderr
    assert (site / "index.html").read_text(encoding="utf-8") == "good"  # never the half-built one
