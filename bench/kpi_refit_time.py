"""Time one weekly refit of kpi_forecast on a built lake (docs/kpi.md, cost of a night).

    SCV_LAKE_ROOT=<lake> python bench/kpi_refit_time.py 2026-10-25

Stages kpi_dealer_daily and kpi_series for the date (an origin: the refit weekday), deletes the stored fit of
that origin (a stored fit whose history is unchanged would be reused, not refitted), then runs the kpi_forecast
step for it: it fits that origin and any other it needs that is not stored, and reads the rest as stored.
Prints the step line and its wall seconds. The lake's kpi_forecast keeps the new fit.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pyspark.sql import functions as F

    from gold.graph import GoldRun, build_python_table, register_run_inputs, sql_params, stage_view
    from ground.catalogue import GOLD_TABLES, GOLD_VIEWS
    from ground.config import load_config
    from ground.engine import engine_session
    from ground.lake import open_table
    from ground.run import RunContext

    day = date.fromisoformat(sys.argv[1])
    config = load_config()
    stored = open_table(GOLD_TABLES["kpi_forecast"].location(config.paths.lake_root))
    if stored is not None:
        stored.delete(f"as_of_date = '{day.isoformat()}'")
    with engine_session(config.engine) as engine:
        ctx = RunContext.create(engine.spark, config)
        run = GoldRun(ctx, [day], sql_params(ctx))
        register_run_inputs(run)
        geo = engine.spark.read.format("delta").load(GOLD_TABLES["dealer_geo"].location(config.paths.lake_root))
        run.register("dealer_geo", geo.where(F.col("as_of_date") == day))
        for name in ("kpi_dealer_daily", "kpi_series"):
            print(stage_view(run, GOLD_VIEWS[name]).line(), flush=True)
        started = time.perf_counter()
        for result in build_python_table(run, GOLD_TABLES["kpi_forecast"]):
            print(result.line(), flush=True)
        print(f"kpi_forecast step: {time.perf_counter() - started:.1f} s wall")


if __name__ == "__main__":
    main()
