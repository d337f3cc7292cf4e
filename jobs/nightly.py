"""``scv nightly``: ingest, bronze, silver, freshness, gold and data quality for one as-of date or a range.

Bronze and silver take whatever has landed since the last run; gold is computed for the requested as-of dates
(a range is built in one pass) and for the dates already built that the night's late rows reach
(``jobs/restate.py``). Every step prints its line as it ends and lands in ``ops/runs``; every as-of
date gets its verdict in ``ops/nights``: complete, incomplete (an expected source missing) or failed.

Exit codes: 0 complete; 1 a step failed (named on stderr); 2 a usage or configuration error; 3 done but
incomplete (the gold tables are built, an expected source is missing for a date: the alert is held).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from ground.config import Config

if TYPE_CHECKING:
    from ground.run import RunContext, StepResult

EXIT_INCOMPLETE = 3
PHASES = ("check", "bronze", "silver", "restate", "freshness", "gold", "quality")  # in the order a night runs them


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=date.fromisoformat, help="as-of date (default: yesterday, UTC)")
    parser.add_argument("--from", dest="from_date", type=date.fromisoformat, help="first as-of date of a range")
    parser.add_argument(
        "--to", dest="to_date", type=date.fromisoformat, help="last as-of date of a range (default: yesterday)"
    )
    parser.add_argument("--skip-quality", action="store_true", help="skip the Great Expectations checks")


def as_of_dates(args: argparse.Namespace, today: date, future_tolerance_days: int = 0) -> tuple[list[date], str]:
    """The as-of dates asked for, and a note when a default filled a gap (``--from`` without ``--to``).
    A date later than today (UTC) plus the tolerance is refused: its data cannot have arrived."""
    yesterday = today - timedelta(days=1)
    note = ""
    if args.from_date or args.to_date:
        if args.date:
            raise ValueError("give either --date or --from/--to, not both")
        if args.from_date and not args.to_date:
            note = f"--from without --to: running {args.from_date} to yesterday, {yesterday}"
        start = args.from_date or args.to_date
        end = args.to_date or yesterday
        if start > end:
            raise ValueError(f"--from {start} is after --to {end}")
        dates = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    else:
        dates = [args.date or yesterday]
    latest_allowed = today + timedelta(days=future_tolerance_days)
    if dates[-1] > latest_allowed:
        raise ValueError(
            f"{dates[-1]} is in the future (today is {today} UTC): its data cannot have arrived; "
            "run the night for a date that has passed"
        )
    return dates, note


def _print(line: str) -> None:
    print(line, flush=True)


def date_label(dates: list[date]) -> str:
    return str(dates[0]) if len(dates) == 1 else f"{dates[0]}..{dates[-1]} ({len(dates)} dates)"


@dataclass
class NightOutcome:
    results: list[StepResult] = field(default_factory=list)
    missing: dict[date, list[str]] = field(default_factory=dict)  # as-of date -> expected sources missing
    finished_at: datetime | None = None

    @property
    def failed(self) -> list[StepResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def warned(self) -> list[StepResult]:
        return [r for r in self.results if r.status == "warn"]

    @property
    def gaps(self) -> list[str]:
        """What the night lacks on every date (e.g. a rejected file still outstanding)."""
        return [gap for r in self.results for gap in r.gaps]

    def lacks(self, day: date) -> list[str]:
        return self.missing.get(day, []) + self.gaps

    @property
    def is_incomplete(self) -> bool:
        return bool(self.gaps) or any(self.missing.values())

    def verdict(self, day: date) -> str:
        if self.failed:
            return "failed"
        return "incomplete" if self.lacks(day) else "complete"

    @property
    def exit_code(self) -> int:
        if self.failed:
            return 1
        return EXIT_INCOMPLETE if self.is_incomplete else 0


def run_pipeline(
    ctx: RunContext,
    dates: list[date],
    quality: bool = True,
    echo: Callable[[str], None] = _print,
    renew: Callable[[], None] = lambda: None,
) -> NightOutcome:
    """Run every phase for ``dates``; each step's line is echoed as the step ends. A failed source (a file it
    could not take) does not stop the others; a phase that fails as a whole (an error, no landing folder)
    stops the night. The steps land in ops/runs and each date's verdict in ops/nights."""
    from gold.graph import run_gold
    from ground.run import StepResult, record_night, record_steps
    from ground.spark_io import clear_staging
    from jobs.bronze.ingest import run_bronze
    from jobs.check import check_mapping
    from jobs.freshness import check_freshness
    from jobs.quality import run_quality
    from jobs.restate import mark_done, restate
    from jobs.silver.build import run_silver

    outcome = NightOutcome(missing={d: [] for d in dates})
    ctx.as_of_dates = sorted(dates)
    gold_dates = list(dates)  # and the earlier dates the night's late rows reach (jobs/restate.py)

    def freshness() -> Iterator[StepResult]:
        results, missing = check_freshness(ctx, dates)
        outcome.missing.update(missing)
        yield from results

    settles: list[date] = []  # pending restatements the gold phase settles once it has run (jobs/restate.py)

    def late_rows() -> Iterator[StepResult]:
        restated, settled, result = restate(ctx, dates)
        gold_dates[:] = sorted({*dates, *restated})
        settles[:] = settled
        yield result

    def gold() -> Iterator[StepResult]:
        failed = False
        for result in run_gold(ctx, gold_dates):
            failed = failed or result.status == "failed"
            yield result
        if settles and not failed:  # every gold step ran: the pending dates (all among gold's) are rebuilt
            mark_done(ctx, settles)

    runs: dict[str, Callable[[], Iterator[StepResult]]] = {
        "check": lambda: check_mapping(ctx),
        "bronze": lambda: run_bronze(ctx),
        "silver": lambda: run_silver(ctx),
        "restate": late_rows,
        "freshness": freshness,
        "gold": gold,
        "quality": lambda: run_quality(ctx, gold_dates),
    }
    phases = [(phase, runs[phase]) for phase in PHASES if quality or phase != "quality"]
    for phase, steps in phases:
        renew()  # the lease on the lake lasts while the run goes on
        started = time.perf_counter()
        phase_failed = False
        try:
            for result in steps():
                echo(result.line())
                outcome.results.append(result)
                phase_failed = phase_failed or (result.status == "failed" and result.step == phase)
                started = time.perf_counter()
        except Exception as exc:  # a failed step stops the run; it is recorded and reported, not hidden
            failed = StepResult(phase, status="failed", message=f"{type(exc).__name__}: {exc}"[:2000])
            failed.seconds = time.perf_counter() - started
            echo(failed.line())
            outcome.results.append(failed)
            phase_failed = True
        if phase_failed:
            break
    outcome.finished_at = finished_at = datetime.now(UTC)
    record_steps(ctx, dates, outcome.results, finished_at)
    record_night(
        ctx,
        {d: (outcome.verdict(d), outcome.lacks(d)) for d in dates},
        [r.step for r in outcome.failed],
        finished_at,
    )
    clear_staging(ctx.lake_root)
    return outcome


