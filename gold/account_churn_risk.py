"""account_churn_risk, account_clv and account_model_backtest: the account models, per as-of date.

Each as-of date's purchase days (per account, within accounts.history_days) go to pandas as one group of
``groupBy("as_of_date").applyInPandas``: first the time-split backtests of every model (gold.account_models.backtest),
from which each date's models are chosen (conf ``accounts.churn.model`` and ``accounts.clv.model``, auto: the
better backtest), then the scores of every account by every model (gold.account_models.score), the chosen ones
giving churn_probability and clv. The models are fitted per date on that date's history only, so a date's rows are
the same whichever dates run with it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gold.account_models import ModelSettings, backtest, choose, score
from ground.catalogue import GOLD_TABLES
from ground.run import StepResult
from ground.spark_io import replace_dates, stage

if TYPE_CHECKING:
    from gold.graph import GoldRun

TABLE = "account_churn_risk"
ORDERS_DDL = "as_of_date date, account_id string, purchase_date date, value double"
BACKTEST_DDL = (
    "as_of_date date, target string, model string, cutoff_date date, horizon_days int, accounts bigint, "
    "positives bigint, auc double, top_lift double, brier double, error double"
)
SCORE_DDL = (
    "as_of_date date, account_id string, orders bigint, first_purchase_date date, last_purchase_date date, "
    "recency_days int, age_days int, mean_interval_days double, overdue_ratio double, p_alive double, "
    "p_no_purchase_bgnbd double, p_no_purchase_trained double, churn_probability double, model string, "
    "horizon_days int, risk_band string, risk_rank int, expected_purchases double, expected_order_value double, "
    "clv double, clv_bgnbd_gg double, clv_cadence double, baseline_value double, clv_horizon_days int, "
    "clv_model string"
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


def with_chosen(
    backtests: pd.DataFrame, churn_model: str, clv_model: str
) -> tuple[pd.DataFrame, dict[object, tuple[str, str]]]:
    """The backtests with is_chosen, and per as-of date the (churn, clv) models to score with."""
    choices: dict[object, tuple[str, str]] = {
        as_of: (str(choose(rows, "churn", churn_model)), str(choose(rows, "clv", clv_model)))
        for as_of, rows in backtests.groupby("as_of_date")
    }
    pairs = backtests["as_of_date"].map(choices)
    is_chosen = [
        (target == "churn" and model == pair[0]) or (target == "clv" and model == pair[1])
        for target, model, pair in zip(backtests["target"], backtests["model"], pairs, strict=True)
    ]
    return backtests.assign(is_chosen=is_chosen), choices


def build(run: GoldRun) -> list[StepResult]:
    started = time.perf_counter()
    spark = run.spark
    accounts = run.ctx.settings.accounts
    cfg = ModelSettings.from_conf(accounts)
    days_df = stage(
        spark, purchase_days(spark.table("account_purchases"), spark.table("as_of_dates"), accounts.history_days),
        run.lake_root, "account_purchase_days",
    )  # fmt: skip

    def backtest_date(pdf: pd.DataFrame) -> pd.DataFrame:
        return backtest(pdf, cfg)

    backtests = days_df.groupBy("as_of_date").applyInPandas(backtest_date, BACKTEST_DDL).toPandas()
    backtests, choices = with_chosen(backtests, accounts.churn.model, accounts.clv.model)

    def score_date(pdf: pd.DataFrame) -> pd.DataFrame:
        churn_model, clv_model = choices.get(pdf["as_of_date"].iloc[0], ("bgnbd", "bgnbd_gg"))
        return score(pdf, cfg, churn_model, clv_model)

    scores_df = stage(spark, days_df.groupBy("as_of_date").applyInPandas(score_date, SCORE_DDL), run.lake_root,
                      "account_scores")  # fmt: skip
    results = []
    backtest_df = spark.createDataFrame(backtests, BACKTEST_DDL + ", is_chosen boolean") if len(backtests) else (
        spark.createDataFrame([], BACKTEST_DDL + ", is_chosen boolean")
    )  # fmt: skip
    for name, df in (
        (TABLE, scores_df),
        ("account_clv", scores_df.withColumn("horizon_days", F.col("clv_horizon_days")).withColumn(
            "model", F.col("clv_model"))),
        ("account_model_backtest", backtest_df),
    ):  # fmt: skip
        table = GOLD_TABLES[name]
        replace_dates(df, table, run.lake_root, run.dates)
        written = (
            spark.read.format("delta").load(table.location(run.lake_root)).where(F.col("as_of_date").isin(*run.dates))
        )
        run.register(name, written)
        results.append(StepResult(f"gold:{name}", rows_out=written.count()))
    chosen = sorted({f"{c[0]}/{c[1]}" for c in choices.values()})
    results[0].message = f"models (churn/clv): {', '.join(chosen) or 'none'}"
    results[0].seconds = time.perf_counter() - started
    return results
