"""``scv run-night``: the whole night without a person, for a scheduler (cron, systemd, a cluster's job).

1. ``scv nightly`` for the date (default yesterday), or with ``--catch-up`` for every date since the last
   recorded night (a holiday, an outage), oldest first, in one pass.
2. The alerts, only when the night is complete: the leadership email for the latest date (at most one per
   alert type; after a catch-up it says which dates it covers). When the night failed or is incomplete the
   alerts are held and the data team gets the operator's morning report instead.
3. Maintenance of the tables that call for it (``operations.maintenance``: too many files, or not compacted
   for a week).

Exit codes: 0 done; 1 failed (a step, a delivery, or another run holds the lake); 3 done but incomplete,
alerts held; 2 a usage or configuration error. Safe to rerun after a failure: bronze skips what it took, gold
is rewritten as it was, and the ledger stops any email from going twice.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta

from ground.config import Config

EXIT_FAILED, EXIT_INCOMPLETE = 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=date.fromisoformat, help="as-of date (default: yesterday, UTC)")
    parser.add_argument(
        "--catch-up", action="store_true", help="run every date since the last recorded night, up to yesterday"
    )
    parser.add_argument("--skip-alert", action="store_true", help="do not send the alerts (the report still goes)")
    parser.add_argument("--skip-maintain", action="store_true", help="no table maintenance tonight")
    parser.add_argument("--dry-run-alert", action="store_true", help="write the emails to the outbox, send none")


def last_recorded_night(lake_root: str) -> date | None:
    from ground.catalogue import OPS_TABLES
    from ground.lake import open_table, query

    table = open_table(OPS_TABLES["nights"].location(lake_root))
    if table is None:
        return None
    value = query({"n": table}, "select max(as_of_date) as d from n").column("d")[0].as_py()
    return value  # type: ignore[no-any-return]


def night_dates(args: argparse.Namespace, config: Config, today: date) -> tuple[list[date], str]:
    """The dates to run, and the gap a catch-up closes ('' when none)."""
    yesterday = today - timedelta(days=1)
    if not args.catch_up:
        day = args.date or yesterday
        if day > today + timedelta(days=config.pipeline.pipeline.future_as_of_days):
            raise ValueError(f"{day} is in the future (today is {today} UTC)")
        return [day], ""
    if args.date:
        raise ValueError("give either --date or --catch-up")
    last = last_recorded_night(config.paths.lake_root)
    first = yesterday if last is None or last >= yesterday else last + timedelta(days=1)
    limit = config.pipeline.operations.catch_up_max_days
    dates = [first + timedelta(days=i) for i in range((yesterday - first).days + 1)]
    if len(dates) > limit:
        raise ValueError(
            f"{len(dates)} dates since the last recorded night ({last}): more than operations.catch_up_max_days "
            f"({limit}); run `scv nightly --from {first} --to {dates[-limit - 1]}` first, then catch up"
        )
    gap = ""
    if len(dates) > 1:
        gap = (
            f"Catch-up after a gap: no report went out for {dates[0]} to {dates[-2]}; "
            f"this one is for {dates[-1]} and the gold tables hold every date."
        )
    return dates, gap


def _operator_report(config: Config, run_id: str, dates: list[date], outcome: object, args: argparse.Namespace) -> str:
    from alert_agent.operator import OperatorReport, outstanding_rejections, send_operator_report
    from ground.run import describe_gaps
    from jobs.nightly import NightOutcome

    assert isinstance(outcome, NightOutcome)
    rerun = "scv run-night --catch-up" if len(dates) > 1 else f"scv run-night --date {dates[-1]}"
    report = OperatorReport(
        as_of=dates[-1],
        verdict="failed" if outcome.failed else "incomplete",
        run_id=run_id,
        dates=tuple(dates),
        failed_steps=tuple((r.step, r.message) for r in outcome.failed),
        missing=tuple((d, describe_gaps(outcome.lacks(d))) for d in dates if outcome.lacks(d)),
        warnings=tuple((r.step, r.message) for r in outcome.warned),
        rejected_files=outstanding_rejections(config.paths.lake_root),
        rerun=rerun,
    )
    outcomes = send_operator_report(config, report, is_dry_run=args.dry_run_alert)
    for o in outcomes:
        print(f"  operator report {o.status:<8} {o.recipient}{' (' + o.detail + ')' if o.detail else ''}", flush=True)
    sent = sum(o.status in ("sent", "dry-run") for o in outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    return f"operator report to {sent}" + (f", {len(failed)} failed" if failed else "")


def _alerts(
    config: Config, as_of: date, gap: str, args: argparse.Namespace, covers_from: date | None = None
) -> tuple[str, bool]:
    """Send the leadership alert for the date (covering the dates from ``covers_from`` after a gap); (summary,
    any delivery failed)."""
    from alert_agent.cli import print_report
    from alert_agent.gold import GoldInputError
    from alert_agent.night import NightNotComplete
    from alert_agent.run import run_alert

    try:
        result = run_alert(config, as_of=as_of, is_dry_run=args.dry_run_alert, note=gap, covers_from=covers_from)
    except (GoldInputError, NightNotComplete) as exc:
        print(f"scv run-night: alert not sent: {exc}", file=sys.stderr)
        return "alert not sent", True
    print_report(result)
    counts = {s: sum(o.status == s for o in result.outcomes) for s in ("sent", "skipped", "failed", "dry-run")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no recipient"
    return f"alert {summary}", result.exit_code != 0


def run(args: argparse.Namespace, config: Config) -> int:
    from jobs.nightly import night
    from operations.maintain import maintain_due

    started = time.perf_counter()
    try:
        dates, gap = night_dates(args, config, datetime.now(UTC).date())
    except ValueError as exc:
        print(f"scv run-night: {exc}", file=sys.stderr)
        return 2
    if gap:
        print(f"note: {gap}", flush=True)
    done = night(config, dates)
    parts: list[str] = []
    code = 0
    outcome = done.outcome
    if outcome is None:
        parts.append(f"not run: {done.busy}")
        code = EXIT_FAILED
    elif outcome.failed or outcome.is_incomplete:
        verdict = "FAILED" if outcome.failed else "INCOMPLETE"
        parts += [f"night {verdict}", "alerts held", _operator_report(config, done.run_id, dates, outcome, args)]
        code = EXIT_FAILED if outcome.failed else EXIT_INCOMPLETE
    else:
        parts.append("night complete")
        if args.skip_alert:
            parts.append("alerts skipped (--skip-alert)")
        else:
            summary, failed = _alerts(config, dates[-1], gap, args, dates[0] if gap else None)
            parts.append(summary)
            code = EXIT_FAILED if failed else 0
    if outcome is not None and not args.skip_maintain and not outcome.failed:
        maintained = maintain_due(config)
        for result, reason in maintained:
            state = f"FAILED {result.error}" if result.error else f"files {result.files_before} -> {result.files_after}"
            print(f"  maintain {result.name}: {reason}; {state}", flush=True)
        parts.append(f"{len(maintained)} table(s) maintained")
        if any(result.error for result, _ in maintained):
            code = code or EXIT_FAILED
    label = str(dates[0]) if len(dates) == 1 else f"{dates[0]}..{dates[-1]}"
    print(f"run-night {label}: {'; '.join(parts)}; exit {code}; {time.perf_counter() - started:.1f}s", flush=True)
    return code
