"""account_health: how healthy each repeat-buying account is, why, and what to do; and Critical episodes.

The figures come from ``sql/gold/account_health.sql``; here they become five components (0-100 each), their
weighted sum (conf ``accounts.health``), the class (Excellent 85+, Good 75-84, Fair 65-74, Poor 55-64, Critical
below 55), the two factors that cost the most points in words, and one intervention (pure transforms).

Components:
- cadence: 100 while the account is within its usual interval since its last order (its own mean interval, or
  the date's median for a short history), falling linearly to 0 at ``cadence_zero_ratio`` intervals;
- purchase_trend: purchase days in the last year against the year before, 100 x recent / prior (capped at 100;
  no prior year: neutral);
- engagement: the answered share of its recent calls, 100 at ``full_answer_rate`` (no recent call: neutral);
- sentiment: its recent mean call score, 0 at ``sentiment_floor``, 100 at ``sentiment_full`` (too few calls:
  neutral);
- open_pipeline: 100 with an open opportunity, ``no_open_score`` without.

**Episodes.** An account joins the daily email when it crosses into Critical, once per episode: a run of Critical
dates with quiet spells of up to ``episode.gap_days``. To know a date's episode without depending on which dates
ran before, the health of the ``episode.lookback_days`` dates before each as-of date is computed too (account_rfm
and account_sentiment's SQL again for those dates); each date traces its episode over its own trailing days only.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ground.catalogue import GOLD_TABLES
from ground.run import StepResult
from ground.settings import HEALTH_CLASSES, HEALTH_COMPONENTS, Health
from ground.spark_io import replace_dates, stage

if TYPE_CHECKING:
    from gold.graph import GoldRun

TABLE = "account_health"
UPSTREAM = ("account_rfm", "account_sentiment")


def _clamp(value: Column) -> Column:
    return F.greatest(F.lit(0.0), F.least(F.lit(100.0), value.cast("double")))


def with_components(features_df: DataFrame, cfg: Health) -> DataFrame:
    s = F.col
    neutral = F.lit(float(cfg.neutral_score))
    ratio = s("recency_days") / F.greatest(s("interval_days"), F.lit(1.0))
    zero = cfg.cadence_zero_ratio
    cadence = F.when(s("interval_days").isNull(), neutral).otherwise(
        _clamp(F.lit(100.0) * (F.lit(zero) - ratio) / F.lit(zero - 1.0))
    )
    trend = F.when(s("orders_prior") == 0, neutral).otherwise(
        _clamp(F.lit(100.0) * s("orders_recent") / s("orders_prior"))
    )
    engagement = F.when((s("calls_recent") == 0) | s("answer_rate").isNull(), neutral).otherwise(
        _clamp(F.lit(100.0) * s("answer_rate") / F.lit(cfg.full_answer_rate))
    )
    span = cfg.sentiment_full - cfg.sentiment_floor
    sentiment = F.when((s("sentiment_label") == "Unknown") | s("sentiment_score").isNull(), neutral).otherwise(
        _clamp(F.lit(100.0) * (s("sentiment_score") - F.lit(cfg.sentiment_floor)) / F.lit(span))
    )
    pipeline = F.when(s("open_opportunities") > 0, F.lit(100.0)).otherwise(F.lit(float(cfg.no_open_score)))
    return (
        features_df.withColumn("cadence_ratio", ratio)
        .withColumn("score_cadence", cadence)
        .withColumn("score_purchase_trend", trend)
        .withColumn("score_engagement", engagement)
        .withColumn("score_sentiment", sentiment)
        .withColumn("score_open_pipeline", pipeline)
    )


def with_health(scored_df: DataFrame, cfg: Health) -> DataFrame:
    total = sum((F.col(f"score_{c}") * F.lit(float(cfg.weights[c])) for c in HEALTH_COMPONENTS), F.lit(0.0))
    health = F.round(total, 1)
    label = F.lit("Critical")
    for name in reversed(HEALTH_CLASSES):  # Poor, Fair, Good, Excellent: the last match is the highest
        label = F.when(health >= F.lit(float(cfg.classes[name])), F.lit(name)).otherwise(label)
    return scored_df.withColumn("health_score", health).withColumn("health_class", label)


def _factor_texts(trend_days: int) -> dict[str, Column]:
    s = F.col
    days = F.lit(str(trend_days))
    interval = F.round(s("interval_days")).cast("int").cast("string")
    answered = F.round(F.coalesce(s("answer_rate"), F.lit(0.0)) * s("calls_recent")).cast("int").cast("string")
    return {
        "cadence": F.when(
            s("cadence_ratio") > 1,
            F.concat(F.lit("No order for "), s("recency_days").cast("string"), F.lit(" days (it usually orders every "),
                     interval, F.lit(" days)")),
        ).otherwise(F.concat(F.lit("Ordering on its usual cadence (every "), interval, F.lit(" days)"))),
        "purchase_trend": F.concat(
            F.lit("Purchase days: "), s("orders_recent").cast("string"), F.lit(" in the last "), days,
            F.lit(" days against "), s("orders_prior").cast("string"), F.lit(" in the "), days, F.lit(" before"),
        ),
        "engagement": F.concat(
            answered, F.lit(" of "), s("calls_recent").cast("string"), F.lit(" recent calls answered")
        ),
        "sentiment": F.when(
            s("top_terms") != "",
            F.concat(F.lit("Recent calls are "), F.lower(s("sentiment_label")), F.lit(": "), s("top_terms")),
        ).otherwise(F.concat(F.lit("Recent calls are "), F.lower(s("sentiment_label")))),
        "open_pipeline": F.when(s("open_opportunities") > 0, F.concat(
            s("open_opportunities").cast("string"), F.lit(" open opportunity(ies)"))
        ).otherwise(F.lit("No open opportunity")),
    }  # fmt: skip


def with_factors(health_df: DataFrame, cfg: Health, top_n: int = 2) -> DataFrame:
    """The ``top_n`` components below the neutral score that cost the most points (weight x (100 - score)): their
    codes (comma-separated)
    and sentences ("; "-separated), sorted as "<zero-padded points>|<code>|<text>" strings (sorting structs is
    not portable across engines)."""
    texts = _factor_texts(cfg.trend_days)
    entries = [
        F.when(
            F.col(f"score_{c}") < F.lit(float(cfg.neutral_score)),
            F.concat_ws(
                "|",
                F.lpad(((F.lit(100.0) - F.col(f"score_{c}")) * F.lit(cfg.weights[c] * 100)).cast("int")
                       .cast("string"), 6, "0"),
                F.lit(c.upper()),
                F.coalesce(texts[c], F.lit("")),
            ),
        )
        for c in HEALTH_COMPONENTS
    ]  # fmt: skip
    top = F.slice(F.sort_array(F.filter(F.array(*entries), lambda e: e.isNotNull()), asc=False), 1, top_n)
    codes = F.array_join(F.transform(top, lambda e: F.split(e, "[|]").getItem(1)), ",")
    sentences = F.array_join(F.transform(top, lambda e: F.split(e, "[|]").getItem(2)), "; ")
    return health_df.withColumn("factor_codes", codes).withColumn("factors", sentences)


def with_intervention(factors_df: DataFrame) -> DataFrame:
    """One intervention, for the factor that costs the most points (none: keep the cadence)."""
    s = F.col
    first = F.when(s("factor_codes") != "", F.split(s("factor_codes"), ",").getItem(0))
    overdue = F.greatest(F.lit(0), s("recency_days") - F.round(s("interval_days")).cast("int")).cast("string")
    due = F.greatest(F.lit(0), F.round(s("interval_days")).cast("int") - s("recency_days")).cast("string")
    action = (
        F.when(s("health_class").isin("Excellent", "Good") | first.isNull(),
               F.lit("Keep the cadence: thank the account and plan its next order with it"))
        .when(first == "CADENCE", F.concat(F.lit("Visit the account this week: its next order is "), overdue,
                                           F.lit(" days overdue")))
        .when(first == "SENTIMENT", F.lit("Call the owner with the dealer principal and resolve the complaint"))
        .when(first == "ENGAGEMENT", F.lit("Reach the decision-maker in person: recent calls go unanswered"))
        .when(first == "PURCHASE_TREND", F.lit("Review the account's fleet plan for the year: orders are down"))
        .otherwise(F.concat(F.lit("Open a quotation for the next order (due in "), due, F.lit(" days)")))
    )  # fmt: skip
    return factors_df.withColumn("intervention", action)


def score_health(features_df: DataFrame, cfg: Health) -> DataFrame:
    """Figures -> the health rows (without the episode columns)."""
    return (
        features_df.transform(lambda df: with_components(df, cfg))
        .transform(lambda df: with_health(df, cfg))
        .transform(lambda df: with_factors(df, cfg))
        .transform(with_intervention)
    )


def critical_since(health_df: DataFrame, dates_df: DataFrame, lookback_days: int, gap_days: int) -> DataFrame:
    """Per as-of date of ``dates_df`` and account Critical on it: the first day of its episode, traced over the
    ``lookback_days`` before the date only (quiet spells of up to ``gap_days`` belong to the episode)."""
    critical = health_df.where(F.col("health_class") == "Critical").select(
        F.col("as_of_date").alias("day"), "account_id"
    )
    pairs = dates_df.join(
        critical,
        (critical["day"] <= dates_df["as_of_date"])
        & (critical["day"] >= F.date_sub(dates_df["as_of_date"], lookback_days)),
        how="inner",
    )
    back = Window.partitionBy("as_of_date", "account_id").orderBy(F.col("day").desc())
    pairs = pairs.withColumn("gap", F.datediff(F.lag("day").over(back), F.col("day")))
    is_break = F.when(F.col("gap") > gap_days + 1, 1).otherwise(0)
    pairs = pairs.withColumn("breaks", F.sum(is_break).over(back.rowsBetween(Window.unboundedPreceding, 0)))
    return (
        pairs.where(F.col("breaks") == 0)
        .groupBy("as_of_date", "account_id")
        .agg(F.min("day").alias("critical_since"), F.max("day").alias("latest_day"))
        .where(F.col("latest_day") == F.col("as_of_date"))
        .drop("latest_day")
    )


def trailing_dates(dates: list[date], lookback_days: int) -> list[date]:
    return sorted({d - timedelta(days=k) for d in dates for k in range(lookback_days + 1)})


def _dates(run: GoldRun, dates: list[date]) -> DataFrame:
    return run.spark.createDataFrame([(d,) for d in dates], "as_of_date date")


def _stored(run: GoldRun, name: str) -> DataFrame:
    location = GOLD_TABLES[name].location(run.lake_root)
    return run.spark.read.format("delta").load(location).where(F.col("as_of_date").isin(*run.dates))


def build(run: GoldRun) -> list[StepResult]:
    from gold.graph import run_sql

    started = time.perf_counter()
    spark = run.spark
    cfg = run.ctx.settings.accounts.health
    dates = trailing_dates(run.dates, cfg.episode.lookback_days)
    try:
        run.register("as_of_dates", _dates(run, dates))
        # the upstream figures again, for the trailing dates as well: account_rfm staged (the health SQL reads it
        # twice), account_sentiment read once
        run.register("account_rfm", stage(spark, run_sql(spark, "account_rfm", run.params), run.lake_root,
                                          "health_account_rfm"))  # fmt: skip
        run.register("account_sentiment", run_sql(spark, "account_sentiment", run.params))
        health_df = stage(spark, score_health(run_sql(spark, TABLE, run.params), cfg), run.lake_root, "health")
    finally:  # what the graph registered for the run's dates, for any node after this one
        run.register("as_of_dates", _dates(run, run.dates))
        for name in UPSTREAM:
            run.register(name, _stored(run, name))
    episodes = critical_since(health_df, _dates(run, run.dates), cfg.episode.lookback_days, cfg.episode.gap_days)
    rows_df = (
        health_df.where(F.col("as_of_date").isin(*run.dates))
        .join(episodes, ["as_of_date", "account_id"], how="left")
        .withColumn("is_new_critical", F.coalesce(F.col("critical_since") == F.col("as_of_date"), F.lit(False)))
    )
    table = GOLD_TABLES[TABLE]
    replace_dates(rows_df, table, run.lake_root, run.dates)
    written = _stored(run, TABLE)
    run.register(TABLE, written)
    new = written.where(F.col("is_new_critical")).count()
    return [
        StepResult(
            f"gold:{TABLE}",
            rows_out=written.count(),
            seconds=time.perf_counter() - started,
            message=f"{new} account(s) newly Critical" if new else "",
        )
    ]
