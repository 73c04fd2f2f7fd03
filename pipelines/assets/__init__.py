"""Dagster assets, one module per stage: ingest → warehouse (dbt) → quality → publish.

`progress` prints one line per stage to the terminal of a `zhifa run` (the CLI points it at
its real stdout: the run's own stdout and stderr go to the log file). Under `dagster dev`
and the daemon it prints nothing; the same facts are in the asset metadata.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

_stream: TextIO | None = None
_open = False  # a "stage …" line waiting for its result


def set_progress(stream: TextIO | None) -> None:
    global _stream, _open
    progress_end("stopped")
    _stream, _open = stream, False


def _write(text: str) -> None:
    if _stream is None:
        return
    try:
        _stream.write(text)
        _stream.flush()
    except (OSError, ValueError):  # a closed terminal never fails the run
        pass


def progress_start(stage: str) -> None:
    """`  ingest cases … ` (the result follows on the same line)."""
    global _open
    progress_end()
    _write(f"  {stage} … ")
    _open = True


def progress_done(result: str) -> None:
    global _open
    _write(f"{result}\n" if _open else f"  {result}\n")
    _open = False


def progress_end(result: str = "") -> None:
    """Close a stage line left open (its step failed)."""
    global _open
    if _open:
        _write(f"{result}\n")
    _open = False


def progress_line(text: str) -> None:
    progress_end()
    _write(f"  {text}\n")


__all__ = ["set_progress", "progress_start", "progress_done", "progress_end", "progress_line"]


# The children of the steps after dbt (pipelines/child.py): the step's name in errors, and
# what a warm child imports ahead.
GATE_STEP = "quality gate"
GATE_IMPORTS = ("great_expectations", "great_expectations.expectations", "pipelines.quality", "dashboards.exports")
SITE_STEP = "site"
SITE_IMPORTS = ("dashboards.site", "numpy")

# A small night (the demo: 55 MB of exports) starts both children as the run starts. They
# import at a lower priority (pipelines/child.py WARM_NICENESS), on what the ingest workers,
# Dagster's imports and dbt leave idle; started at dbt's step they once slowed dbt's start
# (the first dbt event 5.2 s after the step began, 3.2 s of it dbt's own start beside them).
WARM_AT_START_MAX_INBOX_BYTES = 200 * 2**20


def warm_at_start(inbox: Path) -> None:
    from pipelines.child import warm_child

    size = sum(p.stat().st_size for p in inbox.rglob("*") if p.is_file()) if inbox.is_dir() else 0
    if size < WARM_AT_START_MAX_INBOX_BYTES:
        warm_child(GATE_STEP, *GATE_IMPORTS)
        warm_child(SITE_STEP, *SITE_IMPORTS)


# Otherwise the gate's and the site's children are started one step ahead, so
# their imports (Great Expectations: 3.3 s, 270 MB; the site: 0.4 s, 80 MB) overlap dbt and
# the gate, when the run executes its steps in this process (a `zhifa run`). The gate's
# child waits beside dbt: over a full build of more than this much lake its idle memory
# beside dbt's DuckDB counts more than its seconds (the district's 2 GB peak target); an
# incremental build (pipelines/increment.py) re-ranks little and leaves room.
WARM_AHEAD_MAX_LAKE_BYTES = 100 * 2**20


def warm_ahead(run_tags: dict[str, str], beside_full_build_of: Path | None = None) -> bool:
    """Whether to start the next step's child now: when this process runs the next step and,
    if the child would wait beside a full dbt build of the lake given, the lake is small."""
    from pipelines.cli import CLI_PID_TAG

    if run_tags.get(CLI_PID_TAG) != str(os.getpid()):  # the next step runs in another process
        return False
    if beside_full_build_of is None:
        return True
    return sum(p.stat().st_size for p in beside_full_build_of.rglob("*.parquet")) < WARM_AHEAD_MAX_LAKE_BYTES


# The site is built while the gate runs (pipelines/assets/publish.py `build_beside_gate`)
# when the warehouse is under this size: the two children's memory then adds up. On the
# demo's (54 MB) gate and site take 5.7 → 3.5 s; on the district's (716 MB) `zhifa publish`
# 21.1 → 18.5 s, peak 1,728 MB (the site in one process beside the gate, dashboards/site.py;
# the gate's DuckDB at 512 MB meanwhile, pipelines/assets/quality.py: 1,822 MB at 1 GB).
# Over it (a city's warehouse) the site's child is only warmed while the gate runs.
SITE_BESIDE_GATE_MAX_WAREHOUSE_BYTES = 1 * 2**30


def site_beside_gate(warehouse: Path) -> bool:
    return warehouse.stat().st_size < SITE_BESIDE_GATE_MAX_WAREHOUSE_BYTES
