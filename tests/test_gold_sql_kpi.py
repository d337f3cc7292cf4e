"""KPI monitoring gold SQL (docs/kpi.md) on tiny hand-built inputs with exact expected rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from chispa import assert_approx_df_equality, assert_df_equality

from frames import ddl_frame, frame
from gold.graph import run_sql
from gold_sql_inputs import AS_OF, PARAMS, dates  # noqa: F401  (dates is a fixture)

D = date
KPI_PARAMS = {
    **PARAMS,
    "kpi_reach_days": 30,
    "kpi_conversion_days": 30,
    "kpi_cover_days": 10,
    "kpi_mover_days": 2,
    "kpi_active_rep_days": 7,
    "kpi_rep_roster_days": 90,
    "abc_days": 30,
    "abc_a_share": 0.8,
    "abc_b_share": 0.15,
    "slow_moving_days": "3,6",
    "slow_moving_reach_days": 6,
    "seasonality_days": 14,
    "seasonality_min_days": 5,
}
DEALER_DAILY_DDL = (
    "dealer_code string, product_line string, day date, leads bigint, hi_leads bigint, bookings bigint, closed bigint, "
    "won bigint, retail_units bigint, retail_value double, saleable_stock bigint, total_stock bigint"
)


def history(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    base = {
        "dealer_code": "D1",
        "product_line": "Pickup",
        "lead_classification": "Cold",
        "stage": "C0",
        "status": "Open",
    }
    return [{**base, **r} for r in rows]


@pytest.mark.usefixtures("dates")
def test_kpi_dealer_daily_counts_each_fact_on_its_day(spark) -> None:  # type: ignore[no-untyped-def]
    frame(
        spark,
        "customer_pipeline_history",
        history(
            [
                # O1: created Hot on the 8th, booked (C3) on the 9th, won on the 10th
                {
                    "opty_id": "O1",
                    "created_date": D(2024, 1, 8),
                    "lead_classification": "Hot",
                    "updated_at": datetime(2024, 1, 8, 9),
                },
                {"opty_id": "O1", "created_date": D(2024, 1, 8), "stage": "C3", "updated_at": datetime(2024, 1, 9, 9)},
                {
                    "opty_id": "O1",
                    "created_date": D(2024, 1, 8),
                    "stage": "WON",
                    "status": "Won",
                    "updated_at": datetime(2024, 1, 10, 9),
                },
                # O2: created Cold on the 10th (Warm later: as created it is not high intent), same day lost
                {"opty_id": "O2", "created_date": D(2024, 1, 10), "updated_at": datetime(2024, 1, 10, 8)},
                {
                    "opty_id": "O2",
                    "created_date": D(2024, 1, 10),
                    "stage": "LOST",
                    "status": "Lost",
                    "lead_classification": "Warm",
                    "updated_at": datetime(2024, 1, 10, 18),
                },
            ]
        ),  # fmt: skip
    ).createOrReplaceTempView("customer_pipeline_history")
    frame(
        spark,
        "retail",
        [
            {"retail_id": "R1", "dealer_code": "D1", "retail_date": D(2024, 1, 10), "product_line": "Pickup",
             "units": 2, "value": 900.0},
            {"retail_id": "R2", "dealer_code": "D1", "retail_date": D(2024, 1, 10), "product_line": "Pickup",
             "units": 1},
            {"retail_id": "R3", "dealer_code": "D1", "retail_date": D(2023, 11, 1), "product_line": "Pickup",
             "units": 1},  # before the reach
        ],
    ).createOrReplaceTempView("retail")  # fmt: skip
    frame(
        spark,
        "stock",
        [{"snapshot_date": D(2024, 1, 9), "dealer_code": "D1", "product_line": "Pickup", "total_stock": 5,
          "saleable_stock": 4}],
    ).createOrReplaceTempView("stock")  # fmt: skip
    expected = ddl_frame(
        spark,
        DEALER_DAILY_DDL,
        [
            ("D1", "Pickup", D(2024, 1, 8), 1, 1, 0, 0, 0, 0, None, None, None),
            ("D1", "Pickup", D(2024, 1, 9), 0, 0, 1, 0, 0, 0, None, 4, 5),
            ("D1", "Pickup", D(2024, 1, 10), 1, 0, 0, 2, 1, 3, 900.0, None, None),
        ],
    )
    actual = run_sql(spark, "kpi_dealer_daily", KPI_PARAMS, folder="views")
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


KPI_DAILY_DDL = (
    "as_of_date date, level string, member string, state string, district string, dealer_code string, "
    "product_line string, leads bigint, hi_leads bigint, bookings bigint, retail_units bigint, retail_value double, "
    "closed_30d bigint, won_30d bigint, conversion double, saleable_stock bigint, stock_cover_days double, "
    "mtd_retail_units bigint, mtd_retail_value double, target_units bigint, target_value double, "
    "mtd_target_units double, target_attainment double, run_rate_units double, run_rate_vs_target double, "
    "active_reps bigint, reps bigint, active_reps_ratio double, top_mover_product_line string, "
    "top_mover_units_change bigint"
)


@pytest.mark.usefixtures("dates")
def test_kpi_daily_rolls_the_day_month_target_reps_and_mover_up_every_level(spark) -> None:  # type: ignore[no-untyped-def]
    ddl_frame(
        spark,
        DEALER_DAILY_DDL,
        [
            ("D1", "Pickup", D(2024, 1, 10), 2, 1, 1, 2, 1, 3, 300.0, 6, 8),
            ("D1", "Pickup", D(2024, 1, 9), 0, 0, 0, 1, 0, 1, 100.0, None, None),
            ("D1", "Pickup", D(2024, 1, 7), 0, 0, 0, 0, 0, 2, 200.0, None, None),
            ("D1", "Pickup", D(2023, 12, 31), 0, 0, 0, 4, 2, 5, 500.0, None, None),  # last month, beyond the cover
            ("D1", "Cargo EV", D(2024, 1, 9), 0, 0, 0, 0, 0, 2, 400.0, None, None),
        ],
    ).createOrReplaceTempView("kpi_dealer_daily")
    frame(
        spark, "dealer_geo", [{"as_of_date": AS_OF, "dealer_code": "D1", "district": "Pune", "state": "MH"}]
    ).createOrReplaceTempView("dealer_geo")
    frame(
        spark,
        "targets",
        [{"target_month": D(2024, 1, 1), "dealer_code": "D1", "product_line": "Pickup", "target_units": 31,
          "target_value": 3100.0}],
    ).createOrReplaceTempView("targets")  # fmt: skip
    frame(
        spark,
        "customer_pipeline_history",
        history(
            [
                {"opty_id": "O1", "rep_id": "R1", "updated_at": datetime(2024, 1, 9, 9)},  # active
                {"opty_id": "O2", "rep_id": "R2", "updated_at": datetime(2023, 12, 1, 9)},  # on the roster only
                {"opty_id": "O3", "rep_id": "R3", "updated_at": datetime(2023, 9, 1, 9)},  # before the roster
            ]
        ),
    ).createOrReplaceTempView("customer_pipeline_history")
    # the network, the state, the district and the dealer hold the same cells; the product lines split them
    network = (2, 1, 1, 3, 300.0, 7, 3, 3 / 7, 6, 6 / (8 / 10), 8, 1000.0, 31, 3100.0, 10.0, 0.8, 8 / 10 * 31,
               8 / 10 * 31 / 31, 1, 2, 0.5, "Cargo EV", 2)  # fmt: skip
    pickup = (2, 1, 1, 3, 300.0, 7, 3, 3 / 7, 6, 6 / (6 / 10), 6, 600.0, 31, 3100.0, 10.0, 0.6, 6 / 10 * 31,
              6 / 10 * 31 / 31, None, None, None, None, None)  # fmt: skip
    cargo = (0, 0, 0, 0, None, 0, 0, None, None, None, 2, 400.0, None, None, None, None, 2 / 10 * 31, None,
             None, None, None, None, None)  # fmt: skip
    expected = ddl_frame(
        spark,
        KPI_DAILY_DDL,
        [
            (AS_OF, "company", "All", None, None, None, None, *network),
            (AS_OF, "state", "MH", "MH", None, None, None, *network),
            (AS_OF, "district", "Pune, MH", "MH", "Pune", None, None, *network),
            (AS_OF, "dealer", "D1", "MH", "Pune", "D1", None, *network),
            (AS_OF, "product_line", "Pickup", None, None, None, "Pickup", *pickup),
            (AS_OF, "product_line", "Cargo EV", None, None, None, "Cargo EV", *cargo),
        ],
    )
    actual = run_sql(spark, "kpi_daily", KPI_PARAMS)
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("dates")
def test_product_abc_classes_by_cumulative_value(spark) -> None:  # type: ignore[no-untyped-def]
    sales = [("Pickup", 80.0, 2), ("Cargo EV", 15.0, 1), ("Mini Truck", 5.0, 1)]
    frame(
        spark,
        "retail",
        [{"retail_id": f"R{i}", "dealer_code": "D1", "retail_date": AS_OF, "product_line": line, "units": units,
          "value": value} for i, (line, value, units) in enumerate(sales)]
        + [{"retail_id": "RX", "dealer_code": "D1", "retail_date": AS_OF, "product_line": "Pickup", "units": 1}],
    ).createOrReplaceTempView("retail")  # fmt: skip
    frame(
        spark, "dealer_geo", [{"as_of_date": AS_OF, "dealer_code": "D1", "district": "Pune", "state": "MH"}]
    ).createOrReplaceTempView("dealer_geo")
    ddl = (
        "as_of_date date, dimension string, item string, dealer_code string, product_line string, district string, "
        "state string, value double, units bigint, share double, cumulative_share double, abc_class string, rank int"
    )
    rows = []
    for dimension in ("product_line", "dealer_product_line"):
        for rank, (line, value, units) in enumerate(sales, start=1):
            dealer, district, state = (None, None, None) if dimension == "product_line" else ("D1", "Pune", "MH")
            item = line if dealer is None else f"D1 {line}"
            cumulative = sum(v for _, v, _ in sales[:rank]) / 100.0
            rows.append((AS_OF, dimension, item, dealer, line, district, state, value, units, value / 100.0,
                         cumulative, "ABC"[rank - 1], rank))  # fmt: skip
    actual = run_sql(spark, "product_abc", KPI_PARAMS)
    assert_approx_df_equality(actual, ddl_frame(spark, ddl, rows), 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("dates")
def test_slow_moving_stock_buckets_idle_stock_and_values_it(spark) -> None:  # type: ignore[no-untyped-def]
    retail = [
        ("R1", "D1", D(2024, 1, 2), "Pickup", 1, 800.0),  # last sale 8 days ago (before the look back): 6-day bucket
        ("R2", "D1", D(2024, 1, 6), "Cargo EV", 1, 1000.0),  # 4 days ago: the 3-day bucket
        ("R3", "D1", D(2024, 1, 9), "Mini Truck", 1, 500.0),  # yesterday: not slow
        ("R4", "D2", D(2024, 1, 3), "Pickup", 1, 1000.0),
        ("R5", "D2", D(2024, 1, 10), "Pickup", 1, 1000.0),  # Pickup's value per unit in the look back
    ]
    frame(
        spark,
        "retail",
        [dict(zip(("retail_id", "dealer_code", "retail_date", "product_line", "units", "value"), r, strict=True))
         for r in retail],
    ).createOrReplaceTempView("retail")  # fmt: skip
    stock = [
        ("D1", "Pickup", 3, D(2023, 12, 20)),
        ("D1", "Cargo EV", 2, None),
        ("D1", "Mini Truck", 4, None),
        ("D1", "Small Van", 1, D(2024, 1, 1)),  # never sold: counts from the day before the first sale in the data
        ("D1", "Passenger SCV", 0, None),  # nothing on the shelf
    ]
    frame(
        spark,
        "stock",
        [{"snapshot_date": AS_OF, "dealer_code": d, "product_line": p, "total_stock": s, "saleable_stock": s,
          "last_receipt_date": r} for d, p, s, r in stock],
    ).createOrReplaceTempView("stock")  # fmt: skip
    frame(
        spark, "dealer_geo", [{"as_of_date": AS_OF, "dealer_code": "D1", "district": "Pune", "state": "MH"}]
    ).createOrReplaceTempView("dealer_geo")
    ddl = (
        "as_of_date date, dealer_code string, product_line string, district string, state string, "
        "saleable_stock bigint, last_sale_date date, days_without_sale int, bucket_days int, last_receipt_date date, "
        "stock_age_days int, units_tied_up bigint, value_tied_up double"
    )
    expected = ddl_frame(
        spark,
        ddl,
        [
            (AS_OF, "D1", "Pickup", "Pune", "MH", 3, D(2024, 1, 2), 8, 6, D(2023, 12, 20), 21, 3, 3000.0),
            (AS_OF, "D1", "Cargo EV", "Pune", "MH", 2, D(2024, 1, 6), 4, 3, None, None, 2, 2000.0),
            (AS_OF, "D1", "Small Van", "Pune", "MH", 1, None, 9, 6, D(2024, 1, 1), 9, 1, None),
        ],
    )
    actual = run_sql(spark, "slow_moving_stock", KPI_PARAMS)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("dates")
def test_seasonality_profile_indexes_months_and_weekdays(spark) -> None:  # type: ignore[no-untyped-def]
    # retail: 2 units every Monday of the 14 days ending Wednesday 10 January (1 and 8 January), nothing else
    frame(
        spark,
        "retail",
        [{"retail_id": f"R{i}", "dealer_code": "D1", "retail_date": day, "product_line": "Pickup", "units": 2}
         for i, day in enumerate((D(2024, 1, 1), D(2024, 1, 8)))],
    ).createOrReplaceTempView("retail")  # fmt: skip
    frame(spark, "customer_pipeline_history", []).createOrReplaceTempView("customer_pipeline_history")
    actual = run_sql(spark, "seasonality_profile", KPI_PARAMS).where("product_line = 'Pickup'")
    # from the first sale (1 January) to the as-of date: 10 days, 4 units, 0.4 a day; Mondays 2.0 a day
    weekdays = [(AS_OF, "retail_units", "Pickup", "weekday", n, name, days, mean, mean / 0.4)
                for n, name, days, mean in ((1, "Monday", 2, 2.0), (2, "Tuesday", 2, 0.0), (3, "Wednesday", 2, 0.0),
                                            (4, "Thursday", 1, 0.0), (5, "Friday", 1, 0.0), (6, "Saturday", 1, 0.0),
                                            (7, "Sunday", 1, 0.0))]  # fmt: skip
    month = [(AS_OF, "retail_units", "Pickup", "month", 1, "January", 10, 0.4, 1.0)]
    ddl = (
        "as_of_date date, measure string, product_line string, period_type string, period int, period_name string, "
        "days bigint, mean_per_day double, seasonal_index double"
    )
    expected = ddl_frame(spark, ddl, month + weekdays)
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)
