"""Late rows: the gold dates a night's new silver rows change besides its own.

Gold for as-of date D reads the silver rows dated D or before, so a row dated before the night (a late file, a
correction) changes the gold of every date from its own on. After silver, the night takes the earliest date
among the rows it merged that change what silver held (per source, ``RunContext.silver_earliest``: a row resent
as it was changes nothing), for the sources some gold table kept per as-of date reads
(``gold.graph.dated_readers``), and builds gold, along with its own dates, for the dates the lake has gold for
(``ops/nights``) from there on, up to ``pipeline.restate_days`` before its latest date; older ones are named in a
warning with the command that restates them. The verdicts the lake holds for the restated dates stay as they
were: restating changes their gold, not whether their data had arrived.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from gold.graph import dated_readers
from ground.catalogue import OPS_TABLES, SILVER_TABLES
from ground.run import RunContext, StepResult
from ground.spark_io import read_table


def stored_dates(ctx: RunContext) -> set[date]:
    """The as-of dates some earlier run built gold for (whatever its verdict)."""
    nights_df = read_table(ctx.spark, OPS_TABLES["nights"], ctx.lake_root)
    return {r.as_of_date for r in nights_df.select("as_of_date").distinct().collect()}


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


def restate(ctx: RunContext, dates: list[date]) -> tuple[list[date], StepResult]:
    """The dates whose gold this night rebuilds besides its own, and its step: which sources' rows reach them,
    what is restated, and (a warning) what is not."""
    started = time.perf_counter()
    result = StepResult("restate", counts_rows=False)
    earliest = {source: day for source, day in ctx.silver_earliest.items() if _read_by_date(ctx, source)}
    days = ctx.settings.pipeline.restate_days
    chosen, too_old = plan(stored_dates(ctx), earliest, dates, days) if earliest else ([], [])
    if not chosen and not too_old:
        result.message = "nothing to restate"
    else:
        reached = max(chosen + too_old)
        sources = sorted((d, s) for s, d in earliest.items() if d <= reached)
        notes = ["new rows dated from " + ", ".join(f"{d} in {s}" for d, s in sources)]
        if chosen:
            notes.append(f"gold of {_span(chosen)} rebuilt with this night's")
        if too_old:
            result.status = "warn"
            notes.append(
                f"gold of {_span(too_old)} NOT restated (more than pipeline.restate_days, {days}, before "
                f"{max(dates)}): run `scv nightly --from {too_old[0]} --to {too_old[-1]}`"
            )
        result.message = "; ".join(notes)
    result.seconds = time.perf_counter() - started
    return chosen, result
