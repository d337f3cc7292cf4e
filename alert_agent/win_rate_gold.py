"""Reading the gold inputs of the weekly win-rate email with delta-rs (no Spark)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from alert_agent.gold import GoldInputError, open_gold_table, table_freshness, table_location
from alert_agent.view import Freshness
from ground import lake

ALERTS = "win_rate_driver_alerts"
SEGMENTS = "win_rate_by_segment"
DECOMPOSITION = "win_rate_change_decomposition"
COVERAGE = "win_rate_coverage"
SPLIT_WINDOW_DAYS = 30  # the email's split of the change: the month against the month before


@dataclass(frozen=True)
class WinRateInputs:
    alerts: list[dict[str, Any]]  # the rows of the 7 days ending on the as-of date
    overall: list[dict[str, Any]]  # the overall win rate per window on the as-of date
    decomposition: list[dict[str, Any]]  # one row per dimension: its totals (30-day window)
    coverage: list[dict[str, Any]]
    freshness: Freshness
    location: str


def _day(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def latest_as_of_date(lake_root: str) -> date:
    """The most recent as_of_date in win_rate_by_segment (the driver table has rows only on alert days)."""
    location = table_location(lake_root, SEGMENTS)
    table = open_gold_table(location, SEGMENTS)
    value = lake.query({"t": table}, "select max(as_of_date) as d from t").column("d")[0].as_py()
    if value is None:
        raise GoldInputError(f"gold table {SEGMENTS} at {location} has no rows")
    return value  # type: ignore[no-any-return]


def read_inputs(lake_root: str, as_of: date) -> WinRateInputs:
    """The week's driver alerts and the as-of date's overall figures; GoldInputError names a missing table or
    a date the night never built."""
    segments_location = table_location(lake_root, SEGMENTS)
    segments = open_gold_table(segments_location, SEGMENTS)
    overall = lake.query(
        {"t": segments}, f"select * from t where as_of_date = {_day(as_of)} and dimension = 'overall'"
    ).to_pylist()
    if not overall:
        raise GoldInputError(f"gold table {SEGMENTS} at {segments_location} has no rows for {as_of.isoformat()}")
    location = table_location(lake_root, ALERTS)
    alerts_table = open_gold_table(location, ALERTS)
    week = f"as_of_date between {_day(as_of - timedelta(days=6))} and {_day(as_of)}"
    alerts = lake.query({"t": alerts_table}, f"select * from t where {week}").to_pylist()
    decomposition = lake.query(
        {"t": open_gold_table(table_location(lake_root, DECOMPOSITION), DECOMPOSITION)},
        f"select dimension, min(window_days) as window_days, min(total_change) as total_change, "
        f"min(total_mix) as total_mix, min(total_rate) as total_rate, bool_and(is_comparable) as is_comparable "
        f"from t where as_of_date = {_day(as_of)} and window_days = {SPLIT_WINDOW_DAYS} group by dimension",
    ).to_pylist()
    coverage = lake.query(
        {"t": open_gold_table(table_location(lake_root, COVERAGE), COVERAGE)},
        f"select * from t where as_of_date = {_day(as_of)} order by column_name",
    ).to_pylist()
    return WinRateInputs(alerts, overall, decomposition, coverage, table_freshness(alerts_table, as_of), location)
