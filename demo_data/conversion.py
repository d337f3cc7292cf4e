"""The planted conversion process: first-week engagement, latent propensity, outcome and stage timeline.

propensity = sigmoid(BASE + class + segment + engagement (connected calls in the first week and their mean
duration) - untouched penalty - contact delay - no-stock penalty + dealer effect + hidden interest + noise).
``converts`` is one Bernoulli draw of it. Everything the pipeline can see (classification, segment, calls,
stages, the stock snapshot) is consistent with it, but no single column copies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from demo_data.leads import Leads
from demo_data.rhythm import Calendar
from demo_data.vocab import ANSWERED, NOT_CONNECTED_P
from demo_data.world import World

BASE_LOGIT = -2.6
CLASS_LOGIT = np.array([1.0, 0.3, -0.9, 1.7])  # HOT, WARM, COLD, LIVE DEAL
SEGMENT_LOGIT = np.array([0.0, 0.35, -0.25])  # Individual, Fleet Owner, Institution
CONNECTED_CALL_LOGIT = 0.35  # per connected first-week call, up to 4
DURATION_LOGIT = 0.5  # times log(mean connected seconds / 120)
UNTOUCHED_LOGIT = -1.6  # no connected call within the first 7 days
DELAY_LOGIT = -0.12  # per day until the first connected call
NO_STOCK_LOGIT = -1.1  # no saleable stock of the product line at the dealer
INTEREST_LOGIT = 0.35
NOISE_SD = 0.4
ENGAGE_DAYS = 7
# Days from enquiry to Closed Won per class (low, high) inclusive; lost leads close within LOST_RANGE.
WON_RANGE = np.array([[5, 25], [8, 35], [12, 45], [4, 10]])
LOST_RANGE = (8, 45)
UNTOUCHED_LOST_RANGE = (21, 40)  # old untouched leads die
ATTEMPTS_MEAN = np.array([2.1, 1.8, 0.8, 2.3])
NEGLECTED_SHARE = 0.12  # leads nobody calls in time


@dataclass
class Calls:
    """Call attempts (aligned arrays; ``lead`` indexes the day's Leads, ``off`` is days after creation)."""

    lead: np.ndarray
    off: np.ndarray
    sec: np.ndarray
    duration: np.ndarray
    outcome: np.ndarray

    def take(self, mask: np.ndarray) -> Calls:
        return Calls(self.lead[mask], self.off[mask], self.sec[mask], self.duration[mask], self.outcome[mask])


@dataclass
class Outcome:
    propensity: np.ndarray
    converts: np.ndarray
    reached: np.ndarray  # stages C1..C3 reached before closing (0..3)
    stage_off: np.ndarray  # (n, 3) days after creation of C1, C2, C3 (valid up to ``reached``)
    stage_sec: np.ndarray  # (n, 3)
    close_off: np.ndarray  # Closed Won (after any supply-gap delay) or Closed Lost, days after creation
    close_sec: np.ndarray
    # the outcome before the planted win-rate drivers (demo_data.drivers) changed some of it: the original
    # random streams are sized by these, so the drivers never shift them
    natural_converts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    natural_reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))


