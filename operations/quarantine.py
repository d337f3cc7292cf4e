"""``scv quarantine``: the lines and rows the lake set aside, with the file, line, rule, column and value, so a
person can see what went wrong and tell the source system. ``--csv OUT`` exports them for a spreadsheet, with
every value that a spreadsheet would run as a formula neutralised. Reads with delta-rs, no Spark.

Open rows only by default: an orphan whose parent arrived later (resolved) and the rows of a delivery that a
corrected one replaced (superseded) are closed; ``--all`` shows them too.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from ground.catalogue import QUARANTINE_TABLES
from ground.config import Config
from ground.lake import open_table, query

COLUMNS = ["layer", "source", "source_file", "source_line", "rule", "column_name", "value", "status", "run_id"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--rule", help="only this rule or reason (e.g. bad_date, wrong_field_count)")
    parser.add_argument("--file", help="only files whose name contains this")
    parser.add_argument("--layer", choices=["bronze", "silver"], help="only lines (bronze) or rows (silver)")
    parser.add_argument("--all", action="store_true", help="closed rows too (resolved or superseded)")
    parser.add_argument("--limit", type=int, default=50, help="rows to print (default 50; --csv takes all)")
    parser.add_argument("--csv", type=Path, metavar="OUT", help="write every matching row to this CSV file")


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def status_expression(table: Any) -> str:
    """SQL saying whether a quarantine row is open, resolved (an orphan whose parent came) or superseded."""
    fields = {f.name for f in table.schema().fields}
    superseded = "superseded_run_id is not null" if "superseded_run_id" in fields else "false"
    resolved = "resolved_run_id is not null" if "resolved_run_id" in fields else "false"
    return f"case when {superseded} then 'superseded' when {resolved} then 'resolved' else 'open' end"


def collect(config: Config, args: argparse.Namespace) -> pa.Table:
    parts = []
    for layer, rule, column, value, text in (
        ("bronze", "split_part(reason, ':', 1)", "''", "raw_line", "reason"),
        ("silver", "rule", "column_name", "value", "rule"),
    ):
        if args.layer and args.layer != layer:
            continue
        table = open_table(QUARANTINE_TABLES[layer].location(config.paths.lake_root))
        if table is None:
            continue
        filters = []
        if args.source:
            filters.append(f"source = {_text(args.source)}")
        if args.rule:
            filters.append(f"{rule} = {_text(args.rule)}")
        if args.file:
            filters.append(f"strpos(source_file, {_text(args.file)}) > 0")
        status = status_expression(table)
        if not args.all:
            filters.append(f"{status} = 'open'")
        where = f"where {' and '.join(filters)}" if filters else ""
        parts.append(
            query(
                {"q": table},
                f"select '{layer}' as layer, source, source_file, source_line, {text} as rule, "
                f"{column} as column_name, {value} as value, {status} as status, run_id from q {where} "
                "order by source, source_file, source_line",
            )
        )
    if not parts:
        return pa.table({c: pa.array([], pa.string()) for c in COLUMNS})
    return pa.concat_tables([p.cast(parts[0].schema) for p in parts])


def neutralised(value: Any) -> Any:
    """A value a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: list[dict[str, Any]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([neutralised(row[c]) for c in COLUMNS])


def _short(value: Any, width: int = 60) -> str:
    text = "" if value is None else str(value).replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 3] + "..."


def run(args: argparse.Namespace, config: Config) -> int:
    rows = collect(config, args).to_pylist()
    if args.csv:
        write_csv(rows, args.csv)
        print(f"{len(rows):,} quarantined row(s) written to {args.csv}", flush=True)
        return 0
    for row in rows[: args.limit]:
        where = f"{row['source_file']}:{row['source_line']}"
        column = f" {row['column_name']}" if row["column_name"] else ""
        closed = f" [{row['status']}]" if row["status"] != "open" else ""
        print(f"{row['layer']:<6} {where}  {row['rule']}{column}{closed}  {_short(row['value'])!r}")
    shown = min(len(rows), args.limit)
    more = f" (showing {shown}; --limit or --csv for the rest)" if len(rows) > shown else ""
    print(f"{len(rows):,} quarantined row(s){more}", file=sys.stderr if rows else sys.stdout)
    return 0
