"""The opportunity priority score: component scores, weighted total, reasons and the next best action.

Pure transforms over the ``opportunity_features`` rows; every curve and weight comes from conf
(``scoring``), documented in docs/scoring.md.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from gold.catalogue import GOLD_TABLES

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


def _lookup(column: str, table: dict[str, Any]) -> Column:
    default = float(table.get("default", 50))
    pairs = [F.lit(x) for k, v in table.items() if k != "default" for x in (k, float(v))]
    return F.coalesce(F.element_at(F.create_map(*pairs), F.col(column)), F.lit(default))


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


def with_component_scores(features_df: DataFrame, cfg: dict[str, Any]) -> DataFrame:
    age, closure, follow = cfg["lead_age"], cfg["expected_closure"], cfg["followup"]
    engage, stock = cfg["engagement"], cfg["stock"]
    days_to_closure = F.col("days_to_closure")
    closure_score = (
        F.when(days_to_closure.isNull(), F.lit(float(closure["missing"])))
        .when(days_to_closure < 0, F.lit(float(closure["overdue"])))
        .when(days_to_closure <= closure["soon_days"], F.lit(100.0))
        .otherwise(_falling(days_to_closure, closure["soon_days"], closure["horizon_days"]) * 0.6 + 40.0)
    )
    followup_score = _clamp(
        _falling(F.col("days_since_last_contact"), follow["sla_days"], follow["lapsed_days"])
        - F.col("followup_overdue_days") * F.lit(float(follow["overdue_penalty_per_day"]))
    )
    duration = F.coalesce(F.col("avg_connected_duration_s"), F.lit(0.0))
    engagement_score = _clamp(
        F.lit(50.0) * F.least(F.lit(1.0), duration / F.lit(float(engage["full_duration_s"])))
        + F.lit(50.0) * F.least(F.lit(1.0), F.col("connected_calls") / F.lit(float(engage["full_connected_calls"])))
    )
    stock_score = _clamp(F.coalesce(F.col("saleable_stock"), F.lit(0)) * F.lit(100.0 / stock["full_units"]))
    return (
        features_df.withColumn(
            "score_lead_age", _falling(F.col("lead_age_days"), age["fresh_days"], age["expired_days"])
        )
        .withColumn("score_expected_closure", _clamp(closure_score))
        .withColumn("score_opty_category", _lookup("opty_category", cfg["opty_category"]))
        .withColumn("score_lead_classification", _lookup("lead_classification", cfg["lead_classification"]))
        .withColumn("score_customer_type", _lookup("customer_type", cfg["customer_type"]))
        .withColumn("score_followup", followup_score)
        .withColumn("score_engagement", engagement_score)
        .withColumn("score_stock", stock_score)
    )


def with_total_score(scored_df: DataFrame, weights: dict[str, float]) -> DataFrame:
    total = sum((F.col(f"score_{c}") * F.lit(float(weights[c])) for c in COMPONENTS), F.lit(0.0))
    return scored_df.withColumn("total_score", F.round(total, 2))


def _reason_texts() -> dict[str, Column]:
    s = F.col
    minutes = F.floor(F.coalesce(s("avg_connected_duration_s"), F.lit(0)) / 60).cast("int").cast("string")
    seconds = (F.coalesce(s("avg_connected_duration_s"), F.lit(0)).cast("int") % 60).cast("string")
    return {
        "lead_age": F.concat(F.lit("Enquiry "), s("lead_age_days").cast("string"), F.lit(" days old")),
        "expected_closure": F.when(s("days_to_closure").isNull(), F.lit("No expected closure date"))
        .when(
            s("days_to_closure") >= 0,
            F.concat(F.lit("Expected to close in "), s("days_to_closure").cast("string"), F.lit(" days")),
        )
        .otherwise(F.lit("Expected closure date has passed")),
        "opty_category": F.concat(F.coalesce(s("opty_category"), F.lit("Unknown")), F.lit(" enquiry")),
        "lead_classification": F.concat(F.coalesce(s("lead_classification"), F.lit("Unclassified")), F.lit(" lead")),
        "customer_type": F.concat(F.coalesce(s("customer_type"), F.lit("Unknown")), F.lit(" customer")),
        "followup": F.when(
            s("followup_overdue_days") > 0,
            F.concat(F.lit("Follow-up overdue by "), s("followup_overdue_days").cast("string"), F.lit(" days")),
        ).otherwise(F.concat(F.lit("Last contact "), s("days_since_last_contact").cast("string"), F.lit(" days ago"))),
        "engagement": F.concat(
            s("connected_calls").cast("string"),
            F.lit(" connected calls, avg "),
            minutes,
            F.lit("m "),
            seconds,
            F.lit("s"),
        ),
        "stock": F.concat(
            F.coalesce(s("saleable_stock"), F.lit(0)).cast("string"),
            F.lit(" "),
            s("product_line"),
            F.lit(" in stock at the dealer"),
        ),
    }


def with_reasons(scored_df: DataFrame, weights: dict[str, float], top_n: int = 3) -> DataFrame:
    """The ``top_n`` components that contribute most to the total, as codes and as sentences.

    Entries are sorted as strings "<zero-padded contribution>|<code>|<text>" (sorting structs is not
    portable across engines), then split again.
    """
    texts = _reason_texts()
    entries = [
        F.concat_ws(
            "|",
            F.lpad((F.col(f"score_{c}") * F.lit(float(weights[c]) * 100)).cast("int").cast("string"), 6, "0"),
            F.lit(c.upper()),
            F.coalesce(texts[c], F.lit("")),
        )
        for c in COMPONENTS
    ]
    top = F.slice(F.sort_array(F.array(*entries), asc=False), 1, top_n)
    return scored_df.withColumn("reason_codes", F.transform(top, lambda e: F.split(e, "[|]").getItem(1))).withColumn(
        "reasons", F.transform(top, lambda e: F.split(e, "[|]").getItem(2))
    )


def with_next_best_action(scored_df: DataFrame) -> DataFrame:
    s = F.col
    in_stock = F.coalesce(s("saleable_stock"), F.lit(0)) > 0
    action = (
        F.when(s("followup_overdue_days") > 0, F.lit("Call today: the promised follow-up is overdue"))
        .when((s("stage") == "C3") & in_stock, F.lit("Confirm the delivery date and complete the retail"))
        .when(s("stage") == "C3", F.lit("Arrange stock of this product line before promising delivery"))
        .when(s("stage") == "C2", F.lit("Follow up on the quotation and offer finance options"))
        .when(s("stage") == "C1", F.lit("Send the quotation after the test drive"))
        .when(s("last_contact_date").isNull(), F.lit("First call today: qualify the enquiry"))
        .otherwise(F.lit("Invite the customer for a test drive"))
    )
    return scored_df.withColumn("next_best_action", action)


def with_rank_in_dealer(scored_df: DataFrame) -> DataFrame:
    window = Window.partitionBy("as_of_date", "dealer_code").orderBy(F.col("total_score").desc(), "opty_id")
    return scored_df.withColumn("rank_in_dealer", F.row_number().over(window).cast("int"))


def score_opportunities(features_df: DataFrame, cfg: dict[str, Any]) -> DataFrame:
    """Features -> rows of ``scv_customer_score`` (as-of dated, not yet merged)."""
    weights = {c: float(cfg["weights"][c]) for c in COMPONENTS}
    table = GOLD_TABLES["scv_customer_score"]
    scored_df = (
        features_df.transform(with_days)
        .transform(lambda df: with_component_scores(df, cfg))
        .transform(lambda df: with_total_score(df, weights))
        .transform(lambda df: with_reasons(df, weights))
        .transform(with_next_best_action)
        .transform(with_rank_in_dealer)
        .withColumn("weights_version", F.lit(str(cfg["weights_version"])))
        .withColumn("scored_at", F.current_timestamp())
    )
    return scored_df.select(*[F.col(name).cast(dtype).alias(name) for name, dtype in table.columns])
