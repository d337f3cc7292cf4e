"""The hotspot surge detector's SQL (taluka_daily_leads, taluka_lead_surveillance) on tiny hand-built inputs with
exact expected rows. PARAMS: a 4-day baseline, a 1-day guard, a 2-day window, the bound at z = 2; the as-of
date 2024-01-10, so the window is 9-10 January, the guard 8 January and the baseline 4-7 January."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from chispa import assert_approx_df_equality, assert_df_equality

from frames import ddl_frame, frame
from gold.graph import run_sql
from gold_sql_inputs import AS_OF, PARAMS, dates, lead_row, pipeline_history  # noqa: F401  (dates is a fixture)

SURVEILLANCE = (
    "as_of_date date, state string, district string, taluka string, recent_leads bigint, baseline_leads bigint, "
    "baseline_share double, expected_leads double, lead_dispersion double, upper_leads double, surge_score double, "
    "surge_days int, is_surge boolean"
)


def upper(expected: float, dispersion: float, market_ratio: float, z: float = 2.0) -> float:
    """Farrington's 2/3-power upper bound, written out: the variance is dispersion x expected x (1 + window
    market / baseline market)."""
    return expected * (1 + 2 / 3 * z * (dispersion * (1 + market_ratio) / expected) ** 0.5) ** 1.5


def daily(spark, counts: dict[str, list[int]], first: date = date(2024, 1, 4)) -> None:  # type: ignore[no-untyped-def]
    """taluka_daily_leads for AS_OF from per-taluka counts by day from ``first``; a 0 is a day without a row."""
    rows = [
        {
            "as_of_date": AS_OF,
            "state": "MH",
            "district": "Pune",
            "taluka": taluka,
            "lead_date": first + timedelta(i),
            "leads": n,
        }
        for taluka, series in counts.items()
        for i, n in enumerate(series)
        if n
    ]
    frame(spark, "taluka_daily_leads", rows).createOrReplaceTempView("taluka_daily_leads")


def surveillance(spark, params=PARAMS):  # type: ignore[no-untyped-def]
    return run_sql(spark, "taluka_lead_surveillance", params).orderBy("taluka")


@pytest.mark.usefixtures("dates")
def test_taluka_daily_leads_counts_each_day_as_known_in_the_dealers_taluka(spark) -> None:  # type: ignore[no-untyped-def]
    pipeline_history(
        spark,
        [
            lead_row("O1", "D1", date(2024, 1, 10), "Hot", datetime(2024, 1, 10, 9)),
            lead_row("O2", "D1", date(2024, 1, 10), "Cold", datetime(2024, 1, 10, 11)),
            lead_row("O2", "D1", date(2024, 1, 10), "Warm", datetime(2024, 1, 12, 9)),  # a later version: one lead
            lead_row("O3", "D2", date(2024, 1, 10), "Cold", datetime(2024, 1, 10, 12)),  # D2 is in the same taluka
            lead_row("O4", "D1", date(2024, 1, 4), "Cold", datetime(2024, 1, 4, 9)),  # first day of the look-back
            lead_row("O5", "D1", date(2024, 1, 3), "Cold", datetime(2024, 1, 3, 9)),  # before the look-back
            lead_row("O6", "D3", date(2024, 1, 9), "Cold", datetime(2024, 1, 9, 9)),  # dealer in another taluka
            lead_row("O7", "D4", date(2024, 1, 9), "Cold", datetime(2024, 1, 9, 9)),  # dealer without a place
            lead_row("O8", "D1", date(2024, 1, 9), "Cold", datetime(2024, 1, 11, 9)),  # known only after the date
        ],
    )
    frame(
        spark,
        "dealer_geo",
        [
            {"as_of_date": AS_OF, "dealer_code": d, "taluka": t, "district": "Pune", "state": "MH"}
            for d, t in (("D1", "A"), ("D2", "A"), ("D3", "B"))
        ],
    ).createOrReplaceTempView("dealer_geo")
    expected = ddl_frame(
        spark,
        "as_of_date date, state string, district string, taluka string, lead_date date, leads bigint",
        [
            (AS_OF, "MH", "Pune", "A", date(2024, 1, 4), 1),
            (AS_OF, "MH", "Pune", "A", date(2024, 1, 10), 3),
            (AS_OF, "MH", "Pune", "B", date(2024, 1, 9), 1),
        ],
    )
    actual = run_sql(spark, "taluka_daily_leads", PARAMS).orderBy("taluka", "lead_date")
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_a_taluka_above_its_upper_bound_is_a_surge(spark) -> None:  # type: ignore[no-untyped-def]
    #             baseline 4-7 Jan  guard  window 9-10 Jan
    daily(spark, {"A": [2, 2, 2, 2, 2, 6, 6], "B": [10] * 7, "C": [10] * 7})
    # A: 8 baseline leads against 80 of the rest of the network (share 0.1); that market has 40 leads in the
    # window, so 4 are expected and 12 came. B: 40 of 48 (A + C) in the baseline, 32 in the window.
    b_expected = 40 / 48 * 32
    a_upper, b_upper = upper(4.0, 1.0, 40 / 80), upper(b_expected, 1.0, 32 / 48)
    expected = ddl_frame(
        spark,
        SURVEILLANCE,
        [
            (AS_OF, "MH", "Pune", "A", 12, 8, 0.1, 4.0, 1.0, a_upper, 8 / (a_upper - 4), 1, True),
            (
                AS_OF,
                "MH",
                "Pune",
                "B",
                20,
                40,
                40 / 48,
                b_expected,
                1.0,
                b_upper,
                (20 - b_expected) / (b_upper - b_expected),
                0,
                False,
            ),
            (
                AS_OF,
                "MH",
                "Pune",
                "C",
                20,
                40,
                40 / 48,
                b_expected,
                1.0,
                b_upper,
                (20 - b_expected) / (b_upper - b_expected),
                0,
                False,
            ),
        ],
    )
    assert a_upper == pytest.approx(9.7929, abs=1e-4)
    assert_approx_df_equality(surveillance(spark), expected, 1e-9, ignore_nullable=True)


def test_over_dispersion_widens_the_bound(spark) -> None:  # type: ignore[no-untyped-def]
    # the same 8 baseline and 12 window leads as above, but the baseline swings 0, 4, 0, 4: expected 2 a day,
    # Pearson chi-square (4 + 4 + 4 + 4) / 2 = 8 on 3 degrees of freedom, dispersion 8/3; 12 is within bounds
    daily(spark, {"A": [0, 4, 0, 4, 2, 6, 6], "B": [10] * 7, "C": [10] * 7})
    row = surveillance(spark).where("taluka = 'A'").first()
    assert (row.recent_leads, row.baseline_leads, row.expected_leads) == (12, 8, pytest.approx(4.0))
    assert row.lead_dispersion == pytest.approx(8 / 3)
    assert row.upper_leads == pytest.approx(upper(4.0, 8 / 3, 0.5))  # 14.26, against 9.79 for a steady taluka
    assert (row.surge_score, row.is_surge) == (pytest.approx(8 / (upper(4.0, 8 / 3, 0.5) - 4)), False)


def test_a_rise_of_the_whole_market_is_not_a_surge(spark) -> None:  # type: ignore[no-untyped-def]
    # every taluka doubles in the window (a festive week): each is exactly what the market explains
    daily(spark, {t: [10, 10, 10, 10, 10, 20, 20] for t in "ABC"})
    rows = surveillance(spark).collect()
    assert [(r.taluka, r.recent_leads, r.expected_leads, r.surge_score, r.is_surge) for r in rows] == [
        (t, 40, pytest.approx(40.0), pytest.approx(0.0), False) for t in "ABC"
    ]
    assert rows[0].upper_leads == pytest.approx(upper(40.0, 1.0, 1.0))


def test_the_guard_day_stays_out_of_both_windows(spark) -> None:  # type: ignore[no-untyped-def]
    # 50 leads on the guard day (8 January) change nothing: neither baseline nor window
    daily(spark, {"A": [2, 2, 2, 2, 50, 6, 6], "B": [10] * 7, "C": [10] * 7})
    row = surveillance(spark).where("taluka = 'A'").first()
    assert (row.recent_leads, row.baseline_leads, row.expected_leads, row.is_surge) == (12, 8, pytest.approx(4.0), True)


def test_persistence_needs_the_bound_passed_on_enough_days(spark) -> None:  # type: ignore[no-untyped-def]
    # 2 of the last 2 days: the look-back grows by a day (3-10 January); A jumps on the as-of date only, so
    # 9 January's window (8-9 January) is ordinary and 10 January's alone is above its bound
    params = {**PARAMS, "persist_days": 2, "persist_window_days": 2, "hotspot_lookback_days": 8}
    series = {"A": [2, 2, 2, 2, 2, 2, 2, 14], "B": [10] * 8, "C": [10] * 8}
    daily(spark, series, first=date(2024, 1, 3))
    row = surveillance(spark, params).where("taluka = 'A'").first()
    assert row.surge_score > 1
    assert (row.surge_days, row.is_surge) == (1, False)
    series["A"][6] = 10  # 9 January high too: both days above the bound
    daily(spark, series, first=date(2024, 1, 3))
    row = surveillance(spark, params).where("taluka = 'A'").first()
    assert (row.surge_days, row.is_surge) == (2, True)
