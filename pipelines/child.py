"""The run's memory-heavy steps, each in a child process that gives its memory back.

The gate (pandas frames of the marts and downloads, GX) and the site build (every page's
figures) are a run's two memory peaks. Run in the long-lived run process, their memory
stayed allocated after the step: on the city proxy the site's 4.6 GiB came on top of the
~3.9 GiB the gate had left, 8.3 GiB in all (docs/benchmarks.md). `call_in_child` runs one
function in a spawned process (not forked: DuckDB's and polars' thread pools must not be
forked) and returns its result; the memory goes back to the OS when the child exits.

A child exits as soon as the process that started it is gone (`die_with`), so a killed run
leaves nothing behind; a child that dies (killed, out of memory) is an error that says so.

A step's child can be started ahead (`warm_child`): it imports what the step needs while
the run does other work, then waits for its one call. Importing Great Expectations alone
takes 3.3 s; on the demo that was most of the gate's 5 s.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

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


# A warm child's imports are work ahead of need: it runs at a lower priority, on what the
# run's other processes leave idle, not on a core the ingest workers or dbt could use.
WARM_NICENESS = 10

_WARM: dict[str, tuple[Any, Any]] = {}  # step → (its child process, our end of its pipe)


def warm_child(what: str, *modules: str) -> None:
    """Start the child of the step `what` now, importing `modules`; call_in_child(what, …)
    then uses it. A warm child that is never called exits when the run ends."""
    if what not in _WARM:
        _WARM[what] = _start(what, modules, WARM_NICENESS)


def release_warm_children() -> None:
    """End the warm children no step called (the run failed or stopped before their step)."""
    while _WARM:
        proc, conn = _WARM.popitem()[1]
        conn.close()  # the child sees EOF and exits
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()


def _start(what: str, modules: tuple[str, ...], niceness: int = 0):
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(theirs, os.getpid(), modules, niceness), name=f"zhifa {what}")
    proc.start()
    theirs.close()  # recv() then sees EOF if the child dies
    return proc, ours


def call_in_child(what: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """fn(*args, **kwargs) in a spawned child (the warm one of `what`, if started); its result,
    or its exception re-raised here (with the child's traceback as the cause). `what` names
    the step in errors."""
    return submit_in_child(what, fn, *args, **kwargs).result()


def submit_in_child(what: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Pending[T]:
    """Like call_in_child, but returns at once: the answer is taken later (`Pending.result`)."""
    proc, conn = _WARM.pop(what, None) or _start(what, ())
    pending = Pending(what, proc, conn)
    try:
        conn.send((fn, args, kwargs))
    except (EOFError, BrokenPipeError):
        pending.sent = False
    return pending


class Pending(Generic[T]):
    """A call sent to a child: `result` waits for its answer, `cancel` ends the child."""

    def __init__(self, what: str, proc, conn) -> None:
        self.what, self.proc, self.conn, self.sent = what, proc, conn, True

    def result(self) -> T:
        proc, conn = self.proc, self.conn
        try:
            try:
                if not self.sent:
                    raise EOFError
                ok, value, tb = conn.recv()
            except (EOFError, BrokenPipeError):
                proc.join()
                raise ChildDied(f"{self.what}: the child process {_ending(proc.exitcode)}") from None
            proc.join()
        finally:
            self.cancel()
        if ok:
            return value
        raise value from RemoteTraceback(tb)

    def cancel(self) -> None:
        self.conn.close()
        if self.proc.is_alive():  # not answered (or the parent was interrupted): the child goes too
            self.proc.kill()
            self.proc.join()


def _ending(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name} before it answered (out of memory, or stopped by hand)"
    return f"exited with code {exitcode} before it answered (its error is in the log above)"


def _child(conn, parent: int, modules: tuple[str, ...], niceness: int) -> None:
    die_with(parent)
    os.nice(niceness)
    failed = None
    try:
        for module in modules:
            importlib.import_module(module)
    except BaseException as exc:  # said at the call, where the step reports it
        failed = (False, exc, traceback.format_exc())
    try:
        fn, args, kwargs = conn.recv()
    except EOFError:  # released unused: the run ended before this step
        exit_without_teardown(0)
    if failed:
        message = failed
    else:
        try:
            message = (True, fn(*args, **kwargs), "")
        except BaseException as exc:  # every failure goes back to the parent, which decides
            message = (False, exc, traceback.format_exc())
    try:
        conn.send(message)
    except Exception as exc:  # an answer that does not pickle: say what it was
        conn.send((False, RuntimeError(f"{type(message[1]).__name__}: {message[1]} (not picklable: {exc})"), message[2]))
    conn.close()
    exit_without_teardown(0)


def exit_without_teardown(code: int) -> None:
    """End this process as `sys.exit` would, minus the interpreter's teardown: the exit
    functions run (multiprocessing's finalizers unlink named semaphores, such as the lock
    tqdm makes under Great Expectations), the streams are flushed, and the modules are not
    unloaded one by one. That unloading took ~0.7 s after the gate's child (Great
    Expectations, pandas) had answered, and ~1 s after a `zhifa run` had finished; its
    parent, or the shell, waited for it. Call it only when every file, database and child
    process this one opened is closed."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken pipe: nothing left to say
            stream.flush()
    os._exit(code)
