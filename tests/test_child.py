"""pipelines/child.py: the gate and the site run in a spawned child that gives its memory back."""

import errno
import os
import signal

import pytest

from pipelines.child import ChildDied, RemoteTraceback, call_in_child


def _status_mib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(f"{field}:")) // 1024


def rss_after_allocating(mib: int) -> tuple[int, int]:
    """(this process's pid, its peak RSS in MiB) after holding `mib` MiB."""
    block = bytearray(mib * 2**20)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    return os.getpid(), _status_mib("VmHWM")


def disk_full(path: str) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", path)


def killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_the_child_answers_and_its_memory_is_not_the_parents():
    before = _status_mib("VmHWM")
    pid, peak = call_in_child("test", rss_after_allocating, 300)
    assert pid != os.getpid()
    assert peak >= 300
    assert _status_mib("VmHWM") - before < 100  # the 300 MiB lived and died in the child


def test_an_error_in_the_child_is_raised_here_as_itself_with_the_childs_traceback():
    with pytest.raises(OSError) as caught:
        call_in_child("site", disk_full, "/tmp/release")
    assert caught.value.errno == errno.ENOSPC  # what the run's workdir-error message looks for
    assert caught.value.filename == "/tmp/release"
    assert isinstance(caught.value.__cause__, RemoteTraceback)
    assert "disk_full" in str(caught.value.__cause__)


def test_a_killed_child_is_an_error_that_names_the_step_and_the_signal():
    with pytest.raises(ChildDied, match=r"quality gate: the child process was killed by SIGKILL"):
        call_in_child("quality gate", killed)
