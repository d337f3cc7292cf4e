"""Late rows: the gold dates a night's new silver rows change besides its own.

Gold for as-of date D reads the silver rows dated D or before, so a row dated before the night (a late file, a
correction) changes the gold of every date from its own on. Silver takes, per source, the earliest date among
the rows it merged that change what it held (``RunContext.silver_earliest``: a row resent as it was changes
nothing) and, for the sources some gold table kept per as-of date reads (``gold.graph.dated_readers``), records
the dates the lake has gold for (``ops/nights``) from there on, up to ``pipeline.restate_days`` before the
night's latest date, as pending in ``ops/restatements`` (``note_late_rows``, before the source's progress mark).
The ``restate`` step then hands gold every pending date besides the night's own (this night's, and those a night
that failed left: its late rows are no longer new to a rerun) and warns, naming the command, about the dates
further back; the gold phase marks them done once it has run (``mark_done``). The verdicts the lake holds for
the restated dates stay as they were: restating changes their gold, not whether their data had arrived.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import functions as F

from ground.catalogue import OPS_TABLES
from ground.run import RunContext, StepResult
from ground.spark_io import append, merge_upsert, read_table


def stored_dates(ctx: RunContext) -> set[date]:
    """The as-of dates earlier runs covered (whatever their verdict), read once per run (``ops/nights`` only
    changes at a run's end)."""
    if ctx.built_dates is None:
        nights_df = read_table(ctx.spark, OPS_TABLES["nights"], ctx.lake_root)
        ctx.built_dates = {r.as_of_date for r in nights_df.select("as_of_date").distinct().collect()}
    return ctx.built_dates


def pending_dates(ctx: RunContext) -> dict[date, set[str]]:
    """The dates a night (this one, or an earlier one that failed) set out to restate and no gold phase has
    rebuilt since: date -> the runs that asked."""
    pending_df = read_table(ctx.spark, OPS_TABLES["restatements"], ctx.lake_root).where(F.col("done_run_id").isNull())
    pending: dict[date, set[str]] = {}
    for r in pending_df.select("as_of_date", "run_id").collect():
        pending.setdefault(r.as_of_date, set()).add(r.run_id)
    return pending


def note_late_rows(ctx: RunContext, source: str, earliest: date) -> None:
    """Silver merged rows of ``source`` that change its dates from ``earliest`` on: the built dates they reach
    (within ``pipeline.restate_days``) are recorded as pending at once, before the source's progress mark, so
    that a night that fails later in silver or in gold leaves them to the next run."""
    if not ctx.as_of_dates:  # silver without a night (scv reprocess, which rebuilds the lake's gold dates itself)
        return
    chosen, _ = reached(ctx, earliest)
    new = [d for d in chosen if d not in ctx.restating]
    if new:
        record(ctx, new, f"rows of {source} dated from {earliest}")
        ctx.restating.update(new)


def reached(ctx: RunContext, earliest: date) -> tuple[list[date], list[date]]:
    """``plan`` for rows of this night dated from ``earliest``: (the built dates to restate, those too old to)."""
    return plan(stored_dates(ctx), {"": earliest}, ctx.as_of_dates, ctx.settings.pipeline.restate_days)


def reaches_built(ctx: RunContext, earliest: date) -> bool:
    """Whether rows dated from ``earliest`` reach any date the lake has gold for besides the night's own: only
    then is it worth asking which of them change what silver held (none does on a first night)."""
    chosen, too_old = reached(ctx, earliest)
    return bool(chosen or too_old)


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


def _span(days: list[date]) -> str:
    return ", ".join(map(str, days)) if len(days) <= 3 else f"{days[0]}..{days[-1]} ({len(days)} dates)"


def restate(ctx: RunContext, dates: list[date]) -> tuple[list[date], list[date], StepResult]:
    """The dates whose gold this night rebuilds besides its own (the pending ones: recorded by its silver step,
    or left by a night that failed), the pending restatements its gold phase settles (those and any of its own
    dates left pending), and its step: which sources' rows reach them, what is restated, and (a warning) what is
    not."""
    started = time.perf_counter()
    result = StepResult("restate", counts_rows=False)
    earliest = ctx.silver_earliest
    days = ctx.settings.pipeline.restate_days
    _, too_old = plan(stored_dates(ctx), earliest, dates, days) if earliest else ([], [])
    pending = pending_dates(ctx)
    own = sorted(d for d, runs in pending.items() if ctx.run_id in runs and d not in dates)
    left = sorted(d for d, runs in pending.items() if ctx.run_id not in runs and d not in dates and d not in own)
    notes = []
    if own or too_old:
        reached = max(own + too_old)
        sources = sorted((d, s) for s, d in earliest.items() if d <= reached)
        notes.append("new rows dated from " + ", ".join(f"{d} in {s}" for d, s in sources))
    if own:
        notes.append(f"gold of {_span(own)} to be rebuilt with this night's")
    if left:
        runs = ", ".join(sorted({r for d in left for r in pending[d]}))
        notes.append(f"gold of {_span(left)} to be rebuilt, left pending by run {runs}")
    if too_old:
        result.status = "warn"
        notes.append(
            f"gold of {_span(too_old)} NOT restated (more than pipeline.restate_days, {days}, before "
            f"{max(dates)}): run `scv nightly --from {too_old[0]} --to {too_old[-1]}`"
        )
    result.message = "; ".join(notes) or "nothing to restate"
    result.seconds = time.perf_counter() - started
    return sorted({*own, *left}), sorted(pending), result