def summary(ctx: RunContext, dates: list[date], outcome: NightOutcome) -> str:
    """The run's one line; its duration is the one ops/runs and scv status show (command start to the
    last record)."""
    seconds = ((outcome.finished_at or datetime.now(UTC)) - ctx.started_at).total_seconds()
    quarantined = sum(r.rows_quarantined for r in outcome.results)
    verdict = "FAILED" if outcome.failed else ("INCOMPLETE" if outcome.is_incomplete else "complete")
    return (
        f"run {ctx.run_id} {date_label(dates)}: {verdict}; {len(outcome.results)} steps, {len(outcome.failed)} "
        f"failed, {len(outcome.warned)} warned, {quarantined:,} rows quarantined, {seconds:.1f}s"
    )


@dataclass
class NightRun:
    """A whole ``scv nightly``: the run's id and what it did (None when another run held the lake)."""

    run_id: str
    dates: list[date]
    outcome: NightOutcome | None
    busy: str = ""  # why the run did not start

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome is None else self.outcome.exit_code


def night(
    config: Config, dates: list[date], quality: bool = True, note: str = "", echo: Callable[[str], None] = _print
) -> NightRun:
    """Hold the lake, start the engine, run every phase for ``dates`` and print the summary."""
    from ground.engine import engine_session
    from ground.lease import LakeBusy, hold
    from ground.run import RunContext, describe_gaps, step_header

    started_at = datetime.now(UTC)
    lease_ttl = timedelta(minutes=config.pipeline.pipeline.lease_minutes)
    try:
        with hold(config.paths.lake_root, "lake", lease_ttl) as lease, engine_session(config.engine) as engine:
            mode = "embedded Sail" if engine.is_embedded else engine.url
            echo(f"scv nightly {date_label(dates)}: engine {mode}, lake {config.paths.lake_root}")
            if note:
                echo(f"note: {note}")
            ctx = RunContext.create(engine.spark, config, started_at=started_at)
            echo(step_header())
            outcome = run_pipeline(ctx, dates, quality=quality, echo=echo, renew=lease.renew)
    except LakeBusy as exc:
        print(f"scv nightly: {exc}; nothing was written", file=sys.stderr)
        return NightRun("", dates, None, busy=str(exc))
    echo(summary(ctx, dates, outcome))
    for result in outcome.failed:
        print(f"FAILED step {result.step}: {result.message}", file=sys.stderr)
    for day in dates:
        if outcome.lacks(day):
            print(f"INCOMPLETE {day}: {describe_gaps(outcome.lacks(day))}", file=sys.stderr)
    return NightRun(ctx.run_id, dates, outcome)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        dates, note = as_of_dates(args, datetime.now(UTC).date(), config.pipeline.pipeline.future_as_of_days)
    except ValueError as exc:
        print(f"scv nightly: {exc}", file=sys.stderr)
        return 2
    return night(config, dates, quality=not args.skip_quality, note=note).exit_code
