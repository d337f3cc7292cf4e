"""Tiny DataFrames with explicit schemas for the Spark tests."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession

from ground.catalogue import ALL_TABLES, APP_TABLES


def frame(spark: SparkSession, table: str, rows: list[dict[str, Any]]) -> DataFrame:
    """A DataFrame with the catalogue schema of ``table``; columns a row leaves out are null."""
    spec = {**ALL_TABLES, **APP_TABLES}[table]
    return spark.createDataFrame([tuple(r.get(c) for c in spec.column_names) for r in rows], spec.ddl)


def ddl_frame(spark: SparkSession, ddl: str, rows: list[tuple[Any, ...]]) -> DataFrame:
    return spark.createDataFrame(rows, ddl)
