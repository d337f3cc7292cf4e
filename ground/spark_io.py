"""Reading and writing lake tables through the engine: creation from the catalogue, appends, MERGE INTO
upserts, insert-only merges, the replacement of as-of dates, and staging.

Everything here is portable: tables are created by delta-rs from their catalogue schema (so column order and
nullability are the catalogue's whichever engine writes them later), and every write is plain Spark
(``format("delta")`` saves, ``replaceWhere`` overwrites, ``MERGE INTO delta.`path```), which Sail and a Spark 4
cluster with Delta run alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.schema import Field
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ground.catalogue import Table, location, staging_location
from ground.catalogue.table import PARTITION_MONTH
from ground.lake import open_table

_view_ids = itertools.count()


def table_exists(spark: SparkSession, location: str) -> bool:
    try:
        spark.read.format("delta").load(location).limit(0).collect()
        return True
    except Exception:  # AnalysisException on Spark, a different error class on Sail
        return False


def read_table(spark: SparkSession, table: Table, lake_root: str) -> DataFrame:
    """The table as a DataFrame, or an empty frame with its schema when it has not been written yet."""
    where = table.location(lake_root)
    if table_exists(spark, where):
        return spark.read.format("delta").load(where)
    return spark.createDataFrame([], table.ddl)


def conformed(df: DataFrame, table: Table) -> DataFrame:
    """``df`` as exactly the table's catalogue columns and types: the schema contract of every write. A table
    partitioned by month gets its partition month from its ``month_of`` column here, whatever ``df`` holds."""
    columns = [F.col(f"`{name}`").cast(dtype).alias(name) for name, dtype in table.data_columns]
    if table.month_of:
        month = F.trunc(F.to_date(F.col(f"`{table.month_of}`")), "MM")
        columns.append(month.alias(PARTITION_MONTH))
    return df.select(*columns)


def ensure_month_partitions(spark: SparkSession, table: Table, lake_root: str) -> int:
    """A table partitioned by month in the catalogue that an older release wrote unpartitioned is rewritten
    partitioned, its rows as they were, in one commit (once); returns how many rows were rewritten (0: nothing
    to do). The silver step calls it before its MERGEs (it is those tables' one writer); a MERGE into a table not
    rewritten yet is still right, only not pruned."""
    if not table.month_of:
        return 0
    where = table.location(lake_root)
    existing = open_table(where)
    if existing is None or list(existing.metadata().partition_columns) == [PARTITION_MONTH]:
        return 0
    create_table(table, lake_root)  # the columns added since, so that every catalogue column can be read
    rows_df = conformed(spark.read.format("delta").load(where), table)
    rows = rows_df.count()
    writer = rows_df.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    writer.partitionBy(PARTITION_MONTH).save(where)
    return rows


def create_table(table: Table, lake_root: str) -> str:
    """Create the table from its catalogue schema (every column nullable, catalogue order, its partitioning)
    when it does not exist yet; returns its location. A table created by an older release gains the columns
    the catalogue added since (existing rows read them as null)."""
    where = table.location(lake_root)
    existing = open_table(where)
    if existing is None:
        DeltaTable.create(
            where, schema=table.arrow_schema, partition_by=list(table.partition_by) or None, mode="ignore"
        )
        return where
    present = {field.name for field in existing.schema().fields}
    missing = [f for f in table.arrow_schema if f.name not in present]
    if missing:
        existing.alter.add_columns([_delta_field(f) for f in missing])
    return where


def _delta_field(field: pa.Field) -> Field:
    return Field.from_arrow(field)


def append(df: DataFrame, table: Table, lake_root: str) -> None:
    conformed(df, table).write.format("delta").mode("append").save(create_table(table, lake_root))


def replace_dates(df: DataFrame, table: Table, lake_root: str, dates: Sequence[date]) -> None:
    """Make the table's rows for ``dates`` exactly ``df`` in one commit: an overwrite with ``replaceWhere`` on
    the as-of dates. Only those partitions' files are read and replaced, on Sail and on Spark alike; the
    rows a rerun no longer produces are gone."""
    where = create_table(table, lake_root)
    (
        conformed(df, table)
        .write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", f"as_of_date in ({_date_list(dates)})")
        .save(where)
    )


def stage(spark: SparkSession, df: DataFrame, lake_root: str, name: str) -> DataFrame:
    """Materialise ``df`` as ``_staging/<name>`` (overwritten each time) and return it read back.

    Engines without a cache (Sail ignores ``persist``) recompute a DataFrame each time it is used; a MERGE
    may even evaluate its source more than once. Staging a costly source first makes it one computation.
    """
    where = staging_location(lake_root, name)
    df.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(where)
    return spark.read.format("delta").load(where)


def clear_staging(lake_root: str) -> int:
    """Drop the files old staging versions left behind (delta-rs vacuum); returns how many were removed.

    Every run overwrites the staging tables, and Delta keeps overwritten files until a vacuum.
    """
    from pathlib import Path

    staging = location(lake_root, "_staging", "").rstrip("/")
    if "://" in staging or not Path(staging).is_dir():
        return 0
    removed = 0
    for folder in Path(staging).iterdir():
        staged = open_table(str(folder))
        if staged is not None:
            removed += len(staged.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False))
    return removed


def _temp_view(df: DataFrame, prefix: str) -> str:
    name = f"_{prefix}_{next(_view_ids)}"
    df.createOrReplaceTempView(name)
    return name


def _on(keys: Sequence[str]) -> str:
    return " and ".join(f"t.`{k}` = s.`{k}`" for k in keys)


def _date_list(dates: Sequence[date]) -> str:
    return ", ".join(f"date'{d.isoformat()}'" for d in sorted(set(dates)))


def merge_into(spark: SparkSession, df: DataFrame, table: Table, lake_root: str, on: str, clauses: str) -> None:
    """``MERGE INTO`` the table (created first when absent) from ``df``, conformed to its schema.

    Into a table without data files (a first night) every source row is "not matched" and no clause but the
    insert can act, so the MERGE is an append of the source: written as one, without the join against the
    empty target."""
    where = create_table(table, lake_root)
    source_df = conformed(df, table)
    if "when not matched then insert *" in clauses and _has_no_rows(where):
        source_df.write.format("delta").mode("append").save(where)
        return
    if table.month_of:
        if "not matched by source" in clauses:
            raise ValueError(f"{table.name}: a MERGE pruned to the source's months cannot delete what it lacks")
        on = f"({on}) and {month_prune(spark, source_df, table, where)}"
    view = _temp_view(source_df, table.name)
    try:
        spark.sql(f"merge into delta.`{where}` as t using {view} as s on {on} {clauses}").collect()
    finally:
        spark.catalog.dropTempView(view)


def month_prune(spark: SparkSession, source_df: DataFrame, table: Table, where: str) -> str:
    """The ON clause's predicate on the target's partition month: the months of the source's rows and, where a
    row's month can change (its ``month_of`` column is not in its key: a corrected date), the months its keys are
    stored in now, so that a row moving month is matched where it is and not inserted twice. ``false`` for an
    empty source."""
    months_df = source_df.select(PARTITION_MONTH)
    if not table.month_keeps_to_key:
        keys = list(table.key)
        stored_df = spark.read.format("delta").load(where).select(*keys, PARTITION_MONTH)
        months_df = months_df.unionByName(
            stored_df.join(source_df.select(*keys), on=keys, how="left_semi").select(PARTITION_MONTH)
        )
    months = {row[0] for row in months_df.distinct().collect()}
    column = f"t.`{PARTITION_MONTH}`"
    parts = [f"{column} in ({_date_list([m for m in months if m is not None])})"] if months - {None} else []
    if None in months:
        parts.append(f"{column} is null")
    return f"({' or '.join(parts)})" if parts else "false"


def _has_no_rows(where: str) -> bool:
    """The Delta table at ``where`` has no data file (created, never written, or every row deleted)."""
    existing = open_table(where)
    return existing is None or not existing.file_uris()


def merge_upsert(
    spark: SparkSession,
    df: DataFrame,
    table: Table,
    lake_root: str,
    *,
    update_when: str | None = None,
    delete_missing_when: str | None = None,
) -> None:
    """Upsert ``df`` into ``table`` by its key.

    update_when: extra condition for replacing a matched row (e.g. only a newer version wins).
    delete_missing_when: delete target rows absent from ``df`` that satisfy this condition on ``t``.
    A table partitioned by month is merged in the months the rows can be in (``month_prune``) only.
    """
    matched = f"when matched and ({update_when})" if update_when else "when matched"
    clauses = f"{matched} then update set * when not matched then insert *"
    if delete_missing_when:
        clauses += f" when not matched by source and ({delete_missing_when}) then delete"
    merge_into(spark, df, table, lake_root, _on(table.key), clauses)


def merge_insert_new(spark: SparkSession, df: DataFrame, table: Table, lake_root: str) -> None:
    """Insert rows whose key is not in the table yet (idempotent appends: quarantine, ledgers)."""
    merge_into(spark, df, table, lake_root, _on(table.key), "when not matched then insert *")
