"""dbt as a child that dies with its parent, started warm.

dagster-dbt starts `dbt` as a subprocess. If the run is SIGKILLed, an ordinary child keeps
running and keeps the DuckDB write lock. dagster-dbt takes the path of the dbt executable,
so we give it a tiny launcher under the workdir that asks the kernel to SIGKILL it when
its parent dies (prctl PR_SET_PDEATHSIG, kept across exec) and then runs dbt.
The launcher also runs dbt in the workdir with the lake and warehouse paths relative to it
(`DBT_ENV`): what dbt parses is then the same in every workdir, and the one parse in the
user's cache serves them all (pipelines/dbt_parse.py).

Warm dbt: importing dbt takes ~1.8 s of every build's start. A run starts `warm_dbt` while
it ingests: a process that imports dbt and waits on WORKDIR/bin/dbt.sock. The launcher
hands it its arguments, environment and stdin/stdout/stderr (SCM_RIGHTS), forwards
SIGINT/SIGTERM to it and exits with its exit code, so dbt writes to the pipe dagster-dbt
reads as if the launcher were dbt. The warm process serves one build and dies with the
run (`pipelines.child.die_with`) or with its launcher (the socket closes). Without one (the
socket absent, taken, or its process gone before it answered) the launcher execs dbt.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from pipelines.settings import DBT_ENV

# dbt.log keeps warnings and errors (the run's log has dbt's info lines): writing every debug
# event as JSON took ~2.5 of the demo build's CPU-seconds (py-spy), 1.4 s of its wall time.
LOG_LEVEL_FILE = {"DBT_LOG_LEVEL_FILE": "warn"}
SOCKET_NAME = "dbt.sock"  # beside the launcher: WORKDIR/bin/dbt.sock
PARENT_ENV = "ZHIFA_WARM_DBT_PARENT"

LAUNCHER = """#!{python}
# Written by pipelines/dbt_child.py: run dbt (warm, if a run started one), and die with the
# process that started it.
import ctypes, json, os, signal, socket, sys
PR_SET_PDEATHSIG = 1
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
if os.getppid() == 1:  # the parent died before prctl took effect
    sys.exit("dbt: the run that started it has ended")
os.chdir({workdir!r})
os.environ.update({env!r})
try:
    warm = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    warm.connect({sock!r})
    request = json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
    socket.send_fds(warm, [request], [0, 1, 2])
    pid = int(warm.recv(32) or 0)  # 0: it closed before taking this build
except (OSError, ValueError):
    pid = 0
if not pid:
    os.execv({dbt!r}, [{dbt!r}, *sys.argv[1:]])
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda s, _f: os.kill(pid, s))
code = warm.recv(32)
sys.exit(int(code) if code else "dbt: the warm dbt process ended without an exit code")
"""


def real_dbt() -> Path:
    """The dbt of this interpreter's environment, whether or not its bin/ is on PATH."""
    return Path(sys.executable).parent / "dbt"


def dbt_launcher(workdir: Path) -> Path:
    """Write (if changed) and return WORKDIR/bin/dbt, the launcher dagster-dbt runs."""
    path = workdir / "bin" / "dbt"
    text = LAUNCHER.format(
        python=sys.executable,
        dbt=str(real_dbt()),
        workdir=str(workdir.resolve()),
        env={**DBT_ENV, **LOG_LEVEL_FILE},
        sock=str(path.with_name(SOCKET_NAME).resolve()),
    )
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".dbt.{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o755)
        os.replace(tmp, path)
    return path


_WARM: dict[str, subprocess.Popen] = {}  # by socket path: this process's warm dbt


def warm_dbt(workdir: Path) -> None:
    """Start a dbt process that imports dbt now and serves the launcher's next build."""
    sock = (dbt_launcher(workdir).with_name(SOCKET_NAME)).resolve()
    waiting = _WARM.get(str(sock))
    if waiting is not None and waiting.poll() is None:  # still waiting for its build
        return
    sock.unlink(missing_ok=True)
    # listening before the process starts: a build that asks while dbt is still importing
    # waits for it in the queue (the import is ~1.8 s; a night without new files is quicker)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        server.bind(str(sock))
        server.listen(1)
        _WARM[str(sock)] = subprocess.Popen(
            [sys.executable, "-m", "pipelines.dbt_child", str(sock), str(server.fileno())],
            env={**os.environ, PARENT_ENV: str(os.getpid())},
            pass_fds=[server.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:  # e.g. a workdir path too long for a socket: dbt starts cold
        sock.unlink(missing_ok=True)
    finally:
        server.close()  # the warm process holds it: if that dies, a waiting build is refused


def release_warm_dbt() -> None:
    """End the warm dbt processes no build took (the run ended before its dbt step)."""
    while _WARM:
        sock, proc = _WARM.popitem()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        Path(sock).unlink(missing_ok=True)


def _serve(sock: Path, listening: int) -> int:
    """The warm dbt process: import dbt, take one build from a launcher, run it."""
    from pipelines.child import die_with

    die_with(int(os.environ.pop(PARENT_ENV)))  # watched: prctl's parent is the step's thread, gone first
    # the point: these imports are done before the build asks
    import dbt.adapters.duckdb  # noqa: F401
    import dbt.task.build  # noqa: F401
    from dbt.cli.main import cli

    server = socket.socket(fileno=listening)
    conn, _ = server.accept()
    server.close()
    with contextlib.suppress(OSError):
        sock.unlink()
    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    request = json.loads(message)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    conn.sendall(str(os.getpid()).encode())
    done = threading.Event()

    def end_with_the_launcher() -> None:  # killed: so is this build, as an exec'd dbt would be
        conn.recv(1)
        if not done.is_set():
            os._exit(137)

    threading.Thread(target=end_with_the_launcher, daemon=True).start()
    sys.argv = ["dbt", *request["argv"]]  # dbt's flags read sys.argv as well as click's args
    try:
        code = cli.main(args=request["argv"], prog_name="dbt")
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
    code = code if isinstance(code, int) else (0 if code is None else 1)
    done.set()
    sys.stdout.flush()
    sys.stderr.flush()
    conn.sendall(str(code).encode())
    return code


if __name__ == "__main__":
    sys.exit(_serve(Path(sys.argv[1]), int(sys.argv[2])))  # a normal exit: DuckDB closes (checkpoints) the warehouse
