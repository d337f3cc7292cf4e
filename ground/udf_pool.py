"""Python UDFs in parallel on the embedded engine.

Sail runs a Python UDF (``applyInPandas``, ``mapInArrow``) in the interpreter of the process that started it,
the ``scv`` process, so its partitions take turns on that interpreter's one lock however many cores the engine
has. The CPU-bound work inside a UDF (fitting a batch of forecast series, a date's account models) goes through
``map_ordered``: on the embedded engine to a pool of worker processes (``engine.udf_processes``, one per core by
default), started once from a clean server process (``forkserver``: the engine's threads are never forked) that
imports the first work's module; elsewhere (a Spark cluster's Python workers, separate processes already, or a
remote engine's own process) it runs inline. Results come back in the order of the items, the same as inline.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from typing import Any, TypeVar

R = TypeVar("R")

_processes = 0  # set in the process that starts the embedded engine (``enable``); 0 elsewhere: inline
_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()  # around starting and stopping the pool


def processes_for(setting: int) -> int:
    """``engine.udf_processes``: 0 means one per core this process may run on (a container's, not the host's)."""
    return setting if setting > 0 else len(os.sched_getaffinity(0)) or 1


def processes(parallel: bool = True) -> int:
    """How many workers ``map_ordered`` spreads its items over (1: inline)."""
    return max(_processes, 1) if parallel else 1


def enable(count: int) -> None:
    """Run the UDFs' work of this process in ``count`` worker processes (1: inline)."""
    global _processes
    _processes = count


def shutdown() -> None:
    """Stop the workers and their server (the engine stops; they are started again on the next use), so that
    none outlives the command (the server would notice its parent gone a moment after it exits). A command
    killed outright cannot stop them: each worker then ends itself (``_watch``)."""
    global _pool
    with _lock:
        if _pool is None:
            return
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
        stop_server = getattr(forkserver._forkserver, "_stop", None)  # CPython's own, private (3.8 on)
        if stop_server is not None:
            stop_server()


def _watch(parent: int) -> None:
    """In each worker: end it once the command that started it is gone (killed, out of memory), instead of
    waiting for work forever."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _executor(module: str) -> ProcessPoolExecutor:
    """The pool, started by the first UDF thread that needs it (the engine calls UDFs from several threads)."""
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([module])  # imported once, in the server the workers are forked from
            _pool = ProcessPoolExecutor(_processes, mp_context=context, initializer=_watch, initargs=(os.getpid(),))
        return _pool


def map_ordered(function: Callable[..., R], items: Iterable[Any], parallel: bool = True) -> list[R]:
    """``function`` (a module-level function, or a ``functools.partial`` of one: it is sent to the workers by
    name) over ``items``, in order. ``parallel=False`` runs it inline: the caller has too little work to repay
    the workers' start (about 2 s: a server process, then each worker's imports)."""
    items = list(items)
    if processes(parallel) <= 1 or not items:
        return [function(item) for item in items]
    try:
        return list(_executor(getattr(function, "func", function).__module__).map(function, items))
    except BrokenProcessPool:
        shutdown()  # a worker died (killed, out of memory): the next call starts new ones
        raise
