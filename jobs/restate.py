"""Late rows: the gold dates a night's new silver rows change besides its own.

Gold for as-of date D reads the silver rows dated D or before, so a row dated before the night (a late file, a
correction) changes the gold of every date from its own on. After silver, the night takes the earliest date
among the rows it merged that change what silver held (per source, ``RunContext.silver_earliest``: a row resent
as it was changes nothing), for the sources some gold table kept per as-of date reads
(``gold.graph.dated_readers``), and builds gold, along with its own dates, for the dates the lake has gold for
(``ops/nights``) from there on, up to ``pipeline.restate_days`` before its latest date; older ones are named in a
warning with the command that restates them. The verdicts the lake holds for the restated dates stay as they
were: restating changes their gold, not whether their data had arrived.

The dates are recorded (``ops/restatements``) before gold runs and marked done once a gold phase has rebuilt
them: a night that fails after silver (its late rows are no longer new to a rerun) leaves them pending, and
the next run (that rerun, or the next night) rebuilds them whatever their age.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import functions as F

from gold.graph import dated_readers
from ground.catalogue import OPS_TABLES, SILVER_TABLES
from ground.run import RunContext, StepResult
from ground.spark_io import append, merge_upsert, read_table


def stored_dates(ctx: RunContext) -> set[date]:
    """The as-of dates some earlier run built gold for (whatever its verdict)."""
    nights_df = read_table(ctx.spark, OPS_TABLES["nights"], ctx.lake_root)
    return {r.as_of_date for r in nights_df.select("as_of_date").distinct().collect()}


def pending_dates(ctx: RunContext) -> dict[date, str]:
    """The dates an earlier night set out to restate and no gold phase has rebuilt since: date -> its run."""
    pending_df = read_table(ctx.spark, OPS_TABLES["restatements"], ctx.lake_root).where(F.col("done_run_id").isNull())
    return {r.as_of_date: r.run_id for r in pending_df.select("as_of_date", "run_id").collect()}


def record(ctx: RunContext, days: list[date], reason: str) -> None:
    """The dates this night restates, pending until its gold phase has rebuilt them (``mark_done``)."""
    table = OPS_TABLES["restatements"]
    now = datetime.now(UTC)
    rows = [(d, ctx.run_id, reason, now, None) for d in days]
    append(ctx.spark.createDataFrame(rows, table.ddl), table, ctx.lake_root)


def mark_done(ctx: RunContext, days: list[date]) -> None:
    """The pending restatements of ``days`` done by this run, whose gold phase has rebuilt them."""
    table = OPS_TABLES["restatements"]
    pending_df = read_table(ctx.spark, table, ctx.lake_root).where(
        F.col("done_run_id").isNull() & F.col("as_of_date").isin(*days)
    )
    merge_upsert(ctx.spark, pending_df.withColumn("done_run_id", F.lit(ctx.run_id)), table, ctx.lake_root)


def plan(
    stored: set[date], earliest: dict[str, date], dates: list[date], restate_days: int
) -> tuple[list[date], list[date]]:
    """(the stored dates to restate with ``dates``, the stored dates the late rows reach but are too old to):
    every stored date from the earliest late row's on, but the night's own, split at ``restate_days`` before the
    night's latest date."""
    if not earliest:
        return [], []
    start = min(earliest.values())
    touched = sorted(d for d in stored if d >= start and d not in set(dates))
    oldest = max(dates) - timedelta(days=restate_days)
    return [d for d in touched if d >= oldest], [d for d in touched if d < oldest]


def _read_by_date(ctx: RunContext, source: str) -> bool:
    """Whether a gold table kept per as-of date reads the source's silver rows (``customer_journey``: none,
    so a late journey event restates nothing)."""
    table = SILVER_TABLES[ctx.sources[source].table]
    return bool(dated_readers({table.name, *([table.history] if table.history else [])}))


def _span(days: list[date]) -> str:
    return ", ".join(map(str, days)) if len(days) <= 3 else f"{days[0]}..{days[-1]} ({len(days)} dates)"


def restate(ctx: RunContext, dates: list[date]) -> tuple[list[date], list[date], StepResult]:
    """The dates whose gold this night rebuilds besides its own, the pending restatements its gold phase settles
    (those and any of its own dates an earlier night left pending), and its step: which sources' rows reach
    them, what is restated, and (a warning) what is not."""
    started = time.perf_counter()
    result = StepResult("restate", counts_rows=False)
    earliest = {source: day for source, day in ctx.silver_earliest.items() if _read_by_date(ctx, source)}
    days = ctx.settings.pipeline.restate_days
    chosen, too_old = plan(stored_dates(ctx), earliest, dates, days) if earliest else ([], [])
    pending = pending_dates(ctx)
    left = sorted(set(pending) - set(dates) - set(chosen))
    notes = []
    if chosen or too_old:
        reached = max(chosen + too_old)
        sources = sorted((d, s) for s, d in earliest.items() if d <= reached)
        notes.append("new rows dated from " + ", ".join(f"{d} in {s}" for d, s in sources))
    if chosen:
        notes.append(f"gold of {_span(chosen)} rebuilt with this night's")
        record(ctx, chosen, notes[0])
    if left:
        runs = ", ".join(sorted({pending[d] for d in left}))
        notes.append(f"gold of {_span(left)} rebuilt, left pending by run {runs}")
    if too_old:
        result.status = "warn"
        notes.append(
            f"gold of {_span(too_old)} NOT restated (more than pipeline.restate_days, {days}, before "
            f"{max(dates)}): run `scv nightly --from {too_old[0]} --to {too_old[-1]}`"
        )
    result.message = "; ".join(notes) or "nothing to restate"
    result.seconds = time.perf_counter() - started
    settles = sorted({*chosen, *left, *(set(pending) & set(dates))})
    return sorted({*chosen, *left}), settles, result
