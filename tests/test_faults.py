"""Faults a night can bring (issue 9): killed runs, a read-only code folder, a full disk, an
unwritable workdir, an impossible --as-of. Each leaves the live warehouse and site exactly
as they were, and the next run completes with the marts of an uninterrupted run.

The slow tests share one pipeline run over the small fixture inbox (exit 3: published but
incomplete, because of its unreadable files), made with a copy of the code on a read-only
mount, so every run here also proves nothing is written into the code folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.warehouse_snapshot import mart_tables

FIXTURE_INBOX = Path(__file__).parent / "ingest" / "fixtures" / "inbox"
IS_ROOT = os.geteuid() == 0
CODE_PARTS = ("pipelines", "dbt", "dashboards", "expectations", "dagster.yaml", "pyproject.toml")


# --- helpers -----------------------------------------------------------------------------


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _make_read_only(folder: Path) -> str:
    """Read-only for everyone, root included (a read-only bind mount); 'chmod' as a fallback
    when not root. Returns how, for the cleanup."""
    if IS_ROOT and _mount("--bind", str(folder), str(folder)):
        if _mount("-o", "remount,ro,bind", str(folder)):
            return "mount"
        subprocess.run(["umount", str(folder)], capture_output=True)
    if IS_ROOT:
        pytest.skip("root cannot be kept from writing without a read-only mount, and mount was refused")
    for p in [folder, *folder.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode & ~0o222)
    return "chmod"


def _undo_read_only(folder: Path, how: str) -> None:
    if how == "mount":
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)  # lazy: a killed run may still hold it
    else:
        for p in [folder, *folder.rglob("*")]:
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | 0o200)


def _copy_code(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "target", "logs", "*.pyc")
    dest.mkdir(parents=True)
    for part in CODE_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore)
        else:
            shutil.copy2(src, dest / part)
    return dest


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if not p.is_symlink()
    }


def _run_cmd(code: Path, workdir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(FIXTURE_INBOX), "--workdir", str(workdir), *extra]


def _env(code: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIFA_", "DBT_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def zhifa_run(code: Path, workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(_run_cmd(code, workdir, *extra), cwd=code, env=_env(code), capture_output=True, text=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _live(workdir: Path) -> tuple[str, str]:
    """(site symlink target, warehouse hash): what readers see."""
    return os.readlink(workdir / "site"), _sha(workdir / "warehouse.duckdb")


def _procs_of(workdir: Path) -> list[int]:
    """Processes started for this workdir (dbt inherits ZHIFA_WORKDIR from the run)."""
    found = []
    needle = f"ZHIFA_WORKDIR={workdir}".encode()
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if needle in (d / "environ").read_bytes().split(b"\0"):
                    found.append(int(d.name))
            except OSError:
                continue
    return found


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid == pid:
                out.append((int(d.name), (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")))
        except (OSError, ValueError):
            continue
    return out


def _wait_gone(pids: list[int], timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [
            p
            for p in alive
            if Path(f"/proc/{p}").exists() and not (Path(f"/proc/{p}/stat").read_text().split(") ")[-1].startswith("Z"))
        ]
        time.sleep(0.2)
    return alive


# --- the shared baseline -----------------------------------------------------------------


@pytest.fixture(scope="module")
def ro_code(tmp_path_factory):
    code = _copy_code(tmp_path_factory.mktemp("faults") / "code")
    how = _make_read_only(code)
    probe = subprocess.run(
        [sys.executable, "-c", "import pipelines; print(pipelines.__file__)"],
        cwd=code,
        env=_env(code),
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == str(code / "pipelines" / "__init__.py"), probe.stdout + probe.stderr
    yield code
    _undo_read_only(code, how)


@pytest.fixture(scope="module")
def baseline(ro_code, tmp_path_factory):
    """One uninterrupted run with the read-only code: its workdir is the one the tests fault."""
    before = _tree(ro_code)
    workdir = tmp_path_factory.mktemp("faults-work") / "work"
    proc = zhifa_run(ro_code, workdir)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert _tree(ro_code) == before, "the run wrote into the code folder"
    return {"workdir": workdir, "marts": mart_tables(workdir / "warehouse.duckdb"), "output": proc.stdout}


# --- fast tests ----------------------------------------------------------------------------


def _parse_in(code: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from pipelines.dbt_parse import prepare_manifest; from pipelines.dbt_project import DBT_PROJECT; "
            "print(prepare_manifest()); print(DBT_PROJECT.project_dir)",
        ],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
    )


def test_manifest_is_parsed_once_into_the_user_cache_with_read_only_code(tmp_path):
    """One parse per code folder, in the user's cache (XDG_CACHE_HOME), for every workdir;
    the read-only code folder is never written."""
    code = _copy_code(tmp_path / "code")
    how = _make_read_only(code)
    try:
        env = {**_env(code), "XDG_CACHE_HOME": str(tmp_path / "cache"), "ZHIFA_WORKDIR": str(tmp_path / "work")}
        proc = _parse_in(code, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        manifest, project = proc.stdout.split()[-2:]
        assert Path(manifest).parent.parent == tmp_path / "cache" / "zhifa"
        assert Path(manifest).is_file() and project == str(code / "dbt")
        assert not (code / "dbt" / "target").exists() and not (code / "dbt" / "logs").exists()
        assert not (tmp_path / "work").exists()
        # parsed once: another workdir finds it fresh (same code, same fingerprint)
        stamp = Path(manifest).stat().st_mtime_ns
        proc = _parse_in(code, {**env, "ZHIFA_WORKDIR": str(tmp_path / "other")})
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split()[-2] == manifest and Path(manifest).stat().st_mtime_ns == stamp
    finally:
        _undo_read_only(code, how)


def test_without_a_writable_user_cache_the_manifest_is_parsed_under_the_workdir(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    how = _make_read_only(cache)
    try:
        env = {**_env(REPO), "XDG_CACHE_HOME": str(cache), "ZHIFA_WORKDIR": str(tmp_path / "work")}
        proc = _parse_in(REPO, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.split()[-2] == str(tmp_path / "work" / "dbt-manifest" / "manifest.json")
    finally:
        _undo_read_only(cache, how)


def test_a_stale_manifest_is_parsed_in_a_child_and_then_found_fresh(tmp_path, monkeypatch):
    """The run starts the parse in a child while it imports Dagster (pipelines/dbt_parse.py)."""
    from pipelines.dbt_parse import manifest_is_stale, parse_in_child, prepare_manifest

    monkeypatch.setenv("ZHIFA_DBT_CACHE", str(tmp_path / "cache"))
    assert manifest_is_stale()
    parsing = parse_in_child()
    assert parsing is not None and parsing.pid != os.getpid()
    parsing.join()
    assert parsing.exitcode == 0
    assert not manifest_is_stale()
    stamp = (tmp_path / "cache" / "manifest.json").stat().st_mtime_ns
    assert parse_in_child() is None  # fresh: nothing to start
    assert prepare_manifest() == tmp_path / "cache" / "manifest.json"
    assert (tmp_path / "cache" / "manifest.json").stat().st_mtime_ns == stamp  # not parsed twice


def _fake_published_workdir(workdir: Path) -> None:
    release = workdir / ".site-releases" / "20220101T000000-aaaaaaaa"
    release.mkdir(parents=True)
    (release / "index.html").write_text("old site", encoding="utf-8")
    (workdir / "site").symlink_to(os.path.relpath(release, workdir))
    (workdir / "warehouse.duckdb").write_bytes(b"old warehouse")


def _assert_one_line_workdir_error(proc, workdir: Path, *why: str) -> None:
    """Exit 6 and one error line (an `alert written:` line may follow, space permitting)."""
    assert proc.returncode == 6, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("alert written:")]
    assert errors in [
        [f"error: the workdir {workdir} is not writable ({w}): nothing was published; the previous site is unchanged"]
        for w in why
    ], proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_read_only_workdir_is_one_line_and_exit_6(tmp_path):
    workdir = tmp_path / "work"
    _fake_published_workdir(workdir)
    before = _tree(workdir), _live(workdir)
    how = _make_read_only(workdir)
    try:
        proc = zhifa_run(REPO, workdir)
        _assert_one_line_workdir_error(proc, workdir, "Read-only file system" if how == "mount" else "Permission denied")
    finally:
        _undo_read_only(workdir, how)
    assert (_tree(workdir), _live(workdir)) == before


def test_a_file_where_the_workdir_should_be_is_one_line_and_exit_6(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    proc = zhifa_run(REPO, blocker / "work")
    _assert_one_line_workdir_error(proc, blocker / "work", "Not a directory")


def test_workdir_error_is_recognised_through_a_chain():
    import errno

    from pipelines.cli import _is_workdir_error

    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as e:
            raise RuntimeError("step failed") from e
    except RuntimeError as e:
        assert _is_workdir_error(e) == "No space left on device"
    assert _is_workdir_error(RuntimeError("sqlite3.OperationalError: database or disk is full")) == "database or disk is full"
    assert _is_workdir_error(ValueError("bad value")) is None


# --- slow: real runs, killed -----------------------------------------------------------------


def _start(code: Path, workdir: Path) -> subprocess.Popen:
    # --force: the baseline workdir already published this inbox, and a quiet night is skipped
    return subprocess.Popen(
        _run_cmd(code, workdir, "--force"), cwd=code, env=_env(code), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )


def _read_until(proc: subprocess.Popen, marker: bytes, timeout: float = 300) -> bytes:
    """Read the run's progress output until `marker` appears (the stage has started)."""
    buf, deadline = b"", time.monotonic() + timeout
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    while marker not in buf:
        assert time.monotonic() < deadline, f"{marker!r} never appeared:\n{buf.decode(errors='replace')}"
        assert proc.poll() is None, f"the run ended before {marker!r}:\n{buf.decode(errors='replace')}"
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            chunk = b""
        buf += chunk
        if not chunk:
            time.sleep(0.02)
    return buf


