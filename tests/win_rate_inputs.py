"""Inputs shared by the win-rate SQL tests: the as-of date, small parameters, and rows of the views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from frames import ddl_frame
from gold_sql_inputs import PARAMS as BASE_PARAMS

AS_OF = date(2024, 1, 10)  # a Wednesday
PARAMS: dict[str, Any] = {
    **BASE_PARAMS,
    "min_stage_rank": 1,
    "win_rate_windows": "2:2",
    "interval_z": 1.645,
    "min_closed_deals": 5,
    "warmup_days": 5,
    "prior_deals_min": 2.0,
    "prior_deals_max": 1000.0,
    "state_regions": "MH=West;GJ=West",
    "default_region": "Other",
    "closed_lookback_days": 30,
    "funnel_window_days": 10,
    "velocity_window_days": 5,
    "velocity_trend_share": 0.1,
    "lost_window_days": 5,
    "coverage_ok_share": 0.9,
    "rep_weeks": 3,
    "rep_min_closed_deals": 10,
    "rep_prior_weeks": 1.0,
    "erratic_dispersion": 3.0,
    "alert_lookback_days": 28,
    "episode_gap_days": 1,
    "drop_window_days": 2,
    "drop_min_points": 10.0,
    "drop_min_z": 2.0,
    "drop_dimensions": "region,district,dealer,lead_source",
    "level_window_days": 2,
    "level_min_points": 10.0,
    "level_dimensions": "lead_source",
    "competitor_window_days": 3,
    "competitor_baseline_days": 10,
    "competitor_min_losses": 3,
    "competitor_z": 1.0,
    "competitor_min_ratio": 2.0,
    "mix_window_days": 2,
    "mix_min_points": 1.5,
    "mix_min_z": 1.0,
}

CLOSED_DEALS_DDL = (
    "opty_id string, dealer_code string, rep_id string, state string, district string, region string, "
    "product_line string, lead_source string, customer_type string, opty_category string, created_date date, "
    "closed_date date, known_date date, c1_date date, "
    "c2_date date, c3_date date, data_start_date date, is_won boolean, stage_reached int, is_counted boolean, "
    "cycle_days int, deal_value double, lost_reason string, competitor string, has_closed_date boolean"
)
DAILY_DDL = (
    "dimension string, segment string, parent_dimension string, parent_segment string, state string, "
    "district string, closed_date date, known_date date, data_start_date date, closed bigint, won bigint, "
    "won_value double, won_with_value bigint, won_cycle_days bigint"
)


def deal(opty: str, closed: date, won: bool, **values: Any) -> dict[str, Any]:
    """A closed_deals row with plausible defaults: a counted deal of dealer D1 in Pune, MH."""
    row: dict[str, Any] = {
        "opty_id": opty,
        "dealer_code": "D1",
        "rep_id": "R1",
        "state": "MH",
        "district": "Pune",
        "region": "West",
        "product_line": "P1",
        "lead_source": "A",
        "customer_type": "Retail",
        "opty_category": "Walk-in",
        "created_date": date(2024, 1, 1),
        "closed_date": closed,
        "known_date": closed,
        "data_start_date": date(2023, 11, 1),
        "is_won": won,
        "stage_reached": 4 if won else 2,
        "is_counted": True,
        "cycle_days": (closed - date(2024, 1, 1)).days,
        "deal_value": 500000.0,
        "lost_reason": None if won else "Price",
        "competitor": None,
        "has_closed_date": True,
    }
    row.update(values)
    return row


def closed_deals(spark, rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    columns = [part.strip().split(" ")[0] for part in CLOSED_DEALS_DDL.split(",")]
    df = ddl_frame(spark, CLOSED_DEALS_DDL, [tuple(r.get(c) for c in columns) for r in rows])
    df.createOrReplaceTempView("closed_deals")
    return df


def version(opty: str, stage: str, at: datetime, **values: Any) -> dict[str, Any]:
    """A customer_pipeline_history row: status follows the stage."""
    status = {"WON": "Won", "LOST": "Lost"}.get(stage, "Open")
    row = {
        "opty_id": opty,
        "dealer_code": "D1",
        "created_date": date(2024, 1, 1),
        "stage": stage,
        "status": status,
        "lead_classification": "Hot",
        "product_line": "P1",
        "taluka": "Haveli",
        "district": "Pune",
        "state": "MH",
        "updated_at": at,
        "rep_id": "R1",
        "lead_source": "A",
        "deal_value": 500000.0,
    }
    row.update(values)
    return row
