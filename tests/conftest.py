"""Shared fixtures: the demo, run once per test session on real parts.

`demo_run` generates the calibrated sample inbox and runs `zhifa run` as a subprocess —
the same command the README gives — into a temporary workdir. Tests that use it carry
`@pytest.mark.xdist_group("demo")` so that under `-n 2 --dist loadgroup` one worker runs
the demo once for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

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
def demo_inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("demo") / "inbox"
    zhifa("sample", "--out", str(inbox))
    return inbox


@pytest.fixture(scope="session")
def demo_run(demo_inbox, tmp_path_factory) -> DemoRun:
    workdir = tmp_path_factory.mktemp("demo-work")
    proc = zhifa("run", "--inbox", str(demo_inbox), "--workdir", str(workdir))
    return DemoRun(inbox=demo_inbox, workdir=workdir, output=proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def published_site(demo_run) -> Path:
    return demo_run.site
