"""Test helpers shared by the suite and the benchmarks: the tests' configuration (conf/base only), gold rows
with plausible defaults, tiny lakes written with delta-rs, app users and free ports.

(Like delta-io's ``delta/testing/utils.py``: one place every test file and benchmark builds its data from,
so two tests never disagree about what a default row holds.)
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Literal

from ground.catalogue import GOLD_TABLES, OPS_TABLES
from ground.config import Config, load_config
from ground.lake import write_rows

# Tests that feed deliberately broken exports (most rows failing a rule) lift the quarantine-rate limit, which
# would otherwise (rightly) stop a source whose rows mostly fail; the limit has tests of its own.
HOSTILE_INPUT = {"pipeline": {"max_quarantine_rate": 1.0}}


def base_config() -> Config:
    """The committed configuration, conf/base only: a developer's conf/local never reaches a test."""
    return load_config(env="base", only_base=True)


def write_gold(
    lake_root: str | Path, name: str, rows: list[dict[str, Any]], mode: Literal["append", "overwrite"] = "overwrite"
) -> str:
    """Write ``rows`` as gold table ``name`` (catalogue schema and partitioning); returns its location."""
    return write_rows(GOLD_TABLES[name], str(lake_root), rows, mode)


def write_night(lake_root: str | Path, as_of_date: Any, status: str = "complete", missing: str = "") -> str:
    """Record a night's verdict on ``as_of_date`` in ops/nights, as ``scv nightly`` does (the alert reads it)."""
    import datetime as dt

    message = {"complete": "every expected source present, every step done"}.get(status, f"no data from {missing}")
    row = {
        "as_of_date": as_of_date,
        "run_id": f"test-{status}",
        "status": status,
        "missing": missing,
        "failed_steps": "",
        "message": message,
        "finished_at": dt.datetime.now(dt.UTC),
    }
    return write_rows(OPS_TABLES["nights"], str(lake_root), [row], "append")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def commit_files(location: str, version: int | None = None) -> dict[str, list[str]]:
    """The data files one commit added and removed (``version``: the latest when None), read from the Delta
    log of a local table: how many files a write touched, engine-independently."""
    import json

    log = Path(location) / "_delta_log"
    if version is None:
        version = max(int(p.stem) for p in log.glob("*.json"))
    touched: dict[str, list[str]] = {"add": [], "remove": []}
    for line in (log / f"{version:020d}.json").read_text(encoding="utf-8").splitlines():
        action = json.loads(line)
        for kind in touched:
            if kind in action:
                touched[kind].append(action[kind]["path"])
    return touched
