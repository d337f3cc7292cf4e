"""Silver: typed canonical tables, one row per key (latest version wins), upserted with MERGE INTO.

Each source is built from the bronze rows ingested since its last silver run (``ops/silver_progress``), so a
night costs what arrived that night. Rows failing a rule, and extra copies of a key with the same version,
go to ``quarantine/silver``. ``customer_pipeline_history`` keeps every version of every opportunity, which is
what makes gold reproducible for any past as-of date.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from gold.catalogue import OPS_TABLES, QUARANTINE_TABLES, SILVER_TABLES
from gold.merge import merge_insert_new, merge_upsert, read_table, stage, table_exists
from jobs.bronze import bronze_location
from jobs.conform import conform, split_failures, with_orphan_failures
from jobs.context import RunContext
from jobs.mapping import SourceSpec
from jobs.ops import StepResult

# customer_pipeline first: other sources check their opty_id against it
ORDER = ["customer_pipeline", "customer_journey", "call_log", "stock", "retail"]


def _version_order(spec: SourceSpec) -> list:
    delivery = [F.col("ingested_at").desc(), F.col("source_file").desc(), F.col("source_line").desc()]
    return ([F.col(spec.version_by).desc()] if spec.version_by else []) + delivery


def latest_per_key(clean_df: DataFrame, spec: SourceSpec) -> tuple[DataFrame, DataFrame]:
    """The latest row per key, and the extra copies that share the key *and* the version of another row."""
    ranked = clean_df.withColumn(
        "_rank", F.row_number().over(Window.partitionBy(*spec.key).orderBy(*_version_order(spec)))
    )
    latest_df = ranked.where(F.col("_rank") == 1).drop("_rank")
    same_version = [*spec.key, spec.version_by] if spec.version_by else list(spec.key)
    copies_df = ranked.withColumn(
        "_copies", F.row_number().over(Window.partitionBy(*same_version).orderBy(*_version_order(spec)))
    ).where(F.col("_copies") > 1)
    return latest_df, copies_df.drop("_rank", "_copies")


def duplicates_to_quarantine(copies_df: DataFrame, spec: SourceSpec, run_id: str) -> DataFrame:
    return copies_df.select(
        F.lit(spec.name).alias("source"),
        "source_file",
        "source_line",
        F.lit("duplicate_key").alias("rule"),
        F.lit(",".join(spec.key)).alias("column_name"),
        F.concat_ws("|", *[F.col(k).cast("string") for k in spec.key]).alias("value"),
        F.concat_ws("|", *[F.col(k).cast("string") for k in spec.key]).alias("record_key"),
        F.to_json(F.struct(*[F.col(c) for c in SILVER_TABLES[spec.name].column_names])).alias("raw_record"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("quarantined_at"),
    )


def _newer_wins(spec: SourceSpec) -> str:
    """When an incoming row replaces the stored one: a later version (a missing version is the oldest), or
    the same version delivered later."""
    if spec.version_by:
        v = spec.version_by
        return (
            f"s.{v} > t.{v} or (t.{v} is null and s.{v} is not null) "
            f"or (s.{v} <=> t.{v} and s.ingested_at >= t.ingested_at)"
        )
    return "s.ingested_at >= t.ingested_at"


def _progress(ctx: RunContext) -> dict[str, datetime]:
    rows = read_table(ctx.spark, OPS_TABLES["silver_progress"], ctx.lake_root).collect()
    return {r.source: r.ingested_through for r in rows}


def new_bronze_rows(ctx: RunContext, spec: SourceSpec, since: datetime | None) -> DataFrame | None:
    location = bronze_location(ctx.lake_root, spec.name)
    if not table_exists(ctx.spark, location):
        return None
    bronze_df = ctx.spark.read.format("delta").load(location)
    if since is not None:
        bronze_df = bronze_df.where(
            (F.col("_ingest_date") >= F.lit(since.date())) & (F.col("_ingested_at") > F.lit(since))
        )
    return bronze_df


def build_source(ctx: RunContext, spec: SourceSpec, since: datetime | None) -> StepResult:
    result = StepResult(f"silver:{spec.name}")
    bronze_df = new_bronze_rows(ctx, spec, since)
    if bronze_df is None:
        result.message = "no bronze table yet"
        return result
    if bronze_df.limit(1).count() == 0:
        result.message = "nothing new in bronze"
        return result
    tolerance = int(ctx.settings("pipeline").get("future_tolerance_days", 1))
    conformed_df = conform(bronze_df, spec, ctx.run_date, tolerance)
    for column in spec.columns:
        if column.references:
            ref_table, ref_column = column.references
            ref_df = read_table(ctx.spark, SILVER_TABLES[ref_table], ctx.lake_root).select(ref_column)
            conformed_df = with_orphan_failures(conformed_df, column.name, ref_df)
    # every later step reads the conformed batch: materialise it once instead of recomputing it each time
    conformed_df = stage(ctx.spark, conformed_df, ctx.lake_root, f"silver_{spec.name}")
    clean_df, quarantine_df = split_failures(conformed_df, spec.name, ctx.run_id)
    latest_df, copies_df = latest_per_key(clean_df, spec)
    quarantine_df = quarantine_df.unionByName(duplicates_to_quarantine(copies_df, spec, ctx.run_id))

    table = SILVER_TABLES[spec.name]
    merge_upsert(ctx.spark, latest_df, table, ctx.lake_root, update_when=_newer_wins(spec))
    if spec.name == "customer_pipeline":
        history = SILVER_TABLES["customer_pipeline_history"]
        versions_df, _ = latest_per_key(clean_df, _history_spec(spec))
        merge_upsert(ctx.spark, versions_df, history, ctx.lake_root, update_when="s.ingested_at >= t.ingested_at")
    merge_insert_new(ctx.spark, quarantine_df, QUARANTINE_TABLES["silver"], ctx.lake_root)

    counts = conformed_df.agg(
        F.count("*").alias("rows_in"),
        F.sum(F.when(F.size("failures") > 0, 1).otherwise(0)).alias("failed"),
        F.max("ingested_at").alias("through"),
    ).collect()[0]
    result.rows_in = int(counts.rows_in)
    result.rows_quarantined = int(counts.failed or 0) + copies_df.count()
    result.rows_out = result.rows_in - int(counts.failed or 0)
    if counts.through is not None:
        _save_progress(ctx, spec.name, counts.through)
    return result


def _history_spec(spec: SourceSpec) -> SourceSpec:
    """Every version is its own row in the history: its key is the table key plus the version column."""
    return replace(spec, key=SILVER_TABLES["customer_pipeline_history"].key, version_by=None)


def _save_progress(ctx: RunContext, source: str, through: datetime) -> None:
    table = OPS_TABLES["silver_progress"]
    row_df = ctx.spark.createDataFrame([(source, through, ctx.run_id, datetime.now(through.tzinfo))], table.ddl)
    merge_upsert(ctx.spark, row_df, table, ctx.lake_root)


def run_silver(ctx: RunContext) -> list[StepResult]:
    progress = _progress(ctx)
    ctx.silver_since = {name: progress.get(name) for name in ctx.sources}
    results = []
    for name in [n for n in ORDER if n in ctx.sources]:
        started = time.perf_counter()
        result = build_source(ctx, ctx.sources[name], progress.get(name))
        result.seconds = time.perf_counter() - started
        results.append(result)
    return results
