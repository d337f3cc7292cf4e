"""Rerun the kpi_anomalies step over every as-of date of a built lake (tune or check the detector without a
night): the forecasts are read as stored, so the detector's own settings and code are all that change.

    SCV_LAKE_ROOT=<lake> python bench/kpi_redetect.py
    SCV_LAKE_ROOT=<lake> ... scv evaluate --json    # then the metrics, as after a night

Stages kpi_dealer_daily and kpi_series for the lake's as-of dates (those of kpi_daily), as one run of all of
them (a backfill), registers the stored kpi_forecast and runs the kpi_anomalies step, which replaces its rows
of those dates.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pyspark.sql import functions as F

    from gold.graph import GoldRun, build_python_table, register_run_inputs, sql_params, stage_view
    from ground.catalogue import GOLD_TABLES, GOLD_VIEWS
    from ground.config import load_config
    from ground.engine import engine_session
    from ground.lake import read_table
    from ground.run import RunContext

    config = load_config()
    lake = config.paths.lake_root
    daily = read_table(f"{lake}/gold/kpi_daily", columns=["as_of_date"])
    if daily is None:
        raise SystemExit(f"no kpi_daily under {lake}")
    dates = sorted(set(daily.column("as_of_date").to_pylist()))
    with engine_session(config.engine) as engine:
        ctx = RunContext.create(engine.spark, config)
        run = GoldRun(ctx, dates, sql_params(ctx))
        register_run_inputs(run)
        geo = engine.spark.read.format("delta").load(GOLD_TABLES["dealer_geo"].location(lake))
        run.register("dealer_geo", geo.where(F.col("as_of_date") == dates[-1]))
        for name in ("kpi_dealer_daily", "kpi_series"):
            print(stage_view(run, GOLD_VIEWS[name]).line(), flush=True)
        run.register("kpi_forecast", engine.spark.read.format("delta").load(GOLD_TABLES["kpi_forecast"].location(lake)))
        started = time.perf_counter()
        for result in build_python_table(run, GOLD_TABLES["kpi_anomalies"]):
            print(result.line(), flush=True)
        print(
            f"kpi_anomalies over {len(dates)} dates ({dates[0]} to {dates[-1]}): {time.perf_counter() - started:.1f} s"
        )


if __name__ == "__main__":
    main()
