"""Win-rate driver alerts (``sql/gold/win_rate_driver_alerts.sql``), evaluated over trailing dates.

An alert is raised once per episode: the run of dates on which its condition holds. To know whether a
condition held on the days before an as-of date without depending on which dates ran before (or in which
order), the conditions are evaluated over the ``win_rate.alerts.lookback_days`` dates before each as-of date
as well: the upstream tables' SQL (win_rate_by_segment, win_rate_change_decomposition, rep_consistency) is run
again for those dates (win_rate_counts, win_rate_by_segment, win_rate_change_decomposition, rep_consistency),
each staged once, then the alerts SQL reads them. Only the windows the alerts use are computed, and no
consultant rows but rep_consistency's. The rows of the run's own dates are written.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gold.graph import GoldRun, run_sql, staged_view_name
from ground.catalogue import GOLD_TABLES, staging_location
from ground.run import StepResult
from ground.spark_io import replace_dates, stage

TABLE = "win_rate_driver_alerts"
UPSTREAM = ("win_rate_by_segment", "win_rate_change_decomposition", "rep_consistency")
COUNTS = "win_rate_counts"  # the staged view win_rate_by_segment reads


def trailing_dates(dates: list[date], lookback_days: int) -> list[date]:
    """Every date within ``lookback_days`` before one of ``dates``, and the dates themselves, in order."""
    days = {d - timedelta(days=k) for d in dates for k in range(lookback_days + 1)}
    return sorted(days)


def alert_windows(run: GoldRun) -> str:
    """The win_rate.windows the alerts read, in the ``days:prior_days`` form of the SQL parameter."""
    settings = run.ctx.settings.win_rate
    used = {settings.alerts.drop.window_days, settings.alerts.below_parent.window_days, settings.alerts.mix.window_days}
    return ",".join(f"{w.days}:{w.prior_days}" for w in settings.windows if w.days in used)


def _as_of_dates(run: GoldRun, dates: list[date]) -> DataFrame:
    return run.spark.createDataFrame([(d,) for d in dates], "as_of_date date")


def _stored(run: GoldRun, name: str) -> DataFrame:
    """A gold table's rows of the run's dates, as the graph registered it after building it."""
    location = GOLD_TABLES[name].location(run.lake_root)
    return run.spark.read.format("delta").load(location).where(F.col("as_of_date").isin(*run.dates))


def _staged_view(run: GoldRun, name: str) -> DataFrame:
    return run.spark.read.format("delta").load(staging_location(run.lake_root, staged_view_name(name)))


def build(run: GoldRun) -> list[StepResult]:
    started = time.perf_counter()
    spark = run.spark
    settings = run.ctx.settings.win_rate
    dates = trailing_dates(run.dates, settings.alerts.lookback_days)
    params = {**run.params, "win_rate_windows": alert_windows(run)}
    try:
        run.register("as_of_dates", _as_of_dates(run, dates))
        # no consultant rows: the alerts read consultants from rep_consistency only
        run.register("win_rate_daily", _staged_view(run, "win_rate_daily").where(F.col("dimension") != "rep"))
        counts = run_sql(spark, COUNTS, params, folder="views")
        run.register(COUNTS, stage(spark, counts, run.lake_root, f"alerts_{COUNTS}"))
        for name in UPSTREAM:
            computed = stage(spark, run_sql(spark, name, params), run.lake_root, f"alerts_{name}")
            run.register(name, computed)
        alerts_df = run_sql(spark, TABLE, params).where(F.col("as_of_date").isin(*run.dates))
        table = GOLD_TABLES[TABLE]
        replace_dates(alerts_df, table, run.lake_root, run.dates)
    finally:  # what the graph registered for the run's dates, for any node after this one
        run.register("as_of_dates", _as_of_dates(run, run.dates))
        run.register("win_rate_daily", _staged_view(run, "win_rate_daily"))
        run.register(COUNTS, _staged_view(run, COUNTS))
        for name in UPSTREAM:
            run.register(name, _stored(run, name))
    written = _stored(run, TABLE)
    run.register(TABLE, written)
    rows = written.count()
    new = written.where(F.col("is_new")).count()
    return [
        StepResult(
            f"gold:{TABLE}",
            rows_out=rows,
            seconds=time.perf_counter() - started,
            message=f"{new} new episode(s)" if new else "",
        )
    ]
