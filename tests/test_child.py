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


def imported_here(module: str) -> tuple[int, bool]:
    import sys

    return os.getpid(), module in sys.modules


def test_a_warm_child_has_imported_its_modules_before_the_call_and_answers_once():
    from pipelines import child

    module = "xml.dom.minidom"  # imported by nothing the child runs otherwise
    assert call_in_child("test", imported_here, module)[1] is False  # a cold child has not
    child.warm_child("test", module)
    warm_pid = child._WARM["test"][0].pid
    assert call_in_child("test", imported_here, module) == (warm_pid, True)
    assert "test" not in child._WARM  # used once: the next call starts another child
    assert call_in_child("test", imported_here, module)[0] != warm_pid


def test_unused_warm_children_end_with_the_run_and_a_bad_import_is_said_at_the_call():
    from pipelines import child

    child.warm_child("unused", "json")
    proc = child._WARM["unused"][0]
    child.release_warm_children()
    assert not proc.is_alive() and proc.exitcode == 0 and not child._WARM

    child.warm_child("site", "no_such_module_here")
    with pytest.raises(ModuleNotFoundError, match="no_such_module_here"):
        call_in_child("site", imported_here, "json")


def test_a_warm_child_killed_while_it_waits_is_named_at_the_call():
    from pipelines import child

    child.warm_child("quality gate", "json")
    proc = child._WARM["quality gate"][0]
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    with pytest.raises(ChildDied, match=r"quality gate: the child process was killed by SIGKILL"):
        call_in_child("quality gate", imported_here, "json")


def exit_function_writes(path: str) -> None:
    import atexit
    from pathlib import Path

    atexit.register(Path(path).write_text, "ran")


def test_a_child_runs_its_exit_functions_though_it_skips_the_interpreters_teardown(tmp_path):
    """Children end through `exit_without_teardown`: what `atexit` holds still runs (the
    multiprocessing finalizers that unlink named semaphores are among it), and the parent
    has the child's exit before the answer returns."""
    marker = tmp_path / "exit-function"
    call_in_child("test", exit_function_writes, str(marker))
    assert marker.read_text() == "ran"


def niceness() -> int:
    return os.nice(0)


def test_a_warm_child_waits_at_a_lower_priority_and_a_cold_one_at_this_ones():
    """Imports ahead of need take what the run's other processes leave idle."""
    from pipelines import child

    here = os.nice(0)
    assert call_in_child("test", niceness) == here
    child.warm_child("test", "json")
    assert call_in_child("test", niceness) == min(19, here + child.WARM_NICENESS)


def test_children_are_warmed_ahead_by_this_process_and_beside_dbt_only_for_a_light_build(tmp_path):
    from pipelines.assets import WARM_AHEAD_MAX_LAKE_BYTES, warm_ahead
    from pipelines.cli import CLI_PID_TAG

    lake = tmp_path / "lake"
    (lake / "grid_events").mkdir(parents=True)
    (lake / "grid_events" / "part-0.parquet").write_bytes(b"x" * 1024)
    here = {CLI_PID_TAG: str(os.getpid())}
    assert warm_ahead(here, lake)
    assert not warm_ahead({}, lake)  # a daemon run: the next step is another process
    assert not warm_ahead({CLI_PID_TAG: "1"}, lake)
    with open(lake / "grid_events" / "part-1.parquet", "wb") as f:
        f.truncate(WARM_AHEAD_MAX_LAKE_BYTES)  # sparse: a district-sized lake without the bytes
    assert not warm_ahead(here, lake)  # beside a full build of a district's lake
    assert warm_ahead(here)  # beside an incremental build, or the gate
    assert not warm_ahead({}, None)


def test_a_small_night_warms_the_gate_and_site_children_as_the_run_starts(tmp_path, monkeypatch):
    import pipelines.assets as assets
    from pipelines import child

    monkeypatch.setattr(assets, "GATE_IMPORTS", ("json",))  # the rule, not Great Expectations' import time
    monkeypatch.setattr(assets, "SITE_IMPORTS", ("json",))
    inbox = tmp_path / "inbox"
    (inbox / "grid_events").mkdir(parents=True)
    (inbox / "grid_events" / "a.csv").write_bytes(b"x" * 1024)
    try:
        assets.warm_at_start(inbox)
        assert set(child._WARM) == {assets.GATE_STEP, assets.SITE_STEP}
        child.release_warm_children()
        with open(inbox / "grid_events" / "big.csv", "wb") as f:
            f.truncate(assets.WARM_AT_START_MAX_INBOX_BYTES)  # sparse: a district's inbox without the bytes
        assets.warm_at_start(inbox)
        assert not child._WARM  # a big night warms them a step ahead instead (warm_ahead)
    finally:
        child.release_warm_children()


def test_the_site_is_built_beside_the_gate_only_over_a_small_warehouse(tmp_path):
    from pipelines.assets import SITE_BESIDE_GATE_MAX_WAREHOUSE_BYTES, site_beside_gate

    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"x" * 1024)
    assert site_beside_gate(warehouse)  # the demo: 54 MB
    with open(warehouse, "wb") as f:
        f.truncate(SITE_BESIDE_GATE_MAX_WAREHOUSE_BYTES)  # sparse: a city's warehouse is over (a district's, 716 MB, under)
    assert not site_beside_gate(warehouse)
