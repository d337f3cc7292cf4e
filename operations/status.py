"""``scv status``: last runs (with what each failed or warned about), table versions and row counts, data quality
and quarantine, without Spark."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from ground.config import Config
from jobs.nightly import PHASES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="how many recent runs to show (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def lake_tables(config: Config) -> list[tuple[str, str]]:
    """(name, location) of every table of the lake: bronze per source, then the catalogue."""
    from ground.catalogue import bronze_location, catalogued_tables

    root = config.paths.lake_root
    bronze = [(f"bronze/{name}", bronze_location(root, name)) for name in config.sources]
    return bronze + [(f"{t.layer}/{t.name}", t.location(root)) for t in catalogued_tables()]


def _seconds(duration: str | None) -> float:
    """DataFusion renders an interval as e.g. '0 days 0 hours 1 mins 6.612 secs'."""
    import re

    if not duration:
        return 0.0
    units = {"days": 86400, "hours": 3600, "mins": 60, "secs": 1}
    return sum(float(value) * units[unit] for value, unit in re.findall(r"([-\d.]+) (days|hours|mins|secs)", duration))


PHASE_ORDER = (
    "case split_part(step, ':', 1) "
    + " ".join(f"when '{phase}' then {n}" for n, phase in enumerate(PHASES))
    + f" else {len(PHASES)} end"
)


def collect_status(config: Config, runs: int = 3, nights: int = 7) -> dict[str, Any]:
    from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES
    from ground.lake import open_table, query, table_summary

    root = config.paths.lake_root
    status: dict[str, Any] = {
        "lake_root": root,
        "tables": {},
        "runs": [],
        "nights": [],
        "quality": [],
        "quarantine": [],
    }
    for name, location in lake_tables(config):
        summary = table_summary(location)
        if summary is not None:
            status["tables"][name] = summary
    runs_table = open_table(OPS_TABLES["runs"].location(root))
    if runs_table is not None:
        status["runs"] = query(
            {"runs": runs_table},
            "select run_id, min(started_at) as started_at, max(as_of_date) as as_of_date, "
            "coalesce(min(first_as_of_date), max(as_of_date)) as first_as_of_date, "
            "sum(case when status = 'failed' then 1 else 0 end) as failed_steps, "
            "sum(case when status = 'warn' then 1 else 0 end) as warned_steps, "
            "sum(rows_quarantined) as rows_quarantined, "
            # the run's wall-clock time, the figure its own summary printed
            "cast(max(finished_at) - min(started_at) as string) as duration "
            f"from runs group by run_id order by started_at desc limit {int(runs)}",
        ).to_pylist()
        for run in status["runs"]:
            run["seconds"] = _seconds(run.pop("duration"))
            run["attention"] = []
        # what each of those runs failed or warned about, in the words its step lines gave
        listed = {run["run_id"]: run for run in status["runs"]}
        if listed:
            ids = ", ".join("'" + run_id.replace("'", "''") + "'" for run_id in listed)
            for step in query(
                {"runs": runs_table},
                "select run_id, step, status, message from runs "
                f"where run_id in ({ids}) and status in ('failed', 'warn') "
                f"order by {PHASE_ORDER}, step",  # a run's steps share its start: in the order the phases run
            ).to_pylist():
                listed[step.pop("run_id")]["attention"].append(step)
    nights_table = open_table(OPS_TABLES["nights"].location(root))
    if nights_table is not None:
        status["nights"] = query(
            {"n": nights_table},
            "select as_of_date, status, missing, failed_steps, message, run_id from ("
            "select *, row_number() over (partition by as_of_date order by finished_at desc) as latest from n"
            f") as ranked where latest = 1 order by as_of_date desc limit {int(nights)}",
        ).to_pylist()
    dq_table = open_table(OPS_TABLES["dq_results"].location(root))
    if dq_table is not None:
        status["quality"] = query(
            {"dq": dq_table},
            "select table_name, expectation, column_name, severity, success, unexpected_count from dq "
            "where run_id = (select run_id from dq order by checked_at desc limit 1) "
            "order by success, table_name, expectation",
        ).to_pylist()
    for layer, column in (("bronze", "reason"), ("silver", "rule")):
        table = open_table(QUARANTINE_TABLES[layer].location(root))
        if table is None:
            continue
        from operations.quarantine import status_expression

        reason = f"split_part({column}, ':', 1)" if layer == "bronze" else column
        # open rows: not an orphan whose parent came later, nor a delivery a corrected one replaced
        still_open = f"where {status_expression(table)} = 'open' "
        status["quarantine"] += query(
            {"q": table},
            f"select '{layer}' as layer, source, {reason} as reason, count(*) as rows from q {still_open}"
            f"group by source, {reason} order by source, rows desc",
        ).to_pylist()
    return status


MESSAGE_CHARS = 400  # of a step's message in the text output


def _print_text(status: dict[str, Any]) -> None:
    print(f"lake: {status['lake_root']}")
    if not status["tables"]:
        print("no tables yet: run `scv nightly` first")
        return
    print("\nlast runs:")
    for run in status["runs"]:
        verdict = "FAILED" if run["failed_steps"] else ("warn" if run["warned_steps"] else "ok")
        first, last = run["first_as_of_date"], run["as_of_date"]
        dates = str(last) if first == last else f"{first}..{last} ({(last - first).days + 1} dates)"
        print(
            f"  {run['run_id']}  as of {dates:<33} {verdict:<6} "
            f"quarantined {run['rows_quarantined']:>8,}  {run['seconds']:7.1f}s"
        )
        for step in run["attention"]:  # the message's first line (an engine error runs on; --json has it all)
            first = (step["message"] or "").strip().split("\n", 1)[0]
            first = first if len(first) <= MESSAGE_CHARS else first[: MESSAGE_CHARS - 3] + "..."
            print(f"      {step['status']:<6} {step['step']}: {first}".rstrip())
    if status["nights"]:
        print("\nnights (the latest verdict on each as-of date):")
        for night in status["nights"]:
            detail = f"  {night['message']}" if night["status"] != "complete" else ""
            print(f"  {night['as_of_date']}  {night['status']:<10}{detail}".rstrip())
    print("\ntables (version, rows, last operation):")
    for name, summary in status["tables"].items():
        when = datetime.fromtimestamp((summary["timestamp_ms"] or 0) / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        print(f"  {name:<42} v{summary['version']:<5} {summary['rows']:>12,}  {summary['operation']} {when}")
    failed = [q for q in status["quality"] if not q["success"]]
    print(f"\ndata quality (last run): {len(status['quality'])} expectations, {len(failed)} not met")
    for q in failed:
        print(
            f"  {q['severity']:<4} {q['table_name']}: {q['expectation']}({q['column_name']}) "
            f"{q['unexpected_count']} unexpected"
        )
    print("\nquarantine (open rows; scv quarantine lists them):")
    for q in status["quarantine"]:
        print(f"  {q['layer']:<6} {q['source']:<18} {q['reason']:<20} {q['rows']:>8,}")


def run(args: argparse.Namespace, config: Config) -> int:
    status = collect_status(config, runs=args.runs)
    if args.json:
        print(json.dumps(status, default=str, indent=2))
    else:
        _print_text(status)
    return 0
