"""Gold: the SQL under sql/gold materialised as Delta tables for one or many as-of dates, then the scores.

Each SQL file reads temp views (silver tables, ``as_of_dates`` and the gold tables built before it) and
produces one table. Its rows for the run's dates replace the previous ones with MERGE (keyed on as_of_date
plus entity; rows no longer produced are deleted), so a rerun gives the same table. A backfill computes all
its dates in one pass.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gold.catalogue import GOLD_TABLES, SILVER_TABLES
from gold.merge import merge_as_of, merge_upsert, read_table, stage, table_exists
from gold.scoring import score_opportunities
from jobs.context import RunContext
from jobs.ops import StepResult
from scv.config import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "sql" / "gold"
MARKET_TABLES = [
    "dealer_geo",
    "dealer_leads_5d",
    "dealer_retail_5d",
    "dealer_stock",
    "dealer_market_features_5d",
    "macro_market_hotspot_taluka_5d",
    "district_top3_talukas",
]
SILVER_VIEWS = {
    "pipeline_history": "customer_pipeline_history",
    "call_log": "call_log",
    "stock": "stock",
    "retail": "retail",
}


def read_sql(name: str, sql_dir: Path = SQL_DIR) -> str:
    return (sql_dir / f"{name}.sql").read_text(encoding="utf-8")


def run_sql(spark: SparkSession, name: str, params: dict[str, Any]) -> DataFrame:
    """Run sql/gold/<name>.sql (reading the temp views it names) with the named parameters it uses."""
    text = read_sql(name)
    used = set(re.findall(r":([a-z_]+)", text))
    return spark.sql(text, args={k: v for k, v in params.items() if k in used})


def sql_params(ctx: RunContext) -> dict[str, Any]:
    hotspot = ctx.settings("hotspot")
    scoring = ctx.settings("scoring")
    return {
        "window_days": int(ctx.settings("windows").get("window_days", 5)),
        "min_dealers": int(hotspot.get("min_dealers", 2)),
        "min_leads": int(hotspot.get("min_leads", 8)),
        "lead_growth": float(hotspot.get("lead_growth", 0.5)),
        "min_lead_z": float(hotspot.get("min_lead_z", 4.0)),
        "intent_growth": float(hotspot.get("intent_growth", 0.3)),
        "retail_growth": float(hotspot.get("retail_growth", 0.0)),
        "top_n": int(hotspot.get("top_n_per_district", 3)),
        "stock_lookback_days": int(ctx.settings("supply").get("stock_lookback_days", 7)),
        "max_open_age_days": int(scoring.get("max_open_age_days", 90)),
    }


def register_inputs(ctx: RunContext, dates: list[date]) -> None:
    spark = ctx.spark
    for view, table in SILVER_VIEWS.items():
        read_table(spark, SILVER_TABLES[table], ctx.lake_root).createOrReplaceTempView(view)
    spark.createDataFrame([(d,) for d in sorted(set(dates))], "as_of_date date").createOrReplaceTempView("as_of_dates")
    classes = ctx.settings("hotspot").get("high_intent_classes", ["Hot", "Warm", "Live Deal"])
    spark.createDataFrame([(c,) for c in classes], "lead_classification string").createOrReplaceTempView(
        "high_intent_classes"
    )


def _dates_filter(dates: list[date]) -> Any:
    return F.col("as_of_date").isin(*sorted(set(dates)))


def build_market_table(ctx: RunContext, name: str, dates: list[date], params: dict[str, Any]) -> StepResult:
    started = time.perf_counter()
    table = GOLD_TABLES[name]
    merge_as_of(ctx.spark, run_sql(ctx.spark, name, params), table, ctx.lake_root, dates)
    # later SQL reads this table's materialised rows, not a recomputation
    built_df = ctx.spark.read.format("delta").load(table.location(ctx.lake_root)).where(_dates_filter(dates))
    built_df.createOrReplaceTempView(name)
    rows = built_df.count()
    return StepResult(f"gold:{name}", rows_out=rows, seconds=time.perf_counter() - started)


def score_dates(dates: list[date], every_days: int) -> tuple[list[date], date]:
    """Snapshot dates kept in the score history (proleptic ordinal day divisible by ``every_days``, so the
    same calendar dates whatever the run) and the latest date."""
    snapshots = [d for d in sorted(set(dates)) if every_days > 0 and d.toordinal() % every_days == 0]
    return snapshots, max(dates)


def _latest_scored_date(ctx: RunContext) -> date | None:
    table = GOLD_TABLES["scv_customer_score"]
    if not table_exists(ctx.spark, table.location(ctx.lake_root)):
        return None
    row = read_table(ctx.spark, table, ctx.lake_root).agg(F.max("as_of_date").alias("d")).collect()[0]
    return row.d


def _scores_for(ctx: RunContext, dates: list[date], params: dict[str, Any]) -> DataFrame:
    """Scores of every open opportunity on each of ``dates``, computed in one pass and staged."""
    ctx.spark.createDataFrame([(d,) for d in dates], "as_of_date date").createOrReplaceTempView("score_dates")
    scores_df = score_opportunities(run_sql(ctx.spark, "opportunity_features", params), ctx.settings("scoring"))
    return stage(ctx.spark, scores_df, ctx.lake_root, "scores")


def build_scores(ctx: RunContext, dates: list[date], params: dict[str, Any]) -> StepResult:
    """Upsert scv_customer_score for the latest date (unless a later date is already scored) and keep
    snapshot rows in scv_customer_score_history on the snapshot dates."""
    started = time.perf_counter()
    result = StepResult("gold:scv_customer_score")
    snapshots, latest = score_dates(dates, int(ctx.settings("scoring").get("history_every_days", 7)))
    previous = _latest_scored_date(ctx)
    refresh_current = previous is None or previous <= latest
    wanted = sorted(set(snapshots) | ({latest} if refresh_current else set()))
    if not wanted:
        result.message = f"kept the scores of {previous}, later than {latest}"
        result.seconds = time.perf_counter() - started
        return result
    scores_df = _scores_for(ctx, wanted, params)
    if snapshots:
        history = GOLD_TABLES["scv_customer_score_history"]
        snapshot_df = scores_df.where(F.col("as_of_date").isin(*snapshots))
        merge_as_of(ctx.spark, snapshot_df, history, ctx.lake_root, snapshots)
    if refresh_current:
        table = GOLD_TABLES["scv_customer_score"]
        merge_upsert(
            ctx.spark,
            scores_df.where(F.col("as_of_date") == F.lit(latest)),
            table,
            ctx.lake_root,
            update_when="s.as_of_date >= t.as_of_date",
            delete_missing_when=f"t.as_of_date <= date'{latest.isoformat()}'",
        )
        result.rows_out = read_table(ctx.spark, table, ctx.lake_root).count()
        result.message = f"scored as of {latest}; {len(snapshots)} history snapshot(s)"
    else:
        result.message = f"kept the scores of {previous}, later than {latest}; {len(snapshots)} history snapshot(s)"
    result.seconds = time.perf_counter() - started
    return result


def run_gold(ctx: RunContext, dates: list[date]) -> list[StepResult]:
    register_inputs(ctx, dates)
    params = sql_params(ctx)
    results = [build_market_table(ctx, name, dates, params) for name in MARKET_TABLES]
    results.append(build_scores(ctx, dates, params))
    return results
