"""Users, roles and bcrypt password hashes from configuration; plain-text passwords are never stored.

Users come from ``app.users_file`` (written by ``scv app --add-user`` / ``--demo-users``, kept out of git)
merged with optional inline ``app.users`` (hashes only). The file is re-read when it changes, so a user added
while the app runs can sign in without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from app.scope import ROLES, Scope, ScopeError
from ground.config import ConfigError

log = logging.getLogger(__name__)

_BCRYPT_HASH = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_USER_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MAX_PASSWORD_BYTES = 72  # all that bcrypt reads


@lru_cache(maxsize=8)
def _dummy_hash(rounds: int) -> bytes:
    """Checked against when the user name is unknown, at the cost of the real hashes: same time either way."""
    return bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds=rounds))


def hash_rounds(password_hash: str) -> int:
    """The cost factor of a bcrypt hash ($2b$12$... -> 12)."""
    return int(password_hash.split("$")[2])


@dataclass(frozen=True)
class User:
    name: str
    scope: Scope
    password_hash: str

    @property
    def fingerprint(self) -> str:
        """Changes when the password or the scope changes: a session remembers it and ends when it differs."""
        scope = self.scope
        parts = (self.password_hash, scope.role, scope.dealer_code or "", scope.district or "", scope.state or "")
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def hash_password(password: str, rounds: int = 12) -> str:
    if not password:
        raise ValueError("the password must not be empty")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValueError(f"the password must not be longer than {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def parse_user(name: str, entry: dict[str, Any], origin: str) -> User:
    """One user entry from YAML; a plain-text ``password`` field is refused."""
    where = f"{origin}: user {name!r}"
    if not _USER_NAME.match(name):
        raise ConfigError(f"{where}: names may use letters, digits and _ . @ - (at most 64)")
    if "password" in entry:
        raise ConfigError(f"{where}: plain-text 'password' is not allowed; store a bcrypt 'password_hash'")
    password_hash = str(entry.get("password_hash") or "")
    if not _BCRYPT_HASH.match(password_hash):
        raise ConfigError(f"{where}: 'password_hash' must be a bcrypt hash ($2b$...)")
    role = str(entry.get("role") or "")
    if role not in ROLES:
        raise ConfigError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
    try:
        scope = Scope(
            role=role,  # type: ignore[arg-type]
            dealer_code=_text(entry.get("dealer_code")),
            district=_text(entry.get("district")),
            state=_text(entry.get("state")),
        )
    except ScopeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    return User(name=name, scope=scope, password_hash=password_hash)


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def read_users_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """The raw ``users`` mapping of a users file ({} when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        # Only where, never the text around it: the offending line may hold a password hash.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    users = content.get("users", {}) if isinstance(content, dict) else None
    if not isinstance(users, dict):
        raise ConfigError(f"{path}: expected 'users:' mapping user names to entries")
    return {str(k): dict(v or {}) for k, v in users.items()}


def write_user(path: str | Path, user: User) -> None:
    """Add or replace one user in the users file (atomic replace, readable by the owner only)."""
    path = Path(path)
    users = read_users_file(path)
    entry: dict[str, Any] = {"role": user.scope.role, "password_hash": user.password_hash}
    for key in ("dealer_code", "district", "state"):
        value = getattr(user.scope, key)
        if value:
            entry[key] = value
    users[user.name] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Field app users (scv app --add-user). bcrypt hashes only; never commit this file.\n"
    text += yaml.safe_dump({"users": users}, sort_keys=True, allow_unicode=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class UserStore:
    """The users the app accepts; re-reads the users file when its modification time changes."""

    def __init__(
        self, users_file: str | Path, inline_users: dict[str, dict[str, Any]] | None = None, bcrypt_rounds: int = 12
    ):
        self._path = Path(users_file)
        self._inline = inline_users or {}
        self._default_rounds = bcrypt_rounds
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, User] = self._load()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _load(self) -> dict[str, User]:
        self._stamp = self._file_stamp()
        raw = {name: (entry, str(self._path)) for name, entry in read_users_file(self._path).items()}
        raw.update({name: (entry, "app.users") for name, entry in self._inline.items()})
        return {name: parse_user(name, entry, origin) for name, (entry, origin) in raw.items()}

    def _refresh(self) -> None:
        if self._file_stamp() == self._stamp:
            return
        with self._lock:
            if self._file_stamp() == self._stamp:
                return
            try:
                self._users = self._load()
            except ConfigError as exc:  # keep the users we had; a broken edit must not lock everyone out
                log.error("users file not reloaded: %s", exc)

    def names(self) -> list[str]:
        self._refresh()
        return sorted(self._users)

    def get(self, name: str | None) -> User | None:
        if not name:
            return None
        self._refresh()
        return self._users.get(name)

    def dummy_rounds(self) -> int:
        """The cost of the users' hashes (the most common one), so an unknown name costs what a known one does."""
        costs = Counter(hash_rounds(user.password_hash) for user in self._users.values())
        return costs.most_common(1)[0][0] if costs else self._default_rounds

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` matches their bcrypt hash, else None; one bcrypt check either way.

        Blocking (about 0.25 s at cost 12): call it from a worker thread, never on the event loop.
        """
        user = self.get(name)
        secret = (password or "").encode("utf-8")
        if user is None or len(secret) > MAX_PASSWORD_BYTES:  # bcrypt 5 refuses more than 72 bytes
            bcrypt.checkpw(secret[:MAX_PASSWORD_BYTES], _dummy_hash(self.dummy_rounds()))
            return None
        return user if bcrypt.checkpw(secret, user.password_hash.encode("ascii")) else None

    def authenticate(self, name: str, password: str) -> bool:
        """True when ``password`` matches the user's bcrypt hash."""
        return self.verify(name, password) is not None

    def scope_for(self, name: str | None) -> Scope | None:
        """The scope of a signed-in user, or None for an unknown (or removed) user."""
        user = self.get(name)
        return user.scope if user else None
