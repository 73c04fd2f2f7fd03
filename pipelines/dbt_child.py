"""dbt as a child that dies with its parent.

dagster-dbt starts `dbt` as a subprocess. If the run is SIGKILLed, an ordinary child keeps
running and keeps the DuckDB write lock. dagster-dbt takes the path of the dbt executable,
so we give it a tiny launcher under the workdir that asks the kernel to SIGKILL it when
its parent dies (prctl PR_SET_PDEATHSIG, kept across exec) and then execs the real dbt.
The launcher also runs dbt in the workdir with the lake and warehouse paths relative to it
(`DBT_ENV`): what dbt parses is then the same in every workdir, and the one parse in the
user's cache serves them all (pipelines/dbt_parse.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipelines.settings import DBT_ENV

# dbt.log keeps warnings and errors (the run's log has dbt's info lines): writing every debug
# event as JSON took ~2.5 of the demo build's CPU-seconds (py-spy), 1.4 s of its wall time.
LOG_LEVEL_FILE = {"DBT_LOG_LEVEL_FILE": "warn"}

LAUNCHER = """#!{python}
# Written by pipelines/dbt_child.py: run dbt, and die with the process that started it.
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
if os.getppid() == 1:  # the parent died before prctl took effect
    sys.exit("dbt: the run that started it has ended")
os.chdir({workdir!r})
os.environ.update({env!r})
os.execv({dbt!r}, [{dbt!r}, *sys.argv[1:]])
"""


def real_dbt() -> Path:
    """The dbt of this interpreter's environment, whether or not its bin/ is on PATH."""
    return Path(sys.executable).parent / "dbt"


def dbt_launcher(workdir: Path) -> Path:
    """Write (if changed) and return WORKDIR/bin/dbt, the launcher dagster-dbt runs."""
    path = workdir / "bin" / "dbt"
    text = LAUNCHER.format(
        python=sys.executable, dbt=str(real_dbt()), workdir=str(workdir.resolve()), env={**DBT_ENV, **LOG_LEVEL_FILE}
    )
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".dbt.{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o755)
        os.replace(tmp, path)
    return path
