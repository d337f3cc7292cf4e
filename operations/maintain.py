"""``scv maintain``: compact small files and vacuum old ones in every lake table, through delta-rs.

Nightly appends and MERGEs leave many small files; compaction rewrites each table (or each partition) into
fewer, larger ones in a new version, leaving the data as it was. Vacuum then deletes files no version
within the retention needs (default 168 hours, Delta's own default, so a week of time travel stays
possible). Run it when no nightly job is writing; a conflicting commit fails that table, not the others.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ground.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--retention-hours", type=int, default=168, help="keep files younger than this (168)")
    parser.add_argument("--dry-run", action="store_true", help="report what vacuum would delete; change nothing")
    parser.add_argument("--skip-compact", action="store_true", help="vacuum only")


@dataclass
class TableMaintenance:
    name: str
    files_before: int
    files_after: int
    version: int
    vacuumed: int
    error: str = ""


def maintain_table(
    name: str, location: str, retention_hours: int, dry_run: bool, compact: bool
) -> TableMaintenance | None:
    from ground.lake import open_table

    table = open_table(location)
    if table is None:
        return None
    before = len(table.file_uris())
    try:
        if compact and not dry_run:
            table.optimize.compact()
            table.update_incremental()
        vacuumed = table.vacuum(retention_hours=retention_hours, dry_run=dry_run, enforce_retention_duration=False)
    except Exception as exc:  # one table's conflict must not stop the others; it is reported
        return TableMaintenance(name, before, before, table.version(), 0, f"{type(exc).__name__}: {exc}")
    return TableMaintenance(name, before, len(table.file_uris()), table.version(), len(vacuumed))


def is_due(location: str, max_files: int, every_days: int, now: datetime | None = None) -> str:
    """Why the table at ``location`` calls for maintenance ('' when it does not): too many data files, or
    no compaction for ``every_days`` days (a table never compacted counts from its creation)."""
    from ground.lake import open_table

    table = open_table(location)
    if table is None:
        return ""
    files = len(table.file_uris())
    if files > max_files:
        return f"{files} files (more than {max_files})"
    now = now or datetime.now(UTC)
    history = table.history()
    compactions = [h["timestamp"] for h in history if h.get("operation") == "OPTIMIZE"]
    since_ms = max(compactions) if compactions else min((h["timestamp"] for h in history), default=None)
    if since_ms is None or files <= 1:
        return ""
    days = (now - datetime.fromtimestamp(since_ms / 1000, UTC)).days
    if days >= every_days:
        return f"not compacted for {days} days"
    return ""


def maintain_due(config: Config) -> list[tuple[TableMaintenance, str]]:
    """Compact and vacuum the tables that call for it (``operations.maintenance``), each with the reason."""
    from operations.status import lake_tables

    rules = config.pipeline.operations.maintenance
    done = []
    for name, location in lake_tables(config):
        reason = is_due(location, rules.max_files, rules.every_days)
        if reason:
            result = maintain_table(name, location, rules.retention_hours, dry_run=False, compact=True)
            if result is not None:
                done.append((result, reason))
    return done


def maintain(config: Config, retention_hours: int = 168, dry_run: bool = False, compact: bool = True) -> list[Any]:
    from operations.status import lake_tables

    results = []
    for name, location in lake_tables(config):
        result = maintain_table(name, location, retention_hours, dry_run, compact)
        if result is not None:
            results.append(result)
    return results


def run(args: argparse.Namespace, config: Config) -> int:
    results = maintain(config, args.retention_hours, args.dry_run, not args.skip_compact)
    verb = "would vacuum" if args.dry_run else "vacuumed"
    for r in results:
        line = f"{r.name:<42} v{r.version:<5} files {r.files_before:>6,} -> {r.files_after:>6,}  {verb} {r.vacuumed:,}"
        print(f"{line}  FAILED {r.error}" if r.error else line)
    failed = [r for r in results if r.error]
    print(f"{len(results)} tables, {len(failed)} failed")
    return 1 if failed else 0
