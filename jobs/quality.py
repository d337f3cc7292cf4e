"""Great Expectations on silver (the rows each run merged) and on gold (the run's as-of dates), recorded in
``ops/dq_results``. The expectations are the catalogue's: every table that declares checks is validated
against its key checks (not null, unique) and those. Each table is validated once. On the engine every
expectation is one or more Spark jobs (0.1 to 0.3 s a table on a medium incremental night): a table's rows of the
night up to ``pipeline.quality_in_process_rows`` are fetched once and validated in process by Great Expectations'
pandas engine, the same expectations; more than that stay on the engine."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from ground.catalogue import ALL_TABLES, OPS_TABLES, Check, Table
from ground.run import RunContext, StepResult
from ground.sources import sources_of
from ground.spark_io import append, table_exists

KINDS = {
    "not_null": "ExpectColumnValuesToNotBeNull",
    "unique": "ExpectColumnValuesToBeUnique",
    "compound_unique": "ExpectCompoundColumnsToBeUnique",
    "in_set": "ExpectColumnValuesToBeInSet",
    "between": "ExpectColumnValuesToBeBetween",
}


class Validator:
    """One ephemeral Great Expectations context for the run."""

    def __init__(self) -> None:
        import great_expectations as gx

        self.gx = gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        # this module sets its own logger to INFO on import; its chatter must not reach the run's output
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep the run log readable
        sources = self.context.data_sources
        on_engine = sources.add_spark(name="lake").add_dataframe_asset(name="tables")
        self.on_engine_batch = on_engine.add_batch_definition_whole_dataframe("whole")
        in_process = sources.add_pandas(name="night").add_dataframe_asset(name="rows")
        self.in_process_batch = in_process.add_batch_definition_whole_dataframe("whole")

    def batch(self, df: DataFrame, in_process_rows: int) -> Any:
        """``df`` as a batch: its rows fetched when there are at most ``in_process_rows`` (counted first: a
        larger table is not fetched), else the DataFrame itself, each expectation then computed on the engine."""
        if in_process_rows > 0 and df.limit(in_process_rows + 1).count() <= in_process_rows:
            return self.in_process_batch.get_batch(batch_parameters={"dataframe": df.toPandas()})
        return self.on_engine_batch.get_batch(batch_parameters={"dataframe": df})

    def validate(
        self, name: str, df: DataFrame, checks: tuple[Check, ...], in_process_rows: int = 0
    ) -> list[dict[str, Any]]:
        """The checks' outcomes on ``df``: in process when it has at most ``in_process_rows`` rows."""
        suite = self.gx.ExpectationSuite(name=name)
        for check in checks:
            cls = getattr(self.gx.expectations, KINDS[check.kind])
            suite.add_expectation(cls(**check.arguments, severity="warning" if check.level == "warn" else "critical"))
        # BASIC: the counts the results need (unexpected_count), without the value tallies SUMMARY adds
        outcome = self.batch(df, in_process_rows).validate(suite, result_format="BASIC")
        rows = []
        for result in outcome.results:
            config = result.expectation_config
            assert config is not None  # every result of a suite run carries its configuration
            kwargs = config.kwargs
            column = kwargs.get("column") or ",".join(kwargs.get("column_list") or [])
            rows.append(
                {
                    "expectation": config.type,
                    "column_name": column,
                    "severity": "warn" if str(config.severity).endswith("WARNING") else "fail",
                    "success": bool(result.success),
                    "unexpected_count": int((result.result or {}).get("unexpected_count") or 0),
                    "mostly": kwargs.get("mostly"),
                }
            )
        return rows


