"""The email's view model: everything the templates show, already formatted (pure functions).

Values from source data are cleaned of control characters here and escaped by the HTML template
(autoescaping is on); nothing in this module produces markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from alert_agent.account_alerts import CriticalAccount
from alert_agent.kpi_section import AnomalySection
from alert_agent.rank import DistrictRow, ScoredTaluka, max_priority, priority_0_100
from alert_agent.reasons import clean, percent, plural, reason_sentences
from alert_agent.routing import LEADERSHIP, MessagePlan
from alert_agent.settings import AlertSettings, RankingWeights
from alert_agent.trend import InlineImage
from alert_agent.watch import WatchItem

# Status colours (text, background, accent): HOTSPOT red, EMERGING amber, STABLE green, NOISE grey. Text on
# background passes WCAG AA contrast; the accent marks a card's edge. The label is always printed too, so the
# status never depends on colour alone.
STATUS_COLOURS = {
    "HOTSPOT": ("#b42318", "#fee4e2", "#d92d20"),
    "EMERGING": ("#93370d", "#fef0c7", "#f79009"),
    "STABLE": ("#067647", "#dcfae6", "#17b26a"),
    "NOISE": ("#475467", "#eaecf0", "#98a2b3"),
}


@dataclass(frozen=True)
class Freshness:
    as_of_date: date
    table_version: int | None
    last_written_at: datetime | None

    @property
    def written(self) -> str:
        if self.last_written_at is None:
            return "unknown"
        return self.last_written_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    @property
    def version(self) -> str:
        return f" (version {self.table_version})" if self.table_version is not None else ""

    def describe(self) -> str:
        return f"Data as of {self.as_of_date.isoformat()}; hotspot table last written {self.written}{self.version}."


@dataclass(frozen=True)
class Status:
    label: str
    colour: str
    background: str
    accent: str


def status_of(label: str) -> Status:
    colour, background, accent = STATUS_COLOURS.get(label, STATUS_COLOURS["NOISE"])
    return Status(clean(label), colour, background, accent)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    note: str


@dataclass(frozen=True)
class TalukaView:
    position: int
    overall_rank: int
    taluka: str
    place: str  # "District, State"
    status: Status
    priority: str
    figures: tuple[Figure, ...]
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    chart: InlineImage | None = None  # the 30-day lead trend, attached inline

    @property
    def figures_line(self) -> str:
        return " | ".join(f"{f.label} {f.value} ({f.note})" for f in self.figures)


@dataclass(frozen=True)
class DistrictLine:
    rank: int
    taluka: str
    status: Status
    leads: str


@dataclass(frozen=True)
class DistrictView:
    title: str
    lines: tuple[DistrictLine, ...]


@dataclass(frozen=True)
class WatchLine:
    taluka: str
    place: str
    status: Status
    kind: str
    sentence: str


@dataclass(frozen=True)
class AccountView:
    """An account whose Critical episode starts today (alert_agent.account_alerts)."""

    name: str
    place: str  # "Segment · RFM segment · District"
    health: str
    risk: str  # "72% chance of no purchase in 180 days · 12-month value ₹25.0 lakh"
    factors: tuple[str, ...]
    intervention: str


@dataclass(frozen=True)
class EmailView:
    subject: str
    preheader: str
    heading: str
    scope: str
    audience: str
    as_of: str
    freshness: str
    written_at: str
    table_version: str
    app_url: str
    window_days: int
    is_all_clear: bool
    interpretation: str
    interpretation_note: str
    talukas: tuple[TalukaView, ...]
    districts: tuple[DistrictView, ...]
    data_warning: str = ""  # the night behind the figures was incomplete or failed: shown first, in red
    run_note: str = ""  # e.g. the dates a catch-up covered without an email of their own
    priority_legend: str = ""
    order_rule: str = ""
    also_alerted: str = ""  # the alerted talukas not shown, with their status and priority
    watch: tuple[WatchLine, ...] = ()
    images: tuple[InlineImage, ...] = ()
    trend_days: int = 30
    accounts: tuple[AccountView, ...] = ()  # accounts crossing into Critical today
    accounts_more: int = 0  # ... and how many more the app lists
    anomalies: AnomalySection = AnomalySection()  # KPI anomalies raised today (leadership; docs/kpi.md)

    @property
    def is_app_linked(self) -> bool:
        return bool(self.app_url)


def _figures(t: ScoredTaluka) -> tuple[Figure, ...]:
    s = t.signal
    gap = s.hi_leads_cur - s.retail_cur
    return (
        Figure("Leads", f"{s.leads_cur:,}", percent(s.lead_growth) if s.leads_prev else "new"),
        Figure("High intent", f"{s.hi_leads_cur:,}", percent(s.hi_lead_growth) if s.hi_leads_prev else "new"),
        Figure("Retail", f"{s.retail_cur:,}", f"gap {gap:,}" if gap > 0 else "no gap"),
        Figure("Saleable stock", f"{s.saleable_stock:,}", f"of {s.total_stock:,}"),
    )


def priority_legend(weights: RankingWeights) -> str:
    """One line: what the 0-100 priority means."""
    points = {s: priority_0_100(p, weights) for s, p in weights.status_points.items() if p > 0}
    starts = ", ".join(f"{s} starts at {v}" for s, v in sorted(points.items(), key=lambda kv: -kv[1]))
    return (
        f"Priority 0-100: {starts}; growth of leads and high-intent leads, lead volume and a supply gap add to "
        f"it, excess stock takes away; 100 is the most any taluka can score ({max_priority(weights):g} points)."
    )


ORDER_RULE = (
    "Ordered by priority, highest first, not by status alone: an EMERGING taluka with fast-rising high-intent "
    "leads or a supply gap can rank above a HOTSPOT. Ties go to more high-intent leads, then more leads."
)


def _also_alerted(plan: MessagePlan, weights: RankingWeights, limit: int = 5) -> str:
    shown = {id(t) for t in plan.talukas}
    rest = [t for t in plan.alerted if id(t) not in shown]
    if not rest:
        return ""
    named = ", ".join(
        f"{clean(t.signal.taluka)} ({clean(t.signal.status)}, {priority_0_100(t.priority, weights)})"
        for t in rest[:limit]
    )
    more = f" and {len(rest) - limit:,} more" if len(rest) > limit else ""
    return f"Also alerted, lower priority: {named}{more}."


def watch_lines(items: tuple[WatchItem, ...]) -> tuple[WatchLine, ...]:
    return tuple(
        WatchLine(
            taluka=clean(w.signal.taluka),
            place=f"{clean(w.signal.district)}, {clean(w.signal.state)}",
            status=status_of(w.signal.status),
            kind=w.kind,
            sentence=clean(w.sentence),
        )
        for w in items
    )


def taluka_view(
    t: ScoredTaluka, position: int, settings: AlertSettings, chart: InlineImage | None = None
) -> TalukaView:
    s = t.signal
    flags = (("Supply gap",) if t.is_supply_gap else ()) + (("Excess stock",) if t.is_excess_stock else ())
    reasons = reason_sentences(
        t, settings.window_days, settings.high_intent_classes, settings.weights.excess_stock_cover
    )
    return TalukaView(
        position=position,
        overall_rank=t.rank,
        taluka=clean(s.taluka),
        place=f"{clean(s.district)}, {clean(s.state)}",
        status=status_of(s.status),
        priority=f"{priority_0_100(t.priority, settings.weights)}",
        figures=_figures(t),
        reasons=tuple(clean(r) for r in reasons),
        flags=flags,
        chart=chart,
    )


def district_views(districts: tuple[tuple[str, str, list[DistrictRow]], ...]) -> tuple[DistrictView, ...]:
    return tuple(
        DistrictView(
            title=f"{clean(district)}, {clean(state)}",
            lines=tuple(
                DistrictLine(r.rank, clean(r.taluka), status_of(r.status), plural(r.leads_cur, "lead")) for r in rows
            ),
        )
        for state, district, rows in districts
    )


def _lakh(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"₹{value / 1e7:,.2f} crore" if value >= 1e7 else f"₹{value / 1e5:,.1f} lakh"


def account_view(account: CriticalAccount) -> AccountView:
    place = " · ".join(clean(p) for p in (account.segment, account.rfm_segment, account.district) if p)
    chance = "" if account.churn_probability is None else (
        f"{round(100 * account.churn_probability)}% chance of no purchase in 180 days · "
    )  # fmt: skip
    return AccountView(
        name=clean(account.account_name),
        place=place,
        health=f"{account.health_score:.0f}",
        risk=f"{chance}12-month value {_lakh(account.clv)}",
        factors=tuple(clean(f) for f in account.factors),
        intervention=clean(account.intervention),
    )


def email_view(
    plan: MessagePlan,
    settings: AlertSettings,
    freshness: Freshness,
    interpretation: str,
    interpretation_note: str = "",
    data_warning: str = "",
    run_note: str = "",
    charts: tuple[InlineImage, ...] = (),
    accounts: Sequence[CriticalAccount] = (),
    anomalies: AnomalySection | None = None,
) -> EmailView:
    """Everything one recipient's email shows; ``charts`` are the shown talukas' trend charts, in order."""
    as_of = freshness.as_of_date.isoformat()
    charts_by_position = dict(enumerate(charts, start=1))
    talukas = tuple(taluka_view(t, i, settings, charts_by_position.get(i)) for i, t in enumerate(plan.talukas, start=1))
    watch = watch_lines(plan.watch)
    if talukas:
        names = ", ".join(f"{v.taluka} ({v.status.label})" for v in talukas)
        preheader = f"{plural(len(talukas), 'taluka')} to act on: {names}"
        heading = f"Top {len(talukas)} talukas to act on" if len(talukas) > 1 else "1 taluka to act on"
    else:
        heading = "All clear: no HOTSPOT or EMERGING taluka"
        preheader = heading + (f"; {plural(len(watch), 'taluka')} to watch" if watch else "")
    audience = "the leadership list" if plan.alert_type == LEADERSHIP else f"the manager of {clean(plan.scope)}"
    return EmailView(
        subject=f"{plan.subject} | DATA INCOMPLETE" if data_warning else plan.subject,
        preheader=preheader,
        heading=heading,
        scope=clean(plan.scope),
        audience=audience,
        as_of=as_of,
        freshness=freshness.describe(),
        written_at=freshness.written,
        table_version=freshness.version,
        app_url=settings.app_url,
        window_days=settings.window_days,
        is_all_clear=not talukas,
        interpretation=clean(interpretation),
        interpretation_note=interpretation_note,
        talukas=talukas,
        districts=district_views(plan.districts),
        data_warning=clean(data_warning),
        run_note=clean(run_note),
        priority_legend=priority_legend(settings.weights),
        order_rule=ORDER_RULE,
        also_alerted=_also_alerted(plan, settings.weights),
        watch=watch,
        images=tuple(c for c in charts if c is not None),
        trend_days=settings.trend_days,
        accounts=tuple(account_view(a) for a in accounts[: settings.accounts_top_n]),
        accounts_more=max(0, len(accounts) - settings.accounts_top_n),
        anomalies=anomalies or AnomalySection(),
    )
