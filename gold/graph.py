"""Gold: the declared graph (``ground.catalogue.gold``) run in dependency order for one or many as-of dates.

Each node reads temp views named after its inputs: the silver tables, the shared views (``sql/views``), the
gold tables built before it in this run, plus the run's ``as_of_dates`` and ``high_intent_classes``. A SQL
table's rows for the run's dates replace the previous ones in one commit (``replaceWhere``), so a rerun gives
the same table; its materialised rows then become the view later nodes read. A Python table
(``gold/<name>.py``) exposes ``build(run) -> list[StepResult]`` and writes through the ground helpers.
A backfill computes all its dates in one pass.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ground.catalogue import APP_TABLES, GOLD_TABLES, GOLD_VIEWS, SILVER_TABLES, Table, View
from ground.config import PROJECT_ROOT
from ground.failpoints import failpoint
from ground.run import RunContext, StepResult
from ground.spark_io import read_table, replace_dates, stage

SQL_DIR = PROJECT_ROOT / "sql"
RUN_VIEWS = ("as_of_dates", "high_intent_classes")  # what every node may read besides its declared inputs


class GraphError(ValueError):
    """The declared graph is not a DAG, or a node reads something nothing provides."""


def _nodes(tables: dict[str, Table], views: dict[str, View]) -> dict[str, tuple[str, ...]]:
    """Every view and every gold table with logic of its own, with the inputs it reads (a table written by
    another's logic, ``built_by``, is not a node: its writer is)."""
    nodes: dict[str, tuple[str, ...]] = {v.name: v.inputs for v in views.values()}
    nodes.update({t.name: t.inputs for t in tables.values() if t.built_by is None})
    return nodes


def graph_order(tables: dict[str, Table] = GOLD_TABLES, views: dict[str, View] = GOLD_VIEWS) -> list[str]:
    """Every view and gold table once, each after all the views and gold tables it reads (declaration order
    among equals)."""
    nodes = _nodes(tables, views)
    for name, inputs in nodes.items():
        unknown = [i for i in inputs if i not in nodes and i not in SILVER_TABLES and i not in APP_TABLES]
        if unknown:
            raise GraphError(
                f"{name} reads {unknown}: neither a silver table, an app table, a shared view nor a gold table"
            )
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in visiting:
            raise GraphError(f"the gold graph has a cycle: {' -> '.join((*path, name))}")
        visiting.add(name)
        for dependency in nodes[name]:
            if dependency in nodes:
                visit(dependency, (*path, name))
        visiting.discard(name)
        order.append(name)

    for name in nodes:
        visit(name, ())
    return order


def dated_readers(
    inputs: set[str], tables: dict[str, Table] = GOLD_TABLES, views: dict[str, View] = GOLD_VIEWS
) -> list[str]:
    """The gold tables kept per as-of date (``as_of_date`` in their partitions) that read any of ``inputs``
    (silver tables), directly or through views and other gold tables: what a change to those rows on an
    earlier date can alter in the gold of that date. A table written by another's logic (``built_by``) reads
    what its writer reads."""
    nodes = _nodes(tables, views)
    reading = set(inputs)
    grew = True
    while grew:
        grew = False
        for name, reads in nodes.items():
            if name not in reading and reading.intersection(reads):
                reading.add(name)
                grew = True
    return [t.name for t in tables.values() if "as_of_date" in t.partition_by and (t.built_by or t.name) in reading]


def staged_view_name(name: str) -> str:
    """The ``_staging`` table a staged view of this run is materialised in."""
    return f"view_{name}"


def read_sql(name: str, folder: str = "gold") -> str:
    return (SQL_DIR / folder / f"{name}.sql").read_text(encoding="utf-8")


def run_sql(spark: SparkSession, name: str, params: dict[str, Any], folder: str = "gold") -> DataFrame:
    """Run sql/<folder>/<name>.sql (reading the temp views it names) with the named parameters it uses."""
    return run_sql_text(spark, read_sql(name, folder), params)


def run_sql_text(spark: SparkSession, text: str, params: dict[str, Any]) -> DataFrame:
    """Run the SQL ``text`` with those of ``params`` it names (``:name``)."""
    used = set(re.findall(r":([a-z_]+)", text))
    return spark.sql(text, args={k: v for k, v in params.items() if k in used})


@dataclass
class GoldRun:
    """One run of the graph: the job's context, the as-of dates and the SQL parameters."""

    ctx: RunContext
    dates: list[date]
    params: dict[str, Any]
    views: list[str] = field(default_factory=list)  # temp views this run registered (dropped at the end)

    @property
    def spark(self) -> SparkSession:
        return self.ctx.spark

    @property
    def lake_root(self) -> str:
        return self.ctx.lake_root

    def register(self, name: str, df: DataFrame) -> None:
        df.createOrReplaceTempView(name)
        self.views.append(name)

    def drop_views(self) -> None:
        for name in dict.fromkeys(self.views):
            self.spark.catalog.dropTempView(name)
        self.views.clear()


def sql_params(ctx: RunContext) -> dict[str, Any]:
    params = ctx.settings.sql_params()
    # opportunity_versions reaches back as far as its longest reader: two windows, an open opportunity's age, or
    # the hotspot detector's daily lead counts
    params["version_lookback_days"] = max(
        2 * params["window_days"] - 1, params["max_open_age_days"], params["hotspot_lookback_days"] - 1
    )
    return params


def register_run_inputs(run: GoldRun) -> None:
    """The silver tables, the app's tables (empty until the app writes them), the run's dates and the
    high-intent classes, as temp views."""
    for name, table in {**SILVER_TABLES, **APP_TABLES}.items():
        run.register(name, read_table(run.spark, table, run.lake_root))
    dates = sorted(set(run.dates))
    run.register("as_of_dates", run.spark.createDataFrame([(d,) for d in dates], "as_of_date date"))
    classes = run.ctx.settings.hotspot.high_intent_classes
    run.register(
        "high_intent_classes", run.spark.createDataFrame([(c,) for c in classes], "lead_classification string")
    )


def stage_view(run: GoldRun, view: View) -> StepResult:
    """A view read by several tables, computed once and materialised for this run (a step of its own, so its
    time shows in the run's timings)."""
    started = time.perf_counter()
    view_df = stage(run.spark, run_sql(run.spark, view.name, run.params, folder="views"), run.lake_root,
                    staged_view_name(view.name))  # fmt: skip
    run.register(view.name, view_df)
    return StepResult(f"gold:{view.name}", seconds=time.perf_counter() - started, message="staged view")


def build_sql_table(run: GoldRun, table: Table) -> StepResult:
    started = time.perf_counter()
    replace_dates(run_sql(run.spark, table.name, run.params), table, run.lake_root, run.dates)
    failpoint("gold_write")
    # later nodes read this table's materialised rows, not a recomputation
    location = table.location(run.lake_root)
    built_df = run.spark.read.format("delta").load(location).where(F.col("as_of_date").isin(*sorted(set(run.dates))))
    run.register(table.name, built_df)
    rows = built_df.count()
    return StepResult(f"gold:{table.name}", rows_out=rows, seconds=time.perf_counter() - started)


def build_python_table(run: GoldRun, table: Table) -> list[StepResult]:
    module = importlib.import_module(f"gold.{table.name}")
    results: list[StepResult] = module.build(run)
    return results


def run_gold(ctx: RunContext, dates: list[date]) -> Iterator[StepResult]:
    """One step per gold table, in graph order, each yielded as it ends."""
    run = GoldRun(ctx, sorted(set(dates)), sql_params(ctx))
    try:
        register_run_inputs(run)
        for name in graph_order():
            if name in GOLD_VIEWS and GOLD_VIEWS[name].staged:
                yield stage_view(run, GOLD_VIEWS[name])
            elif name in GOLD_VIEWS:
                run.register(name, run_sql(run.spark, name, run.params, folder="views"))
            elif GOLD_TABLES[name].logic == "sql":
                yield build_sql_table(run, GOLD_TABLES[name])
            else:
                yield from build_python_table(run, GOLD_TABLES[name])
    finally:
        run.drop_views()
