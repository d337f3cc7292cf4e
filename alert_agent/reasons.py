"""Reason codes in plain sentences, and the deterministic interpretation paragraph: pure functions."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from alert_agent.rank import ScoredTaluka, TalukaSignal

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean(value: str) -> str:
    """Source text on one line: control characters (line breaks included) become a space."""
    return _CONTROL.sub(" ", value).strip()


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 lead``, ``2 leads``."""
    return f"{count:,} {singular if count == 1 else (plural_form or singular + 's')}"


def whole_percent(growth: float) -> int:
    """A growth ratio in whole percent, halves rounded away from zero: 0.125 -> 13, -0.125 -> -13."""
    magnitude = math.floor(abs(growth) * 100 + 0.5)
    return magnitude if growth >= 0 else -magnitude


def percent(growth: float) -> str:
    """A growth ratio as a whole signed percentage: 0.5 -> ``+50%``."""
    value = whole_percent(growth)
    return f"{'+' if value > 0 else ''}{value}%"


def change_phrase(cur: int, prev: int, growth: float, window_days: int) -> str:
    """How the current window compares with the previous one, in words."""
    before = f"the previous {window_days} days"
    if prev == 0 and cur > 0:
        return f"none in {before}"
    pct = abs(whole_percent(growth))
    if cur == prev or pct == 0:
        return f"unchanged on {before}"
    direction = "up" if growth > 0 else "down"
    return f"{direction} {pct}% on {before} ({prev:,})"


def reason_sentences(
    scored: ScoredTaluka, window_days: int, high_intent_classes: Sequence[str], excess_cover: float
) -> list[str]:
    """Lead volume and growth, high-intent count and growth, retail gap, saleable stock, dealer count."""
    s: TalukaSignal = scored.signal
    window = f"the last {window_days} days"
    classes = ", ".join(high_intent_classes)
    sentences = [
        f"{plural(s.leads_cur, 'lead')} in {window}, "
        f"{change_phrase(s.leads_cur, s.leads_prev, s.lead_growth, window_days)}.",
        f"{plural(s.hi_leads_cur, 'high-intent lead')} ({classes}), "
        f"{change_phrase(s.hi_leads_cur, s.hi_leads_prev, s.hi_lead_growth, window_days)}.",
        _retail_sentence(s, window),
        _stock_sentence(scored, excess_cover),
        f"{plural(s.dealer_count, 'active dealer')} in the taluka.",
    ]
    return sentences


def _retail_sentence(s: TalukaSignal, window: str) -> str:
    demand = plural(s.hi_leads_cur, "high-intent lead")
    if s.retail_cur == 0:
        return f"No retail sales in {window} against {demand}."
    if s.retail_cur < s.hi_leads_cur:
        gap = s.hi_leads_cur - s.retail_cur
        return f"{plural(s.retail_cur, 'retail unit')} in {window} against {demand}: a gap of {gap:,}."
    return f"{plural(s.retail_cur, 'retail unit')} in {window}, keeping pace with {demand}."


def _stock_sentence(scored: ScoredTaluka, excess_cover: float) -> str:
    s = scored.signal
    if s.saleable_stock == 0:
        total = f"{s.total_stock:,} units in total, none saleable" if s.total_stock else "no stock at all"
        return f"No saleable stock at the taluka's dealers ({total})."
    stock = f"{plural(s.saleable_stock, 'saleable unit')} in stock ({s.total_stock:,} in total)"
    if scored.is_excess_stock:
        return f"{stock}, at least {excess_cover:g} times the high-intent demand: less urgent."
    return f"{stock}."


def status_count(hot: int, emerging: int) -> str:
    """'1 taluka is HOTSPOT and 2 are EMERGING', 'No taluka is HOTSPOT; 2 are EMERGING', ..."""

    def verb(n: int) -> str:
        return "is" if n == 1 else "are"

    if hot and emerging:
        return f"{plural(hot, 'taluka')} {verb(hot)} HOTSPOT and {emerging:,} {verb(emerging)} EMERGING"
    if hot:
        return f"{plural(hot, 'taluka')} {verb(hot)} HOTSPOT and none EMERGING"
    if emerging:
        return f"No taluka is HOTSPOT; {plural(emerging, 'taluka')} {verb(emerging)} EMERGING"
    return "No taluka is HOTSPOT or EMERGING"


def interpretation(
    alerted: Sequence[ScoredTaluka],
    shown: Sequence[ScoredTaluka],
    as_of: str,
    window_days: int,
    where: str = "everywhere",
) -> str:
    """The deterministic "what this means" paragraph (also the fallback when no LLM narrative is used).

    ``alerted`` are all alertable talukas in the recipient's scope, ``shown`` those in the email, ``where``
    names the scope ("everywhere", "in Pune").
    """
    if not shown:
        return (
            f"No taluka is HOTSPOT or EMERGING as of {as_of}: lead growth in the last {window_days} days "
            f"is within the normal range {where} with enough data to judge."
        )
    hot = sum(1 for t in alerted if t.signal.status == "HOTSPOT")
    emerging = sum(1 for t in alerted if t.signal.status == "EMERGING")
    top = shown[0].signal
    retail = plural(top.retail_cur, "retail unit") if top.retail_cur else "no retail sales"
    parts = [
        f"{status_count(hot, emerging)} as of {as_of}.",
        f"Most urgent: {top.taluka} ({top.district}), with high-intent leads "
        f"{change_phrase(top.hi_leads_cur, top.hi_leads_prev, top.hi_lead_growth, window_days)}"
        f" and {retail} in the last {window_days} days.",
    ]
    gaps = [t for t in shown if t.is_supply_gap]
    if gaps:
        names = ", ".join(t.signal.taluka for t in gaps)
        parts.append(
            f"Supply gap in {names}: buyers are ready but sales or saleable stock are not; "
            "check stock allocation and dealer follow-up there first."
        )
    excess = [t for t in shown if t.is_excess_stock]
    if excess:
        names = ", ".join(t.signal.taluka for t in excess)
        parts.append(f"{names} {'has' if len(excess) == 1 else 'have'} stock to serve the demand: less urgent.")
    return " ".join(parts)
