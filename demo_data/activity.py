"""Everything that happens to the day's new leads from creation to close, as dated events.

Events are planned when a lead is created and delivered on their day: lead versions (one per stage change),
dialer calls, journey events and the sales (wins) that become retail invoices.
"""

from __future__ import annotations

import numpy as np

from demo_data.conversion import ENGAGE_DAYS, Adjust, Calls, Outcome, decide, draw_calls, first_week_calls
from demo_data.leads import Leads
from demo_data.rhythm import Calendar
from demo_data.vocab import (
    ANSWERED,
    EV_BOOKING,
    EV_ENQUIRY,
    EV_FINANCE,
    EV_INVOICE,
    EV_LOST,
    EV_QUOTATION,
    EV_TEST_DRIVE,
    EV_VISIT,
    FLEET,
    LOST,
    WON,
)
from demo_data.world import World

Events = dict[str, dict[str, np.ndarray]]


def _i32(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.int32) for p in parts])


def _stage_versions(leads: Leads, out: Outcome) -> dict[str, np.ndarray]:
    """One lead version at creation (C0), one per stage reached, and one when closed."""
    n = len(leads)
    idx = np.arange(n, dtype=np.int32)
    parts_lead, parts_off, parts_stage, parts_sec = [idx], [np.zeros(n)], [np.zeros(n)], [leads.created_sec]
    for k in range(3):
        hit = out.reached > k
        parts_lead.append(idx[hit])
        parts_off.append(out.stage_off[hit, k])
        parts_stage.append(np.full(int(hit.sum()), k + 1))
        parts_sec.append(out.stage_sec[hit, k])
    parts_lead.append(idx)
    parts_off.append(out.close_off)
    parts_stage.append(np.where(out.converts, WON, LOST))
    parts_sec.append(out.close_sec)
    off = _i32(*parts_off)
    return {
        "lead": _i32(*parts_lead),
        "day": leads.day + off,
        "stage": _i32(*parts_stage).astype(np.int8),
        "sec": _i32(*parts_sec),
    }


def _later_calls(rng: np.random.Generator, leads: Leads, out: Outcome) -> Calls:
    """Calls after the first week: one per stage change, occasional follow-ups, one on closing."""
    n = len(leads)
    idx = np.arange(n, dtype=np.int32)
    open_days = np.maximum(out.close_off - ENGAGE_DAYS, 0)
    extra = rng.poisson(open_days / 12.0)
    extra_lead = np.repeat(idx, extra)
    span = np.maximum(out.close_off[extra_lead] - ENGAGE_DAYS, 1)
    extra_off = ENGAGE_DAYS + (rng.random(len(extra_lead)) * span).astype(np.int32)
    follow = draw_calls(rng, leads, extra_lead, extra_off)
    lead_parts, off_parts, sec_parts = [], [], []
    for k in range(3):  # one call per stage change of the natural outcome (the draws are sized by it)
        hit = out.natural_reached > k
        lead_parts.append(idx[hit])
        off_parts.append(out.stage_off[hit, k])
        sec_parts.append(out.stage_sec[hit, k])
    lead_parts.append(idx)
    off_parts.append(out.close_off)
    sec_parts.append(out.close_sec)
    lead, off = _i32(*lead_parts), _i32(*off_parts)
    talks = draw_calls(rng, leads, lead, off)
    is_close = np.arange(len(lead)) >= len(lead) - n
    lost_close = is_close & ~out.converts[lead]
    answered = ~lost_close | (rng.random(len(lead)) < 0.5)
    talks.outcome = np.where(answered, ANSWERED, talks.outcome).astype(np.int8)
    talks.duration = np.where(
        answered & (talks.duration < 15), rng.integers(20, 240, size=len(lead)), talks.duration
    ).astype(np.int32)
    talks.sec = np.maximum(_i32(*sec_parts) - rng.integers(300, 1800, size=len(lead)), 32_400).astype(np.int32)
    return Calls(
        np.concatenate([follow.lead, talks.lead]),
        np.concatenate([follow.off, talks.off]),
        np.concatenate([follow.sec, talks.sec]),
        np.concatenate([follow.duration, talks.duration]),
        np.concatenate([follow.outcome, talks.outcome]),
    )


