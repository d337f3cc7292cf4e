"""Pure transforms from bronze rows (all strings) to typed canonical rows plus the rules each row failed.

``conform`` maps, types and checks every column of a source as its ``SourceSpec`` says. The result has the
canonical columns, the lineage columns and ``failures``: an array of (rule, column_name, value) for every
check the row failed. ``split_failures`` turns that into clean rows and quarantine rows.
"""

from __future__ import annotations

import string
from datetime import date, timedelta

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ground.catalogue import SILVER_TABLES
from ground.columns import lookup
from ground.sources import ColumnSpec, SourceSpec, bronze_column

LINEAGE = ["source_file", "source_line", "ingested_at"]
FAILURE_TYPE = "struct<rule:string,column_name:string,value:string>"


def _cell(bronze_df: DataFrame, export_column: str) -> Column:
    """One export column's value, trimmed; empty (or absent from the export) is null."""
    name = bronze_column(export_column)
    if name not in bronze_df.columns:
        return F.lit(None).cast("string")
    trimmed = F.trim(F.col(f"`{name}`"))
    return F.when(trimmed == "", None).otherwise(trimmed)


def _templated(bronze_df: DataFrame, template: str) -> Column:
    """``"{Make} {Model}"``: the literal text and the columns' values; null when every column is empty."""
    parts: list[Column] = []
    cells: list[Column] = []
    for text, field, _, _ in string.Formatter().parse(template):
        if text:
            parts.append(F.lit(text))
        if field:
            cell = _cell(bronze_df, field)
            cells.append(cell)
            parts.append(F.coalesce(cell, F.lit("")))
    combined = F.trim(F.concat(*parts))
    return F.when(F.coalesce(*cells).isNull() | (combined == ""), None).otherwise(combined)


def _raw(bronze_df: DataFrame, spec: ColumnSpec) -> Column:
    """The export's value for one canonical column: a constant, a template, or the first non-empty column
    of its ``from`` chain."""
    if spec.constant is not None:
        return F.lit(spec.constant)
    if spec.template is not None:
        return _templated(bronze_df, spec.template)
    cells = [_cell(bronze_df, c) for c in spec.sources]
    return cells[0] if len(cells) == 1 else F.coalesce(*cells)


def typed_value(raw: Column, spec: ColumnSpec) -> Column:
    """The canonical value of one column; null when the raw value cannot be typed or mapped."""
    if spec.codes is not None:
        mapped = lookup(F.upper(raw), spec.codes)
        if spec.unmapped == "keep":
            return F.coalesce(mapped, raw)
        if spec.unmapped == "default":
            return F.when(raw.isNull(), None).otherwise(F.coalesce(mapped, F.lit(spec.code_default)))
        return mapped
    if spec.type == "string":
        return raw
    if spec.type in ("int", "double"):
        return raw.try_cast(spec.type)
    if spec.type == "date":
        if spec.format:
            return F.to_date(F.try_to_timestamp(raw, F.lit(spec.format)))
        return raw.try_cast("date")
    if spec.format:
        return F.try_to_timestamp(raw, F.lit(spec.format))
    return raw.try_cast("timestamp")


def _failure(condition: Column, rule: str, spec: ColumnSpec, raw: Column) -> Column:
    failure = F.struct(F.lit(rule).alias("rule"), F.lit(spec.name).alias("column_name"), raw.alias("value"))
    return F.when(condition, failure)


def column_checks(
    raw: Column, typed: Column, spec: ColumnSpec, latest_allowed: date, max_chars: int | None = None
) -> list[Column]:
    """One nullable failure struct per rule of the column."""
    checks = []
    if max_chars is not None and spec.constant is None:
        # a value this long is a broken export, not data (it would reach gold, the app and the email)
        shown = F.concat(F.substring(raw, 1, 200), F.lit(f"... ({max_chars}+ characters)"))
        checks.append(_failure(F.length(raw) > F.lit(max_chars), "too_long", spec, shown))
    if spec.required:
        checks.append(_failure(raw.isNull(), "required", spec, raw))
    bad_rule = "unknown_code" if spec.codes is not None else f"bad_{spec.type}"
    if spec.codes is not None or spec.type != "string":
        checks.append(_failure(raw.isNotNull() & typed.isNull(), bad_rule, spec, raw))
    if spec.min is not None:
        checks.append(_failure(typed < F.lit(spec.min), "below_min", spec, raw))
    if spec.not_future:
        limit = F.lit(latest_allowed) if spec.type == "date" else F.lit(latest_allowed + timedelta(days=1))
        too_late = typed > limit if spec.type == "date" else typed >= limit.cast("timestamp")
        checks.append(_failure(too_late, "future_date", spec, raw))
    return checks


