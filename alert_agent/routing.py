"""Who gets which email: leadership the top N overall, each district manager the talukas of their districts.

Pure: takes the ranked talukas and the district view rows, returns one ``MessagePlan`` per recipient.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from alert_agent.rank import DistrictRow, ScoredTaluka, TalukaSignal, district_view
from alert_agent.reasons import clean
from alert_agent.settings import AlertSettings
from alert_agent.watch import WatchItem, watch_list

LEADERSHIP = "hotspot_top"
DISTRICT = "hotspot_district"
SUBJECT_PREFIX = "Macro Market Hotspot Alert"


@dataclass(frozen=True)
class MessagePlan:
    alert_type: str  # ledger key part: hotspot_top | hotspot_district
    recipient: str
    subject: str
    scope: str  # "All districts" or the manager's districts
    talukas: tuple[ScoredTaluka, ...]  # shown in the email
    districts: tuple[tuple[str, str, list[DistrictRow]], ...]
    alerted: tuple[ScoredTaluka, ...] = ()  # every alertable taluka in the recipient's scope
    where: str = "everywhere"  # the scope in a sentence: "everywhere", "in Pune"
    watch: tuple[WatchItem, ...] = ()  # not alerted, worth a look: supply gaps, near the surge bound

    @property
    def is_all_clear(self) -> bool:
        return not self.talukas


def subject_for(shown: Sequence[ScoredTaluka], as_of: str, scope: str | None = None, watching: int = 0) -> str:
    """Built from what the email shows: ``... | Top 3 Talukas | <date> | First: Haveli (HOTSPOT)``, or
    ``... | All clear | <date> | 2 to watch``; a manager's email ends with their districts."""
    if shown:
        n, first = len(shown), shown[0].signal
        head = (
            f"{SUBJECT_PREFIX} | Top {n} Taluka{'' if n == 1 else 's'} | {as_of} | "
            f"First: {clean(first.taluka)} ({clean(first.status)})"
        )
    else:
        head = f"{SUBJECT_PREFIX} | All clear | {as_of}" + (f" | {watching} to watch" if watching else "")
    return f"{head} | {clean(scope)}" if scope else head


def unknown_districts(settings: AlertSettings, districts: Sequence[str]) -> list[str]:
    """A warning per district manager whose districts have no rows for the date (often a spelling mistake)."""
    known = {d.casefold() for d in districts}
    warnings = []
    for manager in settings.district_managers:
        missing = [d for d in manager.districts if d.casefold() not in known]
        if missing:
            warnings.append(
                f"{manager.email}: no taluka rows for district {', '.join(missing)} "
                "(check alert.recipients.district_managers)"
            )
    return warnings


def _districts_in_order(ranked: Sequence[ScoredTaluka]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((t.signal.state, t.signal.district) for t in ranked))


def plan_messages(
    ranked: Sequence[ScoredTaluka],
    district_rows: Sequence[DistrictRow],
    settings: AlertSettings,
    as_of: str,
    override_to: Sequence[str] = (),
    signals: Sequence[TalukaSignal] = (),
    account_districts: Collection[str] = (),
) -> list[MessagePlan]:
    """One plan per recipient; ``override_to`` replaces all configured recipients (leadership email only).
    ``signals`` (every taluka of the date) feed the watch list. ``account_districts``: the districts of accounts
    turning Critical today, news even when no taluka is (so ``when_empty: skip`` does not drop them)."""
    plans: list[MessagePlan] = []
    skip_empty = settings.when_empty == "skip"
    top = tuple(ranked[: settings.top_n])
    account_news = {d.casefold() for d in account_districts}
    if top or not skip_empty or account_news:
        leadership_districts = district_view(
            district_rows, _districts_in_order(ranked), settings.district_view_max_districts
        )
        watch = watch_list(signals, settings, [t.signal for t in ranked])
        for recipient in dict.fromkeys(override_to or settings.leadership):  # each address once
            plans.append(
                MessagePlan(
                    alert_type=LEADERSHIP,
                    recipient=recipient,
                    subject=subject_for(top, as_of, watching=len(watch)),
                    scope="All districts",
                    talukas=top,
                    districts=tuple(leadership_districts),
                    alerted=tuple(ranked),
                    watch=watch,
                )
            )
    if override_to:
        return plans
    for manager in settings.district_managers:
        wanted = {d.casefold() for d in manager.districts}
        mine = [t for t in ranked if t.signal.district.casefold() in wanted]
        per_district: dict[str, int] = {}
        shown = []
        for t in mine:
            seen = per_district.get(t.signal.district.casefold(), 0)
            if seen < settings.top_n:
                shown.append(t)
            per_district[t.signal.district.casefold()] = seen + 1
        if not shown and skip_empty and not wanted & account_news:
            continue
        own_rows = [r for r in district_rows if r.district.casefold() in wanted]
        pairs = sorted({(r.state, r.district) for r in own_rows}, key=lambda p: (p[1].casefold(), p[0]))
        scope = ", ".join(manager.districts)
        own_signals = [s for s in signals if s.district.casefold() in wanted]
        watch = watch_list(own_signals, settings, [t.signal for t in mine])
        plans.append(
            MessagePlan(
                alert_type=DISTRICT,
                recipient=manager.email,
                subject=subject_for(shown, as_of, scope, len(watch)),
                scope=scope,
                talukas=tuple(shown),
                districts=tuple(district_view(own_rows, pairs, len(pairs))),
                alerted=tuple(mine),
                where=f"in {scope}",
                watch=watch,
            )
        )
    return plans
