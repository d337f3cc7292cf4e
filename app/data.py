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

from app.actions import ACTIONS_TABLE, LeadState, lead_states, load_actions
from app.areas import STATUS_ORDER, AreaData, area_loader
from app.kpi_data import TABLES as KPI_TABLES
from app.kpi_data import KpiTable, kpi_loader
from app.leads import LeadData, best_rows, load_leads
from app.scope import Scope, ScopeError, apply_mask, area_mask, lead_mask
from app.snapshot import SnapshotCache, TableWatch
from ground.catalogue import GOLD_TABLES

LEADS = "scv_customer_score"
ACTIONS = "lead_actions"
# How a list can be sorted: (label, column, descending, nulls first). "score" keeps the score order.
SORTS = {
    "score": ("Score", "total_score", True),
    "age": ("Newest enquiry", "created_date", True),
    "contact": ("Longest without contact", "days_since_last_contact", True),
    "closure": ("Closing soonest", "expected_closure_date", False),
}
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
# the Accounts view and the lead cards' account line (docs/accounts.md): each table's latest as-of date
ACCOUNTS = ("account_health", "account_rfm", "account_churn_risk", "account_clv", "account_cross_sell",
            "product_affinity")  # fmt: skip


@dataclass(frozen=True)
class LeadPage:
    next_best: dict[str, Any] | None
    rows: list[dict[str, Any]]  # after next_best, best score first
    matching: int  # leads in scope matching the filters
    in_scope: int  # all open leads in scope
    as_of_date: dt.date | None = None
    version: int | None = None
    is_loaded: bool = True
    states: dict[str, LeadState] = field(default_factory=dict)  # what the app's actions say, per shown lead
    hidden: int = 0  # leads in scope left out because a rep marked them done or snoozed them


@dataclass(frozen=True)
class LeadQuery:
    """What the page asks for on top of the scope: filters, a search and an order (all optional)."""

    enquiry_type: str | None = None
    classification: str | None = None
    search: str | None = None  # part of the customer's name, or digits of the phone number
    sort: str = "score"
    district: str | None = None
    dealer: str | None = None

    @property
    def is_filtered(self) -> bool:
        return bool(self.enquiry_type or self.classification or self.search or self.district or self.dealer)


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


def _search_mask(table: pa.Table, text: str) -> pa.ChunkedArray:
    """Rows whose customer name contains ``text`` (any case), or whose phone holds its digits."""
    needle = text.strip().lower()
    name = pc.fill_null(pc.match_substring(pc.utf8_lower(table.column("customer_name")), needle), False)
    digits = "".join(ch for ch in needle if ch.isdigit())
    if len(digits) < 3:
        return name
    phone = pc.replace_substring_regex(table.column("customer_phone"), r"\D", "")
    return pc.or_(name, pc.fill_null(pc.match_substring(phone, digits), False))


def _and(mask: pa.ChunkedArray | None, other: pa.ChunkedArray | None) -> pa.ChunkedArray | None:
    if other is None:
        return mask
    return other if mask is None else pc.and_(mask, other)


def _sorted_rows(table: pa.Table, mask: pa.ChunkedArray | None, sort: str, k: int) -> pa.Table:
    """The first ``k`` rows (where ``mask``) by the chosen order, then score, then id."""
    _, column, descending = SORTS[sort]
    rows = table if mask is None else table.filter(mask)
    order = "descending" if descending else "ascending"
    keys = [(column, order), ("total_score", "descending"), ("opty_id", "ascending")]
    # never contacted is the longest without contact: first; no closure date is last
    placement = "at_start" if sort == "contact" else "at_end"
    return rows.take(pc.sort_indices(rows, sort_keys=keys, null_placement=placement)[:k])


