"""Business priority of hotspot talukas: pure functions over rows of ``macro_market_hotspot_taluka_5d``.

priority = status points + lead growth + high-intent growth + lead volume + supply gap + excess stock
(each term weighted in ``alert.ranking``; docs/alert.md explains the weights). Ties break on high-intent
leads, then leads, then the names, so the order is total and reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from alert_agent.settings import RankingWeights

UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class TalukaSignal:
    """One taluka's aggregated signals for an as-of date (no personal data)."""

    as_of_date: date
    state: str
    district: str
    taluka: str
    status: str
    dealer_count: int
    leads_cur: int
    leads_prev: int
    lead_growth: float
    hi_leads_cur: int
    hi_leads_prev: int
    hi_lead_growth: float
    retail_cur: int
    retail_prev: int
    total_stock: int
    saleable_stock: int
    # the surge detector's reading (sql/gold/taluka_lead_surveillance.sql): recent leads, the bound they are
    # flagged above, how far towards it they are (1.0 = at the bound); None on rows written without them
    recent_leads: int | None = None
    upper_leads: float | None = None
    surge_score: float | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TalukaSignal:
        """From a gold row: null counts read as 0, null growth is recomputed, null names as (unknown)."""

        def count(name: str) -> int:
            return int(row.get(name) or 0)

        def growth(name: str, cur: int, prev: int) -> float:
            value = row.get(name)
            return float(value) if value is not None else (cur - prev) / max(prev, 1)

        def text(name: str) -> str:
            value = row.get(name)
            return str(value) if value not in (None, "") else UNKNOWN

        leads_cur, leads_prev = count("leads_cur"), count("leads_prev")
        hi_cur, hi_prev = count("hi_leads_cur"), count("hi_leads_prev")
        return cls(
            as_of_date=row["as_of_date"],
            state=text("state"),
            district=text("district"),
            taluka=text("taluka"),
            status=str(row.get("status") or "NOISE").upper(),
            dealer_count=count("dealer_count"),
            leads_cur=leads_cur,
            leads_prev=leads_prev,
            lead_growth=growth("lead_growth", leads_cur, leads_prev),
            hi_leads_cur=hi_cur,
            hi_leads_prev=hi_prev,
            hi_lead_growth=growth("hi_lead_growth", hi_cur, hi_prev),
            retail_cur=count("retail_cur"),
            retail_prev=count("retail_prev"),
            total_stock=count("total_stock"),
            saleable_stock=count("saleable_stock"),
            recent_leads=None if row.get("recent_leads") is None else int(row["recent_leads"]),
            upper_leads=None if row.get("upper_leads") is None else float(row["upper_leads"]),
            surge_score=None if row.get("surge_score") is None else float(row["surge_score"]),
        )


@dataclass(frozen=True)
class ScoredTaluka:
    signal: TalukaSignal
    priority: float
    components: dict[str, float]
    is_supply_gap: bool
    is_excess_stock: bool
    rank: int = 0


def is_supply_gap(signal: TalukaSignal, weights: RankingWeights) -> bool:
    """High-intent demand not turning into sales: zero retail or no saleable stock.

    The gold column ``has_supply_gap`` flags this from a single high-intent lead; the alert asks for at least
    ``supply_gap_min_hi_leads`` so that one hot lead in a quiet taluka does not earn the supply-gap points.
    """
    has_demand = signal.hi_leads_cur >= weights.supply_gap_min_hi_leads
    return has_demand and (signal.retail_cur == 0 or signal.saleable_stock == 0)


def is_excess_stock(signal: TalukaSignal, weights: RankingWeights) -> bool:
    """Saleable stock covers the high-intent demand ``excess_stock_cover`` times or more."""
    return signal.saleable_stock > 0 and signal.saleable_stock >= weights.excess_stock_cover * max(
        signal.hi_leads_cur, 1
    )


def _capped(growth: float, cap: float) -> float:
    return min(max(growth, 0.0), cap)


