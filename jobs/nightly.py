"""``scv nightly``: ingest, bronze, silver, gold and scoring for one as-of date or a range.

Bronze and silver take whatever has landed since the last run; gold and the scores are computed for the
requested as-of dates (a range is built in one pass). Every step prints a progress line and lands in
``ops/runs``; the exit code is non-zero when a step failed, and the failing step is named.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from ground.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=date.fromisoformat, help="as-of date (default: yesterday, UTC)")
    parser.add_argument("--from", dest="from_date", type=date.fromisoformat, help="first as-of date of a range")
    parser.add_argument("--to", dest="to_date", type=date.fromisoformat, help="last as-of date of a range")
    parser.add_argument("--skip-quality", action="store_true", help="skip the Great Expectations checks")


def as_of_dates(args: argparse.Namespace, today: date) -> list[date]:
    if args.from_date or args.to_date:
        if args.date:
            raise ValueError("give either --date or --from/--to, not both")
        start = args.from_date or args.to_date
        end = args.to_date or args.from_date
        if start > end:
            raise ValueError(f"--from {start} is after --to {end}")
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [args.date or today - timedelta(days=1)]


def _print(line: str) -> None:
    print(line, flush=True)


def run_pipeline(ctx, dates: list[date], quality: bool = True, echo: Callable[[str], None] = _print) -> list:
    """Run every step for ``dates`` with an open RunContext; returns the StepResults (also recorded)."""
    from gold.graph import run_gold
    from ground.run import StepResult, record_steps
    from ground.spark_io import clear_staging
    from jobs.bronze.ingest import run_bronze
    from jobs.quality import run_quality
    from jobs.silver.build import run_silver

    phases: list[tuple[str, Callable[[], list[StepResult]]]] = [
        ("bronze", lambda: run_bronze(ctx)),
        ("silver", lambda: run_silver(ctx)),
        ("gold", lambda: run_gold(ctx, dates)),
    ]
    if quality:
        phases.append(("quality", lambda: run_quality(ctx, dates)))
    results: list[StepResult] = []
    for phase, step in phases:
        started = time.perf_counter()
        try:
            phase_results = step()
        except Exception as exc:  # a failed step stops the run; it is recorded and reported, not hidden
            failed = StepResult(phase, status="failed", message=f"{type(exc).__name__}: {exc}"[:2000])
            failed.seconds = time.perf_counter() - started
            phase_results = [failed]
        for result in phase_results:
            echo(result.line())
        results.extend(phase_results)
        if any(r.status == "failed" and r.step == phase for r in phase_results):
            break
    record_steps(ctx, max(dates), results)
    clear_staging(ctx.lake_root)
    return results


def run(args: argparse.Namespace, config: Config) -> int:
    from ground.engine import engine_session
    from ground.run import RunContext

    try:
        dates = as_of_dates(args, datetime.now(UTC).date())
    except ValueError as exc:
        print(f"scv nightly: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    label = str(dates[0]) if len(dates) == 1 else f"{dates[0]}..{dates[-1]} ({len(dates)} dates)"
    with engine_session(config.engine) as engine:
        mode = "embedded Sail" if engine.is_embedded else engine.url
        print(f"scv nightly {label}: engine {mode}, lake {config.paths.lake_root}", flush=True)
        ctx = RunContext.create(engine.spark, config)
        results = run_pipeline(ctx, dates, quality=not args.skip_quality)
    failed = [r for r in results if r.status == "failed"]
    warned = [r for r in results if r.status == "warn"]
    quarantined = sum(r.rows_quarantined for r in results)
    print(
        f"run {ctx.run_id}: {len(results)} steps, {len(failed)} failed, {len(warned)} warned, "
        f"{quarantined:,} rows quarantined, {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    for result in failed:
        print(f"FAILED step {result.step}: {result.message}", file=sys.stderr)
    return 1 if failed else 0
