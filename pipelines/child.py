"""The run's memory-heavy steps, each in a child process that gives its memory back.

The gate (pandas frames of the marts and downloads, GX) and the site build (every page's
figures) are a run's two memory peaks. Run in the long-lived run process, their memory
stayed allocated after the step: on the city proxy the site's 4.6 GiB came on top of the
~3.9 GiB the gate had left, 8.3 GiB in all (docs/benchmarks.md). `call_in_child` runs one
function in a spawned process (not forked: DuckDB's and polars' thread pools must not be
forked) and returns its result; the memory goes back to the OS when the child exits.

A child exits as soon as the process that started it is gone (`die_with`), so a killed run
leaves nothing behind; a child that dies (killed, out of memory) is an error that says so.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ChildDied(RuntimeError):
    """The child ended without an answer: killed (out of memory, by hand) or exited early."""


class RemoteTraceback(Exception):
    """The child's traceback, as the cause of the exception it raised."""

    def __str__(self) -> str:
        return self.args[0]


def die_with(parent: int) -> None:
    """Exit as soon as `parent` is gone (watched, not prctl: a pool may start its workers
    from any thread, and prctl's parent is the thread that forked)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def call_in_child(what: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """fn(*args, **kwargs) in a spawned child; its result, or its exception re-raised here
    (with the child's traceback as the cause). `what` names the step in errors."""
    ctx = multiprocessing.get_context("spawn")
    answer, reply = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(reply, os.getpid(), fn, args, kwargs), name=f"zhifa {what}")
    proc.start()
    reply.close()  # only the child writes: recv() then sees EOF if the child dies
    try:
        try:
            ok, value, tb = answer.recv()
        except EOFError:
            proc.join()
            raise ChildDied(f"{what}: the child process {_ending(proc.exitcode)}") from None
        proc.join()
    finally:
        answer.close()
        if proc.is_alive():  # the parent was interrupted: the child goes too
            proc.kill()
            proc.join()
    if ok:
        return value
    raise value from RemoteTraceback(tb)


def _ending(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name} before it answered (out of memory, or stopped by hand)"
    return f"exited with code {exitcode} before it answered (its error is in the log above)"


def _child(reply, parent: int, fn: Callable, args: tuple, kwargs: dict) -> None:
    die_with(parent)
    try:
        message = (True, fn(*args, **kwargs), "")
    except BaseException as exc:  # every failure goes back to the parent, which decides
        message = (False, exc, traceback.format_exc())
    try:
        reply.send(message)
    except Exception as exc:  # an answer that does not pickle: say what it was
        reply.send((False, RuntimeError(f"{type(message[1]).__name__}: {message[1]} (not picklable: {exc})"), message[2]))
    reply.close()
