"""Shared fixtures: the demo, run once per test session on real parts.

`demo_run` generates the calibrated sample inbox and runs `zhifa run` as a subprocess —
the same command the README gives — into a temporary workdir. Under pytest-xdist the
first worker to need it runs it and the others wait for it and reuse it (a file lock in
the session's shared temp folder), so the demo runs once however tests are distributed.
Tests must not change the demo workdir: copy it first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.helpers import zhifa


@dataclass(frozen=True)
class DemoRun:
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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, worker_id) -> DemoRun:
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker_id != "master" else base) / "demo"
    shared.mkdir(exist_ok=True)
    inbox, workdir, done = shared / "inbox", shared / "work", shared / "done.json"
    with FileLock(str(shared / ".lock")):
        if not done.exists():
            zhifa("sample", "--out", str(inbox))
            proc = zhifa("run", "--inbox", str(inbox), "--workdir", str(workdir))
            done.write_text(json.dumps({"output": proc.stdout + proc.stderr}), encoding="utf-8")
    return DemoRun(inbox=inbox, workdir=workdir, output=json.loads(done.read_text(encoding="utf-8"))["output"])


@pytest.fixture(scope="session")
def published_site(demo_run) -> Path:
    return demo_run.site
