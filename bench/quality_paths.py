"""The data-quality checks of every checked table of a lake, validated both ways: in process (the table's rows
fetched, Great Expectations' pandas engine) and on the engine (each expectation its own queries). Prints per
table its rows, the seconds each way and whether the outcomes are the same; exit 1 when any differs.

    SCV_LAKE_ROOT=<lake> python bench/quality_paths.py --date 2026-10-31
    SCV_LAKE_ROOT=<lake> python bench/quality_paths.py --date 2026-10-31 --since 2026-10-31T00:00:00+00:00

Gold tables are read on --date; silver on the rows ingested after --since (all of them without it), as a
night reads them. Every table is fetched whatever its size (a first night's silver is slow in process).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", required=True, type=date.fromisoformat)
    parser.add_argument("--since", type=datetime.fromisoformat, help="silver rows ingested after this")
    args = parser.parse_args(argv)

    from ground.config import load_config
    from ground.engine import engine_session
    from ground.run import RunContext
    from jobs.quality import Validator, checked_tables, night_rows, null_rate_checks

    config = load_config()
    differ = 0
    with engine_session(config.engine) as engine:
        ctx = RunContext.create(engine.spark, config)
        ctx.silver_since = {name: args.since for name in ctx.sources}
        validator = Validator()
        print(f"{'table':34} {'rows':>9} {'in process':>11} {'on engine':>10}  outcomes")
        for table in checked_tables():
            df = night_rows(ctx, table, [args.date])
            if df is None:
                continue
            checks = table.all_checks + null_rate_checks(ctx, table)
            rows = df.count()
            started = time.perf_counter()
            in_process = validator.validate(table.name, df, checks, in_process_rows=max(rows, 1))
            middle = time.perf_counter()
            on_engine = validator.validate(table.name, df, checks, in_process_rows=0)
            ended = time.perf_counter()
            same = in_process == on_engine
            differ += not same
            print(
                f"{table.name:34} {rows:9,} {middle - started:10.2f}s {ended - middle:9.2f}s  "
                f"{'same' if same else 'DIFFER'}",
                flush=True,
            )
    print(f"{differ} table(s) differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
