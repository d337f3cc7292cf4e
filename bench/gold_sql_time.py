"""Time one gold table's SQL over a range of as-of dates on a lake, as the gold graph would run it, and hash its
rows: to try another formulation of a table's SQL against the one in sql/gold/ (the same rows, and how long).

    SCV_LAKE_ROOT=<lake> python bench/gold_sql_time.py funnel_stage_conversion --from 2026-09-17 --to 2026-10-31
    SCV_LAKE_ROOT=<lake> python bench/gold_sql_time.py funnel_stage_conversion --sql /tmp/other.sql ...

The staged views the table reads (``View.staged`` in ground/catalogue/gold.py) are staged first, untimed; each
repeat then runs the SQL twice (a count and a collect) and prints its seconds; the last line is a hash of the
sorted rows.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", help="a gold table whose logic is SQL (sql/gold/<table>.sql)")
    parser.add_argument("--from", dest="first", required=True, type=date.fromisoformat)
    parser.add_argument("--to", dest="last", required=True, type=date.fromisoformat)
    parser.add_argument("--sql", type=Path, help="run this SQL instead of sql/gold/<table>.sql")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from gold.graph import GoldRun, read_sql, register_run_inputs, run_sql_text, sql_params, stage_view
    from ground.catalogue import GOLD_TABLES, GOLD_VIEWS
    from ground.config import load_config
    from ground.engine import engine_session
    from ground.run import RunContext

    text = args.sql.read_text(encoding="utf-8") if args.sql else read_sql(args.table)
    config = load_config()
    with engine_session(config.engine) as engine:
        ctx = RunContext.create(engine.spark, config)
        dates = [args.first + timedelta(days=i) for i in range((args.last - args.first).days + 1)]
        run = GoldRun(ctx, dates, sql_params(ctx))
        register_run_inputs(run)
        for name in GOLD_TABLES[args.table].inputs:
            if name in GOLD_VIEWS and GOLD_VIEWS[name].staged:
                stage_view(run, GOLD_VIEWS[name])
        rows: list[tuple[object, ...]] = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            df = run_sql_text(engine.spark, text, run.params)
            count = df.count()
            rows = sorted((tuple(r) for r in df.collect()), key=repr)
            print(f"{time.perf_counter() - started:.2f}s  {count:,} rows", flush=True)
        print("rows hash", hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
