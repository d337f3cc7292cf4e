"""The simulated world: scales, dealers placed in real talukas, and the planted hotspots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_data.geography import Taluka, load_talukas
from demo_data.vocab import PRODUCT_P


@dataclass(frozen=True)
class Scale:
    name: str
    dealers: int
    days: int
    leads_per_dealer_day: float  # mean before weekly, seasonal and dealer effects
    hotspots: int
    max_hotspot_days: int


SCALES = {
    "small": Scale("small", 20, 60, 3.3, 4, 14),
    "medium": Scale("medium", 600, 120, 3.9, 14, 20),
    "large": Scale("large", 3000, 365, 2.6, 40, 20),
}
TALUKA_DEALER_RATIO = 1.9  # dealers per chosen taluka on average
BUSY_SHARE = 0.6  # share of chosen talukas with two dealers or more
RAMP_DAYS = 2  # a hotspot reaches its full multiplier on its second day
# Whatever the end date, the first ACTIVE_AT_END hotspots of every scale are surging on it, so the end date's
# alert shows the product: two late ones start only 2-4 days before the end date and run to it (3-5 days of
# data; one with a supply gap, one selling more, which the pipeline reads as HOTSPOT: leads, high intent and
# retail all rising), and one with a supply gap runs MID_DAYS to it (retail stopped for the whole 5-day window:
# EMERGING). A stretch longer than the detector's window plus guard (10 days) would lift its own baseline.
ACTIVE_AT_END = 3
LATE_HOTSPOTS = 2
LATE_DAYS = (4, 5)  # days of data of a late hotspot: it starts 3-4 days before the end date
MID_DAYS = (7, 9)  # days of data of the third, with a supply gap
# Lead multiplier of a hotspot: half of it on the first day, all of it from the second. The ones active on the
# end date surge together, and in a small network each one's surge lifts the market the others are measured
# against (the detector's expectation), so they draw from the upper part of the range.
MULTIPLIER = (2.0, 3.0)
MULTIPLIER_AT_END = (2.5, 3.0)


@dataclass(frozen=True)
class Hotspot:
    taluka: Taluka
    taluka_index: int  # into World.talukas
    start: int  # first day index, inclusive
    end: int  # last day index, inclusive
    has_supply_gap: bool
    lead_multiplier: float


@dataclass
class World:
    talukas: list[Taluka]  # the chosen talukas
    dealer_taluka: np.ndarray  # per dealer: index into talukas
    dealer_rate: np.ndarray  # leads per day before rhythm and hotspots
    dealer_walkin: np.ndarray  # walk-in retail units per day (all product lines)
    dealer_effect: np.ndarray  # logit shift of conversion (dealer quality), hidden
    dealer_mix: np.ndarray  # (dealers, product lines) enquiry mix
    hotspots: list[Hotspot]
    multiplier: np.ndarray  # (days, dealers) lead multiplier
    is_gap: np.ndarray  # (days, dealers) supply gap active

    @property
    def n_dealers(self) -> int:
        return len(self.dealer_taluka)

    def dealer_codes(self) -> np.ndarray:
        return np.array([f"DLR{i + 1:04d}" for i in range(self.n_dealers)], dtype=object)

    def dealer_places(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Taluka, district and state name per dealer."""
        t = [self.talukas[i] for i in self.dealer_taluka.tolist()]
        return (
            np.array([x.taluka for x in t], dtype=object),
            np.array([x.district for x in t], dtype=object),
            np.array([x.state for x in t], dtype=object),
        )

    def hotspot_dealers(self, spot: Hotspot) -> np.ndarray:
        return np.flatnonzero(self.dealer_taluka == spot.taluka_index)


def _choose_talukas(rng: np.random.Generator, reference: list[Taluka], wanted: int) -> list[Taluka]:
    """Whole clusters of talukas from randomly ordered districts, so districts hold several of them."""
    by_district: dict[int, list[Taluka]] = {}
    for t in reference:
        by_district.setdefault(t.district_code, []).append(t)
    chosen: list[Taluka] = []
    for code in rng.permutation(sorted(by_district)).tolist():
        members = by_district[code]
        take = min(len(members), int(rng.integers(3, 8)), wanted - len(chosen))
        picks = rng.choice(len(members), size=take, replace=False)
        chosen.extend(members[i] for i in sorted(picks.tolist()))
        if len(chosen) >= wanted:
            break
    return chosen


