"""One run at a time per workdir: an advisory lock on WORKDIR/.run.lock.

The lock is an flock(2), so the kernel releases it when the holder dies, SIGKILL included:
no stale lock to clean up by hand. The file records who holds it (PID, since when, what
command) so a second run can say so in one line instead of a DuckDB lock traceback.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".run.lock"


class WorkdirBusy(RuntimeError):
    """Another process holds the workdir lock."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return f"PID {info.get('pid')} since {info.get('since')} ({info.get('command')})"


@contextmanager
def workdir_lock(workdir: Path, command: str | None = None) -> Iterator[Path]:
    """Hold the workdir lock for the duration of the block; WorkdirBusy if someone else has it."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkdirBusy(
                f"workdir {workdir} is in use by {_holder(path)}; wait for it to finish (nothing was changed)"
            ) from None
        info = {
            "pid": os.getpid(),
            "since": dt.datetime.now().isoformat(timespec="seconds"),
            "command": command or " ".join(["zhifa", *sys.argv[1:]]),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_holder(workdir: Path) -> str | None:
    """Who holds the workdir lock now (PID, since when, command), or None."""
    path = workdir / LOCK_NAME
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder(path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
