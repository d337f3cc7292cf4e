"""User management for ``scv app``: ``--add-user`` and ``--demo-users`` (bcrypt hashes in the users file)."""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from dataclasses import dataclass

import pyarrow.compute as pc

from app.auth import MAX_PASSWORD_BYTES, User, hash_password, parse_user, write_user
from app.scope import Scope, ScopeError
from app.settings import AppSettings
from ground.catalogue import GOLD_TABLES
from ground.config import ConfigError
from ground.lake import read_table

PASSWORD_ENV = "SCV_APP_PASSWORD"
DEMO_NAMES = {"leader": "demo-leader", "manager": "demo-manager", "rep": "demo-rep"}


def read_password(prompt: bool = True) -> str:
    """The new password from $SCV_APP_PASSWORD, else asked twice on the terminal."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not prompt or not sys.stdin.isatty():
        raise ConfigError(f"set {PASSWORD_ENV} or run in a terminal to type the password")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat the password: "):
        raise ConfigError("the passwords do not match")
    return first


def add_user(
    settings: AppSettings,
    name: str,
    role: str,
    password: str,
    dealer_code: str | None = None,
    district: str | None = None,
    state: str | None = None,
) -> User:
    """Hash the password and write the user to the users file (replacing a user of the same name)."""
    if len(password) < 8:
        raise ConfigError("the password must have at least 8 characters")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ConfigError(f"the password must not be longer than {MAX_PASSWORD_BYTES} bytes (all that bcrypt reads)")
    entry = {
        "role": role,
        "dealer_code": dealer_code,
        "district": district,
        "state": state,
        "password_hash": hash_password(password, settings.bcrypt_rounds),
    }
    user = parse_user(name, entry, "--add-user")
    write_user(settings.users_file, user)
    return user


@dataclass(frozen=True)
class DemoScopes:
    dealer_code: str
    district: str
    state: str | None


def pick_demo_scopes(lake_root: str) -> DemoScopes:
    """The dealer with most open leads on the latest scored date, and that dealer's district."""
    location = GOLD_TABLES["scv_customer_score"].location(lake_root)
    leads = read_table(
        location,
        where="as_of_date = (select max(as_of_date) from t)",
        columns=["dealer_code", "district", "state"],
    )
    if leads is None or leads.num_rows == 0:
        raise ConfigError(f"no scored leads at {location}: run `scv nightly` first")
    counts = leads.group_by(["dealer_code", "district", "state"]).aggregate([([], "count_all")])
    counts = counts.filter(pc.is_valid(counts.column("district")))
    if counts.num_rows == 0:
        raise ConfigError(f"no scored lead at {location} has a district")
    best = counts.sort_by([("count_all", "descending"), ("dealer_code", "ascending")]).slice(0, 1)
    row = best.to_pylist()[0]
    return DemoScopes(str(row["dealer_code"]), str(row["district"]), row["state"])


def create_demo_users(settings: AppSettings, out=None) -> dict[str, tuple[User, str]]:
    """One leader, one manager and one rep for the demo data, each with a new random password printed once."""
    out = out or sys.stdout
    picked = pick_demo_scopes(settings.lake_root)
    scopes = {
        "leader": Scope("leader"),
        "manager": Scope("manager", district=picked.district, state=picked.state),
        "rep": Scope("rep", dealer_code=picked.dealer_code),
    }
    created: dict[str, tuple[User, str]] = {}
    for role, scope in scopes.items():
        password = secrets.token_urlsafe(12)
        user = add_user(settings, DEMO_NAMES[role], role, password, scope.dealer_code, scope.district, scope.state)
        created[role] = (user, password)
    print(f"Demo users written to {settings.users_file} (passwords are shown only now):", file=out)
    for role, (user, password) in created.items():
        print(f"  {user.name:<13} {password}   {role}: {user.scope.describe()}", file=out)
    return created


def _scope_check(role: str, dealer_code: str | None, district: str | None) -> None:
    try:
        Scope(role, dealer_code=dealer_code, district=district)  # type: ignore[arg-type]
    except ScopeError as exc:
        raise ConfigError(f"--add-user: {exc} (use --dealer / --district)") from exc


def run_add_user(settings: AppSettings, args) -> int:
    _scope_check(args.role, args.dealer, args.district)
    user = add_user(settings, args.add_user, args.role, read_password(), args.dealer, args.district, args.state)
    print(f"user {user.name} ({user.scope.role}: {user.scope.describe()}) written to {settings.users_file}")
    return 0


__all__ = ["add_user", "create_demo_users", "pick_demo_scopes", "read_password", "run_add_user"]
