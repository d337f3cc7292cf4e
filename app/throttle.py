"""Backoff and lockout of sign-in attempts, per user name and per client address.

Every attempt counts as a failure until its password check succeeds, so parallel guesses see the backoff at
once instead of each running a bcrypt check. After ``n`` failures of a name (or from an address) the next try
waits ``backoff_seconds * 2^(n-1)``; at ``max_failures_*`` the name (or address) is locked for
``lockout_seconds``, whatever the password. Unknown names are counted like known ones, so the answers say
nothing about which names exist. A failure is forgotten ``lockout_seconds`` after the last one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.settings import SignInSettings

MAX_KEYS = 100_000  # names and addresses remembered per kind; the least recently failed go first


@dataclass
class _Record:
    failures: int = 0
    last_failure_at: float = 0.0
    locked_until: float = 0.0


@dataclass(frozen=True)
class Refusal:
    """Why an attempt may not be checked now, and for how long."""

    reason: str  # "user locked", "address locked", "user backoff", "address backoff"
    retry_after: float

    @property
    def is_lockout(self) -> bool:
        return self.reason.endswith("locked")


class SignInThrottle:
    def __init__(self, settings: SignInSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._users: OrderedDict[str, _Record] = OrderedDict()
        self._addresses: OrderedDict[str, _Record] = OrderedDict()

    def _record(self, table: OrderedDict[str, _Record], key: str, now: float) -> _Record:
        record = table.get(key)
        is_forgotten = record is not None and now - record.last_failure_at > self.settings.lockout_seconds
        if record is None or (is_forgotten and now >= record.locked_until):
            record = _Record()
        table[key] = record
        table.move_to_end(key)
        while len(table) > MAX_KEYS:
            table.popitem(last=False)
        return record

    def _wait(self, record: _Record, now: float) -> tuple[float, bool]:
        if record.locked_until > now:
            return record.locked_until - now, True
        if record.failures == 0:
            return 0.0, False
        backoff = min(self.settings.backoff_seconds * 2 ** (record.failures - 1), self.settings.lockout_seconds)
        return max(0.0, record.last_failure_at + backoff - now), False

    def attempt(self, user: str, address: str) -> Refusal | None:
        """None: go ahead and check the password (the attempt counts as failed until ``succeeded``)."""
        now = self._clock()
        with self._lock:
            records = [
                ("user", self._record(self._users, user.lower(), now)),
                ("address", self._record(self._addresses, address, now)),
            ]
            for kind, record in records:
                wait, is_locked = self._wait(record, now)
                if wait > 0:
                    return Refusal(f"{kind} {'locked' if is_locked else 'backoff'}", wait)
            for _, record in records:
                record.failures += 1
                record.last_failure_at = now
        return None

    def failed(self, user: str, address: str) -> list[str]:
        """The password was wrong: lock what reached its limit; returns what this failure locked."""
        now = self._clock()
        limits = (
            ("user", self._users, user.lower(), self.settings.max_failures_per_user),
            ("address", self._addresses, address, self.settings.max_failures_per_address),
        )
        locked = []
        with self._lock:
            for kind, table, key, limit in limits:
                record = table.get(key)
                if record is not None and record.failures >= limit:
                    record.failures = 0
                    record.locked_until = now + self.settings.lockout_seconds
                    locked.append(kind)
        return locked

    def succeeded(self, user: str, address: str) -> None:
        """The password was right: clear the name's failures and take back this attempt's address failure."""
        with self._lock:
            self._users.pop(user.lower(), None)
            record = self._addresses.get(address)
            if record is not None and record.failures > 0:
                record.failures -= 1
