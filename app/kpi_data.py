"""Loaded snapshots of the KPI tables for the KPIs view (``app.kpis``) and the scope applied to their rows:
a rep reads their dealer's rows, a manager their district's, a leader everything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from app.leads import Memo
from app.scope import Scope
from ground.catalogue import GOLD_TABLES
from ground.lake import query

HISTORY_DAYS = 28  # actual days on the chart
AHEAD_DAYS = 14  # forecast days ahead on the chart
KPI = "retail_units"
# the tables of the view, each loaded as its latest as-of dates (kpi_daily, kpi_forecast: several)
TABLES = ("kpi_daily", "kpi_forecast", "kpi_anomalies", "slow_moving_stock", "product_abc")
_COLUMNS = {
    "kpi_daily": None,
    "kpi_forecast": ("as_of_date", "kpi", "level", "member", "state", "district", "dealer_code", "forecast_date",
                     "forecast", "forecast_low", "forecast_high", "model"),
}  # fmt: skip


@dataclass
class KpiTable:
    table: pa.Table
    dates: list[dt.date]  # the as-of dates loaded, latest last
    memo: Memo = field(default_factory=Memo)


def _dates(table: DeltaTable) -> list[str]:
    values = {p.get("as_of_date") for p in table.partitions()}
    return sorted(v for v in values if v)


def kpi_loader(name: str) -> Callable[[DeltaTable], KpiTable]:
    """The latest as-of dates of a KPI table: for kpi_daily (the chart's actuals) and kpi_forecast (the origins
    of their bands: weekly for dealers and districts, nightly for the company) those of the last HISTORY_DAYS +
    7 days, for the others the latest date."""
    spec = GOLD_TABLES[name]
    span = HISTORY_DAYS + 7 if name in ("kpi_daily", "kpi_forecast") else 0

    def load(table: DeltaTable) -> KpiTable:
        dates = _dates(table)
        if dates:
            first = dt.date.fromisoformat(dates[-1]) - dt.timedelta(days=span)
            dates = [d for d in dates if dt.date.fromisoformat(d) >= first]
        if not dates:
            return KpiTable(spec.arrow_schema.empty_table(), [])
        listed = ", ".join(f"DATE '{dt.date.fromisoformat(d).isoformat()}'" for d in dates)
        columns = _COLUMNS.get(name) or spec.column_names
        select = ", ".join(f'"{c}"' for c in columns)
        arrow = query({"t": table}, f"select {select} from t where as_of_date in ({listed})")
        schema = pa.schema([spec.arrow_schema.field(c) for c in columns])
        return KpiTable(arrow.select(list(columns)).cast(schema), [dt.date.fromisoformat(d) for d in dates])

    return load


def series_of(scope: Scope) -> tuple[str, str | None]:
    """The scope's own series: (level, member or None to match by district)."""
    if scope.role == "rep":
        return "dealer", str(scope.dealer_code)
    if scope.role == "manager":
        return "district", None
    return "company", "All"


def _series_mask(table: pa.Table, scope: Scope) -> pa.ChunkedArray:
    level, member = series_of(scope)
    mask = pc.equal(table.column("level"), pa.scalar(level))
    if member is not None:
        mask = pc.and_(mask, pc.equal(table.column("member"), pa.scalar(member)))
    else:
        mask = pc.and_(mask, pc.equal(table.column("district"), pa.scalar(str(scope.district))))
        if scope.state:
            mask = pc.and_(mask, pc.equal(table.column("state"), pa.scalar(scope.state)))
    return pc.fill_null(mask, False)


def scope_mask(table: pa.Table, scope: Scope) -> pa.ChunkedArray | None:
    """Rows of a KPI table the scope may read: a rep's dealer, a manager's district, everything for a leader."""
    if scope.role == "leader":
        return None
    if scope.role == "rep":
        return pc.fill_null(pc.equal(table.column("dealer_code"), pa.scalar(str(scope.dealer_code))), False)
    mask = pc.equal(table.column("district"), pa.scalar(str(scope.district)))
    if scope.state:
        mask = pc.and_(mask, pc.equal(table.column("state"), pa.scalar(scope.state)))
    return pc.fill_null(mask, False)


def scoped_rows(data: KpiTable, scope: Scope, latest_only: bool = True) -> list[dict[str, Any]]:
    def compute() -> list[dict[str, Any]]:
        table = data.table
        if latest_only and data.dates:
            table = table.filter(pc.equal(table.column("as_of_date"), pa.scalar(data.dates[-1], pa.date32())))
        mask = scope_mask(table, scope)
        return (table if mask is None else table.filter(mask)).to_pylist()  # type: ignore[no-any-return]

    return data.memo.get_or_compute(("scoped", scope, latest_only), compute)  # type: ignore[no-any-return]


def series_rows(data: KpiTable, scope: Scope) -> list[dict[str, Any]]:
    """The scope's own series in every loaded as-of date (kpi_daily) or origin (kpi_forecast)."""

    def compute() -> list[dict[str, Any]]:
        table = data.table
        if "kpi" in table.column_names:
            table = table.filter(pc.fill_null(pc.equal(table.column("kpi"), pa.scalar(KPI)), False))
        return table.filter(_series_mask(table, scope)).to_pylist()  # type: ignore[no-any-return]

    return data.memo.get_or_compute(("series", scope), compute)  # type: ignore[no-any-return]
