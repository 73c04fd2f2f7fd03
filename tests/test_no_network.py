"""A run makes no network connection at all (the warehouse serves an intranet).

The whole `zhifa run` — Dagster, dbt (with the version probe and usage stats that are on
by default), Great Expectations, publishing — runs in a new network namespace with no
interface but loopback, under strace counting every connect(2) to an inet address.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.helpers import zhifa

pytestmark = pytest.mark.slow


def _tools_or_skip():
    missing = [t for t in ("unshare", "strace") if shutil.which(t) is None]
    if missing or os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: missing {missing} or not root")
        pytest.skip(f"needs root, unshare and strace (missing: {missing})")


def test_run_makes_no_inet_connection(demo_run, tmp_path):
    _tools_or_skip()
    workdir = tmp_path / "work"
    shutil.copytree(demo_run.workdir, workdir, symlinks=True)
    log = tmp_path / "strace.log"

    proc = zhifa(
        "run", "--inbox", str(demo_run.inbox), "--workdir", str(workdir),
        check=False,
        prefix=["unshare", "--net", "--", "strace", "-f", "-qq", "-e", "trace=connect", "-o", str(log)],
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = [line for line in log.read_text().splitlines() if "connect(" in line]
    inet = [line for line in calls if re.search(r"sa_family=AF_INET6?\b", line)]
    assert inet == [], "\n".join(inet[:20])
