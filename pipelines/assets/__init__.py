"""Dagster assets, one module per stage: ingest → warehouse (dbt) → quality → publish.

`progress` prints one line per stage to the terminal of a `zhifa run` (the CLI points it at
its real stdout: the run's own stdout and stderr go to the log file). Under `dagster dev`
and the daemon it prints nothing; the same facts are in the asset metadata.
"""

from __future__ import annotations

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
