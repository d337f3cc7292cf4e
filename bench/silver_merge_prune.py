"""What partitioning a silver table would buy its nightly MERGE: the table's last night's rows (those with its
latest ``ingested_at``, every stage set to C1 so that each matched row is rewritten) merged into copies of the
table as it is (unpartitioned) and partitioned by the month of ``created_date``, with and without the
batch's months in the ON clause (the pruning a partitioned MERGE needs). Prints each MERGE's seconds, twice.

    python bench/silver_merge_prune.py --lake <lake> --table customer_pipeline
    python bench/silver_merge_prune.py --lake <lake> --table customer_pipeline_history --work /tmp/mp

The copies go under --work (removed first). Run it on a lake after a night (`scv nightly`), the machine idle.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WITH_CREATED_DATE = ("customer_pipeline", "customer_pipeline_history")  # the month partitions come from it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True)
    parser.add_argument("--table", required=True, choices=WITH_CREATED_DATE)
    parser.add_argument("--work", default="/tmp/silver_merge_prune")
    args = parser.parse_args(argv)

    from pyspark.sql import functions as F

    from ground.catalogue import SILVER_TABLES
    from ground.config import load_config
    from ground.engine import engine_session

    table = SILVER_TABLES[args.table]
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    on = " and ".join(f"t.{k} = s.{k}" for k in table.key)
    with engine_session(load_config().engine) as engine:
        spark = engine.spark
        month = F.date_format("created_date", "yyyy-MM")  # a column needs the session
        source = spark.read.format("delta").load(table.location(args.lake))
        last = source.agg(F.max("ingested_at")).collect()[0][0]
        batch = source.where(F.col("ingested_at") == F.lit(last)).withColumn("stage", F.lit("C1"))
        months = sorted(r[0] for r in batch.select(month).distinct().collect())
        table_months = source.select(month).distinct().count()
        print(f"{args.table}: {batch.count():,} rows of the last night, {source.count():,} in the table")
        print(f"months: the batch's {len(months)} of the table's {table_months}", flush=True)
        source.write.format("delta").save(str(work / "flat"))
        source.withColumn("part", month).write.format("delta").partitionBy("part").save(str(work / "parted"))
        batch.createOrReplaceTempView("batch_flat")
        batch.withColumn("part", month).createOrReplaceTempView("batch_parted")
        months_in = ", ".join(f"'{m}'" for m in months)
        clauses = "when matched then update set * when not matched then insert *"
        merges = [
            ("unpartitioned", f"merge into delta.`{work / 'flat'}` t using batch_flat s on {on} {clauses}"),
            (
                "by month, no pruning",
                f"merge into delta.`{work / 'parted'}` t using batch_parted s on {on} and t.part = s.part {clauses}",
            ),
            (
                "by month, the batch's months",
                f"merge into delta.`{work / 'parted'}` t using batch_parted s "
                f"on {on} and t.part = s.part and t.part in ({months_in}) {clauses}",
            ),
        ]
        for attempt in (1, 2):
            for label, sql in merges:
                started = time.perf_counter()
                spark.sql(sql).collect()
                print(f"{attempt} {label:30} {time.perf_counter() - started:6.2f} s", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