def _dealer_counts(rng: np.random.Generator, n_talukas: int, n_dealers: int) -> np.ndarray:
    counts = np.ones(n_talukas, dtype=np.int64)
    busy = rng.random(n_talukas) < BUSY_SHARE
    busy[: min(4, n_talukas)] = True  # enough busy talukas for the planted hotspots
    counts[busy] = 2
    spare = n_dealers - int(counts.sum())
    if spare > 0:
        weights = rng.lognormal(0.0, 0.8, size=int(busy.sum()))
        counts[busy] += rng.multinomial(spare, weights / weights.sum())
    return counts


def _plant_hotspots(
    rng: np.random.Generator, talukas: list[Taluka], counts: np.ndarray, scale: Scale, days: int
) -> list[Hotspot]:
    busy = [i for i in rng.permutation(len(talukas)).tolist() if counts[i] >= 2]
    picked: list[int] = []
    seen: set[int] = set()
    for i in busy:  # distinct districts first
        if talukas[i].district_code not in seen and len(picked) < scale.hotspots:
            picked.append(i)
            seen.add(talukas[i].district_code)
    picked += [i for i in busy if i not in picked][: scale.hotspots - len(picked)]
    earliest = min(15, days // 3)
    spots = []
    for n, index in enumerate(picked):
        recent = scale.name == "small" or n < int(np.ceil(0.6 * len(picked)))
        lo = max(earliest, days - 30) if recent else earliest
        room = days - lo
        if room < 3:
            break
        if n < LATE_HOTSPOTS:  # starts 2-4 days before the end date, so it shows in the end date's 5-day window
            length = min(int(rng.integers(LATE_DAYS[0], LATE_DAYS[1] + 1)), room)
        elif n < ACTIVE_AT_END:
            length = min(int(rng.integers(MID_DAYS[0], MID_DAYS[1] + 1)), room)
        else:
            length = min(int(rng.integers(8, scale.max_hotspot_days + 1)), room)
        # the first ACTIVE_AT_END run to the end date; the others lie anywhere in their range
        start = days - length if n < ACTIVE_AT_END else int(rng.integers(lo, days - length + 1))
        spots.append(
            Hotspot(
                taluka=talukas[index],
                taluka_index=index,
                start=start,
                end=start + length - 1,
                has_supply_gap=n % 2 == 0,
                lead_multiplier=round(float(rng.uniform(*(MULTIPLIER_AT_END if n < ACTIVE_AT_END else MULTIPLIER))), 2),
            )
        )
    return spots


def build_world(seed: int, scale: Scale, days: int) -> World:
    """Dealers, their talukas and the planted hotspots; a pure function of (seed, scale, days)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    reference = load_talukas()
    wanted = min(len(reference), int(np.ceil(scale.dealers / TALUKA_DEALER_RATIO)))
    talukas = _choose_talukas(rng, reference, wanted)
    counts = _dealer_counts(rng, len(talukas), scale.dealers)
    dealer_taluka = np.repeat(np.arange(len(talukas)), counts)
    n = len(dealer_taluka)
    rate = rng.lognormal(0.0, 0.35, size=n)
    rate = rate / rate.mean() * scale.leads_per_dealer_day
    mix = rng.dirichlet(PRODUCT_P * 40.0, size=n)
    spots = _plant_hotspots(rng, talukas, counts, scale, days)
    multiplier = np.ones((days, n), dtype=np.float64)
    is_gap = np.zeros((days, n), dtype=bool)
    for spot in spots:
        dealers = np.flatnonzero(dealer_taluka == spot.taluka_index)
        for day in range(spot.start, spot.end + 1):
            ramp = min(1.0, (day - spot.start + 1) / RAMP_DAYS)
            multiplier[day, dealers] = 1.0 + (spot.lead_multiplier - 1.0) * ramp
            is_gap[day, dealers] = spot.has_supply_gap
    return World(
        talukas=talukas,
        dealer_taluka=dealer_taluka,
        dealer_rate=rate,
        dealer_walkin=rate * 0.04,
        dealer_effect=rng.normal(0.0, 0.3, size=n),
        dealer_mix=mix,
        hotspots=spots,
        multiplier=multiplier,
        is_gap=is_gap,
    )
