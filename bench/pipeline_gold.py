"""The pipeline's side of the pandas baseline: the gold step for the same tables, on the engine.

    python bench/pipeline_gold.py --lake var/lake --date 2026-11-21
    python bench/pipeline_gold.py --lake var/lake --from 2026-10-08 --to 2026-11-21

Starts the engine from configuration (embedded Sail by default) and runs the declared gold graph
(gold/graph.py) for the as-of dates, but only the nodes the pandas baseline computes and what they read:
the market tables (dealer features, the taluka surge detector and hotspots, the top talukas) and
scv_customer_score (with its history). Each table's rows for the dates are replaced in the lake, as
`scv nightly` does; a rerun writes the same rows. Nothing else of a night runs (no bronze, silver, quality
or win-rate tables), so its time and the baseline's are the same work: silver in, the same gold tables out.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pandas_baseline import TABLES  # noqa: E402


def market_nodes() -> list[str]:
    """The graph's nodes the baseline's tables need, in the graph's order."""
    from ground.catalogue import GOLD_TABLES, GOLD_VIEWS

    inputs = {name: table.inputs for name, table in GOLD_TABLES.items()}
    inputs.update({name: view.inputs for name, view in GOLD_VIEWS.items()})
    needed: set[str] = set()
    pending = [name for name in TABLES if GOLD_TABLES[name].built_by is None]
    while pending:
        name = pending.pop()
        if name not in needed and name in inputs:
            needed.add(name)
            pending.extend(inputs[name])
    from gold.graph import graph_order

    return [name for name in graph_order() if name in needed]


def run_market_gold(config: object, dates: list[date], echo: bool = True) -> None:
    from gold.graph import GoldRun, build_python_table, build_sql_table, register_run_inputs, run_sql, sql_params
    from gold.graph import stage_view as stage_gold_view
    from ground.catalogue import GOLD_TABLES, GOLD_VIEWS
    from ground.engine import engine_session
    from ground.run import RunContext
    from ground.spark_io import clear_staging

    with engine_session(config.engine) as engine:  # type: ignore[attr-defined]
        ctx = RunContext.create(engine.spark, config)  # type: ignore[arg-type]
        run = GoldRun(ctx, sorted(set(dates)), sql_params(ctx))
        try:
            register_run_inputs(run)
            for name in market_nodes():
                if name in GOLD_VIEWS and GOLD_VIEWS[name].staged:
                    results = [stage_gold_view(run, GOLD_VIEWS[name])]
                elif name in GOLD_VIEWS:
                    run.register(name, run_sql(run.spark, name, run.params, folder="views"))
                    results = []
                elif GOLD_TABLES[name].logic == "sql":
                    results = [build_sql_table(run, GOLD_TABLES[name])]
                else:
                    results = build_python_table(run, GOLD_TABLES[name])
                for result in results:
                    if echo:
                        print(result.line(), flush=True)
        finally:
            run.drop_views()
            clear_staging(ctx.lake_root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", help="lake root holding silver/ (default: the configured lake_root)")
    parser.add_argument("--date", type=date.fromisoformat, help="one as-of date")
    parser.add_argument("--from", dest="from_date", type=date.fromisoformat, help="first as-of date of a range")
    parser.add_argument("--to", dest="to_date", type=date.fromisoformat, help="last as-of date of a range")
    args = parser.parse_args(argv)
    if args.date:
        dates = [args.date]
    elif args.from_date and args.to_date and args.from_date <= args.to_date:
        dates = [args.from_date + timedelta(days=i) for i in range((args.to_date - args.from_date).days + 1)]
    else:
        raise SystemExit("give --date D, or --from D1 --to D2 with D1 <= D2")
    if args.lake:
        os.environ["SCV_LAKE_ROOT"] = args.lake
    from ground.config import load_config

    started = time.perf_counter()
    run_market_gold(load_config(), dates)
    print(f"pipeline gold ({len(TABLES)} tables), {len(dates)} date(s): {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
