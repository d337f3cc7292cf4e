"""Win-rate SQL on tiny hand-built rows with exact expected values: the closed_deals and win_rate_daily views,
win_rate_by_segment (interval, shrinkage, change) and win_rate_change_decomposition (mix + rate = change)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from chispa import assert_approx_df_equality
from win_rate_inputs import AS_OF, DAILY_DDL, PARAMS, closed_deals, deal, version

from frames import ddl_frame, frame
from gold.graph import run_sql

D = date  # brevity in the row tables below


@pytest.fixture
def as_of(spark):  # type: ignore[no-untyped-def]
    ddl_frame(spark, "as_of_date date", [(AS_OF,)]).createOrReplaceTempView("as_of_dates")


@pytest.mark.usefixtures("as_of")
def test_closed_deals_takes_the_first_closing_known_by_the_date(spark) -> None:  # type: ignore[no-untyped-def]
    frame(
        spark,
        "customer_pipeline_history",
        [
            version("O1", "C0", datetime(2024, 1, 1, 9)),
            version("O1", "C1", datetime(2024, 1, 3, 9)),
            version("O1", "C3", datetime(2024, 1, 5, 9)),
            version("O1", "WON", datetime(2024, 1, 8, 9)),
            version("O2", "C0", datetime(2024, 1, 2, 9), created_date=D(2024, 1, 2), state="KA", dealer_code="D2"),
            version(
                "O2",
                "LOST",
                datetime(2024, 1, 6, 9),
                created_date=D(2024, 1, 2),
                state="KA",
                lost_reason="No Response",
                dealer_code="D2",
            ),  # fmt: skip
            version("O3", "C2", datetime(2024, 1, 4, 9), created_date=D(2024, 1, 2)),
            # closed on the 7th, exported on the 9th
            version("O3", "LOST", datetime(2024, 1, 9, 9), created_date=D(2024, 1, 2), closed_date=D(2024, 1, 7)),
            version("O4", "WON", datetime(2024, 1, 11, 9)),  # known after the date
            version("O5", "WON", datetime(2024, 1, 5, 9)),
            version("O5", "LOST", datetime(2024, 1, 7, 9)),  # reopened and lost: the first closing counts
        ],
    ).createOrReplaceTempView("customer_pipeline_history")
    # the dealer master names D2's region (KA is not in win_rate.regions); D1 is not in it: its state decides
    frame(spark, "dealers", [{"dealer_code": "D2", "region": "South"}]).createOrReplaceTempView("dealers")
    actual = run_sql(spark, "closed_deals", PARAMS, folder="views").select(
        "opty_id", "region", "closed_date", "known_date", "c1_date", "c2_date", "c3_date", "is_won",
        "stage_reached", "is_counted", "cycle_days", "has_closed_date", "data_start_date",
    )  # fmt: skip
    ddl = (
        "opty_id string, region string, closed_date date, known_date date, c1_date date, c2_date date, "
        "c3_date date, is_won boolean, stage_reached int, is_counted boolean, cycle_days int, "
        "has_closed_date boolean, data_start_date date"
    )
    start = D(2024, 1, 1)
    expected = ddl_frame(
        spark,
        ddl,
        [
            ("O1", "West", D(2024, 1, 8), D(2024, 1, 8), D(2024, 1, 3), D(2024, 1, 5), D(2024, 1, 5), True, 4, True,
             7, False, start),
            ("O2", "South", D(2024, 1, 6), D(2024, 1, 6), None, None, None, False, 0, False, 4, False, start),
            ("O3", "West", D(2024, 1, 7), D(2024, 1, 9), D(2024, 1, 4), D(2024, 1, 4), None, False, 2, True, 5,
             True, start),
            ("O5", "West", D(2024, 1, 5), D(2024, 1, 5), None, None, None, True, 4, True, 4, False, start),
        ],
    )  # fmt: skip
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


def test_win_rate_daily_counts_each_counted_deal_once_per_dimension(spark) -> None:  # type: ignore[no-untyped-def]
    closed_deals(
        spark,
        [
            deal("O1", D(2024, 1, 9), True, deal_value=600000.0, cycle_days=8),
            deal("O2", D(2024, 1, 9), False, rep_id=None),
            deal("O3", D(2024, 1, 9), False, is_counted=False),  # lost at the enquiry: not in a win rate
        ],
    )
    actual = (
        run_sql(spark, "win_rate_daily", PARAMS, folder="views")
        .where("dimension in ('overall', 'district', 'rep')")
        .select("dimension", "segment", "parent_dimension", "parent_segment", "closed", "won", "won_value",
                "won_cycle_days")
    )  # fmt: skip
    expected = ddl_frame(
        spark,
        "dimension string, segment string, parent_dimension string, parent_segment string, closed bigint, "
        "won bigint, won_value double, won_cycle_days bigint",
        [
            ("overall", "All", None, None, 2, 1, 600000.0, 8),
            ("district", "Pune, MH", "region", "West", 2, 1, 600000.0, 8),
            ("rep", "R1", "dealer", "D1", 1, 1, 600000.0, 8),  # O2 has no consultant
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


def _daily(segment: str, parent: str | None, day: date, closed: int, won: int) -> tuple:  # type: ignore[type-arg]
    dimension = "overall" if parent is None else "lead_source"
    return (dimension, segment, "overall" if parent else None, parent, None, None, day, day, D(2023, 12, 1),
            closed, won, 100.0 * won, won, 10 * won)  # fmt: skip


@pytest.mark.usefixtures("as_of")
def test_win_rate_by_segment_interval_shrinkage_and_change(spark) -> None:  # type: ignore[no-untyped-def]
    # window 2 days (9th-10th) against the 2 before (7th-8th); A and B are lead sources under overall
    ddl_frame(
        spark,
        DAILY_DDL,
        [
            _daily("All", None, D(2024, 1, 10), 20, 10),
            _daily("All", None, D(2024, 1, 8), 20, 10),
            _daily("A", "All", D(2024, 1, 10), 10, 8),
            _daily("A", "All", D(2024, 1, 8), 10, 6),
            _daily("B", "All", D(2024, 1, 10), 10, 2),
            _daily("B", "All", D(2024, 1, 8), 10, 4),
            _daily("B", "All", D(2024, 1, 6), 10, 0),  # before the prior window
            # closed on the 10th but exported on the 11th: not known on the 10th
            (
                "lead_source",
                "B",
                "overall",
                "All",
                None,
                None,
                D(2024, 1, 10),
                D(2024, 1, 11),
                D(2023, 12, 1),
                5,
                5,
                500.0,
                5,
                50,
            ),
        ],
    ).createOrReplaceTempView("win_rate_daily")
    run_sql(spark, "win_rate_counts", PARAMS, folder="views").createOrReplaceTempView("win_rate_counts")
    actual = run_sql(spark, "win_rate_by_segment", PARAMS).select(
        "segment", "closed", "won", "win_rate", "win_rate_low", "win_rate_high", "parent_win_rate", "prior_deals",
        "win_rate_shrunk", "prior_closed", "prior_won", "prior_win_rate_shrunk", "change_points", "change_z",
        "prob_decline", "is_comparable", "is_reportable", "avg_deal_value", "avg_cycle_days",
    )  # fmt: skip
    # rho = ((8-5)^2 - 2.5 + (2-5)^2 - 2.5) / (2 * 10 * 9 * 0.25) = 13/45, so m = 45/13 - 1 = 32/13 deals:
    # A = (8 + 16/13) / (10 + 32/13) = 120/162, B = 42/162; prior A = 94/162, B = 68/162
    expected = ddl_frame(
        spark,
        "segment string, closed bigint, won bigint, win_rate double, win_rate_low double, win_rate_high double, "
        "parent_win_rate double, prior_deals double, win_rate_shrunk double, prior_closed bigint, prior_won bigint, "
        "prior_win_rate_shrunk double, change_points double, change_z double, prob_decline double, "
        "is_comparable boolean, is_reportable boolean, avg_deal_value double, avg_cycle_days double",
        [
            ("All", 20, 10, 0.5, 0.32739, 0.67261, None, None, 0.5, 20, 10, 0.5, 0.0, 0.0, 0.5, True, True, 100.0,
             10.0),
            ("A", 10, 8, 0.8, 0.540769, 0.931448, 0.5, 2.462, 0.740741, 10, 6, 0.580247, 20.0, 0.9759, 0.1646, True,
             True, 100.0, 10.0),
            ("B", 10, 2, 0.2, 0.068552, 0.459231, 0.5, 2.462, 0.259259, 10, 4, 0.419753, -20.0, -0.9759, 0.8354,
             True, True, 100.0, 10.0),
        ],
    )  # fmt: skip
    assert_approx_df_equality(actual, expected, 1e-6, ignore_row_order=True, ignore_nullable=True)


def test_decomposition_splits_the_change_into_mix_and_rate(spark) -> None:  # type: ignore[no-untyped-def]
    # A converts better but its share halved; B converts worse and grew: -15 points = -10 mix -5 rate; the mix
    # is centred on the average rate (0.5 + 0.35) / 2: A -0.25 x (0.7 - 0.425), B +0.25 x (0.3 - 0.425)
    rows = [
        {"as_of_date": AS_OF, "window_days": 2, "dimension": "lead_source", "segment": s, "closed": n, "won": k,
         "win_rate": k / n, "prior_closed": n0, "prior_won": k0, "prior_win_rate": k0 / n0, "is_comparable": True}
        for s, n, k, n0, k0 in (("A", 10, 8, 20, 12), ("B", 30, 6, 20, 8))
    ] + [{"as_of_date": AS_OF, "window_days": 2, "dimension": "overall", "segment": "All", "closed": 40,
          "won": 14}]  # fmt: skip
    frame(spark, "win_rate_by_segment", rows).createOrReplaceTempView("win_rate_by_segment")
    actual = run_sql(spark, "win_rate_change_decomposition", PARAMS).select(
        "segment", "prior_share", "share", "prior_win_rate", "win_rate", "mix_effect", "rate_effect",
        "total_prior_win_rate", "total_win_rate", "total_change", "total_mix", "total_rate", "total_change_z",
        "total_mix_z",
    )  # fmt: skip
    expected = ddl_frame(
        spark,
        "segment string, prior_share double, share double, prior_win_rate double, win_rate double, "
        "mix_effect double, rate_effect double, total_prior_win_rate double, total_win_rate double, "
        "total_change double, total_mix double, total_rate double, total_change_z double, total_mix_z double",
        [
            ("A", 0.5, 0.25, 0.6, 0.8, -0.06875, 0.075, 0.5, 0.35, -0.15, -0.1, -0.05, -1.357, -2.3094),
            ("B", 0.5, 0.75, 0.4, 0.2, -0.03125, -0.125, 0.5, 0.35, -0.15, -0.1, -0.05, -1.357, -2.3094),
        ],
    )
    assert_approx_df_equality(actual, expected, 1e-4, ignore_row_order=True, ignore_nullable=True)
