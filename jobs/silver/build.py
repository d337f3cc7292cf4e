"""Silver, the shell around the pure transforms: read the new bronze rows, conform them, MERGE the latest
version per key, keep every version where the catalogue asks for a history, quarantine what fails, record.

Each source is built from the bronze rows ingested since its last silver run (``ops/silver_progress``), so a
night costs what arrived that night. Rows failing a rule, and extra copies of a key with the same version,
go to ``quarantine/silver``. A history table (``Table.history``, e.g. ``customer_pipeline_history``) keeps
every version of every key, which is what makes gold reproducible for any past as-of date.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gold.graph import dated_readers
from ground.catalogue import OPS_TABLES, QUARANTINE_TABLES, SILVER_TABLES, Table, bronze_location
from ground.catalogue.table import PARTITION_MONTH
from ground.failpoints import failpoint
from ground.run import RunContext, StepResult
from ground.sources import SourceSpec, sources_of
from ground.spark_io import (
    conformed,
    ensure_month_partitions,
    merge_insert_new,
    merge_upsert,
    read_table,
    stage,
    table_exists,
)
from jobs.restate import note_late_rows, reaches_built
from jobs.silver.conform import LINEAGE, conform, split_failures, with_orphan_failures
from jobs.silver.versions import (
    duplicates_to_quarantine,
    every_version,
    kept_rows,
    latest_per_key,
    newer_wins,
    replayed_as_bronze,
    with_batch_counts,
)


def build_order(sources: dict[str, SourceSpec]) -> list[str]:
    """Sources in an order where the sources of every table a source references (``references:
    table.column``) come first."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for column in sources[name].columns:
            if column.references and column.references[0] != sources[name].table:
                for parent in sources_of(sources, column.references[0]):
                    visit(parent.name)
        order.append(name)

    for name in sources:
        visit(name)
    return order


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
    location = QUARANTINE_TABLES["silver"].location(ctx.lake_root)
    if not table_exists(ctx.spark, location):
        return None
    quarantine_df = ctx.spark.read.format("delta").load(location)
    if "superseded_run_id" not in quarantine_df.columns:  # a lake from before deliveries were told apart
        return None
    still_open = F.col("resolved_run_id").isNull() & F.col("superseded_run_id").isNull()
    return (
        quarantine_df.where((F.col("source") == spec.name) & (F.col("rule") == "orphan_key") & still_open)
        .select("source_file", "source_line", "content_sha256", "raw_record", "run_id", "quarantined_at")
        .dropDuplicates(["source_file", "source_line", "content_sha256"])
    )


def mark_resolved(ctx: RunContext, spec: SourceSpec, clean_df: DataFrame, orphans_df: DataFrame) -> int:
    """Orphans that passed every rule this time: their quarantine rows get this run's id."""
    delivery = ["source_file", "source_line", "content_sha256"]
    resolved_df = clean_df.join(orphans_df, on=delivery, how="left_semi").select(*delivery)
    resolved = resolved_df.count()
    if resolved:
        view = f"_resolved_{spec.name}"
        resolved_df.createOrReplaceTempView(view)
        location = QUARANTINE_TABLES["silver"].location(ctx.lake_root)
        ctx.spark.sql(
            f"merge into delta.`{location}` as t using {view} as s on t.source = '{spec.name}' "
            "and t.source_file = s.source_file and t.source_line = s.source_line "
            "and t.content_sha256 = s.content_sha256 and t.rule = 'orphan_key' "
            f"when matched and t.resolved_run_id is null then update set resolved_run_id = '{ctx.run_id}'"
        ).collect()
        ctx.spark.catalog.dropTempView(view)
    return resolved


