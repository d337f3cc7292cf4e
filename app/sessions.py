"""Sign-in sessions: a random token in an HttpOnly cookie, remembered in memory with two lifetimes.

A session ends after ``app.sessions.idle_seconds`` without a request, ``max_seconds`` after the sign-in
whatever the activity, when the user signs out (every session of that user ends), and as soon as the user's
password or scope changes or the user is removed from the users file: a session remembers the user's
fingerprint (``User.fingerprint``) and is checked against the current users on every request. Only a digest
of each token is kept, so the table itself holds nothing that signs anyone in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.auth import User, UserStore
from app.settings import SessionSettings

log = logging.getLogger("app.security")

COOKIE = "scv_session"


@dataclass
class Session:
    user: str
    fingerprint: str
    started_at: float
    seen_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionStore:
    """The open sessions of one app process (a restart signs everyone out)."""

    def __init__(self, settings: SessionSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._pruned_at = clock()

    def start(self, user: User) -> str:
        """A new session for ``user``; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._sessions[_digest(token)] = Session(user.name, user.fingerprint, now, now)
        self._prune(now)
        return token

    def _expiry(self, session: Session, now: float) -> str | None:
        if now - session.started_at > self.settings.max_seconds:
            return "reached its maximum lifetime"
        if now - session.seen_at > self.settings.idle_seconds:
            return "idle"
        return None

    def user_for(self, token: str | None, users: UserStore) -> str | None:
        """The signed-in user name of ``token``, or None (and the session ended) when it no longer holds."""
        if not token:
            return None
        key = _digest(token)
        with self._lock:
            session = self._sessions.get(key)
        if session is None:
            return None
        now = self._clock()
        reason = self._expiry(session, now)
        if reason is None:
            current = users.get(session.user)
            if current is None:
                reason = "user removed"
            elif current.fingerprint != session.fingerprint:
                reason = "password or role changed"
        if reason is not None:
            with self._lock:
                self._sessions.pop(key, None)
            log.info("session ended user=%s reason=%s", session.user, reason)
            return None
        session.seen_at = now
        return session.user

    def end(self, token: str | None) -> str | None:
        """Sign-out: end every session of the token's user; returns the user name (None: no such session)."""
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(_digest(token))
            if session is None:
                return None
            for key in [key for key, other in self._sessions.items() if other.user == session.user]:
                del self._sessions[key]
        return session.user

    def __len__(self) -> int:
        return len(self._sessions)

    def _prune(self, now: float) -> None:
        """Forget expired sessions (at most once a minute), so abandoned ones do not pile up."""
        if now - self._pruned_at < 60:
            return
        with self._lock:
            self._pruned_at = now
            for key in [k for k, s in self._sessions.items() if self._expiry(s, now)]:
                del self._sessions[key]
