"""Helpers shared by the tests: run the real `zhifa` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ZHIFA = [sys.executable, "-m", "pipelines.cli"]


def zhifa(
    *args: str, check: bool = True, env: dict | None = None, prefix: list[str] | None = None
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [*(prefix or []), *ZHIFA, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"zhifa {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc
