"""Freshness: after silver, is every expected source there for each as-of date of the run?

A source with a ``freshness`` declaration (``conf/*/sources.yaml``) is missing for an as-of date D when its
silver table holds nothing dated D or later (cadence ``daily``), or nothing in the 7 days ending D
(``weekly``). A quiet day in the middle of the data is not missing; a source whose data stops is. Each
missing source is a ``warn`` (the night is incomplete and the alert held) or a ``failed`` step, as conf says.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from pyspark.sql import functions as F

from ground.catalogue import SILVER_TABLES
from ground.run import RunContext, StepResult
from ground.sources import path_regex, sources_of
from ground.spark_io import read_table


def latest_dates(ctx: RunContext) -> dict[str, date | None]:
    """The latest date each expected source holds in silver (None: no rows at all). When several sources
    feed one table, each is judged on the rows of its own files."""
    latest: dict[str, date | None] = {}
    for name, spec in ctx.sources.items():
        if spec.freshness is None or not spec.freshness.is_expected:
            continue
        silver_df = read_table(ctx.spark, SILVER_TABLES[spec.table], ctx.lake_root)
        if len(sources_of(ctx.sources, spec.table)) > 1:
            silver_df = silver_df.where(F.col("source_file").rlike(path_regex(spec)))
        latest[name] = silver_df.agg(F.max(F.to_date(spec.freshness.date_column)).alias("d")).collect()[0].d
    return latest


def missing_dates(latest: date | None, dates: list[date], cadence_days: int) -> list[date]:
    """The as-of dates for which a source whose data ends on ``latest`` is missing."""
    return [d for d in dates if latest is None or latest < d - timedelta(days=cadence_days - 1)]


def check_freshness(ctx: RunContext, dates: list[date]) -> tuple[list[StepResult], dict[date, list[str]]]:
    """One step per expected source, and per as-of date the sources missing on it."""
    started = time.perf_counter()
    latest = latest_dates(ctx)
    results: list[StepResult] = []
    missing: dict[date, list[str]] = {d: [] for d in dates}
    for name, last in latest.items():
        freshness = ctx.sources[name].freshness
        assert freshness is not None
        gaps = missing_dates(last, dates, freshness.days)
        held = f"data through {last}" if last else "no rows at all"
        result = StepResult(f"freshness:{name}", counts_rows=False, message=f"{held} ({freshness.cadence})")
        if gaps:
            result.status = "failed" if freshness.on_missing == "fail" else "warn"
            span = str(gaps[0]) if len(gaps) == 1 else f"{gaps[0]}..{gaps[-1]} ({len(gaps)} dates)"
            result.message = f"MISSING for {span}: {held}, {freshness.cadence} expected"
            for d in gaps:
                missing[d].append(name)
        results.append(result)
    if results:
        results[-1].seconds = time.perf_counter() - started
    return results, missing
