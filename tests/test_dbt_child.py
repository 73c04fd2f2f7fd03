"""The dbt launcher (pipelines/dbt_child.py) with and without a warm dbt: the same output
and exit code either way; the warm process serves one build and is gone after it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from pipelines import dbt_child


def _launch(launcher: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(launcher), *args], capture_output=True, text=True, timeout=120)


def _wait_ready(sock: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not sock.exists():
        assert time.monotonic() < deadline, "the warm dbt never listened"
        time.sleep(0.05)


def test_a_warm_dbt_answers_as_dbt_itself_and_serves_one_build(tmp_path):
    launcher = dbt_child.dbt_launcher(tmp_path)
    sock = launcher.with_name(dbt_child.SOCKET_NAME)
    cold_help, cold_bad = _launch(launcher, "--help"), _launch(launcher, "no-such-command")
    assert cold_help.returncode == 0 and "Usage: dbt" in cold_help.stdout
    assert cold_bad.returncode == 2, cold_bad

    try:
        dbt_child.warm_dbt(tmp_path)
        (warm,) = dbt_child._WARM.values()
        _wait_ready(sock)
        warm_help = _launch(launcher, "--help")
        assert warm.wait(timeout=30) == 0, "the warm dbt did not run the build and end"
        assert not sock.exists()
        assert (warm_help.returncode, warm_help.stdout, warm_help.stderr) == (0, cold_help.stdout, cold_help.stderr)

        dbt_child.warm_dbt(tmp_path)
        (warm,) = dbt_child._WARM.values()
        _wait_ready(sock)
        warm_bad = _launch(launcher, "no-such-command")
        assert warm.wait(timeout=30) == 2
        assert (warm_bad.returncode, warm_bad.stdout, warm_bad.stderr) == (2, cold_bad.stdout, cold_bad.stderr)
    finally:
        dbt_child.release_warm_dbt()


def test_an_unused_warm_dbt_is_ended_with_the_run(tmp_path):
    dbt_child.warm_dbt(tmp_path)
    (warm,) = dbt_child._WARM.values()
    dbt_child.release_warm_dbt()
    assert warm.poll() is not None
    assert not (tmp_path / "bin" / dbt_child.SOCKET_NAME).exists()


def test_a_build_asking_while_dbt_imports_waits_for_it_and_a_dead_warm_dbt_is_passed_over(tmp_path):
    launcher = dbt_child.dbt_launcher(tmp_path)
    try:
        dbt_child.warm_dbt(tmp_path)  # asked at once: the socket listens before dbt is imported
        (warm,) = dbt_child._WARM.values()
        assert _launch(launcher, "--help").returncode == 0
        assert warm.wait(timeout=30) == 0, "the build did not wait for the warm dbt"

        dbt_child.warm_dbt(tmp_path)
        (warm,) = dbt_child._WARM.values()
        warm.kill()
        warm.wait()
        cold = _launch(launcher, "--help")  # dbt itself, started by the launcher
        assert cold.returncode == 0 and "Usage: dbt" in cold.stdout
    finally:
        dbt_child.release_warm_dbt()
