"""``scv files``: the landing files the lake took and the ones it could not, and ``scv files skip FILE``
to acknowledge a rejected file that will never be corrected. Reads and writes with delta-rs, no Spark.

A rejected file is recorded once (``ops/rejected_files``); later nights list it as outstanding, which keeps
the night incomplete (and the alert held) until a corrected delivery is ingested (``superseded``) or a person
skips it here with a reason (``skipped``).
"""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import UTC, datetime
from typing import Any

from ground.catalogue import OPS_TABLES
from ground.config import Config
from ground.lake import open_table, query


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--ingested", action="store_true", help="list every ingested file, not just the counts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    skip = actions.add_parser("skip", help="acknowledge a rejected file: it no longer holds the night back")
    skip.add_argument("file", help="the file as listed (relative to the landing folder)")
    skip.add_argument("--reason", required=True, help="why it is skipped (kept with it)")
    skip.add_argument("--source", dest="skip_source", help="the source, when two sources have a file of that name")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def collect(config: Config, source: str | None = None, ingested: bool = False) -> dict[str, Any]:
    root = config.paths.lake_root
    where = f"where source = {_sql_text(source)}" if source else ""
    report: dict[str, Any] = {"rejected": [], "ingested_counts": [], "ingested": []}
    rejected = open_table(OPS_TABLES["rejected_files"].location(root))
    if rejected is not None:
        report["rejected"] = query(
            {"r": rejected},
            "select source, file_name, status, reason, note, size_bytes, first_seen_at, updated_at from r "
            f"{where} order by case status when 'outstanding' then 0 else 1 end, first_seen_at desc",
        ).to_pylist()
    files = open_table(OPS_TABLES["ingested_files"].location(root))
    if files is not None:
        report["ingested_counts"] = query(
            {"f": files},
            "select source, count(*) as files, sum(rows) as rows, sum(rows_quarantined) as rows_quarantined, "
            f"max(ingested_at) as last_ingested_at from f {where} group by source order by source",
        ).to_pylist()
        if ingested:
            report["ingested"] = query(
                {"f": files},
                "select source, file_name, rows, rows_quarantined, ingested_at, content_sha256 from f "
                f"{where} order by source, file_name, ingested_at",
            ).to_pylist()
    return report


def skip(config: Config, file_name: str, reason: str, source: str | None = None) -> int:
    """Mark the outstanding rejections of ``file_name`` skipped; returns how many rows changed."""
    table = open_table(OPS_TABLES["rejected_files"].location(config.paths.lake_root))
    if table is None:
        return 0
    predicate = f"file_name = {_sql_text(file_name)} and status = 'outstanding'"
    if source:
        predicate += f" and source = {_sql_text(source)}"
    note = f"skipped by {getpass.getuser()}: {reason}"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    # SQL expressions, quoted here: delta-rs does not escape a quote inside a new_values string
    updates = {"status": "'skipped'", "note": _sql_text(note), "updated_at": f"cast('{now}' as timestamp)"}
    metrics = table.update(updates=updates, predicate=predicate)
    return int(metrics.get("num_updated_rows", 0))


def _print(report: dict[str, Any]) -> None:
    outstanding = [r for r in report["rejected"] if r["status"] == "outstanding"]
    print(f"rejected files: {len(report['rejected'])} ({len(outstanding)} outstanding)")
    for r in report["rejected"]:
        seen = r["first_seen_at"].strftime("%Y-%m-%d %H:%M") if r["first_seen_at"] else ""
        print(f"  {r['status']:<11} {r['source']:<18} {r['file_name']}  (first seen {seen})")
        print(f"              {r['reason']}")
        if r["note"]:
            print(f"              {r['note']}")
    if outstanding:
        print("  deliver a corrected file, or acknowledge one: scv files skip FILE --reason '...'")
    print("\ningested files:")
    for c in report["ingested_counts"]:
        print(
            f"  {c['source']:<18} {c['files']:>6,} files {c['rows']:>12,} rows "
            f"{c['rows_quarantined']:>8,} quarantined  last {c['last_ingested_at']:%Y-%m-%d %H:%M}"
        )
    for f in report["ingested"]:
        print(f"    {f['source']:<18} {f['file_name']}  {f['rows']:,} rows, {f['rows_quarantined']:,} quarantined")


def run(args: argparse.Namespace, config: Config) -> int:
    if args.action == "skip":
        changed = skip(config, args.file, args.reason, args.skip_source)
        if not changed:
            print(f"scv files skip: no outstanding rejected file named {args.file!r}", flush=True)
            return 1
        print(f"skipped {args.file}: it no longer holds the night back", flush=True)
        return 0
    report = collect(config, args.source, args.ingested)
    if args.json:
        print(json.dumps(report, default=str, indent=2))
    else:
        _print(report)
    return 0
