"""Shared fixtures: the demo, run once per test session on real parts.

`demo_run` generates the calibrated sample inbox and runs `zhifa run` as a subprocess —
the same command the README gives — into a temporary workdir. Under pytest-xdist the
first worker to need it runs it and the others wait for it and reuse it (a file lock in
the session's shared temp folder), so the demo runs once however tests are distributed.
Tests must not change the demo workdir: copy it first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import settings

from tests.helpers import zhifa


@dataclass(frozen=True)
class PipelineRun:
    inbox: Path
    workdir: Path
    output: str

    @property
    def site(self) -> Path:
        return self.workdir / "site"

    @property
    def warehouse(self) -> Path:
        return self.workdir / "warehouse.duckdb"

    @property
    def lake(self) -> Path:
        return self.workdir / "lake"


FIXTURE_INBOX = Path(__file__).parent / "ingest" / "fixtures" / "inbox"


def _shared_run(
    tmp_path_factory, worker_id, name: str, inbox: Path | None, exit_code: int = 0, env: dict | None = None
) -> PipelineRun:
    """`zhifa run` once per test session, whichever xdist worker asks first; it must exit
    with `exit_code` (0 published, 3 published but incomplete).

    With `inbox=None` the calibrated sample inbox is generated first (`zhifa sample`)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker_id != "master" else base) / name
    shared.mkdir(exist_ok=True)
    workdir, done = shared / "work", shared / "done.json"
    inbox = inbox or shared / "inbox"
    with FileLock(str(shared / ".lock")):
        if not done.exists():
            if not inbox.exists():
                zhifa("sample", "--out", str(inbox))
            proc = zhifa("run", "--inbox", str(inbox), "--workdir", str(workdir), check=False, env=env)
            assert proc.returncode == exit_code, f"zhifa run exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
            done.write_text(json.dumps({"output": proc.stdout + proc.stderr}), encoding="utf-8")
    return PipelineRun(inbox=inbox, workdir=workdir, output=json.loads(done.read_text(encoding="utf-8"))["output"])


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, worker_id) -> PipelineRun:
    """The calibrated sample inbox through the whole pipeline."""
    return _shared_run(tmp_path_factory, worker_id, "demo", None)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, worker_id) -> PipelineRun:
    """The small fixture inbox of tests/ingest (broken files included) through the pipeline:
    published, but incomplete (exit 3) because of its unreadable files. It runs every dbt test
    and unit test (`ZHIFA_DBT_TESTS=all`): nights leave the unit tests to CI, and this is CI."""
    return _shared_run(tmp_path_factory, worker_id, "tiny", FIXTURE_INBOX, exit_code=3, env={"ZHIFA_DBT_TESTS": "all"})


@pytest.fixture(scope="session")
def published_site(demo_run) -> Path:
    return demo_run.site


# Property tests explore new examples on every local run; in CI they run derandomized so a
# submission's result does not depend on the draw (a failure found locally becomes an @example).
# No deadline: Hypothesis' 200 ms per example is a timed assertion, and beside the browser
# tests on two cores one example took 548 ms (a failure that said nothing about the code).
settings.register_profile("zhifa", deadline=None)
settings.register_profile("ci", parent=settings.get_profile("zhifa"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "zhifa")
