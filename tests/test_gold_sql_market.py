"""Taluka hotspot and district top-3 SQL on tiny hand-built dealer features and surge flags, with exact expected
rows."""

from __future__ import annotations

import pytest
from chispa import assert_approx_df_equality, assert_df_equality

from frames import ddl_frame, frame
from gold.graph import run_sql
from gold_sql_inputs import AS_OF, PARAMS, features_row, market  # noqa: F401  (market is a fixture)


def surges(spark, flags: dict[str, bool], district: str = "X") -> None:  # type: ignore[no-untyped-def]
    """taluka_lead_surveillance rows: the detector's flag per taluka (the measures are its own test's)."""
    rows = [
        {
            "as_of_date": AS_OF,
            "state": "MH",
            "district": district if taluka != "T5" else "Y",
            "taluka": taluka,
            "recent_leads": 10,
            "expected_leads": 4.0,
            "upper_leads": 9.0,
            "lead_dispersion": 1.2,
            "surge_score": 1.2 if is_surge else 0.5,
            "is_surge": is_surge,
        }
        for taluka, is_surge in flags.items()
    ]
    frame(spark, "taluka_lead_surveillance", rows).createOrReplaceTempView("taluka_lead_surveillance")


@pytest.fixture
def surge_flags(spark):  # type: ignore[no-untyped-def]
    surges(spark, {"T1": True, "T2": True, "T3": True, "T4": False, "T5": True})


@pytest.mark.usefixtures("market", "surge_flags")
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


@pytest.mark.usefixtures("market", "surge_flags")
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


def test_the_status_follows_the_surge_flag_not_the_5_day_growth(spark) -> None:  # type: ignore[no-untyped-def]
    # every taluka grows with a festive market (+40% overall) and E far beyond it, but only A's detector flags a
    # surge (a sustained one: flat over 5 days); F has no surveillance row (no lead in the look-back)
    rows = [features_row(t, "X", f"{t}{i}", (20, 20), (5, 5), (1, 1)) for t in "ABCDF" for i in (1, 2)]
    rows += [features_row("E", "X", f"E{i}", (60, 20), (5, 5), (1, 1)) for i in (1, 2)]
    for row in rows:
        row["leads_cur"], row["leads_prev"] = row["leads_cur"] // 2, row["leads_prev"] // 2
    frame(spark, "dealer_market_features_5d", rows).createOrReplaceTempView("dealer_market_features_5d")
    surges(spark, {"A": True, "B": False, "C": False, "D": False, "E": False})
    actual = run_sql(spark, "macro_market_hotspot_taluka_5d", PARAMS).select(
        "taluka",
        "leads_cur",
        "leads_prev",
        "lead_growth",
        "market_lead_growth",
        "recent_leads",
        "expected_leads",
        "upper_leads",
        "is_surge",
        "status",
    )
    expected = ddl_frame(
        spark,
        "taluka string, leads_cur bigint, leads_prev bigint, lead_growth double, market_lead_growth double, "
        "recent_leads bigint, expected_leads double, upper_leads double, is_surge boolean, status string",
        [
            ("A", 20, 20, 0.0, 1 / 3, 10, 4.0, 9.0, True, "EMERGING"),
            ("B", 20, 20, 0.0, 1 / 3, 10, 4.0, 9.0, False, "STABLE"),
            ("C", 20, 20, 0.0, 1 / 3, 10, 4.0, 9.0, False, "STABLE"),
            ("D", 20, 20, 0.0, 1 / 3, 10, 4.0, 9.0, False, "STABLE"),
            ("E", 60, 20, 2.0, 1 / 3, 10, 4.0, 9.0, False, "STABLE"),
            ("F", 20, 20, 0.0, 1 / 3, 0, 0.0, None, False, "STABLE"),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)
    # lead_z stays as a 5-day figure: E against the market's movement (expected 20 x 4/3 leads)
    z = {r.taluka: r.lead_z for r in run_sql(spark, "macro_market_hotspot_taluka_5d", PARAMS).collect()}
    assert z["E"] == pytest.approx((60 - 80 / 3) / (80 / 3) ** 0.5)
    assert z["A"] == pytest.approx((20 - 80 / 3) / (80 / 3) ** 0.5)
