"""Win-rate drivers: who sells each opportunity (the sales consultant), where it came from (the lead source),
what it is worth, why a lost deal was lost (and to whom), and five planted causes of win-rate movement.

Every draw here comes from streams of its own, seeded by (seed, purpose, day) with purposes the rest of the
generator does not use, so the original streams (leads, calls, stages, stock) draw exactly what they drew
before. The planted causes change outcomes after the natural outcome was drawn, without changing when a deal
closes or how far it got (a deal flipped from won to lost was booked, then lost at its closing day), so
calls and journey events keep their draws too; only retail, stock and what follows from them differ.

The planted causes (``drivers.csv`` in the truth folder):
- ``district_drop``: from a start date, most wins closing in one busy district are lost (finance rejected);
- ``poor_source``: one lead source converts poorly all along (its wins often fall through);
- ``competitor``: from a start date, one product line in another busy district loses to one competitor (some
  of its wins, and most of the deals it loses anyway);
- ``erratic_rep``: one busy sales consultant alternates bad weeks (wins lost) and good weeks (lost deals won);
- ``mix_shift``: from a start date, more new leads come from the poor source (each source converts as
  before, so every source's win rate holds while the overall rate falls).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from demo_data.leads import Leads
from demo_data.rhythm import Calendar
from demo_data.world import World

# Lead sources: (export code, canonical name, share of new leads). conf/base/sources.yaml maps the codes.
LEAD_SOURCES = np.array(
    ["SHOWROOM", "WEBSITE", "SOCIAL_MEDIA", "CALL_CENTRE", "FIELD_EVENT", "FINANCIER"], dtype=object
)
SOURCE_NAMES = ("Showroom", "Website", "Social Media", "Call Centre", "Field Event", "Financier")
SOURCE_P = np.array([0.30, 0.18, 0.10, 0.16, 0.16, 0.10])
POOR_SOURCE_CHOICES = (1, 2, 3, 4)  # the showroom and financier channels are never the planted poor one

# Lost reasons (export code, canonical name); an untouched enquiry is lost for "no response".
LOST_REASONS = np.array(
    ["NO_RESPONSE", "PRICE", "FINANCE_REJECTED", "COMPETITION", "POSTPONED", "NOT_INTERESTED"], dtype=object
)
REASON_NAMES = ("No Response", "Price", "Finance Rejected", "Lost to Competitor", "Postponed", "Not Interested")
NO_RESPONSE, PRICE, FINANCE_REJECTED, COMPETITION, POSTPONED, NOT_INTERESTED = range(6)
ENGAGED_REASON_P = np.array([0.0, 0.25, 0.15, 0.25, 0.20, 0.15])  # a lost deal the customer talked about
COMPETITORS = np.array(["Vega Motors", "Apex Auto", "Kranti EV", "Sarthi Motors"], dtype=object)
PRICE_INR = np.array([550_000, 850_000, 650_000, 1_000_000, 900_000])  # list price per product line (vocab order)
MAX_DISCOUNT = 0.08

# Strength of the planted causes: the probability that a deal they touch changes outcome.
POOR_SOURCE_Q = 0.75  # a win from the poor source falls through
DROP_Q = 0.85  # a win closing in the drop district from its start date is lost (finance rejected)
COMPETITOR_Q = 0.3  # a win of the product line in that district is lost to the competitor ...
COMPETITOR_TAKES = 0.6  # ... and of its deals lost anyway (past the enquiry), this share goes to the competitor
ERRATIC_BAD_Q = 0.95  # a bad week: the consultant's wins fall through
ERRATIC_GOOD_Q = 0.6  # a good week: a lost deal that got past the enquiry is won after all
MIX_GAIN = 0.20  # the poor source's share of new leads grows by this once the mix shift starts
ERRATIC_SHARE = 0.85  # the erratic consultant handles this share of their dealer's leads
LEADS_PER_REP_DAY = 1.4  # a dealer has about one consultant per this many leads a day
MAX_REPS = 6


@dataclass(frozen=True)
class Planted:
    """One planted cause, as the truth file states it."""

    kind: str
    dimension: str
    segment: str
    start: int  # day index from which it acts (0: from the start)
    competitor: str = ""
    detail: str = ""


@dataclass
class DriverPlan:
    rep_dealer: np.ndarray  # per consultant: dealer index
    rep_codes: np.ndarray  # per consultant: code
    dealer_reps: list[np.ndarray]  # per dealer: its consultants
    dealer_rep_p: list[np.ndarray]  # per dealer: the share of its leads each consultant takes
    poor_source: int
    mix_start: int
    drop_dealers: np.ndarray  # bool per dealer
    drop_start: int
    comp_dealers: np.ndarray
    comp_product: int
    competitor: int
    comp_start: int
    erratic_rep: int
    rep_cumulative: np.ndarray  # (dealers, MAX_REPS): cumulative share of each consultant slot, padded 1.0
    rep_slots: np.ndarray  # (dealers, MAX_REPS): the consultant in each slot (the last one repeated)
    bad_week: dict[tuple[int, int], bool]  # ISO (year, week) -> a bad week of the erratic consultant
    planted: list[Planted]

    def source_p(self, day: int) -> np.ndarray:
        p = SOURCE_P.copy()
        if day >= self.mix_start:
            share = p[self.poor_source] + MIX_GAIN
            rest = np.arange(len(p)) != self.poor_source
            p[rest] *= (1.0 - share) / (1.0 - p[self.poor_source])
            p[self.poor_source] = share
        return p


def _district_dealers(world: World) -> dict[int, np.ndarray]:
    codes = np.array([t.district_code for t in world.talukas])[world.dealer_taluka]
    return {int(c): np.flatnonzero(codes == c) for c in np.unique(codes)}


def _window(days: int, rng: np.random.Generator, end_margin: int) -> int:
    """A start day in the last weeks of the range, late enough that the weeks before it show the old normal."""
    lo = max(days - 40, days // 2)
    hi = max(lo, days - end_margin)
    return int(rng.integers(lo, hi + 1))


def plan_drivers(seed: int, world: World, calendar: Calendar) -> DriverPlan:
    """Consultants per dealer and the planted causes; a pure function of (seed, world, calendar)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 30]))
    n_dealers = world.n_dealers
    per_dealer = np.clip(np.rint(world.dealer_rate / LEADS_PER_REP_DAY), 1, MAX_REPS).astype(int)
    dealer_reps: list[np.ndarray] = []
    dealer_rep_p: list[np.ndarray] = []
    rep_dealer: list[int] = []
    for dealer in range(n_dealers):
        first = len(rep_dealer)
        rep_dealer.extend([dealer] * int(per_dealer[dealer]))
        dealer_reps.append(np.arange(first, len(rep_dealer)))
        weights = rng.lognormal(0.0, 0.3, size=int(per_dealer[dealer]))
        dealer_rep_p.append(weights / weights.sum())
    rep_codes = np.array([f"SC{i + 1:05d}" for i in range(len(rep_dealer))], dtype=object)

    # the erratic consultant: one of the busiest dealers' consultants, taking most of that dealer's leads; the
    # drivers stay away from the planted hotspots' talukas and districts, so that each truth shows on its own
    hot_talukas = {spot.taluka_index for spot in world.hotspots}
    hot_districts = {spot.taluka.district_code for spot in world.hotspots}
    calm = [int(d) for d in np.argsort(-world.dealer_rate, kind="stable") if world.dealer_taluka[d] not in hot_talukas]
    busiest = calm[: max(1, n_dealers // 30)]
    multi = [d for d in busiest if len(dealer_reps[d]) >= 2] or busiest
    erratic_dealer = int(rng.choice(multi))
    reps = dealer_reps[erratic_dealer]
    erratic_rep = int(reps[0])
    if len(reps) > 1:
        others = np.full(len(reps) - 1, (1.0 - ERRATIC_SHARE) / (len(reps) - 1))
        dealer_rep_p[erratic_dealer] = np.r_[ERRATIC_SHARE, others]

    # two busy districts (most dealers; ties by code): one drops, in the other a product loses to a competitor
    districts = _district_dealers(world)
    by_size = sorted(districts, key=lambda c: (-len(districts[c]), c))
    busy = [c for c in by_size[: max(2, len(by_size) // 3)] if c not in hot_districts]
    if len(busy) < 2:  # a small world: every busy district has a hotspot
        busy = by_size[: max(2, len(by_size) // 3)]
    drop_code, comp_code = (int(c) for c in rng.choice(busy, size=2, replace=False))
    drop_dealers = np.zeros(n_dealers, bool)
    drop_dealers[districts[drop_code]] = True
    comp_dealers = np.zeros(n_dealers, bool)
    comp_dealers[districts[comp_code]] = True
    comp_product = int(rng.choice([2, 4]))  # Small Van or Passenger SCV: a line of middling volume
    competitor = int(rng.integers(len(COMPETITORS)))
    poor_source = int(rng.choice(POOR_SOURCE_CHOICES))
    days = calendar.days
    drop_start = _window(days, rng, 14)
    comp_start = _window(days, rng, 14)
    mix_start = _window(days, rng, 21)
    # erratic: good and bad weeks (Monday to Sunday) alternate, from a random phase
    weeks = sorted({_iso_week(calendar, d) for d in range(days + 200)})
    phase = int(rng.integers(2))
    bad_week = {week: (i + phase) % 2 == 1 for i, week in enumerate(weeks)}

    cumulative = np.ones((n_dealers, MAX_REPS))
    slots = np.zeros((n_dealers, MAX_REPS), dtype=np.int32)
    for dealer in range(n_dealers):
        k = len(dealer_reps[dealer])
        cumulative[dealer, :k] = np.cumsum(dealer_rep_p[dealer])
        cumulative[dealer, k - 1 :] = 1.0
        slots[dealer, :k] = dealer_reps[dealer]
        slots[dealer, k:] = dealer_reps[dealer][-1]

    def place(code: int) -> str:
        taluka = next(t for t in world.talukas if t.district_code == code)
        return f"{taluka.district}, {taluka.state}"

    from demo_data.vocab import PRODUCT_LINES

    product = str(PRODUCT_LINES[comp_product])
    rival = str(COMPETITORS[competitor])
    source = SOURCE_NAMES[poor_source]
    erratic_code = str(rep_codes[erratic_rep])
    planted = [
        Planted("district_drop", "district", place(drop_code), drop_start, detail=f"{DROP_Q:.0%} of wins lost"),
        Planted("poor_source", "lead_source", source, 0, detail=f"{POOR_SOURCE_Q:.0%} of its wins fall through"),
        Planted(
            "competitor",
            "product_line_in_district",
            f"{product} in {place(comp_code)}",
            comp_start,
            competitor=rival,
            detail=f"{COMPETITOR_Q:.0%} of its wins and {COMPETITOR_TAKES:.0%} of its other losses go to {rival}",
        ),
        Planted(
            "erratic_rep",
            "rep",
            erratic_code,
            0,
            detail=f"dealer DLR{erratic_dealer + 1:04d}; bad weeks lose {ERRATIC_BAD_Q:.0%} of wins, good weeks "
            f"win {ERRATIC_GOOD_Q:.0%} of engaged losses",
        ),
        Planted(
            "mix_shift",
            "lead_source",
            source,
            mix_start,
            detail=f"share of new leads {SOURCE_P[poor_source]:.0%} -> {SOURCE_P[poor_source] + MIX_GAIN:.0%}",
        ),
    ]
    return DriverPlan(
        rep_dealer=np.array(rep_dealer, dtype=np.int32),
        rep_codes=rep_codes,
        dealer_reps=dealer_reps,
        dealer_rep_p=dealer_rep_p,
        poor_source=poor_source,
        mix_start=mix_start,
        drop_dealers=drop_dealers,
        drop_start=drop_start,
        comp_dealers=comp_dealers,
        comp_product=comp_product,
        competitor=competitor,
        comp_start=comp_start,
        erratic_rep=erratic_rep,
        rep_cumulative=cumulative,
        rep_slots=slots,
        bad_week=bad_week,
        planted=planted,
    )


def _iso_week(calendar: Calendar, day: int) -> tuple[int, int]:
    year, week, _ = (calendar.start_date + dt.timedelta(days=day)).isocalendar()
    return year, week


def _pick(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(np.cumsum(probs), rng.random(n) * probs.sum(), side="right").astype(np.int8)


def assign(seed: int, plan: DriverPlan, leads: Leads) -> None:
    """Consultant, lead source and deal value of the day's new leads (a stream of their own)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 31, leads.day]))
    n = len(leads)
    u = rng.random(n)
    cumulative = plan.rep_cumulative[leads.dealer]  # (n, MAX_REPS), padded with 1.0
    slot = np.minimum((u[:, None] >= cumulative).sum(axis=1), cumulative.shape[1] - 1)
    rep = plan.rep_slots[leads.dealer, slot]
    leads.rep = rep
    leads.source = _pick(rng, plan.source_p(leads.day), n)
    discount = rng.uniform(0.0, MAX_DISCOUNT, size=n)
    leads.value = (np.rint(PRICE_INR[leads.ppl] * (1.0 - discount) / 100.0) * 100).astype(np.int64)


@dataclass
class Adjusted:
    converts: np.ndarray
    reached: np.ndarray
    propensity: np.ndarray  # the conversion probability with the planted causes
    reason: np.ndarray  # lost reason index, -1 when won
    competitor: np.ndarray  # competitor index, -1 when none


def adjust(
    seed: int,
    plan: DriverPlan,
    calendar: Calendar,
    world: World,
    leads: Leads,
    propensity: np.ndarray,
    converts: np.ndarray,
    reached: np.ndarray,
    close_off: np.ndarray,
) -> Adjusted:
    """The outcome with the planted causes applied to the natural one, and the lost reasons.

    A natural win may fall through (won -> lost on the same closing day, having reached C3); in a good week
    the erratic consultant wins a lost deal that got past the enquiry (lost -> won on the same day)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 32, leads.day]))
    n = len(leads)
    u, u_reason, u_rival, u_takes = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    close_day = leads.day + close_off
    week_bad = np.array([plan.bad_week.get(_iso_week(calendar, d), False) for d in close_day.tolist()], dtype=bool)
    is_erratic = leads.rep == plan.erratic_rep
    causes = {  # probability that a natural win falls through, per cause
        "competitor": np.where(
            plan.comp_dealers[leads.dealer] & (leads.ppl == plan.comp_product) & (close_day >= plan.comp_start),
            COMPETITOR_Q,
            0.0,
        ),
        "drop": np.where(plan.drop_dealers[leads.dealer] & (close_day >= plan.drop_start), DROP_Q, 0.0),
        "erratic": np.where(is_erratic & week_bad, ERRATIC_BAD_Q, 0.0),
        "poor": np.where(leads.source == plan.poor_source, POOR_SOURCE_Q, 0.0),
    }
    keep = np.ones(n)
    for q in causes.values():
        keep *= 1.0 - q
    q_out = 1.0 - keep
    in_gap = world.is_gap[np.minimum(close_day, world.is_gap.shape[0] - 1), leads.dealer] & (
        close_day < world.is_gap.shape[0]
    )
    q_in = np.where(is_erratic & ~week_bad & (reached >= 1) & ~in_gap, ERRATIC_GOOD_Q, 0.0)
    lost_now = converts & (u < q_out)
    won_now = ~converts & (u < q_in)
    final = (converts & ~lost_now) | won_now
    new_reached = np.where(won_now, 3, reached).astype(np.int8)

    # why each lost deal was lost: the planted cause where one acted, else the natural mix of reasons
    engaged = _engaged_reason(u_reason)
    cause = np.select([causes["competitor"] > 0, causes["drop"] > 0], [COMPETITION, FINANCE_REJECTED], default=-1)
    reason = np.where(reached == 0, NO_RESPONSE, engaged)
    reason = np.where(lost_now & (cause >= 0), cause, reason)
    # the competitor also takes most of the product's deals in that district that are lost anyway
    taken = ~final & ~lost_now & (reached > 0) & (causes["competitor"] > 0) & (u_takes < COMPETITOR_TAKES)
    reason = np.where(taken, COMPETITION, reason)
    reason = np.where(final, -1, reason).astype(np.int8)
    rival = np.minimum((u_rival * len(COMPETITORS)).astype(np.int8), len(COMPETITORS) - 1)
    rival = np.where((lost_now | taken) & (causes["competitor"] > 0), plan.competitor, rival)
    rival = np.where(reason == COMPETITION, rival, -1).astype(np.int8)
    effective = propensity * keep + (1.0 - propensity) * q_in
    return Adjusted(final, new_reached, effective, reason, rival)


def _engaged_reason(u: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(ENGAGED_REASON_P)
    return np.minimum(np.searchsorted(cumulative, u * cumulative[-1], side="right"), len(cumulative) - 1)
