"""Dealer-level gold SQL files and the scoring features, on tiny hand-built inputs with exact expected rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from chispa import assert_df_equality

from frames import ddl_frame, frame
from gold.graph import run_sql
from gold_sql_inputs import AS_OF, PARAMS, dates, lead_row, pipeline_history  # noqa: F401  (dates is a fixture)


@pytest.mark.usefixtures("dates")
def test_dealer_leads_5d_counts_windows_with_classification_as_known(spark) -> None:  # type: ignore[no-untyped-def]
    pipeline_history(
        spark,
        [
            lead_row("O1", "D1", date(2024, 1, 10), "Hot", datetime(2024, 1, 10, 9)),
            lead_row("O2", "D1", date(2024, 1, 9), "Cold", datetime(2024, 1, 9, 9)),
            lead_row("O2", "D1", date(2024, 1, 9), "Warm", datetime(2024, 1, 11, 9)),  # known only after the as-of date
            lead_row("O3", "D1", date(2024, 1, 8), "Warm", datetime(2024, 1, 8, 9)),
            lead_row("O4", "D1", date(2024, 1, 6), "Hot", datetime(2024, 1, 6, 9)),  # before both windows
            lead_row("O5", "D1", date(2024, 1, 7), "Cold", datetime(2024, 1, 7, 9)),
            lead_row("O6", "D2", date(2024, 1, 10), "Live Deal", datetime(2024, 1, 10, 23, 59)),
            lead_row("O7", "D2", date(2024, 1, 11), "Hot", datetime(2024, 1, 11, 9)),  # after the as-of date
        ],
    )
    expected = ddl_frame(
        spark,
        "as_of_date date, dealer_code string, leads_cur bigint, leads_prev bigint, lead_growth double, "
        "hi_leads_cur bigint, hi_leads_prev bigint, hi_lead_growth double",
        [(AS_OF, "D1", 2, 2, 0.0, 1, 1, 0.0), (AS_OF, "D2", 1, 0, 1.0, 1, 0, 1.0)],
    )
    actual = run_sql(spark, "dealer_leads_5d", PARAMS)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


GEO_DDL = (
    "as_of_date date, dealer_code string, taluka string, district string, state string, last_activity_at timestamp, "
    "region string, location_origin string"
)


@pytest.mark.usefixtures("dates")
def test_dealer_geo_takes_latest_c0_to_c3_activity(spark) -> None:  # type: ignore[no-untyped-def]
    pipeline_history(
        spark,
        [
            lead_row("O1", "D1", date(2024, 1, 5), "Hot", datetime(2024, 1, 5, 9), "C0", "A"),
            lead_row("O2", "D1", date(2024, 1, 9), "Hot", datetime(2024, 1, 9, 9), "C1", "B"),
            lead_row("O3", "D1", date(2024, 1, 9), "Hot", datetime(2024, 1, 10, 9), "WON", "C"),  # closed: not activity
            lead_row("O4", "D2", date(2024, 1, 11), "Hot", datetime(2024, 1, 11, 9), "C0", "A"),  # after the as-of date
        ],
    )
    frame(spark, "dealers", []).createOrReplaceTempView("dealers")  # no dealer master
    expected = ddl_frame(
        spark,
        GEO_DDL,
        [(AS_OF, "D1", "B", "Pune", "MH", datetime(2024, 1, 9, 9), None, "pipeline")],
    )
    assert_df_equality(run_sql(spark, "dealer_geo", PARAMS), expected, ignore_nullable=True)


@pytest.mark.usefixtures("dates")
def test_dealer_geo_takes_the_master_first_and_keeps_a_dealer_that_only_sells(spark) -> None:  # type: ignore[no-untyped-def]
    pipeline_history(
        spark,
        [
            lead_row("O1", "D1", date(2024, 1, 9), "Hot", datetime(2024, 1, 9, 9), "C1", "Typo Taluka"),
            lead_row("O2", "D3", date(2024, 1, 9), "Hot", datetime(2024, 1, 9, 9), "C1", "B"),
        ],
    )
    master = [
        {"dealer_code": "D1", "taluka": "Haveli", "district": "Pune", "state": "MH", "region": "West", "active": True},
        {"dealer_code": "D2", "taluka": "Mulshi", "district": "Pune", "state": "MH", "region": "West"},  # sells only
        {"dealer_code": "D3", "taluka": None, "district": "Pune", "state": "MH", "active": True},  # no taluka
        {"dealer_code": "D4", "taluka": "Velhe", "district": "Pune", "state": "MH", "active": False},  # closed
    ]
    frame(spark, "dealers", master).createOrReplaceTempView("dealers")
    expected = ddl_frame(
        spark,
        GEO_DDL,
        [
            (AS_OF, "D1", "Haveli", "Pune", "MH", datetime(2024, 1, 9, 9), "West", "dealer_master"),
            (AS_OF, "D2", "Mulshi", "Pune", "MH", None, "West", "dealer_master"),
            (AS_OF, "D3", "B", "Pune", "MH", datetime(2024, 1, 9, 9), None, "pipeline"),
        ],
    )
    actual = run_sql(spark, "dealer_geo", PARAMS)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("dates")
def test_dealer_retail_5d(spark) -> None:  # type: ignore[no-untyped-def]
    frame(
        spark,
        "retail",
        [
            {"retail_id": "R1", "dealer_code": "D1", "retail_date": date(2024, 1, 10), "units": 2},
            {"retail_id": "R2", "dealer_code": "D1", "retail_date": date(2024, 1, 9), "units": 1},
            {"retail_id": "R3", "dealer_code": "D1", "retail_date": date(2024, 1, 8), "units": 3},
            {"retail_id": "R4", "dealer_code": "D1", "retail_date": date(2024, 1, 6), "units": 5},
            {"retail_id": "R5", "dealer_code": "D2", "retail_date": date(2024, 1, 7), "units": 4},
        ],
    ).createOrReplaceTempView("retail")
    expected = ddl_frame(
        spark,
        "as_of_date date, dealer_code string, retail_cur bigint, retail_prev bigint, retail_growth double",
        [(AS_OF, "D1", 3, 3, 0.0), (AS_OF, "D2", 0, 4, -1.0)],
    )
    actual = run_sql(spark, "dealer_retail_5d", PARAMS)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("dates")
def test_dealer_stock_uses_latest_snapshot_within_lookback(spark) -> None:  # type: ignore[no-untyped-def]
    def snap(day: int, dealer: str, line: str, total: int, saleable: int) -> dict:  # type: ignore[type-arg]
        return {
            "snapshot_date": date(2024, 1, day),
            "dealer_code": dealer,
            "product_line": line,
            "total_stock": total,
            "saleable_stock": saleable,
        }

    frame(
        spark,
        "stock",
        [
            snap(8, "D1", "Pickup", 5, 3),
            snap(8, "D1", "Van", 2, 2),
            snap(10, "D1", "Pickup", 4, 2),
            snap(10, "D1", "Van", 1, 0),
            snap(11, "D1", "Pickup", 9, 9),  # after the as-of date
            snap(1, "D2", "Pickup", 7, 7),  # older than the lookback
        ],
    ).createOrReplaceTempView("stock")
    expected = ddl_frame(
        spark,
        "as_of_date date, dealer_code string, snapshot_date date, total_stock bigint, saleable_stock bigint",
        [(AS_OF, "D1", date(2024, 1, 10), 5, 2)],
    )
    assert_df_equality(run_sql(spark, "dealer_stock", PARAMS), expected, ignore_nullable=True)


def test_dealer_market_features_joins_on_geo_dealers_with_zeros(spark) -> None:  # type: ignore[no-untyped-def]
    frame(
        spark,
        "dealer_geo",
        [
            {"as_of_date": AS_OF, "dealer_code": "D1", "taluka": "T", "district": "X", "state": "MH"},
            {"as_of_date": AS_OF, "dealer_code": "D2", "taluka": "T", "district": "X", "state": "MH"},
        ],
    ).createOrReplaceTempView("dealer_geo")
    frame(
        spark,
        "dealer_leads_5d",
        [
            {
                "as_of_date": AS_OF,
                "dealer_code": "D1",
                "leads_cur": 4,
                "leads_prev": 2,
                "lead_growth": 1.0,
                "hi_leads_cur": 2,
                "hi_leads_prev": 1,
                "hi_lead_growth": 1.0,
            },
            {
                "as_of_date": AS_OF,
                "dealer_code": "D9",
                "leads_cur": 7,
                "leads_prev": 0,
                "lead_growth": 7.0,
                "hi_leads_cur": 0,
                "hi_leads_prev": 0,
                "hi_lead_growth": 0.0,
            },  # no geography: not a market row
        ],
    ).createOrReplaceTempView("dealer_leads_5d")
    frame(
        spark,
        "dealer_retail_5d",
        [
            {"as_of_date": AS_OF, "dealer_code": "D2", "retail_cur": 3, "retail_prev": 1, "retail_growth": 2.0},
        ],
    ).createOrReplaceTempView("dealer_retail_5d")
    frame(
        spark,
        "dealer_stock",
        [
            {"as_of_date": AS_OF, "dealer_code": "D1", "snapshot_date": AS_OF, "total_stock": 5, "saleable_stock": 4},
        ],
    ).createOrReplaceTempView("dealer_stock")
    actual = run_sql(spark, "dealer_market_features_5d", PARAMS)
    expected = frame(
        spark,
        "dealer_market_features_5d",
        [
            {
                "as_of_date": AS_OF,
                "dealer_code": "D1",
                "taluka": "T",
                "district": "X",
                "state": "MH",
                "leads_cur": 4,
                "leads_prev": 2,
                "lead_growth": 1.0,
                "hi_leads_cur": 2,
                "hi_leads_prev": 1,
                "hi_lead_growth": 1.0,
                "retail_cur": 0,
                "retail_prev": 0,
                "retail_growth": 0.0,
                "total_stock": 5,
                "saleable_stock": 4,
            },
            {
                "as_of_date": AS_OF,
                "dealer_code": "D2",
                "taluka": "T",
                "district": "X",
                "state": "MH",
                "leads_cur": 0,
                "leads_prev": 0,
                "lead_growth": 0.0,
                "hi_leads_cur": 0,
                "hi_leads_prev": 0,
                "hi_lead_growth": 0.0,
                "retail_cur": 3,
                "retail_prev": 1,
                "retail_growth": 2.0,
                "total_stock": 0,
                "saleable_stock": 0,
            },
        ],
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("dates")
def test_score_features_keep_open_leads_as_known_with_calls_and_stock(spark) -> None:  # type: ignore[no-untyped-def]
    ddl_frame(spark, "as_of_date date", [(AS_OF,)]).createOrReplaceTempView("score_dates")
    pipeline_history(
        spark,
        [
            {**lead_row("O1", "D1", date(2024, 1, 5), "Hot", datetime(2024, 1, 5, 9), "C1"), "product_line": "Pickup"},
            # O2 is won on the as-of date: no longer open
            {**lead_row("O2", "D1", date(2024, 1, 5), "Hot", datetime(2024, 1, 5, 9), "C2"), "product_line": "Pickup"},
            {
                **lead_row("O2", "D1", date(2024, 1, 5), "Hot", datetime(2024, 1, 10, 9), "WON"),
                "product_line": "Pickup",
                "status": "Won",
            },
            # O3 is lost only after the as-of date: still open then
            {**lead_row("O3", "D1", date(2024, 1, 6), "Cold", datetime(2024, 1, 6, 9), "C0"), "product_line": "Van"},
            {
                **lead_row("O3", "D1", date(2024, 1, 6), "Cold", datetime(2024, 1, 12, 9), "LOST"),
                "product_line": "Van",
                "status": "Lost",
            },
            # O4 is older than max_open_age_days
            {**lead_row("O4", "D1", date(2023, 6, 1), "Warm", datetime(2023, 6, 1, 9), "C0"), "product_line": "Van"},
        ],
    )

    def call(call_id: str, opty: str, at: datetime, seconds: int, outcome: str, follow: date | None = None):  # type: ignore[no-untyped-def]
        return {
            "call_id": call_id,
            "opty_id": opty,
            "call_at": at,
            "duration_s": seconds,
            "outcome": outcome,
            "next_followup_date": follow,
        }

    frame(
        spark,
        "call_log",
        [
            call("K1", "O1", datetime(2024, 1, 6, 10), 100, "Connected", date(2024, 1, 8)),
            call("K2", "O1", datetime(2024, 1, 8, 10), 200, "Connected", date(2024, 1, 12)),
            call("K3", "O1", datetime(2024, 1, 9, 10), 0, "No Answer"),
            # same second as K3: the larger call id is the latest call, deterministically
            call("K3b", "O1", datetime(2024, 1, 9, 10), 0, "Busy", date(2024, 1, 15)),
            call("K4", "O1", datetime(2024, 1, 11, 10), 300, "Connected"),  # after the as-of date
        ],
    ).createOrReplaceTempView("call_log")
    frame(
        spark,
        "stock",
        [
            {"snapshot_date": date(2024, 1, 9), "dealer_code": "D1", "product_line": "Pickup", "saleable_stock": 1},
            {"snapshot_date": date(2024, 1, 10), "dealer_code": "D1", "product_line": "Pickup", "saleable_stock": 2},
        ],
    ).createOrReplaceTempView("stock")
    frame(spark, "lead_actions", []).createOrReplaceTempView("lead_actions")  # nobody used the app
    rows = {r.opty_id: r for r in run_sql(spark, "scv_customer_score", PARAMS).collect()}
    assert set(rows) == {"O1", "O3"}
    o1, o3 = rows["O1"], rows["O3"]
    assert (o1.calls, o1.connected_calls, o1.avg_connected_duration_s) == (4, 2, 150.0)
    # the follow-up promised on the latest call known on the as-of date
    assert (o1.last_contact_date, o1.next_followup_date, o1.saleable_stock) == (date(2024, 1, 9), date(2024, 1, 15), 2)
    assert (o3.stage, o3.calls, o3.last_contact_date, o3.saleable_stock) == ("C0", 0, None, None)
