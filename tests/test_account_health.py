"""account_health's components, score, class, factors and intervention on hand-built figures, and its Critical
episodes traced over each date's trailing days."""

from __future__ import annotations

from datetime import date, timedelta

from chispa import assert_approx_df_equality

from frames import ddl_frame
from gold.account_health import critical_since, score_health
from testkit import base_config

AS_OF = date(2024, 1, 10)
FEATURES_DDL = (
    "as_of_date date, account_id string, recency_days int, interval_days double, orders_recent bigint, "
    "orders_prior bigint, open_opportunities bigint, sentiment_label string, sentiment_score double, "
    "answer_rate double, calls_recent bigint, top_terms string"
)


def test_health_scores_classes_factors_and_intervention(spark) -> None:  # type: ignore[no-untyped-def]
    cfg = base_config().pipeline.accounts.health  # weights .35/.25/.15/.15/.10, neutral 75, no open pipeline 50
    features = ddl_frame(
        spark,
        FEATURES_DDL,
        [
            # three intervals without an order: cadence 0; 1 purchase day against 4: trend 25; 2 of 5 calls
            # answered (0.4 of the full 0.8): engagement 50; mean -0.3 on -0.5..0.5: sentiment 20; no open: 50
            (AS_OF, "H1", 120, 40.0, 1, 4, 0, "Negative", -0.3, 0.4, 5, "delay"),
            # within its interval, an open opportunity, no calls and no prior year: neutral where no data
            (AS_OF, "H2", 10, 40.0, 3, 0, 1, "Unknown", None, None, 0, ""),
            # on cadence but complaining: sentiment costs the most
            (AS_OF, "H3", 30, 40.0, 4, 4, 1, "Negative", -0.5, 1.0, 6, "unhappy, another brand"),
        ],
    )
    actual = score_health(features, cfg).select(
        "account_id", "score_cadence", "score_purchase_trend", "score_engagement", "score_sentiment",
        "score_open_pipeline", "health_score", "health_class", "factor_codes", "factors", "intervention",
    )  # fmt: skip
    expected = ddl_frame(
        spark,
        "account_id string, score_cadence double, score_purchase_trend double, score_engagement double, "
        "score_sentiment double, score_open_pipeline double, health_score double, health_class string, "
        "factor_codes string, factors string, intervention string",
        [
            ("H1", 0.0, 25.0, 50.0, 20.0, 50.0, 21.8, "Critical", "CADENCE,PURCHASE_TREND",
             "No order for 120 days (it usually orders every 40 days); Purchase days: 1 in the last 365 days "
             "against 4 in the 365 before", "Visit the account this week: its next order is 80 days overdue"),
            ("H2", 100.0, 75.0, 75.0, 75.0, 100.0, 86.3, "Excellent", "", "",
             "Keep the cadence: thank the account and plan its next order with it"),
            # 35 + 25 + 15 + 0 + 10 = 85: Excellent, yet the complaint is its one factor
            ("H3", 100.0, 100.0, 100.0, 0.0, 100.0, 85.0, "Excellent", "SENTIMENT",
             "Recent calls are negative: unhappy, another brand",
             "Keep the cadence: thank the account and plan its next order with it"),
        ],
    )  # fmt: skip
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


def test_a_poor_account_gets_the_intervention_of_its_costliest_factor(spark) -> None:  # type: ignore[no-untyped-def]
    cfg = base_config().pipeline.accounts.health
    features = ddl_frame(
        spark,
        FEATURES_DDL,
        # cadence 100, trend 50, engagement 25, sentiment 0, no open pipeline 50: 35 + 12.5 + 3.75 + 0 + 5 = 56.25;
        # the points lost: sentiment 15, trend 12.5, engagement 11.25
        [(AS_OF, "P1", 20, 40.0, 2, 4, 0, "Negative", -0.6, 0.2, 5, "angry")],
    )
    row = score_health(features, cfg).collect()[0]
    assert (row.health_score, row.health_class, row.factor_codes) == (56.3, "Poor", "SENTIMENT,PURCHASE_TREND")
    assert row.intervention == "Call the owner with the dealer principal and resolve the complaint"


def test_a_critical_episode_starts_once_and_is_traced_over_the_trailing_days(spark) -> None:  # type: ignore[no-untyped-def]
    def day(k: int) -> date:
        return AS_OF - timedelta(days=k)

    rows = [(day(k), "X", "Critical") for k in (10, 9, 2, 1, 0)]  # a quiet spell of 6 days: one episode
    rows += [(day(20), "Y", "Critical"), (day(0), "Y", "Critical")]  # 19 quiet days: a new episode today
    rows += [(day(1), "Z", "Critical"), (day(0), "Z", "Poor")]  # not Critical on the date
    health = ddl_frame(spark, "as_of_date date, account_id string, health_class string", rows)
    dates = ddl_frame(spark, "as_of_date date", [(AS_OF,)])
    found = {(r.account_id, r.critical_since) for r in critical_since(health, dates, 28, 7).collect()}
    assert found == {("X", day(10)), ("Y", day(0))}
    # over a 5-day look back only D-2 .. D are seen: the same date gives D-2, whatever ran before
    found = {(r.account_id, r.critical_since) for r in critical_since(health, dates, 5, 7).collect()}
    assert found == {("X", day(2)), ("Y", day(0))}
