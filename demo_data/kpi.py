"""KPI monitoring truth: invoice values, monthly targets, and four planted KPI events (``kpi_events.csv``).

Every draw here comes from streams of its own, seeded by (seed, purpose, day) with purposes 40 to 46, which
the rest of the generator does not use, so the leads, calls, stages, stock and win-rate drivers draw exactly
what they drew before. What the events change is the retail export (and, for the slow movers, the outcome of
a few deals and the stock that then sits):

- ``retail_drop``: from a start date to the end of the data, two dealers of one district (the two with the
  largest expected sales of the district where they stand out most, away from the hotspots and the win-rate
  drivers) have most of their deliveries held: the deals are won (Closed Won in the CRM), the invoices do not
  come, the repeat-buying accounts' invoices there included;
- ``product_spike``: for 6 to 10 days one product line sells far more across the network (fleet and scheme
  deliveries straight from the depot: invoices without an opportunity, no dealer stock moved);
- ``festive``: the Navratri / Dussehra / Diwali season of ``demo_data.rhythm`` (there all along);
- ``slow_moving``: from a start date three dealer x product-line pairs stop selling (walk-ins stop, and the
  deals that would have closed won are lost): their stock sits.
"""

from __future__ import annotations

import calendar as months
import csv
import datetime as dt
import io
from dataclasses import dataclass, field

import numpy as np

from demo_data.corrupt import render_csv
from demo_data.drivers import MAX_DISCOUNT, PRICE_INR, DriverPlan
from demo_data.messy import FileOut
from demo_data.rhythm import SEASONAL_BUMPS, WEEKDAY_FACTOR, Calendar, season_factor
from demo_data.supply import EXPECTED_CONVERSION, DaySupply
from demo_data.vocab import PRODUCT_LINES
from demo_data.world import World

TARGETS_PATH = "targets/targets.csv"
TARGETS_HEADER = ["Month", "Dealer", "Product Line", "Target Units", "Target Value"]
EVENT_COLUMNS = (
    "kind", "level", "member", "product_line", "dealer_codes", "start_date", "end_date", "direction", "detail",
)  # fmt: skip

HOLD_Q = 1.0  # share of the drop dealers' deliveries held from the start date (their billing is stopped)
SPIKE_MULTIPLIER = (2.0, 2.6)  # the spiking product line sells this many times its normal
SPIKE_DAYS = (6, 10)
SLOW_PAIRS = 3
STOP_Q = 0.995  # a would-be win of a slow-moving pair is lost (not interested) from its start
TARGET_STRETCH = (0.95, 1.15)  # a month's target: expected sales times this


@dataclass
class KpiPlan:
    drop_dealers: np.ndarray  # dealer indexes (two)
    drop_place: str  # "District, State"
    drop_start: int
    spike_line: int
    spike_start: int
    spike_end: int  # inclusive
    spike_multiplier: float
    slow_pairs: list[tuple[int, int]]  # (dealer, product line)
    slow_start: int
    stopped: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))  # (dealers, lines) after start

    def stopped_on(self, day: int) -> np.ndarray | None:
        return self.stopped if day >= self.slow_start else None