def _conformed_batch(ctx: RunContext, spec: SourceSpec, batch_df: DataFrame) -> DataFrame:
    """The batch typed and checked, orphans flagged against the tables it references, staged once (every
    later step reads it: materialise it instead of recomputing it each time)."""
    options = ctx.settings.pipeline
    conformed_df = conform(batch_df, spec, ctx.run_date, options.future_tolerance_days, options.max_value_chars)
    for column in spec.columns:
        if column.references:
            ref_table, ref_column = column.references
            ref_df = read_table(ctx.spark, SILVER_TABLES[ref_table], ctx.lake_root).select(ref_column)
            conformed_df = with_orphan_failures(conformed_df, column.name, ref_df)
    # the export's record is kept for the quarantine only: on a clean row it was most of the staged bytes
    failing_record = F.when(F.size("failures") > 0, F.col("raw_record"))
    return stage(ctx.spark, conformed_df.withColumn("raw_record", failing_record), ctx.lake_root, f"silver_{spec.name}")


def dated_by(table: Table) -> Table | None:
    """The table whose ``month_of`` column dates a source's rows for the gold kept per as-of date (gold for D
    reads the rows dated D or before): the history where the table keeps one (``updated_at``: a new version of
    an old opportunity changes no past date), else the table itself; None where no such gold table reads them
    by date (the masters and the targets, without a ``month_of``; ``customer_journey``, read by none): their
    rows restate nothing."""
    dated = SILVER_TABLES[table.history] if table.history else table
    read = dated_readers({table.name, *([table.history] if table.history else [])})
    return dated if dated.month_of and read else None


