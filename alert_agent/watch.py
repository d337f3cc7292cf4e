"""The watch list: talukas that are not alerted but worth a look, each with one sentence saying why (pure).

- a **supply gap**: at least ``ranking.supply_gap_min_hi_leads`` high-intent leads and no retail in the window
  or no saleable stock (the same test that earns an alerted taluka its supply-gap points);
- **near the threshold**: the surge detector's score (recent leads against the bound they would be flagged
  above; 1.0 is the bound) at least ``alert.watch.min_surge_score``, or above the bound in a taluka too small
  to be judged (NOISE: too few dealers or leads).

Supply gaps come first, then the closest to the bound; at most ``alert.watch.max_talukas``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from alert_agent.rank import TalukaSignal, is_supply_gap
from alert_agent.reasons import plural
from alert_agent.settings import AlertSettings


@dataclass(frozen=True)
class WatchItem:
    signal: TalukaSignal
    kind: str  # "Supply gap" | "Near the threshold"
    sentence: str


def _near(signal: TalukaSignal, settings: AlertSettings) -> str | None:
    score, upper, recent = signal.surge_score, signal.upper_leads, signal.recent_leads
    if score is None or upper is None or recent is None or score < settings.watch_min_surge_score:
        return None
    head = f"{plural(recent, 'lead')} in the last {settings.surge_window_days} days"
    if score >= 1.0:
        why = "too few dealers or leads to be judged" if signal.status == "NOISE" else "not alerted"
        return f"{head}, above the surge bound of {upper:.0f} ({why})."
    return f"{head}, near the surge bound of {upper:.0f}."


def watch_list(
    signals: Iterable[TalukaSignal], settings: AlertSettings, alerted: Iterable[TalukaSignal] = ()
) -> tuple[WatchItem, ...]:
    """The watch list among ``signals`` (talukas in ``alerted`` are left out: they are in the email already)."""
    shown = {(s.state, s.district, s.taluka) for s in alerted}
    gaps: list[WatchItem] = []
    near: list[tuple[float, WatchItem]] = []
    for s in signals:
        if (s.state, s.district, s.taluka) in shown or s.status in settings.alert_statuses:
            continue
        if is_supply_gap(s, settings.weights):
            what = "no retail sales" if s.retail_cur == 0 else "no saleable stock"
            sentence = f"{plural(s.hi_leads_cur, 'high-intent lead')} in the last {settings.window_days} days, {what}."
            gaps.append(WatchItem(s, "Supply gap", sentence))
            continue
        sentence_near = _near(s, settings)
        if sentence_near is not None:
            near.append((-(s.surge_score or 0.0), WatchItem(s, "Near the threshold", sentence_near)))
    gaps.sort(key=lambda w: (-w.signal.hi_leads_cur, w.signal.state, w.signal.district, w.signal.taluka))
    near.sort(key=lambda pair: (pair[0], pair[1].signal.taluka))
    return tuple([*gaps, *(item for _, item in near)][: settings.watch_max])
