"""The ``app`` section of the configuration, validated (see conf/base/app.yaml for every default)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ground.config import Config, ConfigError, resolve_location

USERS_FILE_ENV = "SCV_APP_USERS_FILE"


@dataclass(frozen=True)
class AppSettings:
    lake_root: str
    users_file: str
    inline_users: dict[str, dict[str, Any]] = field(default_factory=dict)
    bcrypt_rounds: int = 12
    refresh_seconds: float = 5.0
    page_size: int = 20
    reasons_per_card: int = 3
    title: str = "Field leads"


def _positive(section: dict[str, Any], name: str, default: float) -> float:
    value = section.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"app.{name} must be a number, got {value!r}") from exc
    if number < 0:
        raise ConfigError(f"app.{name} must not be negative, got {value!r}")
    return number


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
        title=str(section.get("title") or "Field leads"),
    )