def earliest_change(
    ctx: RunContext, dated: Table, rows_df: DataFrame, before: date, since: datetime | None
) -> date | None:
    """The earliest date the batch changes: among its rows dated before ``before`` (the night's first date), those
    the table did not hold already with the same values (its lineage aside: a row resent as it was changes no
    gold, so it restates nothing), else its earliest row from ``before`` on (which reaches only dates built after
    the night's first, on a rerun of an older date). Only the stored months from the earliest late row's on are
    read, and only rows from before the batch (``since``): a run that crashed after merging it restated nothing
    yet. A row whose date a correction moved is dated by its new date here."""
    column = dated.month_of
    assert column is not None  # the caller passes the table that dates the source's rows
    columns = [name for name, _ in dated.data_columns if name not in LINEAGE]
    rows_df = conformed(rows_df, dated).select(*columns)
    # the column itself against the night's midnight: Sail's filter estimate fails on ``to_date(column) < D`` over
    # a batch of one row (DataFusion: "Selectivity is out of limit")
    day, is_late = F.to_date(column), F.col(column) < F.lit(before)
    firsts = rows_df.agg(F.min(F.when(is_late, day)).alias("late"), F.min(F.when(~is_late, day)).alias("on_time"))
    first, on_time_first = firsts.collect()[0]  # rows from the night on reach only built dates after its first
    if first is None:
        return on_time_first  # type: ignore[no-any-return]
    late_df = rows_df.where(is_late)
    stored_df = read_table(ctx.spark, dated, ctx.lake_root)
    if since is not None:
        stored_df = stored_df.where(F.col("ingested_at") <= F.lit(since))
    if PARTITION_MONTH in stored_df.columns:
        stored_df = stored_df.where(F.col(PARTITION_MONTH) >= F.lit(first.replace(day=1)))
    stored_df = stored_df.join(late_df.select(*dated.key).distinct(), list(dated.key), "left_semi")
    changed_df = late_df.subtract(stored_df.select(*columns))
    earliest: date | None = changed_df.agg(F.min(F.to_date(column)).alias("d")).collect()[0].d
    return earliest or on_time_first


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
    left_out = 0
    if spec.where:
        kept_df = kept_rows(batch_df, spec)
        left_out = batch_df.count() - kept_df.count()
        batch_df = kept_df

    table = SILVER_TABLES[spec.table]
    conformed_df = _conformed_batch(ctx, spec, batch_df)
    dated = dated_by(table)
    counts = with_batch_counts(conformed_df, dated.month_of if dated else None).collect()[0]
    failed, rows_in = int(counts.failed or 0), int(counts.rows_in)
    limit = ctx.settings.pipeline.max_quarantine_rate
    if rows_in and failed - retried > limit * (rows_in - retried):
        # most likely the mapping, not the data: apply nothing, keep the batch for the next run
        result.status = "failed"
        result.rows_in, result.rows_quarantined = rows_in, failed
        result.message = (
            f"{failed:,} of {rows_in:,} rows ({failed / rows_in:.0%}) fail a rule, more than "
            f"pipeline.max_quarantine_rate ({limit:.0%}): nothing was applied; run `scv mapping check "
            f"--source {spec.name}` to see which columns and values, fix the mapping, and run the night again"
        )
        return result
    clean_df, quarantine_df = split_failures(conformed_df, spec.name, ctx.run_id)
    latest_df, copies_df = latest_per_key(clean_df, spec)
    # staged: a MERGE evaluates its source more than once, and the extra copies are counted from it below
    quarantine_df = stage(
        ctx.spark,
        quarantine_df.unionByName(duplicates_to_quarantine(copies_df, spec, ctx.run_id)),
        ctx.lake_root,
        f"quarantine_{spec.name}",
    )

    targets = [table, SILVER_TABLES[table.history]] if table.history else [table]
    # a table an older release wrote unpartitioned is rewritten by month, once, before its first pruned MERGE
    repartitioned = {t.name: ensure_month_partitions(ctx.spark, t, ctx.lake_root) for t in targets}
    versions_df = every_version(clean_df, spec, table.history) if table.history else None
    earliest = counts.earliest
    # rows dated before the night that may reach gold already built: which of them change what silver held?
    late = earliest is not None and bool(ctx.as_of_dates) and earliest < min(ctx.as_of_dates)
    if dated is not None and late and reaches_built(ctx, earliest):
        rows_df = latest_df if versions_df is None else versions_df
        earliest = earliest_change(ctx, dated, rows_df, min(ctx.as_of_dates), since)
    merge_upsert(ctx.spark, latest_df, table, ctx.lake_root, update_when=newer_wins(spec))
    failpoint("silver_merge")
    if table.history and versions_df is not None:
        history = SILVER_TABLES[table.history]
        merge_upsert(ctx.spark, versions_df, history, ctx.lake_root, update_when="s.ingested_at >= t.ingested_at")
    merge_insert_new(ctx.spark, quarantine_df, QUARANTINE_TABLES["silver"], ctx.lake_root)

    resolved = mark_resolved(ctx, spec, clean_df, orphans_df) if orphans_df is not None and retried else 0
    result.rows_in = rows_in  # new bronze rows plus retried orphans
    result.rows_out = result.rows_in - failed
    # newly quarantined: failures other than the retried orphans that are still orphans, plus extra copies
    copies = quarantine_df.where(F.col("rule") == "duplicate_key").count()
    result.rows_quarantined = failed - (retried - resolved) + copies
    notes = []
    if retried:
        notes.append(f"{retried} quarantined orphan(s) retried, {resolved} resolved")
    if left_out:
        notes.append(f"{left_out:,} row(s) left out by the mapping's where (they stay in bronze)")
    notes.extend(f"{name} partitioned by month ({n:,} rows rewritten once)" for name, n in repartitioned.items() if n)
    result.message = "; ".join(notes)
    if earliest is not None:
        ctx.silver_earliest[spec.name] = earliest
        note_late_rows(ctx, spec.name, earliest)  # recorded before the progress mark: a failure keeps them
    if through is not None:
        _save_progress(ctx, spec.name, through)
        failpoint("progress_mark")
    return result


def _save_progress(ctx: RunContext, source: str, through: datetime) -> None:
    table = OPS_TABLES["silver_progress"]
    row_df = ctx.spark.createDataFrame([(source, through, ctx.run_id, datetime.now(through.tzinfo))], table.ddl)
    merge_upsert(ctx.spark, row_df, table, ctx.lake_root)


def run_silver(ctx: RunContext) -> Iterator[StepResult]:
    """One step per source, each yielded as it ends."""
    progress = _progress(ctx)
    ctx.silver_since = {name: progress.get(name) for name in ctx.sources}
    for name in build_order(ctx.sources):
        started = time.perf_counter()
        result = build_source(ctx, ctx.sources[name], progress.get(name))
        result.seconds = time.perf_counter() - started
        yield result