def night_rows(ctx: RunContext, table: Table, dates: list[date]) -> DataFrame | None:
    """The rows a night checks in ``table``: silver's merged by the run (all on a first run), gold's on ``dates``;
    None where the table is not there yet."""
    location = table.location(ctx.lake_root)
    if not table_exists(ctx.spark, location):
        return None
    df = ctx.spark.read.format("delta").load(location)
    if table.layer == "silver":
        # the rows this run merged (the MERGE key keeps the whole table unique); all of it on a first run
        since = ctx.silver_since.get(table.name)
        return df if since is None else df.where(F.col("ingested_at") > F.lit(since))
    if "as_of_date" in table.partition_by:
        return df.where(F.col("as_of_date").isin(*dates))
    return df


def checked_tables() -> list[Table]:
    """The tables validated each night: every silver and gold table that declares checks."""
    return [t for t in ALL_TABLES.values() if t.checks]


def null_rate_checks(ctx: RunContext, table: Table) -> tuple[Check, ...]:
    """A silver table's mapped optional columns, each expected empty in at most its max_null_rate of the
    night's rows (warn): a column a source stopped sending shows up here."""
    default = ctx.settings.pipeline.max_null_rate
    declared = {dict(c.kwargs).get("column") for c in table.checks if c.kind == "not_null"}
    rates: dict[str, float] = {}
    for spec in sources_of(ctx.sources, table.name):
        for c in spec.columns:
            if c.export_columns and not c.required and c.name not in declared:
                rate = default if c.max_null_rate is None else c.max_null_rate
                rates[c.name] = max(rates.get(c.name, 0.0), rate)
    return tuple(Check("not_null", (("column", name), ("mostly", 1.0 - rate)), "warn") for name, rate in rates.items())


WORDS = {  # what the check expects, and what its unexpected rows are
    "expect_column_values_to_not_be_null": ("{column} never empty", "empty"),
    "expect_column_values_to_be_unique": ("{column} unique", "repeated"),
    "expect_compound_columns_to_be_unique": ("({column}) unique", "repeated"),
    "expect_column_values_to_be_in_set": ("{column} in its set of codes", "outside it"),
    "expect_column_values_to_be_between": ("{column} within its range", "outside it"),
}


def describe(row: dict[str, Any]) -> str:
    """One check's outcome in words: 'fail: stage in its set of codes, 3 rows outside it'."""
    expects, unexpected = WORDS.get(row["expectation"], (row["expectation"] + "({column})", "not"))
    words = expects.format(column=row["column_name"])
    if row.get("mostly") is not None:
        words = f"{row['column_name']} filled in at least {row['mostly']:.0%} of the rows"
    return f"{row['severity']}: {words}, {row['unexpected_count']:,} rows {unexpected}"


def run_quality(ctx: RunContext, dates: list[date]) -> Iterator[StepResult]:
    """One step per checked table, each yielded as it ends; every result recorded in ops/dq_results."""
    validator = Validator()
    records: list[tuple[Any, ...]] = []
    checked_at = datetime.now(UTC)
    for table in checked_tables():
        name = table.name
        started = time.perf_counter()
        df = night_rows(ctx, table, dates)
        if df is None:
            continue
        expectations = table.all_checks + null_rate_checks(ctx, table)
        rows = validator.validate(name, df, expectations, ctx.settings.pipeline.quality_in_process_rows)
        failed = [r for r in rows if not r["success"]]
        result = StepResult(f"quality:{name}", counts_rows=False)
        if any(r["severity"] == "fail" for r in failed):
            result.status = "failed"
        elif failed:
            result.status = "warn"
        checks = f"{len(rows)} check{'s' if len(rows) != 1 else ''}"
        if failed:
            result.message = f"{len(failed)} of {checks} not met: " + "; ".join(describe(r) for r in failed)
        else:
            result.message = f"{checks} met"
        records.extend(
            (
                ctx.run_id,
                max(dates),
                name,
                r["expectation"],
                r["column_name"],
                r["severity"],
                r["success"],
                r["unexpected_count"],
                checked_at,
            )
            for r in rows
        )
        result.seconds = time.perf_counter() - started
        yield result
    if records:
        dq = OPS_TABLES["dq_results"]
        append(ctx.spark.createDataFrame(records, dq.ddl), dq, ctx.lake_root)
