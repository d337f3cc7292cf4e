"""In-memory snapshots of gold Delta tables, keyed by table version.

Each table is watched by a ``TableWatch``: at most every ``refresh_seconds`` it asks delta-rs for the table's
latest version (``update_incremental``, which reads only new log entries). While the version is unchanged
every request reuses the loaded snapshot; when it changes the new version is loaded in full and swapped in
atomically. Delta commits are atomic, so a read sees either the old or the new version, never a half-written
one; and if a check or load fails (a corrupt or partly copied log, files vacuumed under a slow read) the last
good snapshot keeps being served and the next check tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deltalake import DeltaTable

from ground.lake import open_table

log = logging.getLogger(__name__)

Loader = Callable[[DeltaTable], Any]


@dataclass(frozen=True)
class Snapshot:
    name: str
    version: int
    data: Any
    loaded_at: float  # epoch seconds
    load_seconds: float


class TableWatch:
    """The last good snapshot of one Delta table, refreshed at most every ``refresh_seconds``."""

    def __init__(
        self,
        name: str,
        location: str,
        loader: Loader,
        refresh_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name = name
        self.location = location
        self._loader = loader
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._table: DeltaTable | None = None
        self._snapshot: Snapshot | None = None
        self._checked_at: float | None = None
        self.last_error: str | None = None

    def get(self) -> Snapshot | None:
        """The current snapshot (None until the table has been read successfully once)."""
        current = self._snapshot
        checked_at = self._checked_at
        if checked_at is not None and self._clock() - checked_at < self._refresh_seconds:
            return current
        # One thread checks; the others keep serving the snapshot they have instead of queueing behind a load.
        if not self._lock.acquire(blocking=current is None):
            return current
        try:
            if self._checked_at == checked_at:
                self._checked_at = self._clock()
                self._check()
        finally:
            self._lock.release()
        return self._snapshot

    def expire(self) -> None:
        """Check the table's version on the next read (after this process wrote to it)."""
        self._checked_at = None

    def _check(self) -> None:
        try:
            table = self._table
            if table is None:
                table = open_table(self.location)
                if table is None:
                    self.last_error = f"no Delta table at {self.location} yet"
                    return
            else:
                table.update_incremental()
            version = table.version()
            if self._snapshot is not None and self._snapshot.version == version:
                self._table = table
                return
            started = time.perf_counter()
            data = self._loader(table)
            seconds = time.perf_counter() - started
            self._snapshot = Snapshot(self.name, version, data, time.time(), seconds)
            self._table = table
            self.last_error = None
            log.info("%s: loaded version %s in %.2f s", self.name, version, seconds)
        except Exception as exc:  # keep serving the last good snapshot; reopen the table next time
            self._table = None
            self.last_error = f"{type(exc).__name__}: {exc}"
            kept = self._snapshot.version if self._snapshot else None
            log.warning("%s: refresh failed (%s); serving version %s", self.name, self.last_error, kept)


class SnapshotCache:
    """One ``TableWatch`` per table name."""

    def __init__(self, watches: dict[str, TableWatch]):
        self._watches = watches

    def get(self, name: str) -> Snapshot | None:
        return self._watches[name].get()

    def watch(self, name: str) -> TableWatch:
        return self._watches[name]

    def warm(self, background: bool = True) -> threading.Thread | None:
        """Load every table now (in a daemon thread by default) so the first visitor does not wait."""

        def load_all() -> None:
            for watch in self._watches.values():
                watch.get()

        if not background:
            load_all()
            return None
        thread = threading.Thread(target=load_all, name="snapshot-warm", daemon=True)
        thread.start()
        return thread

    def status(self) -> dict[str, dict[str, Any]]:
        """Version, load time and last error of every table (for the app header and ``docs``)."""
        result: dict[str, dict[str, Any]] = {}
        for name, watch in self._watches.items():
            snap = watch._snapshot
            result[name] = {
                "version": snap.version if snap else None,
                "loaded_at": snap.loaded_at if snap else None,
                "load_seconds": snap.load_seconds if snap else None,
                "error": watch.last_error,
            }
        return result