def _assert_next_run_matches(baseline, code: Path, workdir: Path) -> None:
    proc = zhifa_run(code, workdir)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert mart_tables(workdir / "warehouse.duckdb") == baseline["marts"]


@pytest.mark.slow
def test_sigkill_during_ingest(baseline, ro_code):
    workdir = baseline["workdir"]
    for manifest in (workdir / "lake" / "_files").glob("*.parquet"):
        manifest.unlink()  # every inbox file is read again: ingest takes a while
    live = _live(workdir)
    proc = _start(ro_code, workdir)
    out = _read_until(proc, b"ingest grid_events")
    assert b"dbt build" not in out
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _wait_gone(_procs_of(workdir)) == []
    assert _live(workdir) == live
    _assert_next_run_matches(baseline, ro_code, workdir)


@pytest.mark.slow
def test_sigkill_during_dbt_build_leaves_no_dbt_and_the_old_warehouse(baseline, ro_code):
    workdir = baseline["workdir"]
    live = _live(workdir)
    proc = _start(ro_code, workdir)
    _read_until(proc, b"dbt build")
    deadline, dbt, warm = time.monotonic() + 120, [], []
    while not dbt:
        assert time.monotonic() < deadline and proc.poll() is None, "no dbt child appeared"
        dbt = [pid for pid, cmd in _children(proc.pid) if "dbt" in cmd and "build" in cmd]
        time.sleep(0.05)
    # the build runs in the warm dbt the run started while it ingested (pipelines/dbt_child.py)
    warm = [pid for pid, cmd in _children(proc.pid) if "pipelines.dbt_child" in cmd]
    while not any(os.readlink(f"/proc/{p}/cwd") == str(workdir.resolve()) for p in warm):  # it took the build
        assert time.monotonic() < deadline and proc.poll() is None, "the build did not run in the warm dbt"
        time.sleep(0.05)
    # well into the build: the new warehouse file is being written beside the live one
    deadline = time.monotonic() + 60
    while not (workdir / ".build" / "warehouse.duckdb").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(3)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _wait_gone(dbt + warm) == [], "dbt outlived the run (PR_SET_PDEATHSIG)"
    assert _wait_gone(_procs_of(workdir)) == []
    assert _live(workdir) == live
    assert not (workdir / ".build" / "build-complete").exists()
    _assert_next_run_matches(baseline, ro_code, workdir)


