"""scv_customer_score: the priority score of every open opportunity, and its dated history.

The features come from ``sql/gold/scv_customer_score.sql``; here they become component scores, a weighted
total, reasons and the next best action (pure transforms), and ``build`` writes them: the latest date is
upserted into ``scv_customer_score`` by opportunity, and the snapshot dates (``history_every_days``) replace
their rows in ``scv_customer_score_history``. Every curve and weight comes from conf (``scoring``), documented
in docs/pipeline.md; fitted weights a person adopted (``scoring.adopted``, docs/calibration.md) replace the
designed ones and add the probability of winning within their horizon.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ground.catalogue import GOLD_TABLES
from ground.columns import lookup
from ground.failpoints import failpoint
from ground.run import StepResult
from ground.settings import AdoptedScore, Scoring
from ground.spark_io import merge_upsert, read_table, replace_dates, stage, table_exists

if TYPE_CHECKING:
    from gold.graph import GoldRun

COMPONENTS = [
    "lead_age",
    "expected_closure",
    "opty_category",
    "lead_classification",
    "customer_type",
    "followup",
    "engagement",
    "stock",
]


def _clamp(value: Column) -> Column:
    return F.greatest(F.lit(0.0), F.least(F.lit(100.0), value.cast("double")))


def _falling(days: Column, full_until: float, zero_at: float) -> Column:
    """100 up to ``full_until`` days, falling linearly to 0 at ``zero_at``."""
    return _clamp(F.lit(100.0) * (F.lit(zero_at) - days) / F.lit(max(zero_at - full_until, 1)))


def _lookup(column: str, table: dict[str, float]) -> Column:
    default = float(table["default"])
    scores = {k: float(v) for k, v in table.items() if k != "default"}
    return F.coalesce(lookup(F.col(column), scores), F.lit(default))


def with_days(features_df: DataFrame) -> DataFrame:
    """Day counts the components and reasons share."""
    return (
        features_df.withColumn("lead_age_days", F.datediff("as_of_date", "created_date"))
        .withColumn("days_to_closure", F.datediff("expected_closure_date", "as_of_date"))
        .withColumn(
            "days_since_last_contact",
            F.datediff("as_of_date", F.coalesce("last_contact_date", "created_date")).cast("int"),
        )
        .withColumn(
            "followup_overdue_days",
            F.greatest(F.lit(0), F.coalesce(F.datediff("as_of_date", "next_followup_date"), F.lit(0))),
        )
    )


def with_component_scores(features_df: DataFrame, cfg: Scoring) -> DataFrame:
    age, closure, follow = cfg.lead_age, cfg.expected_closure, cfg.followup
    engage, stock = cfg.engagement, cfg.stock
    days_to_closure = F.col("days_to_closure")
    floor = closure.floor_score
    closure_score = (
        F.when(days_to_closure.isNull(), F.lit(float(closure.missing)))
        .when(days_to_closure < 0, F.lit(float(closure.overdue)))
        .when(days_to_closure <= closure.soon_days, F.lit(100.0))
        .otherwise(
            _falling(days_to_closure, closure.soon_days, closure.horizon_days) * F.lit((100.0 - floor) / 100.0)
            + F.lit(float(floor))
        )
    )
    followup_score = _clamp(
        _falling(F.col("days_since_last_contact"), follow.sla_days, follow.lapsed_days)
        - F.col("followup_overdue_days") * F.lit(float(follow.overdue_penalty_per_day))
    )
    duration = F.coalesce(F.col("avg_connected_duration_s"), F.lit(0.0))
    duration_points = 100.0 * engage.duration_share
    engagement_score = _clamp(
        F.lit(duration_points) * F.least(F.lit(1.0), duration / F.lit(float(engage.full_duration_s)))
        + F.lit(100.0 - duration_points)
        * F.least(F.lit(1.0), F.col("connected_calls") / F.lit(float(engage.full_connected_calls)))
    )
    stock_score = _clamp(F.coalesce(F.col("saleable_stock"), F.lit(0)) * F.lit(100.0 / stock.full_units))
    return (
        features_df.withColumn("score_lead_age", _falling(F.col("lead_age_days"), age.fresh_days, age.expired_days))
        .withColumn("score_expected_closure", _clamp(closure_score))
        .withColumn("score_opty_category", _lookup("opty_category", cfg.opty_category))
        .withColumn("score_lead_classification", _lookup("lead_classification", cfg.lead_classification))
        .withColumn("score_customer_type", _lookup("customer_type", cfg.customer_type))
        .withColumn("score_followup", followup_score)
        .withColumn("score_engagement", engagement_score)
        .withColumn("score_stock", stock_score)
    )


def with_total_score(scored_df: DataFrame, weights: dict[str, float]) -> DataFrame:
    total = sum((F.col(f"score_{c}") * F.lit(float(weights[c])) for c in COMPONENTS), F.lit(0.0))
    return scored_df.withColumn("total_score", F.round(total, 2))


def _count(value: Column, singular: str, plural: str) -> Column:
    """``1 day``, ``3 days``: the number and the noun that agrees with it."""
    return F.concat(value.cast("string"), F.when(value == 1, F.lit(f" {singular}")).otherwise(F.lit(f" {plural}")))


def _reason_texts() -> dict[str, Column]:
    s = F.col
    minutes = F.floor(F.coalesce(s("avg_connected_duration_s"), F.lit(0)) / 60).cast("int").cast("string")
    seconds = (F.coalesce(s("avg_connected_duration_s"), F.lit(0)).cast("int") % 60).cast("string")
    return {
        "lead_age": F.when(s("lead_age_days") <= 0, F.lit("New enquiry")).otherwise(
            F.concat(F.lit("Enquiry "), _count(s("lead_age_days"), "day", "days"), F.lit(" old"))
        ),
        "expected_closure": F.when(s("days_to_closure").isNull(), F.lit("No expected closure date"))
        .when(
            s("days_to_closure") >= 0,
            F.concat(F.lit("Expected to close in "), _count(s("days_to_closure"), "day", "days")),
        )
        .otherwise(F.lit("Expected closure date has passed")),
        "opty_category": F.concat(F.coalesce(s("opty_category"), F.lit("Unknown")), F.lit(" enquiry")),
        "lead_classification": F.concat(F.coalesce(s("lead_classification"), F.lit("Unclassified")), F.lit(" lead")),
        "customer_type": F.concat(F.coalesce(s("customer_type"), F.lit("Unknown")), F.lit(" customer")),
        "followup": F.when(
            s("followup_overdue_days") > 0,
            F.concat(F.lit("Follow-up overdue by "), _count(s("followup_overdue_days"), "day", "days")),
        )
        .when(s("last_contact_date").isNull(), F.lit("Not contacted yet"))
        .when(s("days_since_last_contact") <= 0, F.lit("Last contact on the day scored"))
        .otherwise(
            F.concat(F.lit("Last contact "), _count(s("days_since_last_contact"), "day", "days"), F.lit(" ago"))
        ),
        "engagement": F.when(s("connected_calls") == 0, F.lit("No connected call yet")).otherwise(
            F.concat(
                _count(s("connected_calls"), "connected call", "connected calls"),
                F.when(s("avg_connected_duration_s").isNull(), F.lit("")).otherwise(
                    F.concat(F.lit(", avg "), minutes, F.lit("m "), seconds, F.lit("s"))
                ),
            )
        ),
        "stock": F.concat(
            F.coalesce(s("saleable_stock"), F.lit(0)).cast("string"),
            F.lit(" "),
            s("product_line"),
            F.lit(" in stock at the dealer"),
        ),
    }


def with_reasons(scored_df: DataFrame, weights: dict[str, float], top_n: int = 3) -> DataFrame:
    """The ``top_n`` components that contribute most to the total, as codes and as sentences. A component
    without weight (fitted weights can drop one) drives nothing and is never a reason.

    The codes are ranked as strings "<zero-padded contribution>|<code>" (sorting structs is not portable
    across engines); each chosen code's sentence is then written for it alone, not all of them for every row.
    """
    texts = _reason_texts()
    weighted = [c for c in COMPONENTS if weights[c] > 0]
    width = 6  # digits of the padded contribution; the code follows it and the "|"
    entries = [
        F.concat(
            F.lpad((F.col(f"score_{c}") * F.lit(float(weights[c]) * 100)).cast("int").cast("string"), width, "0"),
            F.lit(f"|{c.upper()}"),
        )
        for c in weighted
    ]
    top = F.slice(F.sort_array(F.array(*entries), asc=False), 1, top_n)
    codes_df = scored_df.withColumn("reason_codes", F.transform(top, lambda e: F.substring(e, width + 2, 64)))
    sentence_of = {c.upper(): F.coalesce(texts[c], F.lit("")) for c in weighted}
    sentences = [
        lookup(F.element_at(F.col("reason_codes"), k), sentence_of) for k in range(1, len(weighted[:top_n]) + 1)
    ]
    return codes_df.withColumn("reasons", F.array(*sentences) if sentences else F.array().cast("array<string>"))


def with_next_best_action(scored_df: DataFrame, weights: dict[str, float] | None = None) -> DataFrame:
    """The first rule that matches. The rules that work a lever of the score (an overdue follow-up, missing
    stock, a first call) apply only while that lever's component carries weight: with fitted weights that
    dropped it, the action comes from the stage instead. With the designed weights every rule is live."""
    s = F.col
    drives = {c: (weights or {}).get(c, 1.0) > 0 for c in COMPONENTS}
    in_stock = F.coalesce(s("saleable_stock"), F.lit(0)) > 0
    overdue = (s("followup_overdue_days") > 0) & F.lit(drives["followup"])
    action = (
        F.when(overdue, F.lit("Call today: the promised follow-up is overdue"))
        .when(
            (s("stage") == "C3") & (in_stock | F.lit(not drives["stock"])),
            F.lit("Confirm the delivery date and complete the retail"),
        )
        .when(s("stage") == "C3", F.lit("Arrange stock of this product line before promising delivery"))
        .when(s("stage") == "C2", F.lit("Follow up on the quotation and offer finance options"))
        .when(s("stage") == "C1", F.lit("Send the quotation after the test drive"))
        .when(
            s("last_contact_date").isNull() & F.lit(drives["engagement"] or drives["followup"]),
            F.lit("First call today: qualify the enquiry"),
        )
        .otherwise(F.lit("Invite the customer for a test drive"))
    )
    return scored_df.withColumn("next_best_action", action)


def with_win_probability(scored_df: DataFrame, adopted: AdoptedScore | None) -> DataFrame:
    """The probability of winning within the adopted horizon (``win_horizon_days``), from the total score through
    the probability map ``scv calibrate`` fitted for the adopted weights; null while the designed weights are in
    use."""
    if adopted is None:
        return scored_df.withColumn("win_probability", F.lit(None).cast("double")).withColumn(
            "win_horizon_days", F.lit(None).cast("int")
        )
    logit = F.lit(adopted.probability_intercept) + F.lit(adopted.probability_slope) * F.col("total_score") / 100.0
    return scored_df.withColumn("win_probability", F.round(F.lit(1.0) / (F.lit(1.0) + F.exp(-logit)), 4)).withColumn(
        "win_horizon_days", F.lit(adopted.horizon_days).cast("int")
    )


def with_rank_in_dealer(scored_df: DataFrame) -> DataFrame:
    window = Window.partitionBy("as_of_date", "dealer_code").orderBy(F.col("total_score").desc(), "opty_id")
    return scored_df.withColumn("rank_in_dealer", F.row_number().over(window).cast("int"))


def score_opportunities(features_df: DataFrame, cfg: Scoring) -> DataFrame:
    """Features -> rows of ``scv_customer_score`` (as-of dated, not yet merged)."""
    weights = cfg.active_weights
    table = GOLD_TABLES["scv_customer_score"]
    scored_df = (
        features_df.transform(with_days)
        .transform(lambda df: with_component_scores(df, cfg))
        .transform(lambda df: with_total_score(df, weights))
        .transform(lambda df: with_reasons(df, weights))
        .transform(lambda df: with_next_best_action(df, weights))
        .transform(with_rank_in_dealer)
        .transform(lambda df: with_win_probability(df, cfg.adopted))
        .withColumn("weights_version", F.lit(cfg.active_version))
        .withColumn("scored_at", F.current_timestamp())
    )
    return scored_df.select(*[F.col(name).cast(dtype).alias(name) for name, dtype in table.columns])


# ----------------------------------------------------------------------------------------------- the build
def score_dates(dates: list[date], every_days: int) -> tuple[list[date], date]:
    """Snapshot dates kept in the score history (proleptic ordinal day divisible by ``every_days``, so the
    same calendar dates whatever the run) and the latest date."""
    snapshots = [d for d in sorted(set(dates)) if every_days > 0 and d.toordinal() % every_days == 0]
    return snapshots, max(dates)


def _latest_scored_date(run: GoldRun) -> date | None:
    table = GOLD_TABLES["scv_customer_score"]
    if not table_exists(run.spark, table.location(run.lake_root)):
        return None
    row = read_table(run.spark, table, run.lake_root).agg(F.max("as_of_date").alias("d")).collect()[0]
    return row.d  # type: ignore[no-any-return]


def _scores_for(run: GoldRun, dates: list[date]) -> DataFrame:
    """Scores of every open opportunity on each of ``dates``, computed in one pass and staged."""
    from gold.graph import run_sql

    run.register("score_dates", run.spark.createDataFrame([(d,) for d in dates], "as_of_date date"))
    features_df = run_sql(run.spark, "scv_customer_score", run.params)
    scores_df = score_opportunities(features_df, run.ctx.settings.scoring)
    return stage(run.spark, scores_df, run.lake_root, "scores")


def build(run: GoldRun) -> list[StepResult]:
    """Upsert scv_customer_score for the latest date (unless a later date is already scored) and keep
    snapshot rows in scv_customer_score_history on the snapshot dates."""
    started = time.perf_counter()
    result = StepResult("gold:scv_customer_score")
    snapshots, latest = score_dates(run.dates, run.ctx.settings.scoring.history_every_days)
    previous = _latest_scored_date(run)
    refresh_current = previous is None or previous <= latest
    wanted = sorted(set(snapshots) | ({latest} if refresh_current else set()))
    if not wanted:
        result.message = f"kept the scores of {previous}, later than {latest}"
        result.seconds = time.perf_counter() - started
        return [result]
    scores_df = _scores_for(run, wanted)
    if snapshots:
        history = GOLD_TABLES["scv_customer_score_history"]
        replace_dates(scores_df.where(F.col("as_of_date").isin(*snapshots)), history, run.lake_root, snapshots)
    if refresh_current:
        table = GOLD_TABLES["scv_customer_score"]
        merge_upsert(
            run.spark,
            scores_df.where(F.col("as_of_date") == F.lit(latest)),
            table,
            run.lake_root,
            update_when="s.as_of_date >= t.as_of_date",
            delete_missing_when=f"t.as_of_date <= date'{latest.isoformat()}'",
        )
        failpoint("score_merge")
        result.rows_out = read_table(run.spark, table, run.lake_root).count()
        result.message = f"scored as of {latest}; {len(snapshots)} history snapshot(s)"
    else:
        result.message = f"kept the scores of {previous}, later than {latest}; {len(snapshots)} history snapshot(s)"
    result.seconds = time.perf_counter() - started
    return [result]
