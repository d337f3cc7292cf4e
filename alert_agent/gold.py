"""Reading the gold inputs of the alert with delta-rs (no Spark): hotspot rows, district view, freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from deltalake import DeltaTable

from alert_agent.rank import DistrictRow, TalukaSignal
from alert_agent.view import Freshness
from ground import lake
from ground.catalogue import GOLD_TABLES

HOTSPOT_TABLE = "macro_market_hotspot_taluka_5d"
DISTRICT_TABLE = "district_top3_talukas"


class GoldInputError(RuntimeError):
    """A gold table the alert needs is missing, or has no rows for the date."""


@dataclass(frozen=True)
class GoldInputs:
    signals: list[TalukaSignal]
    district_rows: list[DistrictRow]
    freshness: Freshness
    hotspot_location: str


def table_location(lake_root: str, name: str) -> str:
    return GOLD_TABLES[name].location(lake_root)


def _date_literal(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def _open(location: str, name: str) -> DeltaTable:
    table = lake.open_table(location)
    if table is None:
        raise GoldInputError(
            f"gold table {name} not found at {location}: run `scv nightly` for the date first "
            "(or point SCV_LAKE_ROOT at the right lake)"
        )
    return table


def latest_as_of_date(lake_root: str) -> date:
    """The most recent as_of_date present in the hotspot table."""
    location = table_location(lake_root, HOTSPOT_TABLE)
    table = _open(location, HOTSPOT_TABLE)
    value = lake.query({"t": table}, "select max(as_of_date) as d from t").column("d")[0].as_py()
    if value is None:
        raise GoldInputError(f"gold table {HOTSPOT_TABLE} at {location} has no rows")
    return value  # type: ignore[no-any-return]


def _freshness(table: DeltaTable, as_of: date) -> Freshness:
    history = table.history(1)
    timestamp_ms = history[0].get("timestamp") if history else None
    written = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC) if timestamp_ms else None
    return Freshness(as_of_date=as_of, table_version=table.version(), last_written_at=written)


def read_inputs(lake_root: str, as_of: date) -> GoldInputs:
    """Hotspot rows and district view for ``as_of``; GoldInputError names the table path when absent."""
    hotspot_location = table_location(lake_root, HOTSPOT_TABLE)
    hotspot = _open(hotspot_location, HOTSPOT_TABLE)
    where = f"as_of_date = {_date_literal(as_of)}"
    rows = lake.query({"t": hotspot}, f"select * from t where {where}").to_pylist()
    if not rows:
        latest = lake.query({"t": hotspot}, "select max(as_of_date) as d from t").column("d")[0].as_py()
        raise GoldInputError(
            f"gold table {HOTSPOT_TABLE} at {hotspot_location} has no rows for {as_of.isoformat()} "
            f"(latest as_of_date: {latest.isoformat() if latest else 'none'})"
        )
    district_location = table_location(lake_root, DISTRICT_TABLE)
    district = _open(district_location, DISTRICT_TABLE)
    district_rows = lake.query({"t": district}, f"select * from t where {where}").to_pylist()
    return GoldInputs(
        signals=[TalukaSignal.from_row(r) for r in rows],
        district_rows=[DistrictRow.from_row(r) for r in district_rows],
        freshness=_freshness(hotspot, as_of),
        hotspot_location=hotspot_location,
    )


DAILY_TABLE = "taluka_daily_leads"


def read_daily_leads(
    lake_root: str, as_of: date, talukas: list[tuple[str, str, str]], days: int
) -> dict[tuple[str, str, str], dict[date, int]]:
    """Leads per day of each (state, district, taluka) over the ``days`` ending on ``as_of``, as known on it
    (gold taluka_daily_leads); an empty mapping for a taluka, or all, when the table has no rows."""
    found: dict[tuple[str, str, str], dict[date, int]] = {key: {} for key in talukas}
    table = lake.open_table(table_location(lake_root, DAILY_TABLE))
    if table is None or not talukas:
        return found
    first = date.fromordinal(as_of.toordinal() - days + 1)
    sql = (
        "select state, district, taluka, lead_date, leads from t "
        f"where as_of_date = {_date_literal(as_of)} and lead_date >= {_date_literal(first)}"
    )
    for row in lake.query({"t": table}, sql).to_pylist():
        key = (row["state"], row["district"], row["taluka"])
        if key in found:
            found[key][row["lead_date"]] = int(row["leads"] or 0)
    return found


# for the other emails' readers (alert_agent/win_rate_gold.py)
open_gold_table = _open
table_freshness = _freshness
