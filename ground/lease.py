"""A lease on the lake, so two runs never write it at once: a row per lease name in ``ops/leases``, taken and
given back through Delta commits (delta-rs), so it works wherever the lake lives, an object store included.

Taking a lease is a compare-and-swap: a MERGE that replaces the row only if it is still what this process read
(free, expired, or held by a process of this host that has died). Two takers that race on the same row make
conflicting commits, and Delta refuses the second. Two that race to insert the first row both commit; each
then reads the table as it was just before its own commit, and the one that finds the other's row there
(the later commit) removes its own and backs off, so exactly one holds it. A holder renews it as it goes; a
crashed holder's lease expires (or, on the same host, is taken over at once since its process is gone).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError, DeltaError

from ground.catalogue import OPS_TABLES
from ground.lake import open_table, query


class LakeBusy(RuntimeError):
    """Another run holds the lease."""


@dataclass(frozen=True)
class Holder:
    token: str
    host: str
    pid: int
    acquired_at: datetime

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _table(lake_root: str) -> DeltaTable:
    table = OPS_TABLES["leases"]
    location = table.location(lake_root)
    existing = open_table(location)
    if existing is not None:
        return existing
    try:
        return DeltaTable.create(location, schema=table.arrow_schema, mode="ignore")
    except DeltaError:  # another process created it first
        return DeltaTable(location)


def _rows(lake_root: str, name: str, version: int | None = None) -> list[dict[str, Any]]:
    location = OPS_TABLES["leases"].location(lake_root)
    table = open_table(location) if version is None else DeltaTable(location, version=version)
    if table is None:
        return []
    escaped = name.replace("'", "''")
    return query({"l": table}, f"select * from l where name = '{escaped}'").to_pylist()


def _is_free(row: dict[str, Any], now: datetime) -> bool:
    expires = row["expires_at"]
    assert isinstance(expires, datetime)
    if row["token"] is None or expires <= now:
        return True
    return bool(row["host"] == socket.gethostname() and not _pid_alive(int(row["pid"])))


class Lease:
    """A held lease; ``renew`` pushes its expiry on, ``release`` frees it."""

    def __init__(self, lake_root: str, name: str, ttl: timedelta) -> None:
        self.lake_root, self.name, self.ttl = lake_root, name, ttl
        self.holder = Holder(uuid.uuid4().hex, socket.gethostname(), os.getpid(), datetime.now(UTC))

    def _source(self, expires_at: datetime) -> pa.Table:
        h = self.holder
        row = {
            "name": self.name,
            "token": h.token,
            "host": h.host,
            "pid": h.pid,
            "acquired_at": h.acquired_at,
            "expires_at": expires_at,
        }
        return pa.Table.from_pylist([row], schema=OPS_TABLES["leases"].arrow_schema)

    def acquire(self) -> None:
        now = datetime.now(UTC)
        rows = _rows(self.lake_root, self.name)
        for row in rows:
            if not _is_free(row, now):
                holder = Holder(str(row["token"]), str(row["host"]), int(row["pid"]), row["acquired_at"])
                raise LakeBusy(f"another run holds the lake ({self.name}): {holder.describe()}")
        seen = "(" + ", ".join(f"'{r['token']}'" for r in rows) + ")" if rows else "('')"
        table = _table(self.lake_root)
        try:
            (
                table.merge(self._source(now + self.ttl), "t.name = s.name", source_alias="s", target_alias="t")
                .when_matched_update_all(predicate=f"t.token in {seen}")  # still what was read: free
                .when_not_matched_insert_all()
                .execute()
            )
        except CommitFailedError as exc:  # another taker changed the same row first
            raise LakeBusy(f"another run took the lake ({self.name}) at the same moment") from exc
        mine = [r for r in _rows(self.lake_root, self.name) if r["token"] == self.holder.token]
        before = _rows(self.lake_root, self.name, version=table.version() - 1) if mine else []
        if not mine or any(r["token"] != self.holder.token and not _is_free(r, now) for r in before):
            self._delete_own()
            raise LakeBusy(f"another run took the lake ({self.name}) at the same moment")

    def renew(self) -> None:
        expires = datetime.now(UTC) + self.ttl
        _table(self.lake_root).update(
            updates={"expires_at": f"cast('{expires:%Y-%m-%d %H:%M:%S.%f}' as timestamp)"},
            predicate=f"token = '{self.holder.token}'",
        )

    def _delete_own(self) -> None:
        _table(self.lake_root).delete(predicate=f"token = '{self.holder.token}'")

    def release(self) -> None:
        self._delete_own()


@contextmanager
def hold(lake_root: str, name: str = "lake", ttl: timedelta = timedelta(hours=2)) -> Iterator[Lease]:
    """Hold the lease ``name`` on the lake for the block; LakeBusy when another run holds it."""
    if "://" not in lake_root:
        os.makedirs(lake_root, exist_ok=True)
    lease = Lease(lake_root, name, ttl)
    lease.acquire()
    try:
        yield lease
    finally:
        lease.release()