@pytest.mark.slow
def test_sigkill_during_the_site_build_leaves_no_release_a_rollback_could_pick(baseline, ro_code):
    from pipelines.publish import PARTIAL, releases

    workdir = baseline["workdir"]
    live, kept = _live(workdir), releases(workdir / "site")
    proc = _start(ro_code, workdir)
    _read_until(proc, "site 网站".encode())
    deadline, building = time.monotonic() + 60, []
    while not building:  # the build has written its first files
        assert time.monotonic() < deadline and proc.poll() is None, "no site build appeared"
        building = [p for p in (workdir / ".site-releases").glob(f"{PARTIAL}*") if (p / "assets").is_dir()]
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _wait_gone(_procs_of(workdir)) == []  # the site's child went with the run
    assert _live(workdir) == live
    assert releases(workdir / "site") == kept  # the half-built folder is no release
    assert building[0].exists()
    _assert_next_run_matches(baseline, ro_code, workdir)
    assert not list((workdir / ".site-releases").glob(f"{PARTIAL}*"))  # the next publish removed it


@pytest.mark.slow
@pytest.mark.parametrize("as_of", ["2019-01-01", "2030-01-01"])
def test_as_of_outside_the_data_is_refused_in_one_line(baseline, ro_code, as_of):
    workdir = baseline["workdir"]
    live = _live(workdir)
    releases = sorted(p.name for p in (workdir / ".site-releases").iterdir())
    proc = zhifa_run(ro_code, workdir, "--as-of", as_of)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith(f"error: --as-of {as_of} is "), proc.stderr
    assert _live(workdir) == live
    assert sorted(p.name for p in (workdir / ".site-releases").iterdir()) == releases