def conform(
    bronze_df: DataFrame, spec: SourceSpec, run_date: date, tolerance_days: int = 1, max_chars: int | None = None
) -> DataFrame:
    """Typed canonical columns + lineage (with the delivery's ``content_sha256``) + ``failures`` +
    ``record_key`` + ``raw_record``. ``max_chars``: a longer value fails as ``too_long``."""
    latest_allowed = run_date + timedelta(days=tolerance_days)
    table = SILVER_TABLES[spec.table]
    mapped = {c.name: c for c in spec.columns}
    selected: list[Column] = []
    checks: list[Column] = []
    for name, dtype in table.data_columns:
        if name in LINEAGE:
            continue
        if name in mapped:
            raw = _raw(bronze_df, mapped[name])
            typed = typed_value(raw, mapped[name])
            checks.extend(column_checks(raw, typed, mapped[name], latest_allowed, max_chars))
            selected.append(typed.cast(dtype).alias(name))
        else:
            selected.append(F.lit(None).cast(dtype).alias(name))
    export_columns = [c for c in bronze_df.columns if not c.startswith("_")]
    key_raw = [_raw(bronze_df, mapped[k]) for k in spec.key]
    no_failure = F.lit(None).cast(FAILURE_TYPE)
    return bronze_df.select(
        *selected,
        F.col("_source_file").alias("source_file"),
        F.col("_source_line").alias("source_line"),
        F.col("_ingested_at").alias("ingested_at"),
        F.col("_content_sha256").alias("content_sha256"),
        F.filter(F.array(*(checks or [no_failure])), lambda f: f.isNotNull()).alias("failures"),
        F.concat_ws("|", *[F.coalesce(k, F.lit("")) for k in key_raw]).alias("record_key"),
        F.to_json(F.struct(*[F.col(f"`{c}`") for c in export_columns])).alias("raw_record"),
    )


def with_orphan_failures(conformed_df: DataFrame, column: str, reference_keys_df: DataFrame) -> DataFrame:
    """Add an ``orphan_key`` failure where ``column`` has no match in ``reference_keys_df`` (one column)."""
    ref_col = reference_keys_df.columns[0]
    keys_df = reference_keys_df.select(F.col(ref_col).alias("_ref_key"), F.lit(True).alias("_has_ref")).distinct()
    joined = conformed_df.join(keys_df, conformed_df[column] == keys_df["_ref_key"], how="left")
    orphan = F.struct(
        F.lit("orphan_key").alias("rule"), F.lit(column).alias("column_name"), F.col(column).alias("value")
    )
    failures = F.when(
        F.col(column).isNotNull() & F.col("_has_ref").isNull(), F.concat(F.col("failures"), F.array(orphan))
    ).otherwise(F.col("failures"))
    return joined.withColumn("failures", failures).drop("_ref_key", "_has_ref")


def split_failures(conformed_df: DataFrame, source: str, run_id: str) -> tuple[DataFrame, DataFrame]:
    """Clean rows (no failure) and quarantine rows (one per failed rule) in the quarantine/silver schema."""
    clean_df = conformed_df.where(F.size("failures") == 0).drop("failures", "record_key", "raw_record")
    quarantine_df = (
        conformed_df.where(F.size("failures") > 0)
        .select(
            "source_file", "source_line", "content_sha256", "record_key", "raw_record", F.explode("failures").alias("f")
        )
        .select(
            F.lit(source).alias("source"),
            "source_file",
            "source_line",
            F.col("f.rule").alias("rule"),
            F.col("f.column_name").alias("column_name"),
            F.col("f.value").alias("value"),
            "record_key",
            "raw_record",
            F.lit(run_id).alias("run_id"),
            F.current_timestamp().alias("quarantined_at"),
            F.lit(None).cast("string").alias("resolved_run_id"),
            "content_sha256",
            F.lit(None).cast("string").alias("superseded_run_id"),
        )
    )
    return clean_df, quarantine_df