class DataAccess:
    """Scoped, cached reads of the three gold tables the app shows, and of the app's own actions."""

    def __init__(self, cache: SnapshotCache):
        self.cache = cache

    @classmethod
    def for_lake(cls, lake_root: str, refresh_seconds: float = 5.0) -> DataAccess:
        loaders = {LEADS: load_leads, HOTSPOTS: area_loader(HOTSPOTS), TOP3: area_loader(TOP3)}
        loaders.update({name: area_loader(name) for name in PERFORMANCE})
        loaders.update({name: area_loader(name) for name in ACCOUNTS})
        loaders.update({name: kpi_loader(name) for name in KPI_TABLES})  # the KPIs view (app/kpis.py)
        watches = {
            name: TableWatch(name, GOLD_TABLES[name].location(lake_root), loader, refresh_seconds)
            for name, loader in loaders.items()
        }
        watches[ACTIONS] = TableWatch(ACTIONS, ACTIONS_TABLE.location(lake_root), load_actions, refresh_seconds)
        return cls(SnapshotCache(watches))

    def actions(self) -> tuple[pa.Table, int]:
        """Every action (newest first) and the table version (-1 before the first action)."""
        snap = self.cache.get(ACTIONS)
        if snap is None:
            return ACTIONS_TABLE.arrow_schema.empty_table(), -1
        return snap.data, snap.version

    def _states(self, data: LeadData) -> tuple[dict[str, LeadState], int]:
        actions, version = self.actions()
        if not actions.num_rows:
            return {}, version
        scored = data.table.column("scored_at")[0].as_py() if data.table.num_rows else None
        return data.memo.get_or_compute(("states", version), lambda: lead_states(actions, scored)), version

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
        self,
        scope: Scope,
        enquiry_type: str | None = None,
        classification: str | None = None,
        limit: int = 20,
        query: LeadQuery | None = None,
        today: dt.date | None = None,
    ) -> LeadPage:
        """Top leads in scope, best first (or in the asked order), with the next best customer picked out.

        Leads a rep marked done since the scores were made, or snoozed until a later date, are left out."""
        snap = self.cache.get(LEADS)
        if snap is None:
            return LeadPage(None, [], 0, 0, is_loaded=False)
        data: LeadData = snap.data
        ask = query or LeadQuery(enquiry_type, classification)
        if ask.sort not in SORTS:
            ask = LeadQuery(ask.enquiry_type, ask.classification, ask.search, "score", ask.district, ask.dealer)
        day = today or dt.datetime.now(dt.UTC).date()
        states, actions_version = self._states(data)
        key = ("leads", scope, ask, limit, actions_version, day)

        def compute() -> LeadPage:
            scoped, is_sorted = self._scoped_leads(data, scope)
            hidden = sorted(
                o for o, s in states.items() if s.is_done or (s.snoozed_until is not None and s.snoozed_until > day)
            )
            visible = None
            if hidden:
                visible = pc.invert(pc.is_in(scoped.column("opty_id"), pa.array(hidden, pa.string())))
            mask = _filter_mask(
                scoped,
                {
                    "opty_category": ask.enquiry_type,
                    "lead_classification": ask.classification,
                    "district": ask.district,
                    "dealer_code": ask.dealer,
                },
            )
            mask = _and(mask, _search_mask(scoped, ask.search) if ask.search and ask.search.strip() else None)
            mask = _and(mask, visible)
            matching = scoped.num_rows if mask is None else int(pc.sum(mask).as_py() or 0)
            shown_in_scope = scoped.num_rows if visible is None else int(pc.sum(visible).as_py() or 0)
            if ask.sort == "score":
                top = best_rows(scoped, limit + 1, mask, is_sorted).to_pylist()
            else:
                top = _sorted_rows(scoped, mask, ask.sort, limit + 1).to_pylist()
            due = _due_mask(scoped, data.as_of_date)
            due = due if mask is None else pc.and_(due, mask)
            best = best_rows(scoped, 1, due, is_sorted).to_pylist() or top[:1]
            next_best = best[0] if best else None
            rows = [r for r in top if next_best is None or r["opty_id"] != next_best["opty_id"]]
            page_rows = rows[: max(limit - 1, 0)]
            shown = {r["opty_id"] for r in page_rows} | ({next_best["opty_id"]} if next_best else set())
            return LeadPage(
                next_best,
                page_rows,
                matching,
                shown_in_scope,
                data.as_of_date,
                snap.version,
                states={o: s for o, s in states.items() if o in shown},
                hidden=scoped.num_rows - shown_in_scope,
            )

        return data.memo.get_or_compute(key, compute)  # type: ignore[no-any-return]

    def lead_in_scope(self, scope: Scope, opty_id: str) -> dict[str, Any] | None:
        """The lead's row if ``scope`` may see (and so act on) it, else None."""
        snap = self.cache.get(LEADS)
        if snap is None or not opty_id:
            return None
        data: LeadData = snap.data
        scoped, _ = self._scoped_leads(data, scope)
        found = scoped.filter(pc.equal(scoped.column("opty_id"), pa.scalar(opty_id, pa.string())))
        return found.to_pylist()[0] if found.num_rows else None

    def export_rows(self, scope: Scope, query: LeadQuery, limit: int = 100_000) -> list[dict[str, Any]]:
        """Every lead of the list as the page shows it (scope, filters, search, order), for the CSV export."""
        page = self.leads(scope, limit=limit, query=query)
        return ([page.next_best] if page.next_best else []) + page.rows

    def scope_values(self, scope: Scope, column: str) -> list[str]:
        """Distinct values of a lead column in scope (choices for the district and dealer filters)."""
        snap = self.cache.get(LEADS)
        if snap is None:
            return []
        data: LeadData = snap.data

        def compute() -> list[str]:
            scoped, _ = self._scoped_leads(data, scope)
            return sorted(v for v in pc.unique(scoped.column(column)).to_pylist() if v)

        return data.memo.get_or_compute(("values", scope, column), compute)  # type: ignore[no-any-return]

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

    def _past_area(self, name: str, scope: Scope, district: str | None, as_of: dt.date) -> AreaRows | None:
        """A past date's rows of an area table (read on demand, memoised on the current snapshot)."""
        from app.areas import _conform
        from ground.lake import read_table

        if not scope.can_see_markets:
            raise ScopeError("market views are for managers and leadership")
        snap = self.cache.get(name)
        if snap is None:
            return None
        data: AreaData = snap.data
        location = self.cache.watch(name).location

        def load() -> pa.Table:
            arrow = read_table(location, where=f"as_of_date = DATE '{as_of.isoformat()}'")
            spec = GOLD_TABLES[name]
            return spec.arrow_schema.empty_table() if arrow is None or not arrow.num_rows else _conform(arrow, spec)

        table = data.memo.get_or_compute(("past", as_of), load)
        scoped = apply_mask(table, area_mask(table, scope))
        return AreaRows(_equals(scoped, "district", district).to_pylist(), as_of, snap.version)

    def area_dates(self, scope: Scope, days: int = 60) -> list[dt.date]:
        """The as-of dates the taluka table holds (latest first, at most ``days``): the Markets date picker."""
        if not scope.can_see_markets:
            return []
        snap = self.cache.get(HOTSPOTS)
        if snap is None:
            return []
        location = self.cache.watch(HOTSPOTS).location

        def compute() -> list[dt.date]:
            from ground.lake import open_table

            table = open_table(location)
            values = {p.get("as_of_date") for p in table.partitions()} if table is not None else set()
            return sorted((dt.date.fromisoformat(v) for v in values if v), reverse=True)[:days]

        return snap.data.memo.get_or_compute(("dates",), compute)  # type: ignore[no-any-return]

    def taluka_trend(self, scope: Scope, taluka: str, days: int = 30) -> list[dict[str, Any]]:
        """A taluka's 5-day leads, high-intent leads and retail on each of the last ``days`` as-of dates."""
        from ground.lake import read_table

        snap = self.cache.get(HOTSPOTS)
        if snap is None or not scope.can_see_markets:
            return []
        data: AreaData = snap.data
        latest = data.as_of_date
        if latest is None:
            return []
        first = latest - dt.timedelta(days=days - 1)
        location = self.cache.watch(HOTSPOTS).location

        def load() -> pa.Table:
            columns = ["as_of_date", "state", "district", "taluka", "leads_cur", "hi_leads_cur", "retail_cur"]
            found = read_table(location, where=f"as_of_date >= DATE '{first.isoformat()}'", columns=columns)
            return found if found is not None else pa.table({c: [] for c in columns})

        table = data.memo.get_or_compute(("trend", days), load)
        if not table.num_rows:
            return []
        scoped = apply_mask(table, area_mask(table, scope))
        rows = _equals(scoped, "taluka", taluka).to_pylist()
        return sorted(rows, key=lambda r: r["as_of_date"])

    def hotspots(
        self, scope: Scope, status: str | None = None, district: str | None = None, as_of: dt.date | None = None
    ) -> AreaRows:
        """Talukas in scope with status and signals: HOTSPOT first, then EMERGING, STABLE, NOISE."""
        found = self._area(HOTSPOTS, scope, district)
        if found is None:
            return AreaRows(is_loaded=False)
        table, data, version = found
        if as_of is not None and as_of != data.as_of_date:
            past = self._past_area(HOTSPOTS, scope, district, as_of)
            if past is None:
                return AreaRows(is_loaded=False)
            table = pa.Table.from_pylist(past.rows, schema=table.schema) if past.rows else table.slice(0, 0)
            data = AreaData(table, as_of)
        rows = _equals(table, "status", status).to_pylist()
        rows.sort(key=lambda r: (STATUS_ORDER.get(r["status"], 9), -(r["leads_cur"] or 0), r["taluka"] or ""))
        return AreaRows(rows, data.as_of_date, version)

    def top_talukas(self, scope: Scope, district: str | None = None, as_of: dt.date | None = None) -> AreaRows:
        """Top talukas per district in scope; districts with the most urgent talukas first."""
        found = self._area(TOP3, scope, district)
        if found is None:
            return AreaRows(is_loaded=False)
        table, data, version = found
        if as_of is not None and as_of != data.as_of_date:
            past = self._past_area(TOP3, scope, district, as_of)
            if past is None:
                return AreaRows(is_loaded=False)
            table = pa.Table.from_pylist(past.rows, schema=table.schema) if past.rows else table.slice(0, 0)
            data = AreaData(table, as_of)
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

    # ---------------------------------------------------------------------------------------------- accounts
    def _by_account(self, name: str) -> dict[str, list[dict[str, Any]]]:
        """A table's latest rows per account (memoised per snapshot)."""
        snap = self.cache.get(name)
        if snap is None:
            return {}
        data: AreaData = snap.data

        def compute() -> dict[str, list[dict[str, Any]]]:
            found: dict[str, list[dict[str, Any]]] = {}
            for row in data.table.to_pylist():
                found.setdefault(row["account_id"], []).append(row)
            return found

        return data.memo.get_or_compute(("by_account",), compute)  # type: ignore[no-any-return]

    def accounts(self, scope: Scope) -> tuple[AreaRows, dict[str, dict[str, Any]]]:
        """The accounts in scope (account_health's rows: a manager's district, everything for a leader) and per
        account its churn risk, lifetime value and first cross-sell suggestion (keys churn, clv, cross_sell)."""
        found = self._area("account_health", scope, None)
        if found is None:
            return AreaRows(is_loaded=False), {}
        table, area, version = found
        rows = table.to_pylist()
        extra = {name: self._by_account(name) for name in ("account_churn_risk", "account_clv", "account_cross_sell")}
        details = {
            r["account_id"]: {
                "churn": _first(extra["account_churn_risk"].get(r["account_id"])),
                "clv": _first(extra["account_clv"].get(r["account_id"])),
                "cross_sell": min(extra["account_cross_sell"].get(r["account_id"], []), key=lambda x: x["rank"],
                                  default=None),
            }
            for r in rows
        }  # fmt: skip
        return AreaRows(rows, area.as_of_date, version), details

    def product_rules(self, scope: Scope) -> AreaRows:
        """The reportable product-line rules (network-wide: leaders only), strongest first."""
        if scope.role != "leader":
            raise ScopeError("network-wide figures are for leadership")
        snap = self.cache.get("product_affinity")
        if snap is None:
            return AreaRows(is_loaded=False)
        data: AreaData = snap.data
        rows = [r for r in data.table.to_pylist() if r["is_reportable"]]
        rows.sort(key=lambda r: (-(r["lift_shrunk"] or 0.0), r["antecedent"], r["consequent"]))
        return AreaRows(rows, data.as_of_date, snap.version)

    def account_context(self, account_ids: list[str]) -> dict[str, dict[str, Any]]:
        """For the lead cards: each given account's RFM segment and segment, and its first cross-sell suggestion.
        Only the accounts asked for (those of the leads the user already sees) are returned."""
        rfm, cross = self._by_account("account_rfm"), self._by_account("account_cross_sell")
        found = {}
        for account in dict.fromkeys(a for a in account_ids if a):
            profile = _first(rfm.get(account))
            if profile is None:
                continue
            found[account] = {
                "rfm_segment": profile.get("rfm_segment"),
                "segment": profile.get("segment"),
                "cross_sell": min(cross.get(account, []), key=lambda x: x["rank"], default=None),
            }
        return found


def _first(rows: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    return rows[0] if rows else None
