"""``scv reprocess --source S [--from D]``: after a mapping change, rebuild a source's silver rows from bronze
(which keeps every row as it was delivered), then the gold dates they feed.

The nightly run only reads bronze rows it has not seen, so a fixed date format or a new code map would
otherwise apply to new files only. Reprocessing removes the source's rows from its silver table (and its
history) and its quarantine rows, conforms every bronze row of the source again with today's mapping, and
rebuilds gold for the as-of dates the lake holds (from ``--from`` on). Running it twice gives the same tables.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta

from ground.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, help="the source whose mapping changed (as in sources.yaml)")
    parser.add_argument("--from", dest="from_date", type=date.fromisoformat, help="rebuild gold from this as-of date")


def gold_dates(lake_root: str, since: date | None) -> list[date]:
    """The as-of dates the lake's gold holds (from ``since`` on)."""
    from ground.catalogue import GOLD_TABLES
    from ground.lake import open_table, query

    table = open_table(GOLD_TABLES["dealer_geo"].location(lake_root))
    if table is None:
        return []
    rows = query({"g": table}, "select distinct as_of_date as d from g order by d").column("d").to_pylist()
    return [d for d in rows if since is None or d >= since]


def _forget(ctx: object, source: str) -> list[str]:
    """Remove what silver holds of the source: its rows (all of its table's, or those of its files when
    several sources feed the table), its history rows, its quarantine rows and its progress mark."""
    from pyspark.sql import functions as F

    from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES, SILVER_TABLES
    from ground.run import RunContext
    from ground.sources import sources_of
    from ground.spark_io import read_table, table_exists

    assert isinstance(ctx, RunContext)
    spec = ctx.sources[source]
    shared = len(sources_of(ctx.sources, spec.table)) > 1
    files_df = read_table(ctx.spark, OPS_TABLES["ingested_files"], ctx.lake_root).where(F.col("source") == source)
    files_df.select(F.col("file_name").alias("source_file")).distinct().createOrReplaceTempView("_reprocessed_files")
    targets = [SILVER_TABLES[spec.table]]
    if SILVER_TABLES[spec.table].history:
        targets.append(SILVER_TABLES[str(SILVER_TABLES[spec.table].history)])
    done = []
    try:
        for table in [*targets, QUARANTINE_TABLES["silver"], OPS_TABLES["silver_progress"]]:
            location = table.location(ctx.lake_root)
            if not table_exists(ctx.spark, location):
                continue
            if table in targets and shared:  # only the rows of this source's files
                ctx.spark.sql(
                    f"merge into delta.`{location}` as t using _reprocessed_files as s "
                    "on t.source_file = s.source_file when matched then delete"
                ).collect()
            else:
                where = "true" if table in targets else f"source = '{source}'"
                ctx.spark.sql(f"delete from delta.`{location}` where {where}").collect()
            done.append(f"{table.layer}/{table.name}")
    finally:
        ctx.spark.catalog.dropTempView("_reprocessed_files")
    return done


def run(args: argparse.Namespace, config: Config) -> int:
    from gold.graph import run_gold
    from ground.engine import engine_session
    from ground.lease import LakeBusy, hold
    from ground.run import RunContext, StepResult, record_steps, step_header
    from jobs.silver.build import build_source

    if args.source not in config.sources:
        print(f"scv reprocess: no source {args.source!r} in the mapping ({', '.join(config.sources)})", file=sys.stderr)
        return 2
    started_at = datetime.now(UTC)
    try:
        with (
            hold(config.paths.lake_root, "lake", timedelta(minutes=config.pipeline.pipeline.lease_minutes)),
            engine_session(config.engine) as engine,
        ):
            ctx = RunContext.create(engine.spark, config, started_at=started_at)
            dates = gold_dates(config.paths.lake_root, args.from_date)
            print(f"scv reprocess {args.source}: silver from bronze, then gold for {len(dates)} date(s)", flush=True)
            print(step_header(), flush=True)
            forgotten = _forget(ctx, args.source)
            results = [StepResult("reprocess:forget", counts_rows=False, message="cleared " + ", ".join(forgotten))]
            print(results[-1].line(), flush=True)
            results.append(build_source(ctx, ctx.sources[args.source], None))
            print(results[-1].line(), flush=True)
            if results[-1].status != "failed" and dates:
                for result in run_gold(ctx, dates):
                    print(result.line(), flush=True)
                    results.append(result)
            record_steps(ctx, dates or [started_at.date()], results, datetime.now(UTC))
    except LakeBusy as exc:
        print(f"scv reprocess: {exc}; nothing was written", file=sys.stderr)
        return 1
    failed = [r for r in results if r.status == "failed"]
    for result in failed:
        print(f"FAILED step {result.step}: {result.message}", file=sys.stderr)
    span = f"{dates[0]}..{dates[-1]}" if dates else "no gold date yet"
    print(f"reprocessed {args.source}: {len(results)} steps, {len(failed)} failed; gold {span}", flush=True)
    return 1 if failed else 0
