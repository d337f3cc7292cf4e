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
        F.lit(None).cast("string").alias("resolved_run_id"),
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


def open_orphans(ctx: RunContext, spec: SourceSpec) -> DataFrame | None:
    """Quarantined rows of this source whose only fault may be a parent that had not arrived yet."""
    if not any(c.references for c in spec.columns):
        return None
    table = QUARANTINE_TABLES["silver"]
    location = table.location(ctx.lake_root)
    if not table_exists(ctx.spark, location):
        return None
    quarantine_df = ctx.spark.read.format("delta").load(location)
    if "resolved_run_id" not in quarantine_df.columns:  # a table from before orphans were retried
        return None
    return (
        quarantine_df.where(
            (F.col("source") == spec.name) & (F.col("rule") == "orphan_key") & F.col("resolved_run_id").isNull()
        )
        .select("source_file", "source_line", "raw_record", "run_id", "quarantined_at")
        .dropDuplicates(["source_file", "source_line"])
    )


def replayed_as_bronze(orphans_df: DataFrame, bronze_columns: list[str]) -> DataFrame:
    """Quarantined rows rebuilt in the bronze shape from their raw record, so they are conformed again."""
    export_columns = [c for c in bronze_columns if not c.startswith("_")]
    record = F.from_json("raw_record", "struct<" + ",".join(f"{c}:string" for c in export_columns) + ">")
    return orphans_df.select(
        *[record[c].alias(c) for c in export_columns],
        F.col("source_file").alias("_source_file"),
        F.col("source_line").alias("_source_line"),
        F.lit(None).cast("string").alias("_content_sha256"),
        F.col("run_id").alias("_run_id"),
        F.col("quarantined_at").alias("_ingested_at"),
        F.to_date("quarantined_at").alias("_ingest_date"),
    )


def mark_resolved(ctx: RunContext, spec: SourceSpec, clean_df: DataFrame, orphans_df: DataFrame) -> int:
    """Orphans that passed every rule this time: their quarantine rows get this run's id."""
    resolved_df = clean_df.join(orphans_df, on=["source_file", "source_line"], how="left_semi").select(
        "source_file", "source_line"
    )
    resolved = resolved_df.count()
    if resolved:
        view = f"_resolved_{spec.name}"
        resolved_df.createOrReplaceTempView(view)
        location = QUARANTINE_TABLES["silver"].location(ctx.lake_root)
        ctx.spark.sql(
            f"merge into delta.`{location}` as t using {view} as s on t.source = '{spec.name}' "
            "and t.source_file = s.source_file and t.source_line = s.source_line and t.rule = 'orphan_key' "
            f"when matched and t.resolved_run_id is null then update set resolved_run_id = '{ctx.run_id}'"
        ).collect()
        ctx.spark.catalog.dropTempView(view)
    return resolved


def build_source(ctx: RunContext, spec: SourceSpec, since: datetime | None) -> StepResult:
    result = StepResult(f"silver:{spec.name}")
    bronze_df = new_bronze_rows(ctx, spec, since)
    if bronze_df is None:
        result.message = "no bronze table yet"
        return result
    # quarantined orphans are retried every run: their parent may have arrived since
    orphans_df = open_orphans(ctx, spec)
    if orphans_df is not None:
        orphans_df = stage(ctx.spark, orphans_df, ctx.lake_root, f"orphans_{spec.name}")
    retried = orphans_df.count() if orphans_df is not None else 0
    through = bronze_df.agg(F.max("_ingested_at").alias("through")).collect()[0].through
    if through is None and not retried:
        result.message = "nothing new in bronze"
        return result
    batch_df = bronze_df
    if orphans_df is not None and retried:
        batch_df = bronze_df.unionByName(replayed_as_bronze(orphans_df, bronze_df.columns))
    tolerance = int(ctx.settings("pipeline").get("future_tolerance_days", 1))
    conformed_df = conform(batch_df, spec, ctx.run_date, tolerance)
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
    ).collect()[0]
    failed = int(counts.failed or 0)
    resolved = mark_resolved(ctx, spec, clean_df, orphans_df) if orphans_df is not None and retried else 0
    result.rows_in = int(counts.rows_in)  # new bronze rows plus retried orphans
    result.rows_out = result.rows_in - failed
    # newly quarantined: failures other than the retried orphans that are still orphans, plus extra copies
    result.rows_quarantined = failed - (retried - resolved) + copies_df.count()
    if retried:
        result.message = f"{retried} quarantined orphan(s) retried, {resolved} resolved"
    if through is not None:
        _save_progress(ctx, spec.name, through)
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
