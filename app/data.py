"""The data access layer: every read of the app goes through ``DataAccess`` with a ``Scope``.

The scope is applied first in every query (a rep's leads are their dealer's slice, a manager's the rows of
their district), then the optional filters chosen in the UI narrow it further; no method returns unscoped
rows. Results are memoised per snapshot, so a repeated view is a dictionary lookup until the next version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from app.areas import STATUS_ORDER, AreaData, area_loader
from app.kpi_data import TABLES as KPI_TABLES
from app.kpi_data import KpiTable, kpi_loader
from app.leads import LeadData, best_rows, load_leads
from app.scope import Scope, ScopeError, apply_mask, area_mask, lead_mask
from app.snapshot import SnapshotCache, TableWatch
from ground.catalogue import GOLD_TABLES

LEADS = "scv_customer_score"
HOTSPOTS = "macro_market_hotspot_taluka_5d"
TOP3 = "district_top3_talukas"
SCORE_BANDS = 10  # 0-9, 10-19, ..., 90-100
# the Performance view (win-rate intelligence): each table's latest as-of date
PERFORMANCE = (
    "win_rate_by_segment",
    "win_rate_driver_alerts",
    "funnel_stage_conversion",
    "rep_consistency",
    "lost_reasons",
    "sales_velocity",
    "win_rate_change_decomposition",
)
NETWORK_ONLY = ("win_rate_change_decomposition",)  # no district: leaders only


@dataclass(frozen=True)
class LeadPage:
    next_best: dict[str, Any] | None
    rows: list[dict[str, Any]]  # after next_best, best score first
    matching: int  # leads in scope matching the filters
    in_scope: int  # all open leads in scope
    as_of_date: dt.date | None = None
    version: int | None = None
    is_loaded: bool = True


@dataclass(frozen=True)
class AreaRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    as_of_date: dt.date | None = None
    version: int | None = None
    is_loaded: bool = True


def _equals(table: pa.Table, column: str, value: str | None) -> pa.Table:
    if not value:
        return table
    return table.filter(pc.fill_null(pc.equal(table.column(column), pa.scalar(value, pa.string())), False))


def _filter_mask(table: pa.Table, equals: dict[str, str | None]) -> pa.ChunkedArray | None:
    """Rows where every given column equals its value (None: no filter given)."""
    mask = None
    for column, value in equals.items():
        if value:
            match = pc.fill_null(pc.equal(table.column(column), pa.scalar(value, pa.string())), False)
            mask = match if mask is None else pc.and_(mask, match)
    return mask


def _due_mask(table: pa.Table, as_of_date: dt.date | None) -> pa.ChunkedArray:
    """Not contacted on the scoring day and no follow-up agreed for after the morning following it."""
    days = table.column("days_since_last_contact")
    not_today = pc.or_kleene(pc.is_null(days), pc.greater_equal(days, 1))
    if as_of_date is None:
        return pc.fill_null(not_today, True)
    tomorrow = pa.scalar(as_of_date + dt.timedelta(days=1), pa.date32())
    followup = table.column("next_followup_date")
    no_later_followup = pc.or_kleene(pc.is_null(followup), pc.less_equal(followup, tomorrow))
    return pc.fill_null(pc.and_kleene(not_today, no_later_followup), True)


class DataAccess:
    """Scoped, cached reads of the three gold tables the app shows."""

    def __init__(self, cache: SnapshotCache):
        self.cache = cache

    @classmethod
    def for_lake(cls, lake_root: str, refresh_seconds: float = 5.0) -> DataAccess:
        loaders = {LEADS: load_leads, HOTSPOTS: area_loader(HOTSPOTS), TOP3: area_loader(TOP3)}
        loaders.update({name: area_loader(name) for name in PERFORMANCE})
        loaders.update({name: kpi_loader(name) for name in KPI_TABLES})  # the KPIs view (app/kpis.py)
        watches = {
            name: TableWatch(name, GOLD_TABLES[name].location(lake_root), loader, refresh_seconds)
            for name, loader in loaders.items()
        }
        return cls(SnapshotCache(watches))

    # ------------------------------------------------------------------------------------------ leads
    def _scoped_leads(self, data: LeadData, scope: Scope) -> tuple[pa.Table, bool]:
        """The scope's leads and whether they are already in score order (a dealer's slice is)."""
        if scope.role == "rep":
            return data.dealer_slice(str(scope.dealer_code)), True
        if scope.role == "leader":
            return data.table, False
        scoped = data.memo.get_or_compute(
            ("scoped", scope), lambda: apply_mask(data.table, lead_mask(data.table, scope))
        )
        return scoped, False

    def leads(
        self, scope: Scope, enquiry_type: str | None = None, classification: str | None = None, limit: int = 20
    ) -> LeadPage:
        """Top leads in scope, best first, with the next best customer to call picked out."""
        snap = self.cache.get(LEADS)
        if snap is None:
            return LeadPage(None, [], 0, 0, is_loaded=False)
        data: LeadData = snap.data
        key = ("leads", scope, enquiry_type or None, classification or None, limit)

        def compute() -> LeadPage:
            scoped, is_sorted = self._scoped_leads(data, scope)
            mask = _filter_mask(scoped, {"opty_category": enquiry_type, "lead_classification": classification})
            matching = scoped.num_rows if mask is None else int(pc.sum(mask).as_py() or 0)
            top = best_rows(scoped, limit + 1, mask, is_sorted).to_pylist()
            due = _due_mask(scoped, data.as_of_date)
            due = due if mask is None else pc.and_(due, mask)
            best = best_rows(scoped, 1, due, is_sorted).to_pylist() or top[:1]
            next_best = best[0] if best else None
            rows = [r for r in top if next_best is None or r["opty_id"] != next_best["opty_id"]]
            page_rows = rows[: max(limit - 1, 0)]
            return LeadPage(next_best, page_rows, matching, scoped.num_rows, data.as_of_date, snap.version)

        return data.memo.get_or_compute(key, compute)

    def lead_filters(self, scope: Scope) -> tuple[list[str], list[str]]:
        """The enquiry types and lead classifications present in scope (choices for the filters)."""
        snap = self.cache.get(LEADS)
        if snap is None:
            return [], []
        data: LeadData = snap.data

        def compute() -> tuple[list[str], list[str]]:
            scoped, _ = self._scoped_leads(data, scope)
            return tuple(  # type: ignore[return-value]
                sorted(v for v in pc.unique(scoped.column(c)).to_pylist() if v)
                for c in ("opty_category", "lead_classification")
            )

        return data.memo.get_or_compute(("filters", scope), compute)

    def leads_by_product_line(self, scope: Scope) -> AreaRows:
        """Open leads and average score per product line in scope, most leads first."""
        snap = self.cache.get(LEADS)
        if snap is None:
            return AreaRows(is_loaded=False)
        data: LeadData = snap.data

        def compute() -> AreaRows:
            scoped, _ = self._scoped_leads(data, scope)
            grouped = scoped.group_by("product_line").aggregate([("opty_id", "count"), ("total_score", "mean")])
            grouped = grouped.rename_columns(["product_line", "leads", "avg_score"])
            ordered = grouped.sort_by([("leads", "descending"), ("product_line", "ascending")])
            return AreaRows(ordered.to_pylist(), data.as_of_date, snap.version)

        return data.memo.get_or_compute(("product_lines", scope), compute)

    def score_distribution(self, scope: Scope) -> AreaRows:
        """Leads per score band of ten points (the last band includes 100)."""
        snap = self.cache.get(LEADS)
        if snap is None:
            return AreaRows(is_loaded=False)
        data: LeadData = snap.data

        def compute() -> AreaRows:
            scores = self._scoped_leads(data, scope)[0].column("total_score")
            bands = pc.min_element_wise(pc.floor(pc.divide(pc.fill_null(scores, 0.0), 10.0)), SCORE_BANDS - 1)
            counts = {r["values"]: r["counts"] for r in pc.value_counts(bands).to_pylist()}
            rows = [
                {"band": f"{b * 10}-{b * 10 + 9 if b < SCORE_BANDS - 1 else 100}", "leads": counts.get(b, 0)}
                for b in range(SCORE_BANDS)
            ]
            return AreaRows(rows, data.as_of_date, snap.version)

        return data.memo.get_or_compute(("scores", scope), compute)

    # ------------------------------------------------------------------------------------------ areas
    def _area(self, name: str, scope: Scope, district: str | None) -> tuple[pa.Table, AreaData, int] | None:
        if not scope.can_see_markets:
            raise ScopeError("market views are for managers and leadership")
        snap = self.cache.get(name)
        if snap is None:
            return None
        data: AreaData = snap.data
        scoped = data.memo.get_or_compute(
            ("scoped", scope), lambda: apply_mask(data.table, area_mask(data.table, scope))
        )
        return _equals(scoped, "district", district), data, snap.version

    def hotspots(self, scope: Scope, status: str | None = None, district: str | None = None) -> AreaRows:
        """Talukas in scope with status and signals: HOTSPOT first, then EMERGING, STABLE, NOISE."""
        found = self._area(HOTSPOTS, scope, district)
        if found is None:
            return AreaRows(is_loaded=False)
        table, data, version = found
        rows = _equals(table, "status", status).to_pylist()
        rows.sort(key=lambda r: (STATUS_ORDER.get(r["status"], 9), -(r["leads_cur"] or 0), r["taluka"] or ""))
        return AreaRows(rows, data.as_of_date, version)

    def top_talukas(self, scope: Scope, district: str | None = None) -> AreaRows:
        """Top talukas per district in scope; districts with the most urgent talukas first."""
        found = self._area(TOP3, scope, district)
        if found is None:
            return AreaRows(is_loaded=False)
        table, data, version = found
        rows = table.to_pylist()
        urgency: dict[tuple[str, str], tuple[int, int]] = {}
        for r in rows:
            key = (r["state"] or "", r["district"] or "")
            best, leads = urgency.get(key, (9, 0))
            urgency[key] = (min(best, STATUS_ORDER.get(r["status"], 9)), leads - (r["leads_cur"] or 0))
        rows.sort(key=lambda r: (*urgency[(r["state"] or "", r["district"] or "")], r["district"], r["rank"]))
        return AreaRows(rows, data.as_of_date, version)

    def districts(self, scope: Scope) -> list[str]:
        """District names in scope (choices for the leadership district filter)."""
        found = self._area(TOP3, scope, None)
        if found is None:
            return []
        return sorted(v for v in pc.unique(found[0].column("district")).to_pylist() if v)

    # --------------------------------------------------------------------------------------------- kpis
    def kpi_tables(self) -> dict[str, KpiTable | None]:
        """The loaded KPI tables (None: not written yet); app.kpis applies the scope to every row it shows."""
        tables: dict[str, KpiTable | None] = {}
        for name in KPI_TABLES:
            snap = self.cache.get(name)
            tables[name] = snap.data if snap is not None else None
        return tables

    # ------------------------------------------------------------------------------------- performance
    def performance_rows(self, name: str, scope: Scope) -> AreaRows:
        """The latest as-of date's rows of a win-rate table in scope: a manager's district only; tables without
        a district (network-wide splits) for leaders only."""
        if name not in PERFORMANCE:
            raise KeyError(name)
        if name in NETWORK_ONLY:
            if scope.role != "leader":
                raise ScopeError("network-wide figures are for leadership")
            snap = self.cache.get(name)
            if snap is None:
                return AreaRows(is_loaded=False)
            data: AreaData = snap.data
            return AreaRows(data.table.to_pylist(), data.as_of_date, snap.version)
        found = self._area(name, scope, None)
        if found is None:
            return AreaRows(is_loaded=False)
        table, area, version = found
        return AreaRows(table.to_pylist(), area.as_of_date, version)
