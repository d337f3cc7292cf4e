"""account_churn_risk, account_clv and account_model_backtest: the account models, per as-of date.

Each as-of date's purchase days (per account, within accounts.history_days) go to pandas as one group of
``groupBy("as_of_date").applyInPandas`` (gold.account_models.model_date): first the time-split backtests of every
model, from which the date's models are chosen (conf ``accounts.churn.model`` and ``accounts.clv.model``; auto:
the better backtest), then the scores of every account by every model, the chosen ones giving churn_probability
and clv. Both kinds of rows come back in one frame, staged once, and split into the three tables. The models
are fitted per date on that date's history only, so a date's rows are the same whichever dates run with it.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gold.account_models import ModelSettings, model_date
from ground import udf_pool
from ground.catalogue import GOLD_TABLES
from ground.run import StepResult
from ground.spark_io import replace_dates, stage

if TYPE_CHECKING:
    from gold.graph import GoldRun

TABLE = "account_churn_risk"
UNION_DDL = (
    "row_kind string, as_of_date date, account_id string, orders bigint, first_purchase_date date, "
    "last_purchase_date date, recency_days int, age_days int, mean_interval_days double, overdue_ratio double, "
    "p_alive double, p_no_purchase_bgnbd double, p_no_purchase_trained double, churn_probability double, "
    "model string, horizon_days int, risk_band string, risk_rank int, expected_purchases double, "
    "expected_order_value double, clv double, clv_bgnbd_gg double, clv_cadence double, baseline_value double, "
    "clv_horizon_days int, clv_model string, target string, cutoff_date date, accounts bigint, positives bigint, "
    "auc double, top_lift double, brier double, error double, is_chosen boolean"
)


def purchase_days(purchases_df: DataFrame, dates_df: DataFrame, history_days: int) -> DataFrame:
    """One row per as-of date, account and purchase day within the history before the date, with its value."""
    joined = purchases_df.join(
        dates_df,
        (purchases_df["purchase_date"] <= dates_df["as_of_date"])
        & (purchases_df["purchase_date"] > F.date_sub(dates_df["as_of_date"], history_days)),
        how="inner",
    )
    return joined.groupBy("as_of_date", "account_id", "purchase_date").agg(
        F.sum(F.coalesce("value", F.lit(0.0))).alias("value")
    )


def build(run: GoldRun) -> list[StepResult]:
    started = time.perf_counter()
    spark = run.spark
    accounts = run.ctx.settings.accounts
    cfg = ModelSettings.from_conf(accounts)
    churn_wanted, clv_wanted = accounts.churn.model, accounts.clv.model
    days_df = purchase_days(spark.table("account_purchases"), spark.table("as_of_dates"), accounts.history_days)

    model = partial(model_date, cfg=cfg, churn_wanted=churn_wanted, clv_wanted=clv_wanted)
    parallel = len(run.dates) > 1  # one date is modelled inline: too little to repay the UDF workers

    def model_one_date(pdf: pd.DataFrame) -> pd.DataFrame:
        # several dates: each in a UDF worker process on the embedded engine (ground/udf_pool.py), in parallel
        return udf_pool.map_ordered(model, [pdf], parallel)[0]

    modelled_df = stage(spark, days_df.groupBy("as_of_date").applyInPandas(model_one_date, UNION_DDL),
                        run.lake_root, "account_models")  # fmt: skip
    scores_df = modelled_df.where(F.col("row_kind") == "account")
    outputs = (
        (TABLE, scores_df),
        ("account_clv", scores_df.withColumn("horizon_days", F.col("clv_horizon_days")).withColumn(
            "model", F.col("clv_model"))),
        ("account_model_backtest", modelled_df.where(F.col("row_kind") == "backtest")),
    )  # fmt: skip
    results = []
    for name, df in outputs:
        table = GOLD_TABLES[name]
        replace_dates(df, table, run.lake_root, run.dates)
        written = (
            spark.read.format("delta").load(table.location(run.lake_root)).where(F.col("as_of_date").isin(*run.dates))
        )
        run.register(name, written)
        results.append(StepResult(f"gold:{name}", rows_out=written.count()))
    chosen = modelled_df.where(F.col("is_chosen")).groupBy("target").agg(F.collect_set("model").alias("models"))
    used = {r.target: "/".join(sorted(r.models)) for r in chosen.collect()}
    results[0].message = f"models: churn {used.get('churn', 'none')}, clv {used.get('clv', 'none')}"
    results[0].seconds = time.perf_counter() - started
    return results
