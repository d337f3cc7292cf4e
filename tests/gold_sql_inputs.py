"""Inputs shared by the gold SQL tests: the as-of date, the parameters, tiny pipeline and market rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from frames import ddl_frame, frame

AS_OF = date(2024, 1, 10)
PARAMS = {
    "window_days": 2,
    "stock_lookback_days": 7,
    "min_dealers": 2,
    "min_leads": 8,
    "intent_growth": 0.3,
    "retail_growth": 0.0,
    "top_n": 3,
    "max_open_age_days": 90,
    "version_lookback_days": 90,
    # the surge detector, small enough to count by hand: a 4-day baseline, a 1-day guard, a 2-day window
    "baseline_days": 4,
    "guard_days": 1,
    "surge_window_days": 2,
    "upper_z": 2.0,
    "persist_days": 1,
    "persist_window_days": 1,
    "hotspot_lookback_days": 7,
}


@pytest.fixture
def dates(spark):  # type: ignore[no-untyped-def]
    ddl_frame(spark, "as_of_date date", [(AS_OF,)]).createOrReplaceTempView("as_of_dates")
    ddl_frame(spark, "lead_classification string", [("Hot",), ("Warm",), ("Live Deal",)]).createOrReplaceTempView(
        "high_intent_classes"
    )


def pipeline_history(spark, rows: list[dict]) -> None:  # type: ignore[no-untyped-def,type-arg]
    """``rows`` as silver customer_pipeline_history, and the shared ``opportunity_versions`` view over it
    (which reads ``as_of_dates``: register the dates first)."""
    from gold.graph import run_sql

    frame(spark, "customer_pipeline_history", rows).createOrReplaceTempView("customer_pipeline_history")
    run_sql(spark, "opportunity_versions", PARAMS, folder="views").createOrReplaceTempView("opportunity_versions")


def lead_row(opty: str, dealer: str, created: date, cls: str, updated: datetime, stage: str = "C0", taluka: str = "A"):  # type: ignore[no-untyped-def]
    return {
        "opty_id": opty,
        "dealer_code": dealer,
        "created_date": created,
        "stage": stage,
        "status": "Open",
        "lead_classification": cls,
        "updated_at": updated,
        "taluka": taluka,
        "district": "Pune",
        "state": "MH",
    }


def features_row(taluka: str, district: str, dealer: str, leads: tuple, hi: tuple, retail: tuple, stock: int = 5):  # type: ignore[no-untyped-def,type-arg]
    return {
        "as_of_date": AS_OF,
        "dealer_code": dealer,
        "taluka": taluka,
        "district": district,
        "state": "MH",
        "leads_cur": leads[0],
        "leads_prev": leads[1],
        "hi_leads_cur": hi[0],
        "hi_leads_prev": hi[1],
        "retail_cur": retail[0],
        "retail_prev": retail[1],
        "total_stock": stock,
        "saleable_stock": stock,
        "lead_growth": 0.0,
        "hi_lead_growth": 0.0,
        "retail_growth": 0.0,
    }


@pytest.fixture
def market(spark):  # type: ignore[no-untyped-def]
    frame(
        spark,
        "dealer_market_features_5d",
        [
            features_row("T1", "X", "D1", (10, 5), (5, 1), (2, 1)),
            features_row("T1", "X", "D2", (6, 3), (3, 1), (1, 0)),
            features_row("T2", "X", "D3", (7, 4), (2, 2), (0, 0)),
            features_row("T2", "X", "D4", (5, 4), (2, 2), (0, 0)),
            features_row("T3", "X", "D5", (20, 1), (9, 0), (3, 0)),
            features_row("T4", "X", "D6", (5, 5), (1, 1), (1, 1)),
            features_row("T4", "X", "D7", (4, 5), (1, 1), (1, 1)),
            features_row("T5", "Y", "D8", (2, 1), (1, 0), (0, 0)),
            features_row("T5", "Y", "D9", (1, 1), (0, 0), (0, 0)),
        ],
    ).createOrReplaceTempView("dealer_market_features_5d")
