"""Taluka hotspot and district top-3 SQL on tiny hand-built dealer features, with exact expected rows."""

from __future__ import annotations

import pytest
from chispa import assert_approx_df_equality, assert_df_equality

from frames import ddl_frame, frame
from gold.graph import run_sql
from gold_sql_inputs import PARAMS, features_row, market  # noqa: F401  (market is a fixture)


@pytest.mark.usefixtures("market")
def test_hotspot_status_rules(spark) -> None:  # type: ignore[no-untyped-def]
    actual = run_sql(spark, "macro_market_hotspot_taluka_5d", PARAMS).select(
        "taluka",
        "dealer_count",
        "leads_cur",
        "leads_prev",
        "lead_growth",
        "hi_lead_growth",
        "retail_growth",
        "has_supply_gap",
        "status",
    )
    expected = ddl_frame(
        spark,
        "taluka string, dealer_count bigint, leads_cur bigint, leads_prev bigint, lead_growth double, "
        "hi_lead_growth double, retail_growth double, has_supply_gap boolean, status string",
        [
            ("T1", 2, 16, 8, 1.0, 3.0, 2.0, False, "HOTSPOT"),
            ("T2", 2, 12, 8, 0.5, 0.0, 0.0, True, "EMERGING"),
            ("T3", 1, 20, 1, 19.0, 9.0, 3.0, False, "NOISE"),
            ("T4", 2, 9, 10, -0.1, 0.0, 0.0, False, "STABLE"),
            ("T5", 2, 3, 2, 0.5, 1.0, 0.0, True, "NOISE"),
        ],
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("market")
def test_district_top3_orders_by_status_then_leads(spark) -> None:  # type: ignore[no-untyped-def]
    run_sql(spark, "macro_market_hotspot_taluka_5d", PARAMS).createOrReplaceTempView("macro_market_hotspot_taluka_5d")
    actual = run_sql(spark, "district_top3_talukas", PARAMS).select("district", "rank", "taluka", "status")
    expected = ddl_frame(
        spark,
        "district string, rank int, taluka string, status string",
        [
            ("X", 1, "T1", "HOTSPOT"),
            ("X", 2, "T2", "EMERGING"),
            ("X", 3, "T4", "STABLE"),
            ("Y", 1, "T5", "NOISE"),
        ],
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_market_adjustment_flags_only_the_taluka_that_outgrew_the_market(spark) -> None:  # type: ignore[no-untyped-def]
    # every taluka grows with a festive market (+40% overall), E far beyond it
    rows = [features_row(t, "X", f"{t}{i}", (20, 20), (5, 5), (1, 1)) for t in "ABCD" for i in (1, 2)]
    rows += [features_row("E", "X", f"E{i}", (60, 20), (5, 5), (1, 1)) for i in (1, 2)]
    for row in rows:
        row["leads_cur"], row["leads_prev"] = row["leads_cur"] // 2, row["leads_prev"] // 2
    frame(spark, "dealer_market_features_5d", rows).createOrReplaceTempView("dealer_market_features_5d")
    params = {**PARAMS, "min_lead_z": 4.0, "lead_growth": 0.5}
    actual = run_sql(spark, "macro_market_hotspot_taluka_5d", params).select(
        "taluka", "leads_cur", "leads_prev", "market_lead_growth", "status"
    )
    expected = ddl_frame(
        spark,
        "taluka string, leads_cur bigint, leads_prev bigint, market_lead_growth double, status string",
        [
            ("A", 20, 20, 0.4, "STABLE"),
            ("B", 20, 20, 0.4, "STABLE"),
            ("C", 20, 20, 0.4, "STABLE"),
            ("D", 20, 20, 0.4, "STABLE"),
            ("E", 60, 20, 0.4, "EMERGING"),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)
    z = {r.taluka: r.lead_z for r in run_sql(spark, "macro_market_hotspot_taluka_5d", params).collect()}
    assert z["E"] == pytest.approx((60 - 28) / 28**0.5)  # expected 20 x 1.4 = 28 leads
    assert z["A"] == pytest.approx((20 - 28) / 28**0.5)
