"""New opportunities of one day: how many each dealer gets and who they are."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demo_data.rhythm import Calendar
from demo_data.vocab import (
    CLASS_P,
    CLASS_P_HOTSPOT,
    COLD,
    ENQUIRY_P,
    HOT,
    LIVE,
    SEGMENT_P,
    WARM,
)
from demo_data.world import World

# Expected-closure horizon (days after creation) per lead class: (low, high) inclusive.
CLOSURE_RANGE = {HOT: (7, 21), WARM: (15, 45), COLD: (30, 90), LIVE: (3, 10)}
# Mean hidden interest per class (drives how reachable and engaged the customer is).
INTEREST_MEAN = np.array([0.6, 0.2, -0.5, 0.9])


@dataclass
class Leads:
    """Opportunities created on ``day`` (index arrays are aligned; ``name`` indexes vocab names)."""

    day: int
    opty: np.ndarray
    dealer: np.ndarray
    ppl: np.ndarray
    cls: np.ndarray
    segment: np.ndarray
    enquiry: np.ndarray
    created_sec: np.ndarray
    expected_closure: np.ndarray  # absolute day index
    name: np.ndarray
    mobile: np.ndarray
    has_stock: np.ndarray  # saleable stock of the product line at the dealer when created
    interest: np.ndarray  # hidden
    # set by demo_data.drivers from streams of their own: consultant index, lead source index, deal value (INR)
    rep: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    source: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # set once the outcome is known: lost reason and competitor index (-1: none)
    reason: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    rival: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    # the repeat-buying account an opportunity belongs to (demo_data.accounts), -1: none
    account: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.opty)


def _pick(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(np.cumsum(probs), rng.random(n) * probs.sum(), side="right").astype(np.int8)


def _created_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Enquiry times: a morning and an afternoon peak within showroom hours (08:00 to 20:30)."""
    centre = np.where(rng.random(n) < 0.55, 11.5, 16.5)
    hours = rng.normal(centre, 1.6)
    outside = (hours < 8.0) | (hours > 20.5)
    hours = np.where(outside, rng.uniform(8.0, 20.5, size=n), hours)
    return (hours * 3600).astype(np.int32)


def new_leads(
    rng: np.random.Generator,
    world: World,
    calendar: Calendar,
    day: int,
    first_opty: int,
    saleable: np.ndarray,
    name_ranges: np.ndarray,
) -> Leads:
    """Poisson arrivals per dealer (rhythm x season x hotspot multiplier), then their attributes."""
    multiplier = world.multiplier[day]
    lam = world.dealer_rate * calendar.demand_factor(day) * multiplier
    dealer = np.repeat(np.arange(world.n_dealers, dtype=np.int32), rng.poisson(lam))
    n = len(dealer)
    in_hotspot = multiplier[dealer] > 1.0
    cls = np.where(in_hotspot, _pick(rng, CLASS_P_HOTSPOT, n), _pick(rng, CLASS_P, n)).astype(np.int8)
    segment = _pick(rng, SEGMENT_P, n)
    cum_mix = np.cumsum(world.dealer_mix[dealer], axis=1)
    ppl = np.minimum((rng.random(n)[:, None] > cum_mix).sum(axis=1), cum_mix.shape[1] - 1).astype(np.int8)
    lo = np.array([CLOSURE_RANGE[c][0] for c in range(4)])[cls]
    hi = np.array([CLOSURE_RANGE[c][1] for c in range(4)])[cls]
    expected = day + lo + (rng.random(n) * (hi - lo + 1)).astype(np.int32)
    name_lo, name_hi = name_ranges[segment, 0], name_ranges[segment, 1]
    name = name_lo + (rng.random(n) * (name_hi - name_lo)).astype(np.int64)
    lead_digit = np.array([9, 8, 7])[_pick(rng, np.array([0.5, 0.3, 0.2]), n)]
    mobile = lead_digit.astype(np.int64) * 1_000_000_000 + rng.integers(0, 1_000_000_000, size=n)
    return Leads(
        day=day,
        opty=np.arange(first_opty, first_opty + n, dtype=np.int64),
        dealer=dealer,
        ppl=ppl,
        cls=cls,
        segment=segment,
        enquiry=_pick(rng, ENQUIRY_P, n),
        created_sec=_created_seconds(rng, n),
        expected_closure=expected.astype(np.int32),
        name=name,
        mobile=mobile,
        has_stock=saleable[dealer, ppl] > 0,
        interest=rng.normal(INTEREST_MEAN[cls], 1.0),
    )
