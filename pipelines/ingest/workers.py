"""Reading many new files on every core.

Ingest is per file and mostly single-threaded Python (JSON lines, HMAC pseudonyms, date
and id parsers), so a district's first night (1,384 files) used one of the two cores.
When a source has enough new bytes, its files are read by a pool of worker processes; each
worker lands its own Parquet parts and returns the manifest row, in the same order as the
files, so the lake and the manifest are exactly what a serial read writes.

The pool is started once per run (spawned, not forked: polars' thread pool must not be
forked), reused by every source, and released when dbt starts (`release_workers`), so the
workers' memory is not held beside dbt's DuckDB and the site build. Each worker loads the
reference from the lake (the one `ingest_reference` wrote) once per fingerprint.
`ZHIFA_INGEST_WORKERS` sets the number of workers (1 reads serially; default: the CPU count).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.child import die_with

if TYPE_CHECKING:
    from .mapping import Mapping
    from .reference import Reference

# Below this many new bytes a pool costs more than it saves (spawning a worker imports polars).
POOL_MIN_BYTES = 4 * 2**20
POOL_MIN_FILES = 4


@dataclass(frozen=True)
class FileJob:
    path: Path
    rel: str  # path relative to the inbox (lineage `_source_file`)
    source: str
    row: dict  # the manifest row, filled in by the reader
    mapping: Mapping | None
    lake_part: Path
    quarantine_part: Path


def workers() -> int:
    return max(1, int(os.environ.get("ZHIFA_INGEST_WORKERS") or os.cpu_count() or 1))


def _pooled(jobs: list[FileJob]) -> bool:
    return workers() > 1 and len(jobs) >= POOL_MIN_FILES and sum(j.row["size_bytes"] for j in jobs) >= POOL_MIN_BYTES


def read_files(jobs: list[FileJob], lake: Path, ref: Reference, secret: bytes) -> list[dict]:
    """Land every job's file; their manifest rows in job order. A job `read_ahead` started
    (the same file, content and ingest context) is not read again: its result is taken."""
    from . import ingest_file

    ahead = {i: _AHEAD.pop(_key(j)) for i, j in enumerate(jobs) if _key(j) in _AHEAD}
    rest = [i for i in range(len(jobs)) if i not in ahead]
    if not _pooled([jobs[i] for i in rest]):
        done = {i: ingest_file(jobs[i], ref, secret) for i in rest}
        return [done[i] if i in done else ahead[i].result() for i in range(len(jobs))]
    # Largest first keeps both workers busy to the end; the rows go back in job order.
    for i in sorted(rest, key=lambda i: -jobs[i].row["size_bytes"]):
        ahead[i] = _pool(workers()).submit(_work, jobs[i], str(lake), ref.fingerprint, secret)
    return [ahead[i].result() for i in range(len(jobs))]


# Files of later sources the pool is reading already (`read_ahead`), by `_key`.
_AHEAD: dict[tuple, Future] = {}


def _key(job: FileJob) -> tuple:
    return job.source, job.rel, job.row["sha256"], job.row["ingest_context"], str(job.lake_part)


def read_ahead(jobs: list[FileJob], lake: Path, ref: Reference, secret: bytes) -> int:
    """Start reading `jobs` (the new files of every source) in the pool, largest first, one
    queue for all sources: each source's step then takes its results (`read_files`) instead
    of the pool idling between sources and the small ones being read serially (demo: ingest
    8.3 → 7.1 s). The number of files started; 0 when the pool would not pay."""
    if not _pooled(jobs):
        return 0
    for job in sorted(jobs, key=lambda j: -j.row["size_bytes"]):
        if _key(job) not in _AHEAD:  # a file is read ahead once, however often this is called
            _AHEAD[_key(job)] = _pool(workers()).submit(_work, job, str(lake), ref.fingerprint, secret)
    return len(jobs)


_POOL: dict[int, ProcessPoolExecutor] = {}  # by size; one at a time


def release_workers() -> None:
    """Stop the pool (the next read starts a new one); reads ahead no step took are dropped."""
    for future in _AHEAD.values():
        future.cancel()
    _AHEAD.clear()
    for pool in _POOL.values():
        pool.shutdown()
    _POOL.clear()


def _pool(n: int) -> ProcessPoolExecutor:
    if n not in _POOL:
        for pool in _POOL.values():
            pool.shutdown()
        _POOL.clear()
        ctx = multiprocessing.get_context("spawn")
        _POOL[n] = ProcessPoolExecutor(n, mp_context=ctx, initializer=die_with, initargs=(os.getpid(),))
    return _POOL[n]


# A run that ends before dbt's step (an error, or `zhifa run` stopped before Dagster ran)
# drops what was read ahead and no step took, instead of waiting for it at exit.
atexit.register(release_workers)


_REFERENCE: dict[tuple[str, str], Reference] = {}


def _work(job: FileJob, lake: str, fingerprint: str, secret: bytes) -> dict:
    from . import ingest_file, load_reference

    ref = _REFERENCE.get((lake, fingerprint))
    if ref is None:
        ref = load_reference(Path(lake))
        if ref.fingerprint != fingerprint:  # the lake's reference is not the one this run read
            raise RuntimeError(f"reference in {lake} changed during ingest ({ref.fingerprint} ≠ {fingerprint})")
        _REFERENCE.clear()
        _REFERENCE[(lake, fingerprint)] = ref
    return ingest_file(job, ref, secret)