def _away_from(eligible: list[tuple[int, int]], picks: list[int], avoid: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The picked pairs, each one in ``avoid`` replaced by the next eligible pair (in order, from the pick on) that
    is neither picked nor avoided. No random draw, so the plan is the same as before wherever no pick is avoided."""
    chosen = [eligible[i] for i in picks]
    for k, i in enumerate(picks):
        if chosen[k] not in avoid:
            continue
        for step in range(1, len(eligible)):
            candidate = eligible[(i + step) % len(eligible)]
            if candidate not in avoid and candidate not in chosen:
                chosen[k] = candidate
                break
    return chosen


def _expected_sales(world: World) -> np.ndarray:
    """Expected retail units per day, (dealers, product lines), before rhythm and season."""
    return world.dealer_mix * (world.dealer_rate * EXPECTED_CONVERSION + world.dealer_walkin)[:, None]


def _district_codes(world: World) -> np.ndarray:
    return np.array([t.district_code for t in world.talukas])[world.dealer_taluka]


def plan_kpi(
    seed: int, world: World, calendar: Calendar, drivers: DriverPlan, bought: set[tuple[int, int]] | None = None
) -> KpiPlan:
    """The planted KPI events; a pure function of (seed, world, calendar, the win-rate drivers, and ``bought``:
    the (dealer, product line) pairs the repeat-buying accounts take deliveries at, which no slow mover is, nor
    is any pair of a dealer whose stock a supply gap holds)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 40]))
    days = calendar.days
    sales = _expected_sales(world)
    per_dealer = sales.sum(axis=1)
    codes = _district_codes(world)
    hot = {spot.taluka.district_code for spot in world.hotspots}
    taken = set(codes[drivers.drop_dealers].tolist()) | set(codes[drivers.comp_dealers].tolist())
    # the district where the two dealers' held deliveries stand out most from the district's own noise: the
    # largest pair sales over the square root of the district's (a Poisson count's spread)
    best: tuple[float, int] | None = None
    for code in rng.permutation(np.unique(codes)).tolist():
        members = np.flatnonzero(codes == code)
        if code in hot or code in taken or len(members) < 3:
            continue
        top = np.sort(per_dealer[members])[::-1]
        visibility = float(top[:2].sum() / np.sqrt(top.sum()))
        if best is None or visibility > best[0]:
            best = (visibility, int(code))
    if best is None:  # a small world: the district with most dealers
        best = (0.0, int(np.bincount(codes).argmax()))
    members = np.flatnonzero(codes == best[1])
    drop = np.sort(members[np.argsort(-per_dealer[members], kind="stable")[:2]])
    taluka = world.talukas[int(world.dealer_taluka[drop[0]])]
    lo = max(days - 40, days // 2)
    drop_start = int(rng.integers(lo, max(lo, days - 14) + 1))
    line = int(rng.integers(0, len(PRODUCT_LINES)))
    length = int(rng.integers(SPIKE_DAYS[0], SPIKE_DAYS[1] + 1))
    spike_start = int(rng.integers(max(days - 35, days // 2), max(days - 35, days // 2, days - 12) + 1))
    spike_end = min(spike_start + length - 1, days - 1)
    multiplier = round(float(rng.uniform(*SPIKE_MULTIPLIER)), 2)
    # slow movers: pairs that sell well (no natural 90-day silence), away from the drop dealers
    share = sales / np.maximum(sales.sum(axis=1, keepdims=True), 1e-9)
    eligible = np.argwhere((sales >= 0.08) & (share >= 0.15) & ~np.isin(np.arange(world.n_dealers), drop)[:, None])
    picks = rng.choice(len(eligible), size=min(SLOW_PAIRS, len(eligible)), replace=False) if len(eligible) else ()
    # and away from the pairs a slow mover could not be told at: where the accounts take deliveries (a sale after
    # the stop) and at a dealer whose stock a supply gap holds within the range (no saleable stock to sit)
    held = np.flatnonzero(world.is_gap[:days].any(axis=0))
    avoid = (bought or set()) | {(int(d), p) for d in held for p in range(len(PRODUCT_LINES))}
    pairs = sorted(_away_from([(int(d), int(p)) for d, p in eligible], [int(i) for i in picks], avoid))
    stopped = np.zeros(sales.shape, bool)
    for dealer, product in pairs:
        stopped[dealer, product] = True
    return KpiPlan(
        drop_dealers=drop,
        drop_place=f"{taluka.district}, {taluka.state}",
        drop_start=drop_start,
        spike_line=line,
        spike_start=spike_start,
        spike_end=spike_end,
        spike_multiplier=multiplier,
        slow_pairs=pairs,
        slow_start=max(0, days - 95),
        stopped=stopped,
    )


def stop_selling(
    seed: int, plan: KpiPlan, day: int, dealer: np.ndarray, ppl: np.ndarray, close_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per lead created on ``day``: whether its win (if any) is lost because its slow-moving pair stopped selling
    (with probability STOP_Q from the pair's start), and the factor on its conversion propensity."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 45, day]))
    u = rng.random(len(dealer))
    subject = plan.stopped[dealer, ppl] & (close_day >= plan.slow_start)
    return subject & (u < STOP_Q), np.where(subject, 1.0 - STOP_Q, 1.0)


def spike_sales(seed: int, plan: KpiPlan, world: World, calendar: Calendar, day: int) -> tuple[np.ndarray, ...]:
    """The spiking line's extra deliveries of the day: (dealer, product line, units), one row per unit; none at a
    slow mover past its start (drawn all the same, so the stream draws as before): it sells nothing."""
    if not plan.spike_start <= day <= plan.spike_end:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    rng = np.random.default_rng(np.random.SeedSequence([seed, 41, day]))
    ramp = min(1.0, (day - plan.spike_start + 1) / 2)
    lam = _expected_sales(world)[:, plan.spike_line] * calendar.demand_factor(day)
    lam = np.where(world.is_gap[day], 0.0, lam)  # no delivery to a dealer in a supply gap
    extra = rng.poisson(lam * (plan.spike_multiplier - 1.0) * ramp)
    if day >= plan.slow_start and plan.stopped.size:
        extra = np.where(plan.stopped[:, plan.spike_line], 0, extra)
    dealer = np.repeat(np.arange(world.n_dealers), extra)
    return dealer, np.full(len(dealer), plan.spike_line), np.ones(len(dealer), dtype=np.int64)


HELD_RETAIL, HELD_INVOICES = 42, 46  # the streams of ``held``: the retail rows, the accounts' invoices


def held(seed: int, plan: KpiPlan, day: int, dealer: np.ndarray, purpose: int = HELD_RETAIL) -> np.ndarray:
    """Per retail row of the day: a delivery of a drop dealer held from the start date. The accounts' invoices
    are held the same way from a stream of their own (``HELD_INVOICES``: the account's order is won all the
    same, its invoice does not come), so the retail rows' draws are as before."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, purpose, day]))
    u = rng.random(len(dealer))
    return (day >= plan.drop_start) & np.isin(dealer, plan.drop_dealers) & (u < HOLD_Q)


def walk_in_values(seed: int, day: int, ppl: np.ndarray) -> np.ndarray:
    """Invoice value of sales without an opportunity: the list price less a discount of up to 8 %."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 43, day]))
    discount = rng.uniform(0.0, MAX_DISCOUNT, size=len(ppl))
    return np.rint(PRICE_INR[ppl] * (1.0 - discount) / 100.0).astype(np.int64) * 100


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    out, current = [], first.replace(day=1)
    while current <= last:
        out.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return out


def targets_file(seed: int, world: World, calendar: Calendar) -> FileOut:
    """Monthly targets per dealer and product line for every month the data touches: expected sales of the
    month (weekday rhythm and season included) stretched by 0 to 15 %, rounded; value at 96 % of list price."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 44]))
    sales = _expected_sales(world)
    codes = world.dealer_codes()
    rows: list[list[str]] = [TARGETS_HEADER]
    for start in _month_starts(calendar.start_date, calendar.end_date):
        n_days = months.monthrange(start.year, start.month)[1]
        factor = sum(
            WEEKDAY_FACTOR[(start + dt.timedelta(days=i)).weekday()] * season_factor(start + dt.timedelta(days=i))
            for i in range(n_days)
        )
        stretch = rng.uniform(*TARGET_STRETCH, size=sales.shape)
        units = np.maximum(np.rint(sales * factor * stretch), 1).astype(np.int64)
        value = units * np.rint(PRICE_INR * 0.96).astype(np.int64)[None, :]
        for d in range(world.n_dealers):
            for p in range(len(PRODUCT_LINES)):
                rows.append(
                    [f"{start:%Y-%m}", str(codes[d]), str(PRODUCT_LINES[p]), str(units[d, p]), str(value[d, p])]
                )
    return FileOut(TARGETS_PATH, render_csv(rows), len(rows) - 1)


def festive_peak(calendar: Calendar) -> tuple[dt.date, float, float] | None:
    """The festive bump (the largest positive one) whose peak lies nearest the data, if within its reach."""
    month, mday, amplitude, width = max(SEASONAL_BUMPS, key=lambda b: b[2])
    candidates = [dt.date(y, month, mday) for y in (calendar.start_date.year, calendar.end_date.year)]
    for peak in candidates:
        if (
            calendar.start_date - dt.timedelta(days=int(2 * width))
            <= peak
            <= calendar.end_date + dt.timedelta(days=int(2 * width))
        ):
            return peak, amplitude, width
    return None


def events_csv(plan: KpiPlan, world: World, calendar: Calendar) -> str:
    """``kpi_events.csv``: the planted KPI events, named as the pipeline names them."""
    iso, codes = calendar.iso, world.dealer_codes()
    end = str(iso[calendar.days - 1])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    dealers = " ".join(codes[plan.drop_dealers].tolist())
    writer.writerow(
        ("retail_drop", "district", plan.drop_place, "", dealers, iso[plan.drop_start], end, "below",
         f"{HOLD_Q:.0%} of the two dealers' deliveries held")
    )  # fmt: skip
    line = str(PRODUCT_LINES[plan.spike_line])
    writer.writerow(
        ("product_spike", "product_line", line, line, "", iso[plan.spike_start], iso[plan.spike_end], "above",
         f"sells {plan.spike_multiplier:.2f} times its normal (half of it on the first day)")
    )  # fmt: skip
    peak = festive_peak(calendar)
    if peak is not None:
        day, amplitude, width = peak
        writer.writerow(
            ("festive", "company", "All", "", "", (day - dt.timedelta(days=int(width))).isoformat(),
             (day + dt.timedelta(days=int(width))).isoformat(), "above",
             f"leads up to {amplitude:.0%} above normal around {day.isoformat()} (Navratri, Dussehra, Diwali)")
        )  # fmt: skip
    for dealer, product in plan.slow_pairs:
        writer.writerow(
            ("slow_moving", "dealer_product_line", str(codes[dealer]), str(PRODUCT_LINES[product]), str(codes[dealer]),
             iso[plan.slow_start], end, "none", "no sale from the start date: walk-ins stop, would-be wins are lost")
        )  # fmt: skip
    return buffer.getvalue()


def day_retail(
    seed: int,
    plan: KpiPlan,
    world: World,
    calendar: Calendar,
    day: int,
    sold: DaySupply,
    won_value: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The day's retail rows (dealer, product line, units, opportunity, value): the supply's sales (won deals
    first, at their deal value times units, then walk-ins), plus the spike's deliveries, less the held ones."""
    walk_ppl = sold.retail_ppl[len(won_value) :].astype(np.int64)
    spike_dealer, spike_ppl, spike_qty = spike_sales(seed, plan, world, calendar, day)
    values = walk_in_values(seed, day, np.concatenate([walk_ppl, spike_ppl]).astype(np.int64))
    dealer = np.concatenate([sold.retail_dealer, spike_dealer]).astype(np.int32)
    ppl = np.concatenate([sold.retail_ppl, spike_ppl]).astype(np.int8)
    qty = np.concatenate([sold.retail_qty, spike_qty]).astype(np.int32)
    opty = np.concatenate([sold.retail_opty, np.zeros(len(spike_dealer), dtype=np.int64)])
    value = np.concatenate([won_value.astype(np.int64), values])
    keep = ~held(seed, plan, day, dealer)
    return dealer[keep], ppl[keep], qty[keep], opty[keep], value[keep]