def _call_events(rng: np.random.Generator, leads: Leads, out: Outcome, calls: Calls) -> dict[str, np.ndarray]:
    close = out.close_off[calls.lead]
    calls = calls.take((calls.off < close) | ((calls.off == close) & (calls.sec < out.close_sec[calls.lead])))
    close = out.close_off[calls.lead]
    connected = calls.outcome == ANSWERED
    gap = rng.integers(1, 5, size=len(calls.lead))
    retry = rng.random(len(calls.lead)) < 0.5
    followup = np.where(connected, calls.off + gap, np.where(retry, calls.off + 1, -1))
    followup = np.where((followup >= 0) & (followup < close), leads.day + followup, -1)
    return {
        "lead": calls.lead,
        "day": leads.day + calls.off,
        "sec": calls.sec,
        "duration": calls.duration,
        "outcome": calls.outcome,
        "followup": followup.astype(np.int32),
    }


def _journey(rng: np.random.Generator, leads: Leads, out: Outcome) -> dict[str, np.ndarray]:
    n = len(leads)
    idx = np.arange(n, dtype=np.int32)
    u = rng.random((n, 3))
    c1, c2, c3 = out.reached >= 1, out.reached >= 2, out.reached >= 3
    specs = [  # (mask, day offset, second, event)
        (np.ones(n, bool), np.zeros(n), leads.created_sec, EV_ENQUIRY),
        (c1 & (u[:, 0] < 0.7), out.stage_off[:, 0], out.stage_sec[:, 0] - 1800, EV_VISIT),
        (c1 & (u[:, 1] < 0.6), out.stage_off[:, 0], out.stage_sec[:, 0] - 600, EV_TEST_DRIVE),
        (c2, out.stage_off[:, 1], out.stage_sec[:, 1], EV_QUOTATION),
        (c3 & (u[:, 2] < 0.5), out.stage_off[:, 2], out.stage_sec[:, 2] - 3600, EV_FINANCE),
        (c3, out.stage_off[:, 2], out.stage_sec[:, 2], EV_BOOKING),
        (out.converts, out.close_off, out.close_sec, EV_INVOICE),
        (~out.converts, out.close_off, out.close_sec, EV_LOST),
    ]
    lead = _i32(*[idx[m] for m, _, _, _ in specs])
    off = _i32(*[o[m] for m, o, _, _ in specs])
    return {
        "lead": lead,
        "day": leads.day + off,
        "sec": _i32(*[s[m] for m, _, s, _ in specs]),
        "event": _i32(*[np.full(int(m.sum()), e) for m, _, _, e in specs]).astype(np.int8),
    }


def plan(
    rng: np.random.Generator, leads: Leads, world: World, calendar: Calendar, adjust: Adjust | None = None
) -> tuple[Outcome, Events]:
    """The outcome of each new lead and all its dated events (days may lie past the end of the range).
    ``adjust`` applies the planted win-rate drivers to the natural outcome (demo_data.drivers)."""
    early = first_week_calls(rng, leads, calendar)
    out = decide(rng, leads, world, early, adjust)
    later = _later_calls(rng, leads, out)
    calls = Calls(*(np.concatenate([a, b]) for a, b in zip(_fields(early), _fields(later), strict=True)))
    natural = np.flatnonzero(out.natural_converts).astype(np.int32)
    fleet = leads.segment[natural] == FLEET
    natural_qty = np.ones(len(leads), dtype=np.int64)  # a deal won only through a driver sells one vehicle
    natural_qty[natural] = np.where(fleet, 1 + rng.binomial(2, 0.3, size=len(natural)), 1)
    won = np.flatnonzero(out.converts).astype(np.int32)
    qty = natural_qty[won]
    events: Events = {
        "lead": _stage_versions(leads, out),
        "call": _call_events(rng, leads, out, calls),
        "journey": _journey(rng, leads, out),
        "won": {"lead": won, "day": leads.day + out.close_off[won], "qty": qty.astype(np.int32)},
        # the sales without the planted drivers: they drive the stock new enquiries find (generator.py)
        "natural_won": {
            "lead": natural,
            "day": leads.day + out.close_off[natural],
            "qty": natural_qty[natural].astype(np.int32),
        },
    }
    return out, events


def _fields(calls: Calls) -> tuple[np.ndarray, ...]:
    return calls.lead, calls.off, calls.sec, calls.duration, calls.outcome
