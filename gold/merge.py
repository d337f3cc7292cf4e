"""Delta writes through Spark SQL: MERGE INTO upserts, insert-only merges and as-of-date replacement.

Everything here is portable Spark SQL (``MERGE INTO delta.`path```), so it runs on Sail and on a Spark 4
cluster with Delta alike. The first write of a table is a plain save, which creates it with its partitioning.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gold.catalogue import Table

_view_ids = itertools.count()


def table_exists(spark: SparkSession, location: str) -> bool:
    try:
        spark.read.format("delta").load(location).limit(0).collect()
        return True
    except Exception:  # AnalysisException on Spark, a different error class on Sail
        return False


def read_table(spark: SparkSession, table: Table, lake_root: str) -> DataFrame:
    """The table as a DataFrame, or an empty frame with its schema when it has not been written yet."""
    location = table.location(lake_root)
    if table_exists(spark, location):
        return spark.read.format("delta").load(location)
    return spark.createDataFrame([], table.ddl)


def conformed(df: DataFrame, table: Table) -> DataFrame:
    """``df`` as exactly the table's catalogue columns and types: the schema contract of every write."""
    return df.select(*[F.col(f"`{name}`").cast(dtype).alias(name) for name, dtype in table.columns])


def _create(df: DataFrame, table: Table, location: str) -> None:
    writer = conformed(df, table).write.format("delta").mode("append")
    if table.partition_by:
        writer = writer.partitionBy(*table.partition_by)
    writer.save(location)


def append(df: DataFrame, table: Table, lake_root: str) -> None:
    _create(df, table, table.location(lake_root))


def stage(spark: SparkSession, df: DataFrame, lake_root: str, name: str) -> DataFrame:
    """Materialise ``df`` as ``_staging/<name>`` (overwritten each time) and return it read back.

    Engines without a cache (Sail ignores ``persist``) recompute a DataFrame each time it is used; a MERGE
    may even evaluate its source more than once. Staging a costly source first makes it one computation.
    """
    location = f"{lake_root.rstrip('/')}/_staging/{name}"
    df.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(location)
    return spark.read.format("delta").load(location)


def clear_staging(lake_root: str) -> int:
    """Drop the files old staging versions left behind (delta-rs vacuum); returns how many were removed.

    Every run overwrites the staging tables, and Delta keeps overwritten files until a vacuum.
    """
    from scv.lake import open_table

    staging = f"{lake_root.rstrip('/')}/_staging"
    removed = 0
    if "://" not in staging and not Path(staging).is_dir():
        return 0
    names = [p.name for p in Path(staging).iterdir()] if "://" not in staging else []
    for name in names:
        table = open_table(f"{staging}/{name}")
        if table is not None:
            removed += len(table.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False))
    return removed


def _add_new_columns(spark: SparkSession, source: DataFrame, table: Table, location: str) -> None:
    """Columns the catalogue gained since the table was created are added (empty append with mergeSchema),
    so a MERGE never silently drops them. Existing rows read them as null until recomputed."""
    existing = set(spark.read.format("delta").load(location).columns)
    if set(table.column_names) - existing:
        source.limit(0).write.format("delta").mode("append").option("mergeSchema", "true").save(location)


def _temp_view(df: DataFrame, prefix: str) -> str:
    name = f"_{prefix}_{next(_view_ids)}"
    df.createOrReplaceTempView(name)
    return name


def _on(keys: Sequence[str], extra: str | None = None) -> str:
    condition = " and ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    return f"{condition} and {extra}" if extra else condition


def _date_list(dates: Sequence[date]) -> str:
    return ", ".join(f"date'{d.isoformat()}'" for d in sorted(set(dates)))


def _merge(spark: SparkSession, df: DataFrame, table: Table, lake_root: str, on: str, clauses: str) -> None:
    """``MERGE INTO`` the table from ``df`` (a first write creates the table instead)."""
    location = table.location(lake_root)
    source = conformed(df, table)
    if not table_exists(spark, location):
        _create(source, table, location)
        return
    _add_new_columns(spark, source, table, location)
    view = _temp_view(source, table.name)
    spark.sql(f"merge into delta.`{location}` as t using {view} as s on {on} {clauses}").collect()
    spark.catalog.dropTempView(view)


def merge_upsert(
    spark: SparkSession,
    df: DataFrame,
    table: Table,
    lake_root: str,
    *,
    update_when: str | None = None,
    delete_missing_when: str | None = None,
    prune: str | None = None,
) -> None:
    """Upsert ``df`` into ``table`` by its key.

    update_when: extra condition for replacing a matched row (e.g. only a newer version wins).
    delete_missing_when: delete target rows absent from ``df`` that satisfy this condition on ``t``.
    prune: extra predicate on ``t`` in the ON clause (a partition or date range), so the merge reads only
    the part of the target that can match.
    """
    matched = f"when matched and ({update_when})" if update_when else "when matched"
    clauses = f"{matched} then update set * when not matched then insert *"
    if delete_missing_when:
        clauses += f" when not matched by source and ({delete_missing_when}) then delete"
    _merge(spark, df, table, lake_root, _on(table.key, prune), clauses)


def merge_insert_new(spark: SparkSession, df: DataFrame, table: Table, lake_root: str) -> None:
    """Insert rows whose key is not in the table yet (idempotent appends: quarantine, ledgers)."""
    _merge(spark, df, table, lake_root, _on(table.key), "when not matched then insert *")


def merge_as_of(spark: SparkSession, df: DataFrame, table: Table, lake_root: str, dates: Sequence[date]) -> None:
    """Make the table's rows for ``dates`` exactly ``df``: update, insert, and delete what is gone.

    The as-of dates appear in the ON clause and the delete condition, so only those partitions are read.
    """
    in_dates = f"t.as_of_date in ({_date_list(dates)})"
    merge_upsert(spark, df, table, lake_root, delete_missing_when=in_dates, prune=in_dates)
