"""The ``app`` section of the configuration, validated (see conf/base/app.yaml for every default)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ground.config import Config, ConfigError, resolve_location

USERS_FILE_ENV = "SCV_APP_USERS_FILE"


@dataclass(frozen=True)
class SessionSettings:
    """How long a sign-in lasts: ended after ``idle_seconds`` without a request, or ``max_seconds`` after it."""

    idle_seconds: float = 1800.0
    max_seconds: float = 43200.0


@dataclass(frozen=True)
class SignInSettings:
    """Backoff and lockout of failed sign-ins, counted per user name and per client address."""

    max_failures_per_user: int = 5
    max_failures_per_address: int = 20
    lockout_seconds: float = 900.0
    backoff_seconds: float = 1.0


@dataclass(frozen=True)
class WebSettings:
    """What the app trusts on the web: other origins, the reverse proxy, the cookie's ``Secure`` flag."""

    allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)
    secure_cookie: str = "auto"  # auto: when the request came over https (as the trusted proxy says); always


@dataclass(frozen=True)
class AppSettings:
    lake_root: str
    users_file: str
    inline_users: dict[str, dict[str, Any]] = field(default_factory=dict)
    bcrypt_rounds: int = 12
    refresh_seconds: float = 5.0
    page_size: int = 20
    reasons_per_card: int = 3
    title: str = "SCV Field Leads"
    sessions: SessionSettings = field(default_factory=SessionSettings)
    sign_in: SignInSettings = field(default_factory=SignInSettings)
    web: WebSettings = field(default_factory=WebSettings)


def _positive(section: dict[str, Any], name: str, default: float, prefix: str = "app") -> float:
    value = section.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{prefix}.{name} must be a number, got {value!r}") from exc
    if number < 0:
        raise ConfigError(f"{prefix}.{name} must not be negative, got {value!r}")
    return number


def _mapping(section: dict[str, Any], name: str) -> dict[str, Any]:
    value = section.get(name) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"app.{name} must be a mapping")
    return value


def _strings(section: dict[str, Any], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = section.get(name, list(default))
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"app.web.{name} must be a list of strings, got {value!r}")
    return tuple(v.strip() for v in value)


def _origin(value: str) -> str:
    origin = value.rstrip("/").lower()
    scheme, _, rest = origin.partition("://")
    if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
        raise ConfigError(f"app.web.allowed_origins: {value!r} is not an origin like https://leads.example.com")
    return origin


def session_settings(section: dict[str, Any]) -> SessionSettings:
    sessions = _mapping(section, "sessions")
    idle = _positive(sessions, "idle_seconds", 1800.0, "app.sessions")
    longest = _positive(sessions, "max_seconds", 43200.0, "app.sessions")
    if idle <= 0 or longest <= 0:
        raise ConfigError("app.sessions.idle_seconds and max_seconds must be greater than 0")
    return SessionSettings(idle_seconds=idle, max_seconds=longest)


def sign_in_settings(section: dict[str, Any]) -> SignInSettings:
    sign_in = _mapping(section, "sign_in")
    prefix = "app.sign_in"
    per_user = int(_positive(sign_in, "max_failures_per_user", 5, prefix))
    per_address = int(_positive(sign_in, "max_failures_per_address", 20, prefix))
    if per_user < 1 or per_address < 1:
        raise ConfigError("app.sign_in.max_failures_per_user and max_failures_per_address must be at least 1")
    return SignInSettings(
        max_failures_per_user=per_user,
        max_failures_per_address=per_address,
        lockout_seconds=_positive(sign_in, "lockout_seconds", 900.0, prefix),
        backoff_seconds=_positive(sign_in, "backoff_seconds", 1.0, prefix),
    )


def web_settings(section: dict[str, Any]) -> WebSettings:
    web = _mapping(section, "web")
    secure_cookie = str(web.get("secure_cookie", "auto"))
    if secure_cookie not in ("auto", "always"):
        raise ConfigError(f"app.web.secure_cookie must be auto or always, got {secure_cookie!r}")
    return WebSettings(
        allowed_origins=tuple(_origin(v) for v in _strings(web, "allowed_origins", ())),
        trusted_proxies=_strings(web, "trusted_proxies", ("127.0.0.1",)),
        secure_cookie=secure_cookie,
    )


def app_settings(config: Config) -> AppSettings:
    """Read and check the ``app`` section; ``SCV_APP_USERS_FILE`` overrides ``app.users_file``."""
    section = config.section("app")
    users = section.get("users") or {}
    if not isinstance(users, dict):
        raise ConfigError("app.users must be a mapping of user name to {role, password_hash, ...}")
    users_file = os.environ.get(USERS_FILE_ENV) or section.get("users_file") or "var/app_users.yaml"
    rounds = int(_positive(section, "bcrypt_rounds", 12))
    if not 4 <= rounds <= 31:
        raise ConfigError(f"app.bcrypt_rounds must be between 4 and 31, got {rounds}")
    return AppSettings(
        lake_root=config.paths.lake_root,
        users_file=resolve_location(str(users_file)),
        inline_users={str(k): dict(v or {}) for k, v in users.items()},
        bcrypt_rounds=rounds,
        refresh_seconds=_positive(section, "refresh_seconds", 5.0),
        page_size=max(1, int(_positive(section, "page_size", 20))),
        reasons_per_card=max(1, int(_positive(section, "reasons_per_card", 3))),
        title=str(section.get("title") or "SCV Field Leads"),
        sessions=session_settings(section),
        sign_in=sign_in_settings(section),
        web=web_settings(section),
    )