def score_taluka(signal: TalukaSignal, weights: RankingWeights) -> ScoredTaluka:
    """The priority of one taluka with its components (each rounded to 0.01 so the sum is reproducible)."""
    gap, excess = is_supply_gap(signal, weights), is_excess_stock(signal, weights)
    components = {
        "status": weights.status_points.get(signal.status, 0.0),
        "lead_growth": weights.lead_growth * _capped(signal.lead_growth, weights.growth_cap),
        "intent_growth": weights.intent_growth * _capped(signal.hi_lead_growth, weights.growth_cap),
        "lead_volume": weights.lead_volume * min(signal.leads_cur / weights.volume_ref_leads, 1.0),
        "supply_gap": weights.supply_gap if gap else 0.0,
        "excess_stock": weights.excess_stock if excess else 0.0,
    }
    components = {name: round(value, 2) for name, value in components.items()}
    return ScoredTaluka(signal, round(sum(components.values()), 2), components, gap, excess)


def max_priority(weights: RankingWeights) -> float:
    """The most points the weights can give: the best status, both growths at the cap, full volume, a gap."""
    best_status = max([0.0, *weights.status_points.values()])
    growth = (weights.lead_growth + weights.intent_growth) * weights.growth_cap
    return best_status + max(growth, 0.0) + max(weights.lead_volume, 0.0) + max(weights.supply_gap, 0.0)


def priority_0_100(priority: float, weights: RankingWeights) -> int:
    """The priority on the 0-100 scale the email shows: points over ``max_priority``, whole, clamped."""
    top = max_priority(weights)
    return 0 if top <= 0 else max(0, min(100, round(100 * priority / top)))


def _order_key(scored: ScoredTaluka) -> tuple[float, int, int, str, str, str]:
    s = scored.signal
    return (-scored.priority, -s.hi_leads_cur, -s.leads_cur, s.state, s.district, s.taluka)


def rank_talukas(
    signals: Iterable[TalukaSignal],
    weights: RankingWeights,
    statuses: Iterable[str] = ("HOTSPOT", "EMERGING"),
) -> list[ScoredTaluka]:
    """All talukas whose status is alertable, scored and ordered by priority (rank 1 = most urgent)."""
    keep = set(statuses)
    scored = sorted((score_taluka(s, weights) for s in signals if s.status in keep), key=_order_key)
    return [
        ScoredTaluka(t.signal, t.priority, t.components, t.is_supply_gap, t.is_excess_stock, rank=i)
        for i, t in enumerate(scored, start=1)
    ]


@dataclass(frozen=True)
class DistrictRow:
    """One row of ``district_top3_talukas``: the pipeline's own per-district ranking."""

    state: str
    district: str
    rank: int
    taluka: str
    status: str
    leads_cur: int
    lead_growth: float
    hi_leads_cur: int
    retail_cur: int
    saleable_stock: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DistrictRow:
        return cls(
            state=str(row.get("state") or UNKNOWN),
            district=str(row.get("district") or UNKNOWN),
            rank=int(row.get("rank") or 0),
            taluka=str(row.get("taluka") or UNKNOWN),
            status=str(row.get("status") or "NOISE").upper(),
            leads_cur=int(row.get("leads_cur") or 0),
            lead_growth=float(row.get("lead_growth") or 0.0),
            hi_leads_cur=int(row.get("hi_leads_cur") or 0),
            retail_cur=int(row.get("retail_cur") or 0),
            saleable_stock=int(row.get("saleable_stock") or 0),
        )


def district_view(
    rows: Iterable[DistrictRow],
    districts: Iterable[tuple[str, str]],
    max_districts: int,
) -> list[tuple[str, str, list[DistrictRow]]]:
    """``district_top3_talukas`` rows for the (state, district) pairs, in order, at most ``max_districts``.

    Each entry is (state, district, rows ordered by the pipeline's rank).
    """
    by_district: dict[tuple[str, str], list[DistrictRow]] = {}
    for row in rows:
        by_district.setdefault((row.state, row.district), []).append(row)
    view: list[tuple[str, str, list[DistrictRow]]] = []
    for key in dict.fromkeys(districts):
        if key in by_district and len(view) < max_districts:
            view.append((key[0], key[1], sorted(by_district[key], key=lambda r: r.rank)))
    return view
