"""Pure transforms from conformed rows to silver rows: the latest row per key, the extra copies of a key
(quarantined as ``duplicate_key``), every version for a history table, and quarantined orphans rebuilt in the
bronze shape so that they are conformed again. No reads, no writes."""

from __future__ import annotations

from dataclasses import replace
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ground.catalogue import SILVER_TABLES
from ground.sources import SourceSpec, bronze_column
from jobs.silver.conform import LINEAGE

# to_json renders timestamps in the engine's own default unless told (Sail microseconds, Spark milliseconds)
JSON_OPTIONS = {"timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"}


def _version_order(spec: SourceSpec) -> list[Column]:
    delivery = [F.col("ingested_at").desc(), F.col("source_file").desc(), F.col("source_line").desc()]
    return ([F.col(spec.version_by).desc()] if spec.version_by else []) + delivery


def latest_per_key(clean_df: DataFrame, spec: SourceSpec) -> tuple[DataFrame, DataFrame]:
    """The latest row per key, and the extra copies that share the key *and* the version of another row."""
    ranked = clean_df.withColumn(
        "_rank", F.row_number().over(Window.partitionBy(*spec.key).orderBy(*_version_order(spec)))
    )
    latest_df = ranked.where(F.col("_rank") == 1).drop("_rank")
    same_version = [*spec.key, spec.version_by] if spec.version_by else list(spec.key)
    # only the few rows whose key and version repeat are ranked among themselves (a count per key and
    # version is a fraction of the cost of a second window over the whole batch)
    repeated = (
        clean_df.groupBy(*same_version)
        .agg(F.count("*").alias("_rows"))
        .where(F.col("_rows") > 1)
        .select(*[F.col(c).alias(f"_repeated_{c}") for c in same_version])
    )
    same = reduce(lambda a, b: a & b, [F.col(c).eqNullSafe(F.col(f"_repeated_{c}")) for c in same_version])
    copies_df = (
        clean_df.join(repeated, same, "left_semi")
        .withColumn("_copies", F.row_number().over(Window.partitionBy(*same_version).orderBy(*_version_order(spec))))
        .where(F.col("_copies") > 1)
    )
    return latest_df, copies_df.drop("_copies")


def history_spec(spec: SourceSpec, history_table: str) -> SourceSpec:
    """Every version is its own row in the history: its key is the table key plus the version column."""
    return replace(spec, key=SILVER_TABLES[history_table].key, version_by=None)


def every_version(clean_df: DataFrame, spec: SourceSpec, history_table: str) -> DataFrame:
    """One row per key and version (the last delivery of each version), for the history table."""
    versions_df, _ = latest_per_key(clean_df, history_spec(spec, history_table))
    return versions_df


def duplicates_to_quarantine(copies_df: DataFrame, spec: SourceSpec, run_id: str) -> DataFrame:
    key = F.concat_ws("|", *[F.col(k).cast("string") for k in spec.key])
    # the record itself: where it came from is in source_file and source_line, and when is not part of it
    record = F.struct(*[F.col(c) for c, _ in SILVER_TABLES[spec.table].data_columns if c not in LINEAGE])
    return copies_df.select(
        F.lit(spec.name).alias("source"),
        "source_file",
        "source_line",
        F.lit("duplicate_key").alias("rule"),
        F.lit(",".join(spec.key)).alias("column_name"),
        key.alias("value"),
        key.alias("record_key"),
        F.to_json(record, JSON_OPTIONS).alias("raw_record"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("quarantined_at"),
        F.lit(None).cast("string").alias("resolved_run_id"),
        "content_sha256",
        F.lit(None).cast("string").alias("superseded_run_id"),
    )


def newer_wins(spec: SourceSpec) -> str:
    """When an incoming row replaces the stored one: a later version (a missing version is the oldest), or
    the same version delivered later."""
    if spec.version_by:
        v = spec.version_by
        return (
            f"s.{v} > t.{v} or (t.{v} is null and s.{v} is not null) "
            f"or (s.{v} <=> t.{v} and s.ingested_at >= t.ingested_at)"
        )
    return "s.ingested_at >= t.ingested_at"


def replayed_as_bronze(orphans_df: DataFrame, bronze_columns: list[str]) -> DataFrame:
    """Quarantined rows rebuilt in the bronze shape from their raw record, so they are conformed again."""
    export_columns = [c for c in bronze_columns if not c.startswith("_")]
    record = F.from_json("raw_record", "struct<" + ",".join(f"{c}:string" for c in export_columns) + ">")
    return orphans_df.select(
        *[record[c].alias(c) for c in export_columns],
        F.col("source_file").alias("_source_file"),
        F.col("source_line").alias("_source_line"),
        F.col("content_sha256").alias("_content_sha256"),
        F.col("run_id").alias("_run_id"),
        F.col("quarantined_at").alias("_ingested_at"),
        F.to_date("quarantined_at").alias("_ingest_date"),
    )


def with_batch_counts(conformed_df: DataFrame, event_date: str | None = None) -> DataFrame:
    """Rows in the batch and rows that failed a rule, and the earliest ``event_date`` of the rows that pass
    (null without one), as one row."""
    failing = F.size("failures") > 0
    no_date = F.lit(None).cast("date")
    earliest = F.min(F.when(failing, no_date).otherwise(F.to_date(event_date))) if event_date else no_date
    return conformed_df.agg(
        F.count("*").alias("rows_in"),
        F.sum(F.when(failing, 1).otherwise(0)).alias("failed"),
        earliest.alias("earliest"),
    )


def kept_rows(bronze_df: DataFrame, spec: SourceSpec) -> DataFrame:
    """The rows the mapping's ``where`` keeps (export column values compared trimmed, whatever their case)."""
    kept = bronze_df
    for export_column, values in spec.where.items():
        name = bronze_column(export_column)
        if name not in bronze_df.columns:
            return bronze_df.limit(0)
        kept = kept.where(F.upper(F.trim(F.col(f"`{name}`"))).isin(*values))
    return kept
