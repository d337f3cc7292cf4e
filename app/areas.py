"""Loaded snapshots of the taluka and district tables (``macro_market_hotspot_taluka_5d``,
``district_top3_talukas``): only the latest ``as_of_date`` partition, found from the Delta log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
from deltalake import DeltaTable

from app.leads import Memo
from ground.catalogue import GOLD_TABLES, Table
from ground.lake import query

STATUS_ORDER = {"HOTSPOT": 0, "EMERGING": 1, "STABLE": 2, "NOISE": 3}


@dataclass
class AreaData:
    table: pa.Table
    as_of_date: dt.date | None
    memo: Memo = field(default_factory=Memo)


def _latest_partition(table: DeltaTable) -> str | None:
    """The greatest ``as_of_date`` partition value, read from the log's add actions (no data scan)."""
    values = [p.get("as_of_date") for p in table.partitions()]
    dates = [v for v in values if v]
    return max(dates) if dates else None


def _conform(table: pa.Table, spec: Table) -> pa.Table:
    return table.select(spec.column_names).cast(spec.arrow_schema)


def area_loader(name: str) -> Callable[[DeltaTable], AreaData]:
    spec = GOLD_TABLES[name]

    def load(table: DeltaTable) -> AreaData:
        latest = _latest_partition(table) if "as_of_date" in spec.partition_by else None
        if latest is not None:
            dt.date.fromisoformat(latest)  # refuse anything that is not a plain date before quoting it
            where = f"as_of_date = DATE '{latest}'"
        else:
            where = "as_of_date = (select max(as_of_date) from t)"
        arrow = query({"t": table}, f"select * from t where {where}")
        if not arrow.num_rows:
            return AreaData(spec.arrow_schema.empty_table(), None)
        arrow = _conform(arrow, spec)
        return AreaData(arrow, arrow.column("as_of_date")[0].as_py())

    return load
