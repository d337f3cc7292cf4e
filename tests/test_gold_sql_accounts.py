"""The account SQL on tiny hand-built rows with exact expected values: account_purchases, account_rfm,
product_affinity, account_cross_sell, account_sentiment (its figures) and account_health (its figures)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from chispa import assert_approx_df_equality

from frames import ddl_frame, frame
from gold.graph import run_sql
from gold_sql_inputs import PARAMS as BASE_PARAMS

D = date
AS_OF = D(2024, 1, 10)
PARAMS: dict[str, Any] = {
    **BASE_PARAMS,
    "account_history_days": 400,
    "account_reach_days": 400,
    "account_open_age_days": 90,
    "rfm_window_days": 200,
    "rfm_rules": "Champions:4:5:4:5:1:5;Loyal:3:5:3:5:1:5;Potential:3:5:1:2:1:5",
    "rfm_default_segment": "Lost",
    "affinity_window_days": 365,
    "affinity_min_pair_accounts": 2,
    "affinity_prior_accounts": 2.0,
    "affinity_min_lift": 1.0,
    "cross_sell_per_account": 2,
    "sentiment_recent_days": 10,
    "sentiment_prior_days": 20,
    "sentiment_min_calls": 2,
    "sentiment_negative_below": -0.15,
    "sentiment_positive_above": 0.15,
    "sentiment_decline_points": 0.2,
    "account_call_lookback_days": 30,
    "health_trend_days": 100,
    "health_min_orders": 3,
}
PURCHASES_DDL = (
    "account_id string, retail_id string, dealer_code string, product_line string, purchase_date date, "
    "units bigint, value double"
)
SCORES_DDL = (
    "account_id string, call_id string, call_date date, is_connected boolean, outcome_score double, "
    "note_score double, call_score double, negative_terms array<string>, scored_by string"
)


@pytest.fixture
def as_of(spark):  # type: ignore[no-untyped-def]
    ddl_frame(spark, "as_of_date date", [(AS_OF,)]).createOrReplaceTempView("as_of_dates")


def purchases(spark, rows: list[tuple[Any, ...]]) -> None:  # type: ignore[no-untyped-def]
    ddl_frame(spark, PURCHASES_DDL, rows).createOrReplaceTempView("account_purchases")


@pytest.mark.usefixtures("as_of")
def test_account_purchases_take_the_invoice_or_its_opportunity_account(spark) -> None:  # type: ignore[no-untyped-def]
    frame(
        spark,
        "retail",
        [
            {"retail_id": "R1", "dealer_code": "D1", "retail_date": D(2024, 1, 5), "product_line": "Pickup",
             "units": 2, "value": 100.0, "account_id": "A1"},
            # no account on the invoice, nor a value: its opportunity's account, and deal value x units
            {"retail_id": "R2", "dealer_code": "D1", "retail_date": D(2024, 1, 6), "product_line": "Van",
             "units": 3, "opty_id": "O1"},
            {"retail_id": "R3", "dealer_code": "D1", "retail_date": D(2024, 1, 6), "units": 1, "opty_id": "O2"},
            {"retail_id": "R4", "dealer_code": "D1", "retail_date": D(2024, 1, 11), "units": 1, "account_id": "A1"},
            {"retail_id": "R5", "dealer_code": "D1", "retail_date": D(2022, 12, 6), "units": 1, "account_id": "A1"},
        ],
    ).createOrReplaceTempView("retail")  # fmt: skip
    frame(
        spark,
        "customer_pipeline",
        [{"opty_id": "O1", "account_id": "A2", "deal_value": 50.0}, {"opty_id": "O2", "deal_value": 70.0}],
    ).createOrReplaceTempView("customer_pipeline")
    actual = run_sql(spark, "account_purchases", PARAMS, folder="views")
    expected = ddl_frame(
        spark,
        PURCHASES_DDL,
        [("A1", "R1", "D1", "Pickup", D(2024, 1, 5), 2, 100.0), ("A2", "R2", "D1", "Van", D(2024, 1, 6), 3, 150.0)],
    )
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_account_rfm_scores_quintiles_and_names_the_first_matching_segment(spark) -> None:  # type: ignore[no-untyped-def]
    purchases(
        spark,
        [
            ("A1", "R1", "D1", "Pickup", D(2024, 1, 8), 1, 100.0),
            ("A1", "R2", "D1", "Pickup", D(2023, 12, 1), 1, 100.0),
            ("A1", "R3", "D1", "Pickup", D(2023, 10, 20), 1, 50.0),
            ("A2", "R4", "D2", "Van", D(2023, 11, 1), 1, 300.0),
            ("A3", "R5", "D3", "Van", D(2023, 6, 1), 2, 20.0),  # outside the 200-day frequency window
        ],
    )
    frame(
        spark, "accounts", [{"account_id": "A1", "account_name": "Acme Fleet", "segment": "Fleet", "region": "West",
                             "dealer_code": "D9"}],
    ).createOrReplaceTempView("accounts")  # fmt: skip
    frame(
        spark,
        "customer_pipeline",
        [{"opty_id": "O1", "account_id": "A2", "customer_name": "Bala Trust", "customer_type": "Institutional",
          "updated_at": datetime(2023, 10, 1, 9)}],
    ).createOrReplaceTempView("customer_pipeline")  # fmt: skip
    frame(
        spark,
        "dealer_geo",
        [{"as_of_date": AS_OF, "dealer_code": "D9", "district": "Pune", "state": "MH", "region": "West"},
         {"as_of_date": AS_OF, "dealer_code": "D2", "district": "Satara", "state": "MH", "region": "West"}],
    ).createOrReplaceTempView("dealer_geo")  # fmt: skip
    ddl = (
        "as_of_date date, account_id string, account_name string, segment string, region string, "
        "dealer_code string, district string, state string, first_purchase_date date, last_purchase_date date, "
        "recency_days int, orders bigint, frequency bigint, monetary double, units bigint, "
        "mean_interval_days double, r_score int, f_score int, m_score int, rfm_segment string"
    )
    expected = ddl_frame(
        spark,
        ddl,
        [
            (AS_OF, "A1", "Acme Fleet", "Fleet", "West", "D9", "Pune", "MH", D(2023, 10, 20), D(2024, 1, 8), 2, 3, 3,
             250.0, 3, 40.0, 5, 5, 3, "Champions"),
            (AS_OF, "A2", "Bala Trust", "Institutional", "West", "D2", "Satara", "MH", D(2023, 11, 1),
             D(2023, 11, 1), 70, 1, 1, 300.0, 1, None, 3, 3, 5, "Loyal"),
            (AS_OF, "A3", None, None, None, "D3", None, None, D(2023, 6, 1), D(2023, 6, 1), 223, 1, 0, 0.0, 2, None,
             1, 1, 1, "Lost"),
        ],
    )  # fmt: skip
    actual = run_sql(spark, "account_rfm", PARAMS)
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


def _holdings(spark) -> None:  # type: ignore[no-untyped-def]
    purchases(
        spark,
        [
            ("A1", "R1", "D1", "Pickup", D(2023, 12, 1), 1, 1.0),
            ("A1", "R2", "D1", "Van", D(2023, 12, 2), 1, 1.0),
            ("A2", "R3", "D1", "Pickup", D(2023, 11, 1), 1, 1.0),
            ("A2", "R4", "D1", "Van", D(2023, 8, 1), 1, 1.0),
            ("A3", "R5", "D1", "Pickup", D(2023, 9, 1), 1, 1.0),
            ("A4", "R6", "D1", "Truck", D(2023, 9, 1), 1, 1.0),
            ("A4", "R7", "D1", "Van", D(2022, 9, 1), 1, 1.0),  # outside the window
        ],
    )


AFFINITY_DDL = (
    "as_of_date date, antecedent string, consequent string, accounts bigint, antecedent_accounts bigint, "
    "consequent_accounts bigint, pair_accounts bigint, support double, confidence double, lift double, "
    "confidence_shrunk double, lift_shrunk double, is_reportable boolean, rank int"
)


@pytest.mark.usefixtures("as_of")
def test_product_affinity_measures_every_ordered_pair(spark) -> None:  # type: ignore[no-untyped-def]
    _holdings(spark)
    # 4 accounts: Pickup 3, Van 2, Truck 1, Pickup and Van together 2; prior 2 accounts at the base rate
    expected = ddl_frame(
        spark,
        AFFINITY_DDL,
        [
            (AS_OF, "Pickup", "Van", 4, 3, 2, 2, 0.5, 2 / 3, 4 / 3, 0.6, 1.2, True, 1),
            (AS_OF, "Pickup", "Truck", 4, 3, 1, 0, 0.0, 0.0, 0.0, 0.1, 0.4, False, 2),
            (AS_OF, "Van", "Pickup", 4, 2, 3, 2, 0.5, 1.0, 4 / 3, 0.875, 0.875 / 0.75, True, 1),
            (AS_OF, "Van", "Truck", 4, 2, 1, 0, 0.0, 0.0, 0.0, 0.125, 0.5, False, 2),
            (AS_OF, "Truck", "Pickup", 4, 1, 3, 0, 0.0, 0.0, 0.0, 0.5, 2 / 3, False, 1),  # ties: by name
            (AS_OF, "Truck", "Van", 4, 1, 2, 0, 0.0, 0.0, 0.0, 1 / 3, 2 / 3, False, 2),
        ],
    )
    actual = run_sql(spark, "product_affinity", PARAMS)
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_cross_sell_suggests_unowned_lines_of_strong_rules(spark) -> None:  # type: ignore[no-untyped-def]
    _holdings(spark)
    run_sql(spark, "product_affinity", PARAMS).createOrReplaceTempView("product_affinity")
    expected = ddl_frame(
        spark,
        "as_of_date date, account_id string, rank int, product_line string, because_of string, confidence double, "
        "lift double, pair_accounts bigint",
        [(AS_OF, "A3", 1, "Van", "Pickup", 0.6, 1.2, 2)],  # A4's Truck rules rest on too few accounts
    )
    actual = run_sql(spark, "account_cross_sell", PARAMS)
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_account_sentiment_compares_the_recent_calls_with_the_prior(spark) -> None:  # type: ignore[no-untyped-def]
    ddl_frame(
        spark,
        SCORES_DDL,
        [
            ("A1", "C1", D(2024, 1, 9), True, 0.1, -0.6, -0.5, ["complained", "delay"], "lexicon"),
            ("A1", "C2", D(2024, 1, 5), False, -0.3, 0.0, -0.3, ["delay"], "llm"),
            ("A1", "C3", D(2023, 12, 20), True, 0.1, 0.4, 0.5, [], "lexicon"),
            ("A1", "C4", D(2023, 12, 15), True, 0.1, 0.2, 0.3, [], "lexicon"),
            ("A1", "C5", D(2023, 12, 1), True, 0.1, 0.9, 1.0, [], "lexicon"),  # before the prior window
            ("A1", "C6", D(2024, 1, 11), True, 0.1, -0.9, -1.0, ["angry"], "lexicon"),  # after the date
            ("A2", "C7", D(2024, 1, 8), True, 0.1, 0.5, 0.6, [], "lexicon"),
            ("A3", "C8", D(2023, 12, 20), True, 0.1, 0.0, 0.1, [], "lexicon"),
        ],
    ).createOrReplaceTempView("account_call_scores")
    ddl = (
        "as_of_date date, account_id string, calls_recent bigint, connected_recent bigint, calls_prior bigint, "
        "answer_rate_recent double, score_recent double, score_prior double, score_change double, "
        "negative_calls_recent bigint, label string, trend string, last_call_date date, top_terms string, "
        "llm_scored bigint"
    )
    expected = ddl_frame(
        spark,
        ddl,
        [
            (AS_OF, "A1", 2, 1, 2, 0.5, -0.4, 0.4, -0.8, 2, "Negative", "Declining", D(2024, 1, 9), "delay, complained",
             1),
            (AS_OF, "A2", 1, 1, 0, 1.0, 0.6, None, None, 0, "Unknown", "Unknown", D(2024, 1, 8), "", 0),
            (AS_OF, "A3", 0, 0, 1, None, None, 0.1, None, 0, "Unknown", "Unknown", D(2023, 12, 20), "", 0),
        ],
    )  # fmt: skip
    actual = run_sql(spark, "account_sentiment", PARAMS)
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_account_health_figures(spark) -> None:  # type: ignore[no-untyped-def]
    rfm_ddl = (
        "as_of_date date, account_id string, account_name string, segment string, dealer_code string, "
        "district string, state string, rfm_segment string, recency_days int, orders bigint, "
        "mean_interval_days double"
    )
    ddl_frame(
        spark,
        rfm_ddl,
        [
            (AS_OF, "A1", "Acme", "Fleet", "D1", "Pune", "MH", "At Risk", 120, 4, 40.0),
            (AS_OF, "A2", "Bala", "Fleet", "D1", "Pune", "MH", "Potential", 10, 2, 30.0),
            (AS_OF, "A3", "Chand", "Fleet", "D1", "Pune", "MH", "Loyal", 20, 5, 60.0),
            (AS_OF, "A4", "Dev", "Fleet", "D1", "Pune", "MH", "Loyal", 20, 3, 50.0),
        ],
    ).createOrReplaceTempView("account_rfm")
    ddl_frame(
        spark,
        "as_of_date date, account_id string, label string, score_recent double, answer_rate_recent double, "
        "calls_recent bigint, top_terms string",
        [(AS_OF, "A1", "Negative", -0.3, 0.4, 5, "delay")],
    ).createOrReplaceTempView("account_sentiment")
    purchases(
        spark,
        [
            ("A1", "R1", "D1", "Van", D(2023, 11, 12), 1, 1.0),  # in the last 100 days
            ("A1", "R2", "D1", "Van", D(2023, 9, 1), 1, 1.0),  # 131 days back: the 100 before
            ("A1", "R3", "D1", "Van", D(2023, 8, 1), 1, 1.0),
            ("A1", "R4", "D1", "Van", D(2023, 6, 1), 1, 1.0),  # more than 200 days back: neither
        ],
    )
    frame(
        spark,
        "customer_pipeline_history",
        [
            {"opty_id": "O1", "account_id": "A2", "stage": "C1", "status": "Open", "created_date": D(2024, 1, 2),
             "updated_at": datetime(2024, 1, 2, 9)},
            {"opty_id": "O2", "account_id": "A2", "stage": "C2", "status": "Open", "created_date": D(2024, 1, 1),
             "updated_at": datetime(2024, 1, 1, 9)},
            {"opty_id": "O2", "account_id": "A2", "stage": "WON", "status": "Won", "created_date": D(2024, 1, 1),
             "updated_at": datetime(2024, 1, 9, 9)},  # closed by the date
            {"opty_id": "O3", "account_id": "A3", "stage": "C0", "status": "Open", "created_date": D(2023, 9, 1),
             "updated_at": datetime(2023, 9, 1, 9)},  # stale: created more than 90 days before
        ],
    ).createOrReplaceTempView("customer_pipeline_history")  # fmt: skip
    actual = run_sql(spark, "account_health", PARAMS).select(
        "account_id", "mean_interval_days", "interval_days", "orders_recent", "orders_prior", "open_opportunities",
        "sentiment_label", "sentiment_score", "answer_rate", "calls_recent", "top_terms",
    )  # fmt: skip
    # A2's interval: the median of the accounts with 3 or more purchase days (40, 60, 50)
    expected = ddl_frame(
        spark,
        "account_id string, mean_interval_days double, interval_days double, orders_recent bigint, "
        "orders_prior bigint, open_opportunities bigint, sentiment_label string, sentiment_score double, "
        "answer_rate double, calls_recent bigint, top_terms string",
        [
            ("A1", 40.0, 40.0, 1, 2, 0, "Negative", -0.3, 0.4, 5, "delay"),
            ("A2", None, 50.0, 0, 0, 1, "Unknown", None, None, 0, ""),
            ("A3", 60.0, 60.0, 0, 0, 0, "Unknown", None, None, 0, ""),
            ("A4", 50.0, 50.0, 0, 0, 0, "Unknown", None, None, 0, ""),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize(
    ("name", "reads"),
    [
        ("account_sentiment", {"account_call_scores"}),  # the scored account_calls, staged by its build
        ("account_health", {"account_rfm", "account_sentiment", "account_purchases", "customer_pipeline_history"}),
    ],
)
def test_the_python_tables_sql_reads_what_they_declare(name: str, reads: set[str]) -> None:
    from test_gold_graph import _sql_reads

    from gold.graph import RUN_VIEWS, SQL_DIR
    from ground.catalogue import GOLD_TABLES

    assert _sql_reads((SQL_DIR / "gold" / f"{name}.sql").read_text(encoding="utf-8")) - set(RUN_VIEWS) == reads
    if name == "account_health":
        assert reads == set(GOLD_TABLES[name].inputs)
