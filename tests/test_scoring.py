"""The opportunity score on two hand-built opportunities with hand-computed components."""

from __future__ import annotations

from datetime import date

import pytest
from pyspark.sql import functions as F

from gold.scv_customer_score import score_opportunities
from testkit import base_config

FEATURES_DDL = (
    "opty_id string, as_of_date date, dealer_code string, taluka string, district string, state string, "
    "customer_name string, customer_phone string, product_line string, stage string, "
    "lead_classification string, opty_category string, customer_type string, created_date date, "
    "expected_closure_date date, last_contact_date date, next_followup_date date, calls bigint, "
    "connected_calls bigint, avg_connected_duration_s double, saleable_stock bigint"
)
AS_OF = date(2024, 1, 10)


@pytest.fixture
def scored(spark):  # type: ignore[no-untyped-def]
    rows = [
        (
            "A",
            AS_OF,
            "D1",
            "T",
            "Pune",
            "MH",
            "Asha",
            "9000000001",
            "Pickup",
            "C1",
            "Hot",
            "Walk-in",
            "Fleet",
            date(2024, 1, 9),
            date(2024, 1, 15),
            date(2024, 1, 9),
            date(2024, 1, 12),
            4,
            3,
            240.0,
            5,
        ),
        (
            "B",
            AS_OF,
            "D1",
            "T",
            "Pune",
            "MH",
            "Ravi",
            "9000000002",
            "Pickup",
            "C0",
            "Cold",
            "Campaign",
            "Retail",
            date(2023, 12, 1),
            None,
            None,
            None,
            0,
            0,
            None,
            None,
        ),
    ]
    cfg = base_config().pipeline.scoring
    features = spark.createDataFrame(rows, FEATURES_DDL).withColumn("account_id", F.lit(None).cast("string"))
    return {r.opty_id: r for r in score_opportunities(features, cfg).collect()}


def test_components_and_total(scored) -> None:  # type: ignore[no-untyped-def]
    a, b = scored["A"], scored["B"]
    assert [
        a.score_lead_age,
        a.score_expected_closure,
        a.score_opty_category,
        a.score_lead_classification,
        a.score_customer_type,
        a.score_followup,
        a.score_engagement,
        a.score_stock,
    ] == [100.0, 100.0, 90.0, 85.0, 90.0, 100.0, 100.0, 100.0]
    assert a.total_score == 95.25
    assert b.score_lead_age == pytest.approx(100 * 20 / 57)
    assert [
        b.score_expected_closure,
        b.score_opty_category,
        b.score_lead_classification,
        b.score_customer_type,
        b.score_followup,
        b.score_engagement,
        b.score_stock,
    ] == [30.0, 45.0, 15.0, 60.0, 0.0, 0.0, 0.0]
    assert b.total_score == 17.26


def test_reasons_next_action_and_rank(scored) -> None:  # type: ignore[no-untyped-def]
    a, b = scored["A"], scored["B"]
    assert a.reason_codes == ["LEAD_CLASSIFICATION", "ENGAGEMENT", "LEAD_AGE"]
    assert a.reasons == ["Hot lead", "3 connected calls, avg 4m 0s", "Enquiry 1 day old"]
    assert a.next_best_action == "Send the quotation after the test drive"
    assert b.reason_codes == ["LEAD_AGE", "LEAD_CLASSIFICATION", "EXPECTED_CLOSURE"]
    assert b.reasons == ["Enquiry 40 days old", "Cold lead", "No expected closure date"]
    assert b.next_best_action == "First call today: qualify the enquiry"
    assert (a.rank_in_dealer, b.rank_in_dealer) == (1, 2)
    assert a.days_since_last_contact == 1 and b.days_since_last_contact == 40
    assert a.weights_version == base_config().pipeline.scoring.weights_version