# (leads, natural propensity, converts, reached, close_off) -> (converts, reached, propensity) with the drivers
Adjust = Callable[[Leads, np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def connect_probability(leads: Leads) -> np.ndarray:
    bonus = np.array([0.4, 0.2, -0.3, 0.6])[leads.cls]
    return sigmoid(-0.2 + 0.7 * leads.interest + bonus)


def draw_calls(rng: np.random.Generator, leads: Leads, lead: np.ndarray, off: np.ndarray) -> Calls:
    """Outcome, duration and time of day of call attempts on the given days after creation."""
    n = len(lead)
    connected = rng.random(n) < connect_probability(leads)[lead]
    mu = np.log(110.0) + 0.35 * leads.interest[lead] + 0.25 * np.isin(leads.cls[lead], (0, 3))
    talk = np.clip(rng.lognormal(mu, 0.6), 15, 1800).astype(np.int32)
    missed = 1 + np.searchsorted(np.cumsum(NOT_CONNECTED_P), rng.random(n), side="right")
    outcome = np.where(connected, ANSWERED, np.minimum(missed, 4)).astype(np.int8)
    ring = np.where(outcome == 4, rng.integers(3, 21, size=n), 0)  # a wrong number talks briefly
    duration = np.where(connected, talk, ring).astype(np.int32)
    after_enquiry = leads.created_sec[lead] + rng.integers(300, 5400, size=n)
    anytime = rng.integers(9 * 3600 + 1800, 19 * 3600 + 1800, size=n)
    sec = np.where(off == 0, np.minimum(after_enquiry, 75_600), anytime).astype(np.int32)
    return Calls(lead.astype(np.int32), off.astype(np.int32), sec, duration, outcome)


def first_week_calls(rng: np.random.Generator, leads: Leads, calendar: Calendar) -> Calls:
    """Attempts cluster in the days right after the enquiry; neglected leads are called late or never."""
    n = len(leads)
    neglected = rng.random(n) < NEGLECTED_SHARE
    lam = np.clip(ATTEMPTS_MEAN[leads.cls] + 0.5 * leads.interest, 0.2, 8.0)
    attempts = np.where(neglected, rng.poisson(0.4, size=n), 1 + rng.poisson(lam))
    lead = np.repeat(np.arange(n), attempts)
    soon = np.minimum(np.floor(rng.exponential(1.8, size=len(lead))), ENGAGE_DAYS - 1)
    late = rng.integers(5, 13, size=len(lead))
    off = np.where(neglected[lead], late, soon).astype(np.int32)
    sunday = calendar.is_sunday(leads.day + off)
    keep = ~sunday | (rng.random(len(lead)) < 0.35)
    return draw_calls(rng, leads, lead[keep], off[keep])


def _engagement(n: int, calls: Calls) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected first-week calls, their mean duration, and the day of the first one (99 when none)."""
    early = (calls.outcome == ANSWERED) & (calls.off < ENGAGE_DAYS)
    n_conn = np.bincount(calls.lead[early], minlength=n)
    talk = np.bincount(calls.lead[early], weights=calls.duration[early], minlength=n)
    first = np.full(n, 99, dtype=np.int32)
    np.minimum.at(first, calls.lead[early], calls.off[early])
    return n_conn, talk / np.maximum(n_conn, 1), first


def _ordered_offsets(rng: np.random.Generator, close_off: np.ndarray) -> np.ndarray:
    """Three strictly increasing day offsets in [1, close_off - 1] (close_off >= 4)."""
    u = np.sort(rng.random((len(close_off), 3)), axis=1)
    base = np.floor(u * (close_off[:, None] - 3)).astype(np.int32)
    return base + np.arange(1, 4, dtype=np.int32)


def decide(rng: np.random.Generator, leads: Leads, world: World, calls: Calls, adjust: Adjust | None = None) -> Outcome:
    n = len(leads)
    n_conn, mean_talk, first = _engagement(n, calls)
    untouched = first >= ENGAGE_DAYS
    logit = (
        BASE_LOGIT
        + CLASS_LOGIT[leads.cls]
        + SEGMENT_LOGIT[leads.segment]
        + CONNECTED_CALL_LOGIT * np.minimum(n_conn, 4)
        + np.where(n_conn > 0, DURATION_LOGIT * np.log(np.maximum(mean_talk, 1.0) / 120.0), 0.0)
        + np.where(untouched, UNTOUCHED_LOGIT, DELAY_LOGIT * first)
        + np.where(leads.has_stock, 0.0, NO_STOCK_LOGIT)
        + world.dealer_effect[leads.dealer]
        + INTEREST_LOGIT * leads.interest
        + rng.normal(0.0, NOISE_SD, size=n)
    )
    propensity = sigmoid(logit)
    converts = rng.random(n) < propensity
    won_lo, won_hi = WON_RANGE[leads.cls, 0], WON_RANGE[leads.cls, 1]
    won_off = won_lo + (rng.random(n) * (won_hi - won_lo + 1)).astype(np.int32)
    lost_off = np.where(
        untouched,
        rng.integers(UNTOUCHED_LOST_RANGE[0], UNTOUCHED_LOST_RANGE[1] + 1, size=n),
        rng.integers(LOST_RANGE[0], LOST_RANGE[1] + 1, size=n),
    ).astype(np.int32)
    depth = np.clip(0.15 + 1.2 * propensity, 0.0, 0.85)
    reached = np.where(converts, 3, np.where(untouched, 0, rng.binomial(3, depth))).astype(np.int8)
    close_off = np.where(converts, won_off, lost_off).astype(np.int32)
    stage_off = _ordered_offsets(rng, close_off)
    close_off = np.where(converts, _after_supply_gaps(rng, world, leads, close_off), close_off)
    stage_sec = rng.integers(34_200, 68_400, size=(n, 3)).astype(np.int32)
    close_sec = rng.integers(34_200, 68_400, size=n).astype(np.int32)
    final, final_reached, final_propensity = converts, reached, propensity
    if adjust is not None:  # the planted drivers: same closing day and stages, another outcome for some
        final, final_reached, final_propensity = adjust(leads, propensity, converts, reached, close_off)
    return Outcome(
        propensity=final_propensity,
        converts=final,
        reached=final_reached,
        stage_off=stage_off,
        stage_sec=stage_sec,
        close_off=close_off.astype(np.int32),
        close_sec=close_sec,
        natural_converts=converts,
        natural_reached=reached,
    )


def _after_supply_gaps(rng: np.random.Generator, world: World, leads: Leads, close_off: np.ndarray) -> np.ndarray:
    """A sale due inside a supply-gap stretch waits until 1 to 3 days after it (booked, not invoiced)."""
    won_day = leads.day + close_off
    for spot in world.hotspots:
        if not spot.has_supply_gap:
            continue
        hit = (world.dealer_taluka[leads.dealer] == spot.taluka_index) & (won_day >= spot.start)
        hit &= won_day <= spot.end
        won_day = np.where(hit, spot.end + 1 + rng.integers(0, 3, size=len(won_day)), won_day)
    return (won_day - leads.day).astype(np.int32)
