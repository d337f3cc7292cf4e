"""The email's view model: everything the templates show, already formatted (pure functions).

Values from source data are cleaned of control characters here and escaped by the HTML template
(autoescaping is on); nothing in this module produces markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from alert_agent.kpi_section import AnomalySection
from alert_agent.rank import DistrictRow, ScoredTaluka
from alert_agent.reasons import percent, reason_sentences
from alert_agent.routing import LEADERSHIP, MessagePlan
from alert_agent.settings import AlertSettings

# Status colours (text, background, accent): HOTSPOT red, EMERGING amber, STABLE green, NOISE grey. Text on
# background passes WCAG AA contrast; the accent marks a card's edge. The label is always printed too, so the
# status never depends on colour alone.
STATUS_COLOURS = {
    "HOTSPOT": ("#b42318", "#fee4e2", "#d92d20"),
    "EMERGING": ("#93370d", "#fef0c7", "#f79009"),
    "STABLE": ("#067647", "#dcfae6", "#17b26a"),
    "NOISE": ("#475467", "#eaecf0", "#98a2b3"),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean(value: str) -> str:
    """Source text on one line: control characters (line breaks included) become a space."""
    return _CONTROL.sub(" ", value).strip()


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
    anomalies: AnomalySection = AnomalySection()  # KPI anomalies raised today (leadership; docs/kpi.md)


def _figures(t: ScoredTaluka) -> tuple[Figure, ...]:
    s = t.signal
    gap = s.hi_leads_cur - s.retail_cur
    return (
        Figure("Leads", f"{s.leads_cur:,}", percent(s.lead_growth) if s.leads_prev else "new"),
        Figure("High intent", f"{s.hi_leads_cur:,}", percent(s.hi_lead_growth) if s.hi_leads_prev else "new"),
        Figure("Retail", f"{s.retail_cur:,}", f"gap {gap:,}" if gap > 0 else "no gap"),
        Figure("Saleable stock", f"{s.saleable_stock:,}", f"of {s.total_stock:,}"),
    )


def taluka_view(t: ScoredTaluka, position: int, settings: AlertSettings) -> TalukaView:
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
        priority=f"{t.priority:.0f}",
        figures=_figures(t),
        reasons=tuple(clean(r) for r in reasons),
        flags=flags,
    )


def district_views(districts: tuple[tuple[str, str, list[DistrictRow]], ...]) -> tuple[DistrictView, ...]:
    return tuple(
        DistrictView(
            title=f"{clean(district)}, {clean(state)}",
            lines=tuple(DistrictLine(r.rank, clean(r.taluka), status_of(r.status), f"{r.leads_cur:,}") for r in rows),
        )
        for state, district, rows in districts
    )


def email_view(
    plan: MessagePlan,
    settings: AlertSettings,
    freshness: Freshness,
    interpretation: str,
    interpretation_note: str = "",
    data_warning: str = "",
    run_note: str = "",
    anomalies: AnomalySection | None = None,
) -> EmailView:
    """Everything one recipient's email shows."""
    as_of = freshness.as_of_date.isoformat()
    talukas = tuple(taluka_view(t, i, settings) for i, t in enumerate(plan.talukas, start=1))
    if talukas:
        names = ", ".join(f"{v.taluka} ({v.status.label})" for v in talukas)
        preheader = f"{len(talukas)} taluka{'s' if len(talukas) > 1 else ''} to act on: {names}"
        heading = f"Top {len(talukas)} taluka{'s' if len(talukas) > 1 else ''} to act on"
    else:
        preheader = heading = "All clear: no HOTSPOT or EMERGING taluka"
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
        anomalies=anomalies or AnomalySection(),
    )
