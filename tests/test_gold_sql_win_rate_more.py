"""Win-rate SQL on tiny hand-built rows with exact expected values: funnel_stage_conversion, sales_velocity,
rep_consistency, lost_reasons and win_rate_coverage."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from chispa import assert_approx_df_equality
from win_rate_inputs import AS_OF, PARAMS, closed_deals, deal, version

from frames import ddl_frame, frame
from gold.graph import run_sql

D = date


@pytest.fixture
def as_of(spark):  # type: ignore[no-untyped-def]
    ddl_frame(spark, "as_of_date date", [(AS_OF,)]).createOrReplaceTempView("as_of_dates")


@pytest.mark.usefixtures("as_of")
def test_funnel_counts_every_closed_enquiry_and_the_days_per_stage(spark) -> None:  # type: ignore[no-untyped-def]
    stages = {"c1_date": D(2024, 1, 2), "c2_date": D(2024, 1, 4), "c3_date": D(2024, 1, 5)}
    closed_deals(
        spark,
        [
            deal("O1", D(2024, 1, 8), True, **stages),  # days per stage 1, 2, 1, 3; 7 to win
            deal("O2", D(2024, 1, 10), True, created_date=D(2024, 1, 2), c1_date=D(2024, 1, 5),
                 c2_date=D(2024, 1, 6), c3_date=D(2024, 1, 9), cycle_days=8),  # 3, 1, 3, 1; 8
            deal("O3", D(2024, 1, 9), False, lead_source="B", created_date=D(2024, 1, 3), c1_date=D(2024, 1, 4),
                 c2_date=D(2024, 1, 8)),  # 1, 4
            deal("O4", D(2024, 1, 9), False, lead_source="B", stage_reached=0, is_counted=False),
            deal("O5", D(2023, 12, 30), True),  # closed before the 10-day window
        ],
    )  # fmt: skip
    actual = (
        run_sql(spark, "funnel_stage_conversion", PARAMS)
        .where("dimension in ('overall', 'lead_source')")
        .select("segment", "deals", "reached_c1", "reached_c2", "reached_c3", "won", "c0_to_c1", "c1_to_c2",
                "c2_to_c3", "c3_to_won", "c0_to_won", "median_days_c0_c1", "p75_days_c0_c1", "median_days_c1_c2",
                "p75_days_c1_c2", "median_days_c2_c3", "median_days_c3_won", "median_days_to_win", "p75_days_to_win")
    )  # fmt: skip
    expected = ddl_frame(
        spark,
        "segment string, deals bigint, reached_c1 bigint, reached_c2 bigint, reached_c3 bigint, won bigint, "
        "c0_to_c1 double, c1_to_c2 double, c2_to_c3 double, c3_to_won double, c0_to_won double, "
        "median_days_c0_c1 double, p75_days_c0_c1 double, median_days_c1_c2 double, p75_days_c1_c2 double, "
        "median_days_c2_c3 double, median_days_c3_won double, median_days_to_win double, p75_days_to_win double",
        [
            ("All", 4, 3, 3, 2, 2, 0.75, 1.0, 0.666667, 1.0, 0.5, 1.0, 2.0, 2.0, 3.0, 2.0, 2.0, 7.5, 7.75),
            ("A", 2, 2, 2, 2, 2, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.5, 1.5, 1.75, 2.0, 2.0, 7.5, 7.75),
            ("B", 2, 1, 1, 0, 0, 0.5, 1.0, 0.0, None, 0.0, 1.0, 1.0, 4.0, 4.0, None, None, None, None),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-6, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_sales_velocity_now_and_one_window_earlier(spark) -> None:  # type: ignore[no-untyped-def]
    frame(
        spark,
        "customer_pipeline_history",
        [
            version("O1", "C0", datetime(2024, 1, 8, 9), created_date=D(2024, 1, 8), deal_value=500000.0),
            version("O2", "C1", datetime(2024, 1, 9, 9), created_date=D(2024, 1, 9), deal_value=700000.0),
            version("O3", "C0", datetime(2024, 1, 2, 9), created_date=D(2024, 1, 2)),
            version("O3", "WON", datetime(2024, 1, 5, 9), created_date=D(2024, 1, 2)),  # closed by the 5th
            version("O4", "C0", datetime(2024, 1, 1, 9)),  # open on the 5th, lost since
            version("O4", "LOST", datetime(2024, 1, 7, 9)),
        ],
    ).createOrReplaceTempView("customer_pipeline_history")
    rates = {"as_of_date": AS_OF, "window_days": 5, "dimension": "overall", "segment": "All", "is_comparable": True,
             "win_rate_shrunk": 0.4, "avg_deal_value": 600000.0, "avg_cycle_days": 10.0,
             "prior_win_rate_shrunk": 0.5, "prior_avg_deal_value": 500000.0, "prior_avg_cycle_days": 20.0}  # fmt: skip
    frame(spark, "win_rate_by_segment", [rates]).createOrReplaceTempView("win_rate_by_segment")
    actual = run_sql(spark, "sales_velocity", PARAMS).select(
        "segment", "open_deals", "open_value", "value_per_day", "deals_per_day", "prior_open_deals",
        "prior_value_per_day", "prior_deals_per_day", "change", "trend",
    )  # fmt: skip
    # now 2 open x 0.4 x 600,000 / 10 days; a window earlier 1 open (O4) x 0.5 x 500,000 / 20 days
    expected = ddl_frame(
        spark,
        "segment string, open_deals bigint, open_value double, value_per_day double, deals_per_day double, "
        "prior_open_deals bigint, prior_value_per_day double, prior_deals_per_day double, change double, trend string",
        [("All", 2, 1200000.0, 48000.0, 0.08, 1, 12500.0, 0.025, 2.84, "up")],
    )
    assert_approx_df_equality(actual, expected, 1e-6, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_rep_consistency_tells_an_erratic_consultant_from_a_steady_one(spark) -> None:  # type: ignore[no-untyped-def]
    # the 3 complete weeks before Wednesday 10 January start on 18 Dec, 25 Dec and 1 Jan
    rows = []
    for week, wins in ((D(2023, 12, 18), 4), (D(2023, 12, 25), 0), (D(2024, 1, 1), 2)):
        rows += [deal(f"E{week.day}-{i}", week, i < wins, rep_id="R1") for i in range(4)]
        rows += [deal(f"S{week.day}-{i}", week, i < 2, rep_id="R2") for i in range(4)]
    rows.append(deal("E-now", D(2024, 1, 8), False, rep_id="R1"))  # the current week is not complete
    closed_deals(spark, rows)
    actual = run_sql(spark, "rep_consistency", PARAMS).select(
        "rep_id", "weeks", "closed", "won", "win_rate", "win_rate_shrunk", "weekly_rate_min", "weekly_rate_max",
        "weekly_rate_sd", "dispersion", "consistency_index", "shortfall_deals", "is_erratic",
    )  # fmt: skip
    # R1: chi-square 4 + 4 + 0 = 8 on 2 degrees of freedom, plus 1 prior week at 1: (8 + 1) / (2 + 1) = 3
    expected = ddl_frame(
        spark,
        "rep_id string, weeks bigint, closed bigint, won bigint, win_rate double, win_rate_shrunk double, "
        "weekly_rate_min double, weekly_rate_max double, weekly_rate_sd double, dispersion double, "
        "consistency_index double, shortfall_deals double, is_erratic boolean",
        [
            ("R1", 3, 12, 6, 0.5, 0.5, 0.0, 1.0, 0.408248, 3.0, 33.33, 2.0, True),
            ("R2", 3, 12, 6, 0.5, 0.5, 0.5, 0.5, 0.0, 0.3333, 100.0, 0.0, False),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-6, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_lost_reasons_per_district_and_product_with_trend(spark) -> None:  # type: ignore[no-untyped-def]
    closed_deals(
        spark,
        [
            deal("L1", D(2024, 1, 8), False),
            deal("L2", D(2024, 1, 9), False, lost_reason="Lost to Competitor", competitor="Vega"),
            deal("L3", D(2024, 1, 3), False),  # the prior window
            deal("L4", D(2024, 1, 7), False, district="Satara", lost_reason="Lost to Competitor", competitor="Vega"),
            deal("L5", D(2024, 1, 8), False, district="Satara"),
            deal("W1", D(2024, 1, 8), True),  # a win is no loss
        ],
    )
    actual = run_sql(spark, "lost_reasons", PARAMS).select(
        "district", "lost_reason", "competitor", "losses", "prior_losses", "cell_losses", "share", "prior_share",
        "share_change", "elsewhere_share",
    )  # fmt: skip
    expected = ddl_frame(
        spark,
        "district string, lost_reason string, competitor string, losses bigint, prior_losses bigint, "
        "cell_losses bigint, share double, prior_share double, share_change double, elsewhere_share double",
        [
            ("Pune", "Price", "", 1, 1, 2, 0.5, 1.0, -0.5, 0.5),
            ("Pune", "Lost to Competitor", "Vega", 1, 0, 2, 0.5, 0.0, 0.5, 0.5),
            ("Satara", "Price", "", 1, 0, 2, 0.5, None, None, 0.5),
            ("Satara", "Lost to Competitor", "Vega", 1, 0, 2, 0.5, None, None, 0.5),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-6, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.usefixtures("as_of")
def test_coverage_says_which_optional_column_is_missing_and_what_is_empty(spark) -> None:  # type: ignore[no-untyped-def]
    closed_deals(
        spark,
        [
            deal("O1", D(2024, 1, 8), True, lead_source=None),
            deal("O2", D(2024, 1, 8), False, lead_source=None, rep_id=None),
            deal("O3", D(2024, 1, 9), False, lead_source=None, lost_reason=None),
        ],
    )
    actual = run_sql(spark, "win_rate_coverage", PARAMS).select("column_name", "closed_deals", "with_value", "status")
    expected = ddl_frame(
        spark,
        "column_name string, closed_deals bigint, with_value bigint, status string",
        [
            ("rep_id", 3, 2, "partial"),
            ("lead_source", 3, 0, "missing"),
            ("closed_date", 3, 3, "ok"),
            ("lost_reason", 2, 1, "partial"),
            ("competitor", 2, 0, "missing"),
            ("deal_value", 3, 3, "ok"),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)
    note = run_sql(spark, "win_rate_coverage", PARAMS).where("column_name = 'lead_source'").first()
    assert note is not None and note.note == (
        "No deal closed in the last 10 days has lead_source: empty for want of it: the lead-source rows of "
        "win_rate_by_segment, funnel_stage_conversion and the mix. Map it in conf/<env>/sources.yaml if the "
        "export has it."
    )


def _segment(day: date, dimension: str, segment: str, parent: tuple[str, str], **values: object) -> dict[str, object]:
    return {"as_of_date": day, "window_days": 2, "prior_days": 2, "dimension": dimension, "segment": segment,
            "parent_dimension": parent[0], "parent_segment": parent[1], "is_comparable": True, **values}  # fmt: skip


def test_driver_alerts_sentences_ranks_and_episodes(spark) -> None:  # type: ignore[no-untyped-def]
    days = [D(2024, 1, 8), D(2024, 1, 9), AS_OF]
    ddl_frame(spark, "as_of_date date", [(d,) for d in days]).createOrReplaceTempView("as_of_dates")
    fell = {
        "closed": 20,
        "won": 2,
        "win_rate": 0.1,
        "prior_closed": 20,
        "prior_win_rate": 0.5,
        "change_points": -40.0,
        "change_z": -2.6,
        "prob_decline": 0.9953,
        "state": "MH",
        "district": "Pune",
    }
    low = {"closed": 20, "won": 2, "win_rate": 0.1, "win_rate_low": 0.03, "win_rate_high": 0.2, "parent_win_rate": 0.5}
    frame(
        spark,
        "win_rate_by_segment",
        [
            _segment(days[1], "district", "Pune, MH", ("region", "West"), **fell),
            _segment(AS_OF, "district", "Pune, MH", ("region", "West"), **fell),
            _segment(AS_OF, "dealer", "D1", ("district", "Pune, MH"), **fell),  # told by its district's alert
            _segment(days[0], "lead_source", "A", ("overall", "All"), **low),
            _segment(AS_OF, "lead_source", "A", ("overall", "All"), **low),  # quiet on the 9th: one episode
        ],
    ).createOrReplaceTempView("win_rate_by_segment")
    frame(
        spark,
        "rep_consistency",
        [
            {
                "as_of_date": AS_OF,
                "rep_id": "R1",
                "dealer_code": "D1",
                "weeks": 3,
                "closed": 12,
                "won": 6,
                "win_rate": 0.5,
                "weekly_rate_min": 0.0,
                "weekly_rate_max": 1.0,
                "dispersion": 3.0,
                "consistency_index": 33.33,
                "shortfall_deals": 2.0,
                "is_erratic": True,
            }
        ],
    ).createOrReplaceTempView("rep_consistency")
    mix = {
        "as_of_date": AS_OF,
        "window_days": 2,
        "dimension": "lead_source",
        "total_closed": 40,
        "total_prior_win_rate": 0.5,
        "total_win_rate": 0.35,
        "total_change": -0.15,
        "total_mix": -0.1,
        "total_rate": -0.05,
        "total_change_z": -1.357,
        "total_mix_z": -2.3094,
        "is_comparable": True,
    }
    frame(
        spark,
        "win_rate_change_decomposition",
        [
            {**mix, "segment": "A", "prior_share": 0.5, "share": 0.25, "win_rate": 0.8, "mix_effect": -0.06875},
            {**mix, "segment": "B", "prior_share": 0.5, "share": 0.75, "win_rate": 0.2, "mix_effect": -0.03125},
        ],
    ).createOrReplaceTempView("win_rate_change_decomposition")
    vega = {"lost_reason": "Lost to Competitor", "competitor": "Vega"}
    closed_deals(
        spark,
        [deal(f"V{i}", days[1 + i % 2], False, **vega) for i in range(4)]  # 4 of Pune's 5 losses in 3 days
        + [deal("P1", AS_OF, False)]
        + [deal(f"S{i}", D(2024, 1, 2), False, district="Satara", **(vega if i == 0 else {})) for i in range(10)],
    )  # fmt: skip
    actual = run_sql(spark, "win_rate_driver_alerts", PARAMS).select(
        "as_of_date", "alert_id", "rank", "impact_deals", "episode_start", "is_new", "days_active"
    )
    expected = ddl_frame(
        spark,
        "as_of_date date, alert_id string, rank int, impact_deals double, episode_start date, is_new boolean, "
        "days_active int",
        [
            (days[0], "below_parent|lead_source|A|", 1, 8.0, days[0], True, 1),
            (days[1], "drop|district|Pune, MH|", 1, 8.0, days[1], True, 1),
            (AS_OF, "below_parent|lead_source|A|", 1, 8.0, days[0], False, 3),
            (AS_OF, "drop|district|Pune, MH|", 2, 8.0, days[1], False, 2),
            (AS_OF, "mix|lead_source|A|", 3, 4.0, AS_OF, True, 1),
            (AS_OF, "competitor|product_line_in_district|P1 in Pune, MH|Vega", 4, 3.5, AS_OF, True, 1),
            (AS_OF, "erratic|rep|R1|", 5, 2.0, AS_OF, True, 1),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-6, ignore_row_order=True, ignore_nullable=True)
    sentences = {
        r.alert_id.split("|")[0]: r.sentence
        for r in run_sql(spark, "win_rate_driver_alerts", PARAMS).where(f"as_of_date = date'{AS_OF}'").collect()
    }
    assert sentences == {
        "drop": "Win rate fell 40 points for district Pune, MH: 50% to 10% on 20 closed deals in the last 2 days "
        "(20 in the 2 days before), over 99% sure.",
        "below_parent": "Lead source A converts 10% against 50% overall: 2 won of 20 closed deals in the last 2 "
        "days (90% interval 3-20%).",
        "competitor": "P1 loses to Vega in Pune, MH: 4 of 5 losses in the last 3 days (80%), against 10% of P1 "
        "losses in the other districts.",
        "erratic": "Consultant R1 (dealer D1) is erratic: weekly win rate swung between 0% and 100% over 3 weeks "
        "on 12 closed deals (6 won), consistency index 33 of 100.",
        "mix": "Win rate fell 15.0 points (50% to 35% on 40 closed deals in the last 2 days), and mix, not "
        "conversion, pulled it down 10.0 points: lead source A is 25% of closed deals (50% before) and converts 80%.",
    }