@pytest.mark.slow
def test_as_of_beyond_data_is_accepted_with_the_flag(baseline):
    from pipelines.asof import resolve_as_of
    from pipelines.settings import Settings

    workdir = baseline["workdir"]
    settings = Settings(inbox=FIXTURE_INBOX, workdir=workdir, as_of=dt.date(2030, 1, 1), as_of_beyond_data=True)
    assert resolve_as_of(settings) == dt.date(2030, 1, 1)
    from pipelines import cli

    parsed = {}
    original = cli.cmd_run
    try:
        cli.cmd_run = lambda args: parsed.update(vars(args)) or 0
        assert cli.main(["run", "--as-of", "2030-01-01", "--as-of-beyond-data"]) == 0
    finally:
        cli.cmd_run = original
    assert parsed["as_of"] == dt.date(2030, 1, 1) and parsed["as_of_beyond_data"] is True


@pytest.mark.slow
def test_disk_full_mid_run_keeps_the_old_site(baseline, ro_code, tmp_path):
    if not IS_ROOT:
        pytest.skip("a small tmpfs needs root")
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    used = sum(p.stat().st_size for p in baseline["workdir"].rglob("*") if p.is_file() and not p.is_symlink())
    size_mb = used // (1 << 20) + 24
    if not _mount("-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mnt)):
        pytest.skip("mount -t tmpfs was refused")
    try:
        workdir = mnt / "work"
        shutil.copytree(baseline["workdir"], workdir, symlinks=True)
        shutil.rmtree(workdir / "logs")  # the logs are not needed and the filler takes the space
        live = _live(workdir)
        releases = sorted(p.name for p in (workdir / ".site-releases").iterdir())
        # leave ~3 MB: enough to start (the probe takes 1 MiB), not enough for a warehouse
        free = shutil.disk_usage(mnt).free
        with (mnt / "filler").open("wb") as f:
            f.truncate(0)
            f.write(b"\0" * max(0, free - 3 * (1 << 20)))
        proc = zhifa_run(ro_code, workdir)
        # dbt fails on the full disk; then Dagster's SQLite event log, or the probe, says so
        _assert_one_line_workdir_error(proc, workdir, "No space left on device", "database or disk is full")
        assert _live(workdir) == live
        assert sorted(p.name for p in (workdir / ".site-releases").iterdir()) == releases
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
