"""``scv app``: start the field app, or manage its users.

Imports stay light here (every ``scv`` command builds the parser); Gradio is imported only to serve.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from ground.config import Config, ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    users = parser.add_argument_group("user management (writes app.users_file, then exits)")
    users.add_argument(
        "--add-user",
        metavar="NAME",
        help="add or replace a user; the password comes from $SCV_APP_PASSWORD or is asked for",
    )
    users.add_argument("--role", choices=["rep", "manager", "leader"], help="role of the user to add")
    users.add_argument("--dealer", metavar="CODE", help="dealer code of a rep")
    users.add_argument("--district", help="district of a manager")
    users.add_argument("--state", help="state of a manager (optional, narrows the district)")
    users.add_argument(
        "--demo-users",
        action="store_true",
        help="create demo-leader, demo-manager and demo-rep for the current gold data (random passwords)",
    )
    users.add_argument("--list-users", action="store_true", help="list users and their scopes")


def _manage_users(args: argparse.Namespace, config: Config) -> int | None:
    """Run a user-management option, or return None to start the server."""
    from app.auth import UserStore
    from app.settings import app_settings
    from app.users_cli import create_demo_users, run_add_user

    settings = app_settings(config)
    if args.add_user:
        if not args.role:
            raise ConfigError("--add-user needs --role rep|manager|leader")
        return run_add_user(settings, args)
    if args.demo_users:
        create_demo_users(settings)
        return 0
    if args.list_users:
        store = UserStore(settings.users_file, settings.inline_users)
        for name in store.names():
            scope = store.scope_for(name)
            print(f"{name:<20} {scope.role if scope else '?':<8} {scope.describe() if scope else ''}")
        return 0
    return None


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        managed = _manage_users(args, config)
        if managed is not None:
            return managed
        from app.handlers import AppContext

        ctx = AppContext.from_config(config)
    except ConfigError as exc:
        print(f"scv app: {exc}", file=sys.stderr)
        return 2
    if not ctx.users.names():
        print(
            f"scv app: no users in {ctx.settings.users_file}; add one with "
            "`scv app --add-user NAME --role leader` or `scv app --demo-users`",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logging.getLogger("app.security").setLevel(logging.INFO)  # sign-ins, failures, lockouts: always logged
    from app.web import serve  # not app.ui: Gradio is imported in the background, after the server answers

    print(f"Field app on http://{args.host}:{args.port} (lake {ctx.settings.lake_root}); Ctrl+C stops it")
    serve(ctx, args.host, args.port)
    return 0
