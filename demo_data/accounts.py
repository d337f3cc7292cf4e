"""Repeat-buying accounts: fleet operators and institutions that buy vehicles again and again, each on a cadence
of its own, with an account master, years of invoice history, and planted truth for the account analytics.

What is planted (``accounts.csv`` and ``account_pairs.csv`` in the truth folder):
- **churn**: an account stops buying after a lifetime drawn with a constant hazard (12% a year), at any time in
  its history (its cadence stops); by the end date about a quarter of them have stopped;
- **sentiment**: most churners whose stop falls in (or just before) the data range turn negative first: from
  30 to 90 days before the stop their calls go unanswered more often and their notes complain, and after it
  they enquire once more and are lost to a competitor or on price. A few accounts that keep buying have a
  negative spell too (noise);
- **affinity**: two product-line pairs (A -> B): most accounts whose main line is A also buy B.

The accounts live beside the rest of the generator, not in it: every draw comes from streams of their own
(purposes 60 and 61), their opportunities, calls and journey events are rendered by a renderer of their own
(ids ``OPTY9...``, ``CL9...``, ``EV9...``, ``INV9...``) and appended, clean, after the day's other rows, and their
deliveries come from the depot (dealer stock does not move). So the other sources' rows, the planted bad
records and every earlier truth are what they were without accounts; only the new columns (Account ID, Notes,
Invoice Value) are new on them. Accounts buy at dealers away from the planted hotspots and win-rate drivers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from demo_data.corrupt import render_csv
from demo_data.drivers import PRICE_INR, DriverPlan
from demo_data.leads import Leads
from demo_data.messy import FileOut
from demo_data.render import Table, ids
from demo_data.rhythm import Calendar
from demo_data.vocab import (
    ANSWERED,
    COLD,
    FIRST_NAMES,
    FLEET,
    FLEET_TEMPLATES,
    HOT,
    INSTITUTION,
    INSTITUTION_TEMPLATES,
    LIVE,
    LOST,
    NOT_CONNECTED_P,
    PRODUCT_LINES,
    RETAIL_HEADER,
    SEGMENTS,
    SURNAMES,
    WARM,
    WON,
)
from demo_data.world import World

OPTY_BASE = 90_000_000  # account opportunities: OPTY9xxxxxxx, never met by the other opportunities' numbers
CALL_BASE = 900_000_000
EVENT_BASE = 900_000_000
INVOICE_BASE = 90_000_000
MASTER_PATH = "account_master/accounts.csv"
MASTER_HEADER = ["Account ID", "Account Name", "Segment", "Region", "Home Dealer"]
HISTORY_PATH = "dms_retail/retail_history.csv"  # invoices before the data range, delivered once
REGIONS = {"Maharashtra": "West", "Gujarat": "West", "Madhya Pradesh": "Central", "Karnataka": "South"}


@dataclass(frozen=True)
class AccountScale:
    accounts: int
    history_days: int  # days of invoice history before the end date (the data range included)


ACCOUNT_SCALES = {
    "small": AccountScale(40, 730),
    "medium": AccountScale(1500, 1095),
    "large": AccountScale(6000, 1095),
}
FLEET_SHARE = 0.75
CADENCE_MEDIAN = {FLEET: 70.0, INSTITUTION: 140.0}  # days between orders, per account lognormal around these
CADENCE_SD = 0.4
ANNUAL_CHURN = 0.12  # the chance a buying account stops within a year (a constant hazard: lifetimes are exponential)
NEGATIVE_SHARE = 0.6  # of the churners whose stop is in the range (or NEGATIVE_REACH days before it)
NEGATIVE_REACH = 30
NEGATIVE_LEAD = (30, 90)  # days before the stop that their calls turn negative
NOISE_SHARE = 0.06  # accounts that keep buying but have a negative spell of NOISE_DAYS
NOISE_DAYS = 45
ADOPT_P = 0.7  # an account whose main line is a planted antecedent also buys its consequent
BACKGROUND_ADOPT_P = 0.25  # any other account buys a second line (any other)
LOST_ENQUIRY_P = 0.08  # an order is preceded by an enquiry that is lost (price, postponed)
LEAD_DAYS = (6, 24)  # an order's opportunity is created this many days before the invoice

# Call notes as a dialer's agents type them; the sentiment lexicon (conf) scores them. The contact notes carry a
# (fake) name and number, which the optional LLM classifier must never see (gold/account_sentiment.py).
NOTES_POSITIVE = (
    "Happy with the last delivery, wants two more vehicles next quarter",
    "Fleet expanding, discussing a new order",
    "Satisfied with the service, repeat order likely",
    "Confirmed the order, arranging finance",
    "Very happy with mileage, asked for a quotation",
)
NOTES_NEUTRAL = (
    "Asked for the updated price list",
    "Will call back next week",
    "Discussed delivery timeline",
    "Sent the quotation by email",
    "Spoke to Mr Suresh Patil, call back on 9876543210",
    "Manager Ramesh Joshi asked to call on 9822012345 after 5 pm",
)
NOTES_NEGATIVE = (
    "Complained about service delays at the workshop",
    "Unhappy with after-sales support, considering another brand",
    "Says the competitor offered a better price",
    "Breakdown issues on two vehicles, very dissatisfied",
    "Not planning to buy this year, budget cut",
    "Angry about the delayed delivery of the last order",
)
NOTES = np.array([*NOTES_POSITIVE, *NOTES_NEUTRAL, *NOTES_NEGATIVE], dtype=object)
_POS = np.arange(len(NOTES_POSITIVE))
_NEU = len(NOTES_POSITIVE) + np.arange(len(NOTES_NEUTRAL))
_NEG = len(NOTES_POSITIVE) + len(NOTES_NEUTRAL) + np.arange(len(NOTES_NEGATIVE))
NOTE_P = {False: (0.45, 0.47, 0.08), True: (0.05, 0.35, 0.60)}  # (positive, neutral, negative) by is_negative
CONNECT_P = {False: 0.85, True: 0.45}


@dataclass
class AccountPlan:
    """The accounts, their order lines (history and future), and their opportunities with calls."""

    codes: np.ndarray
    names: np.ndarray
    phones: np.ndarray
    segment: np.ndarray  # FLEET or INSTITUTION
    dealer: np.ndarray
    cadence: np.ndarray
    primary: np.ndarray
    cross: np.ndarray  # second line (-1: none)
    churn_day: np.ndarray  # first day without orders (NEVER: keeps buying)
    negative_from: np.ndarray  # calls negative from this day (NEVER: no planted turn)
    noise_from: np.ndarray
    pairs: list[tuple[int, int]]
    history_start: int  # day index (negative: before the data range)
    # order lines: one row per account, order day and product line
    line_account: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    line_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    line_ppl: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    line_units: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    line_value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per vehicle
    opps: dict[str, np.ndarray] = field(default_factory=dict)  # the account opportunities, by creation day
    calls: dict[str, np.ndarray] = field(default_factory=dict)  # their calls, by opportunity
    direct: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # lines invoiced without one

    def __len__(self) -> int:
        return len(self.codes)


NEVER = 1_000_000


def _rng(seed: int, purpose: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, purpose]))


def _eligible_dealers(world: World, drivers: DriverPlan) -> np.ndarray:
    """Dealers away from the planted hotspots, the drop and the competitor districts."""
    hot = {spot.taluka_index for spot in world.hotspots}
    ok = ~np.isin(world.dealer_taluka, list(hot)) & ~drivers.drop_dealers & ~drivers.comp_dealers
    found = np.flatnonzero(ok)
    return found if len(found) else np.arange(world.n_dealers)


def _names(rng: np.random.Generator, segment: np.ndarray, taluka: np.ndarray) -> np.ndarray:
    fleet = [t.format(f=f, s=s) for t in FLEET_TEMPLATES for f in FIRST_NAMES[:10] for s in SURNAMES]
    inst = [t.format(s=s) for t in INSTITUTION_TEMPLATES for s in SURNAMES]
    pick_f = rng.integers(len(fleet), size=len(segment))
    pick_i = rng.integers(len(inst), size=len(segment))
    base = np.where(segment == FLEET, np.array(fleet, dtype=object)[pick_f], np.array(inst, dtype=object)[pick_i])
    return np.array([f"{b} ({t})" for b, t in zip(base.tolist(), taluka.tolist(), strict=True)], dtype=object)


def plan_accounts(seed: int, world: World, calendar: Calendar, scale: str, drivers: DriverPlan) -> AccountPlan:
    """Accounts, their orders from the start of the history to 200 days past the end, and what is planted."""
    spec = ACCOUNT_SCALES[scale]
    rng = _rng(seed, 60)
    days = calendar.days
    n = spec.accounts
    history_start = days - spec.history_days
    segment = np.where(rng.random(n) < FLEET_SHARE, FLEET, INSTITUTION).astype(np.int8)
    eligible = _eligible_dealers(world, drivers)
    weights = world.dealer_rate[eligible] / world.dealer_rate[eligible].sum()
    dealer = eligible[rng.choice(len(eligible), size=n, p=weights)]
    median = np.array([CADENCE_MEDIAN.get(int(s), 100.0) for s in segment])
    cadence = np.clip(rng.lognormal(np.log(median), CADENCE_SD), 25.0, 365.0)
    shape = rng.uniform(2.5, 7.0, size=n)
    units_mean = np.where(segment == FLEET, rng.uniform(0.2, 1.5, size=n), rng.uniform(0.0, 0.6, size=n))
    cum_mix = np.cumsum(world.dealer_mix[dealer], axis=1)
    primary = np.minimum((rng.random(n)[:, None] > cum_mix).sum(axis=1), len(PRODUCT_LINES) - 1).astype(np.int8)
    order = rng.permutation(len(PRODUCT_LINES))
    pairs = [(int(order[0]), int(order[1])), (int(order[2]), int(order[3]))]
    cross = np.full(n, -1, dtype=np.int8)
    cross_p = rng.uniform(0.3, 0.6, size=n)
    u_adopt, u_other = rng.random(n), rng.integers(1, len(PRODUCT_LINES), size=n)
    for a in range(n):
        planted = [b for x, b in pairs if x == primary[a]]
        if planted and u_adopt[a] < ADOPT_P:
            cross[a] = planted[0]
        elif not planted and u_adopt[a] < BACKGROUND_ADOPT_P or planted and u_adopt[a] > 1 - BACKGROUND_ADOPT_P:
            cross[a] = (primary[a] + u_other[a]) % len(PRODUCT_LINES)
    is_old = rng.random(n) < 0.65
    born = np.where(
        is_old,
        history_start - rng.random(n) * cadence * 2,
        rng.uniform(history_start, days - 150, size=n),
    )
    # each account stops buying after an exponential lifetime counted from the start of the history (or its
    # birth), with at least one order before it; stops past the end are kept (they are not churners by then)
    lifetime = rng.exponential(365.0 / -np.log(1.0 - ANNUAL_CHURN), size=n)
    churn_day = np.floor(np.maximum(born, history_start) + lifetime).astype(np.int64)
    first_order = np.where(is_old, history_start, np.ceil(born))
    churn_day = np.where(churn_day <= first_order + 1, first_order + 2, churn_day)
    churn_day = np.where(churn_day > days + 365, NEVER, churn_day)
    negative = (churn_day < days) & (churn_day >= -NEGATIVE_REACH) & (rng.random(n) < NEGATIVE_SHARE)
    negative_from = np.where(negative, churn_day - rng.integers(*NEGATIVE_LEAD, size=n), NEVER)
    noisy = (churn_day == NEVER) & (rng.random(n) < NOISE_SHARE)
    noise_from = np.where(noisy, rng.integers(0, max(1, days - 30), size=n), NEVER)

    line_rows: list[tuple[int, int, int, int, int]] = []
    for a in range(n):
        t = float(born[a]) if not is_old[a] else float(born[a]) + rng.gamma(shape[a], cadence[a] / shape[a])
        stop = min(int(churn_day[a]), days + 200)
        while t < stop:
            day = int(np.floor(t))
            if day >= history_start:
                units = 1 + int(rng.poisson(units_mean[a]))
                line_rows.append((a, day, int(primary[a]), units, _unit_value(rng, int(primary[a]))))
                if cross[a] >= 0 and rng.random() < cross_p[a]:
                    extra = 1 + int(rng.poisson(units_mean[a] / 2))
                    line_rows.append((a, day, int(cross[a]), extra, _unit_value(rng, int(cross[a]))))
            t += max(7.0, rng.gamma(shape[a], cadence[a] / shape[a]))
    lines = np.array(line_rows, dtype=np.int64).reshape(-1, 5)
    taluka = np.array([world.talukas[i].taluka for i in world.dealer_taluka[dealer].tolist()], dtype=object)
    plan = AccountPlan(
        codes=np.array([f"ACC{i + 1:05d}" for i in range(n)], dtype=object),
        names=_names(rng, segment, taluka),
        phones=(np.array([9, 8, 7])[rng.integers(3, size=n)] * 1_000_000_000 + rng.integers(0, 10**9, size=n)),
        segment=segment,
        dealer=dealer.astype(np.int32),
        cadence=cadence,
        primary=primary,
        cross=cross,
        churn_day=churn_day.astype(np.int64),
        negative_from=negative_from.astype(np.int64),
        noise_from=noise_from.astype(np.int64),
        pairs=pairs,
        history_start=history_start,
        line_account=lines[:, 0].astype(np.int32),
        line_day=lines[:, 1].astype(np.int32),
        line_ppl=lines[:, 2].astype(np.int8),
        line_units=lines[:, 3].astype(np.int32),
        line_value=lines[:, 4],
    )
    _plan_opportunities(seed, plan, days, drivers)
    return plan


def _unit_value(rng: np.random.Generator, ppl: int) -> int:
    return int(round(PRICE_INR[ppl] * (1.0 - rng.uniform(0.0, 0.08)) / 100.0) * 100)


def _is_negative(plan: AccountPlan, account: np.ndarray, day: np.ndarray) -> np.ndarray:
    turned = day >= plan.negative_from[account]
    spell = (day >= plan.noise_from[account]) & (day < plan.noise_from[account] + NOISE_DAYS)
    return np.asarray(turned | spell)


def _plan_opportunities(seed: int, plan: AccountPlan, days: int, drivers: DriverPlan) -> None:
    """One won opportunity per order line created 6-24 days before it (orders whose opportunity would start
    before the data range are invoiced without one), an enquiry lost now and then, one lost after a planted
    negative turn; their stages, calls (with notes) and journey."""
    rng = _rng(seed, 61)
    in_range = plan.line_day >= 0
    line_index = np.flatnonzero(in_range)
    order_key = plan.line_account[line_index].astype(np.int64) * 10_000_000 + plan.line_day[line_index]
    _, order_of_line = np.unique(order_key, return_inverse=True)
    lead_days = rng.integers(LEAD_DAYS[0], LEAD_DAYS[1] + 1, size=order_of_line.max() + 1 if len(line_index) else 0)
    lag = lead_days[order_of_line] if len(line_index) else np.zeros(0, np.int64)
    created = plan.line_day[line_index] - lag
    has_opp = (created >= 0) & (created < days)
    plan.direct = line_index[(created < 0) & (plan.line_day[line_index] < days)]
    won_lines = line_index[has_opp]
    won_created, won_close = created[has_opp], lag[has_opp]
    # lost enquiries: before some orders (price, postponed), and once after a planted negative turn
    before = line_index[rng.random(len(line_index)) < LOST_ENQUIRY_P]
    before_created = plan.line_day[before] - rng.integers(25, 61, size=len(before))
    negative = np.flatnonzero(plan.negative_from < NEVER)
    after_created = plan.churn_day[negative] + rng.integers(3, 31, size=len(negative))
    lost_account = np.concatenate([plan.line_account[before], negative]).astype(np.int32)
    lost_created = np.concatenate([before_created, after_created])
    lost_ppl = np.concatenate([plan.line_ppl[before], plan.primary[negative]]).astype(np.int8)
    lost_close = rng.integers(8, 31, size=len(lost_account))
    keep = (lost_created >= 0) & (lost_created < days)
    lost_account, lost_created, lost_ppl, lost_close = (
        lost_account[keep], lost_created[keep], lost_ppl[keep], lost_close[keep]
    )  # fmt: skip
    is_after = np.concatenate([np.zeros(len(before), bool), np.ones(len(negative), bool)])[keep]

    account = np.concatenate([plan.line_account[won_lines], lost_account]).astype(np.int32)
    n = len(account)
    converts = np.arange(n) < len(won_lines)
    order = np.lexsort((account, np.concatenate([won_created, lost_created])))
    created_all = np.concatenate([won_created, lost_created])[order].astype(np.int32)
    account = account[order]
    converts = converts[order]
    close_off = np.concatenate([won_close, lost_close])[order].astype(np.int32)
    ppl = np.concatenate([plan.line_ppl[won_lines], lost_ppl])[order].astype(np.int8)
    units = np.concatenate([plan.line_units[won_lines], np.ones(len(lost_account), np.int32)])[order]
    value = np.concatenate([plan.line_value[won_lines], [_unit_value(rng, int(p)) for p in lost_ppl]])[order]
    after = np.concatenate([np.zeros(len(won_lines), bool), is_after])[order]
    cls = np.where(converts, rng.choice([HOT, LIVE, WARM], size=n, p=[0.4, 0.35, 0.25]),
                   rng.choice([WARM, COLD], size=n)).astype(np.int8)  # fmt: skip
    reached = np.where(converts, 3, rng.integers(0, 3, size=n)).astype(np.int8)
    u = np.sort(rng.random((n, 3)), axis=1)
    stage_off = (np.floor(u * np.maximum(close_off[:, None] - 3, 1)).astype(np.int32) + np.arange(1, 4)).astype(
        np.int32
    )
    reason = np.where(converts, -1, np.where(after, rng.choice([3, 1], size=n, p=[0.7, 0.3]),
                                             rng.choice([1, 4], size=n))).astype(np.int8)  # fmt: skip
    rival = np.where(reason == 3, rng.integers(0, 4, size=n), -1).astype(np.int8)
    reps = []
    for a in account.tolist():
        candidates = [r for r in drivers.dealer_reps[int(plan.dealer[a])].tolist() if r != drivers.erratic_rep]
        reps.append(candidates[0] if candidates else int(drivers.dealer_reps[int(plan.dealer[a])][0]))
    plan.opps = {
        "account": account,
        "created": created_all,
        "sec": rng.integers(9 * 3600, 19 * 3600, size=n).astype(np.int32),
        "close_off": close_off,
        "close_sec": rng.integers(34_200, 68_400, size=n).astype(np.int32),
        "converts": converts,
        "reached": reached,
        "stage_off": stage_off,
        "stage_sec": rng.integers(34_200, 68_400, size=(n, 3)).astype(np.int32),
        "ppl": ppl,
        "units": units.astype(np.int32),
        "value": value.astype(np.int64),
        "cls": cls,
        "reason": reason,
        "rival": rival,
        "rep": np.array(reps, dtype=np.int32),
        "source": np.where(rng.random(n) < 0.7, 0, 5).astype(np.int8),  # showroom or financier
        "opty": OPTY_BASE + 1 + np.arange(n, dtype=np.int64),
    }
    _plan_calls(rng, plan)


def _plan_calls(rng: np.random.Generator, plan: AccountPlan) -> None:
    o = plan.opps
    n = len(o["account"])
    count = 2 + rng.poisson(1.0, size=n)
    opp = np.repeat(np.arange(n), count)
    off = (rng.random(len(opp)) * o["close_off"][opp]).astype(np.int32)
    off = np.concatenate([off, o["close_off"]])  # one call on the closing day, before the closing
    opp = np.concatenate([opp, np.arange(n)])
    sec = np.select(
        [off == o["close_off"][opp], off == 0],
        [
            np.maximum(o["close_sec"][opp] - rng.integers(300, 1800, size=len(opp)), 32_400),
            np.minimum(o["sec"][opp] + rng.integers(300, 5400, size=len(opp)), 75_600),
        ],
        rng.integers(9 * 3600 + 1800, 19 * 3600, size=len(opp)),
    ).astype(np.int32)
    day = o["created"][opp] + off
    negative = _is_negative(plan, o["account"][opp], day)
    connect_p = np.where(negative, CONNECT_P[True], CONNECT_P[False])
    connected = rng.random(len(opp)) < connect_p
    missed = 1 + np.searchsorted(np.cumsum(NOT_CONNECTED_P), rng.random(len(opp)), side="right")
    outcome = np.where(connected, ANSWERED, np.minimum(missed, 4)).astype(np.int8)
    talk = np.clip(rng.lognormal(np.where(negative, np.log(70.0), np.log(150.0)), 0.5), 15, 1800)
    duration = np.where(connected, talk, np.where(outcome == 4, rng.integers(3, 21, size=len(opp)), 0))
    u = rng.random(len(opp))
    p_pos = np.where(negative, NOTE_P[True][0], NOTE_P[False][0])
    p_neu = np.where(negative, NOTE_P[True][1], NOTE_P[False][1])
    kind = np.where(u < p_pos, 0, np.where(u < p_pos + p_neu, 1, 2))
    pick = rng.random(len(opp))
    note = np.select(
        [kind == 0, kind == 1],
        [_POS[(pick * len(_POS)).astype(int)], _NEU[(pick * len(_NEU)).astype(int)]],
        _NEG[(pick * len(_NEG)).astype(int)],
    )
    note = np.where(connected, note, -1).astype(np.int16)
    gap = rng.integers(2, 5, size=len(opp))
    followup = np.where(connected & (off + gap < o["close_off"][opp]), off + gap, -1).astype(np.int32)
    order = np.lexsort((sec, off, opp))
    plan.calls = {
        "opp": opp[order].astype(np.int64),
        "off": off[order],
        "sec": sec[order],
        "duration": duration[order].astype(np.int32),
        "outcome": outcome[order],
        "note": note[order],
        "followup_off": followup[order],
    }


def day_batch(plan: AccountPlan, day: int) -> tuple[Leads, dict[str, dict[str, np.ndarray]]]:
    """The account opportunities created on ``day`` as a Leads chunk and their events (the generator's format)."""
    o = plan.opps
    index = np.flatnonzero(o["created"] == day)
    n = len(index)
    a = o["account"][index]
    leads = Leads(
        day=day,
        opty=o["opty"][index],
        dealer=plan.dealer[a],
        ppl=o["ppl"][index],
        cls=o["cls"][index],
        segment=plan.segment[a],
        enquiry=np.full(n, 2, dtype=np.int8),  # REPEAT
        created_sec=o["sec"][index],
        expected_closure=(day + o["close_off"][index]).astype(np.int32),
        name=a.astype(np.int64),  # into the account names
        mobile=plan.phones[a],
        has_stock=np.ones(n, bool),
        interest=np.zeros(n),
        rep=o["rep"][index],
        source=o["source"][index],
        value=o["value"][index],
        reason=o["reason"][index],
        rival=o["rival"][index],
        account=a,
    )
    local = np.full(len(o["account"]), -1, dtype=np.int64)
    local[index] = np.arange(n)
    c = plan.calls
    take = np.flatnonzero(local[c["opp"]] >= 0)
    call_lead = local[c["opp"][take]].astype(np.int32)
    follow = c["followup_off"][take]
    close_off, converts = o["close_off"][index], o["converts"][index]
    reached = o["reached"][index]
    stage_off, stage_sec = o["stage_off"][index], o["stage_sec"][index]
    idx = np.arange(n, dtype=np.int32)
    parts = [(idx, np.zeros(n, np.int32), np.zeros(n, np.int32), o["sec"][index])]
    for k in range(3):
        hit = reached > k
        parts.append((idx[hit], stage_off[hit, k], np.full(int(hit.sum()), k + 1), stage_sec[hit, k]))
    parts.append((idx, close_off, np.where(converts, WON, LOST), o["close_sec"][index]))
    won = np.flatnonzero(converts).astype(np.int32)
    events: dict[str, dict[str, np.ndarray]] = {
        "lead": {
            "lead": np.concatenate([p[0] for p in parts]).astype(np.int32),
            "day": (day + np.concatenate([p[1] for p in parts])).astype(np.int32),
            "stage": np.concatenate([p[2] for p in parts]).astype(np.int8),
            "sec": np.concatenate([p[3] for p in parts]).astype(np.int32),
        },
        "call": {
            "lead": call_lead,
            "day": (day + c["off"][take]).astype(np.int32),
            "sec": c["sec"][take],
            "duration": c["duration"][take],
            "outcome": c["outcome"][take],
            "followup": np.where(follow >= 0, day + follow, -1).astype(np.int32),
            "note": c["note"][take],
        },
        "journey": _journey(
            idx, close_off, converts, reached, stage_off, stage_sec, o["sec"][index], o["close_sec"][index], day
        ),  # fmt: skip
        "won": {"lead": won, "day": (day + close_off[won]).astype(np.int32), "qty": o["units"][index][won]},
    }
    return leads, events


def _journey(
    idx: np.ndarray,
    close_off: np.ndarray,
    converts: np.ndarray,
    reached: np.ndarray,
    stage_off: np.ndarray,
    stage_sec: np.ndarray,
    created_sec: np.ndarray,
    close_sec: np.ndarray,
    day: int,
) -> dict[str, np.ndarray]:
    n = len(idx)
    specs = [  # (mask, day offset, second, event): enquiry, quotation, booking, invoice or lost
        (np.ones(n, bool), np.zeros(n, np.int32), created_sec, 0),
        (reached >= 2, stage_off[:, 1], stage_sec[:, 1], 3),
        (reached >= 3, stage_off[:, 2], stage_sec[:, 2], 5),
        (converts, close_off, close_sec, 6),
        (~converts, close_off, close_sec, 7),
    ]
    return {
        "lead": np.concatenate([idx[m] for m, _, _, _ in specs]).astype(np.int32),
        "day": (day + np.concatenate([o[m] for m, o, _, _ in specs])).astype(np.int32),
        "sec": np.concatenate([s[m] for m, _, s, _ in specs]).astype(np.int32),
        "event": np.concatenate([np.full(int(m.sum()), e) for m, _, _, e in specs]).astype(np.int8),
    }


def delivery_pairs(plan: AccountPlan) -> set[tuple[int, int]]:
    """The (dealer, product line) pairs where the accounts take deliveries within the data range."""
    current = plan.line_day >= 0
    dealers, lines = plan.dealer[plan.line_account[current]], plan.line_ppl[current]
    return set(zip(dealers.tolist(), lines.tolist(), strict=True))


def direct_invoices(plan: AccountPlan, day: int) -> np.ndarray:
    """Order lines invoiced on ``day`` without an opportunity (theirs would have started before the range)."""
    return plan.direct[plan.line_day[plan.direct] == day]


def master_file(plan: AccountPlan, world: World) -> FileOut:
    """The account master: id, name, segment (as the CRM spells it), region and home dealer."""
    codes = world.dealer_codes()
    states = world.dealer_places()[2]
    rows = [
        [plan.codes[a], plan.names[a], SEGMENTS[plan.segment[a]], REGIONS.get(states[plan.dealer[a]], "Other"),
         codes[plan.dealer[a]]]
        for a in range(len(plan))
    ]  # fmt: skip
    return FileOut(MASTER_PATH, render_csv([MASTER_HEADER, *rows]), len(rows))


def history_file(plan: AccountPlan, world: World, calendar: Calendar) -> FileOut:
    """Every account invoice before the data range, in the retail export's format (one delivery)."""
    codes = world.dealer_codes()
    past = np.flatnonzero(plan.line_day < 0)
    past = past[np.lexsort((plan.line_account[past], plan.line_day[past]))]
    rows = []
    for k, i in enumerate(past.tolist(), start=1):
        date = calendar.start_date + dt.timedelta(days=int(plan.line_day[i]))
        units = int(plan.line_units[i])
        rows.append([
            f"INVH{k:07d}", codes[plan.dealer[plan.line_account[i]]], date.isoformat(),
            PRODUCT_LINES[plan.line_ppl[i]], str(units), "", plan.codes[plan.line_account[i]],
            str(units * int(plan.line_value[i])),
        ])  # fmt: skip
    return FileOut(HISTORY_PATH, render_csv([list(RETAIL_HEADER), *rows]), len(rows))


def invoice_rows(plan: AccountPlan, day: int, won: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The day's account invoices: the won account opportunities due today and the direct invoices."""
    direct = direct_invoices(plan, day)
    empty = np.zeros(0, np.int64)
    return {
        "dealer": np.concatenate([won.get("dealer", empty), plan.dealer[plan.line_account[direct]]]).astype(np.int32),
        "ppl": np.concatenate([won.get("ppl", empty), plan.line_ppl[direct]]).astype(np.int8),
        "qty": np.concatenate([won.get("qty", empty), plan.line_units[direct]]).astype(np.int32),
        "opty": np.concatenate([won.get("opty", empty), np.zeros(len(direct), np.int64)]),
        "value": np.concatenate(
            [won.get("value", empty) * won.get("qty", empty), plan.line_value[direct] * plan.line_units[direct]]
        ),  # fmt: skip
        "account": np.concatenate([won.get("account", empty), plan.line_account[direct]]).astype(np.int64),
    }


def empty_table(header: tuple[str, ...], is_jsonl: bool = False) -> Table:
    return Table(header, [[] for _ in header], [], is_jsonl)


def opportunity_ids(plan: AccountPlan) -> list[str]:
    return ids("OPTY", plan.opps["opty"], 8)


ACCOUNT_TRUTH_COLUMNS = (
    "account_id", "segment", "home_dealer", "cadence_days", "primary_line", "cross_line", "first_purchase_date",
    "last_purchase_date", "purchases", "is_churner", "churn_date", "turns_negative", "negative_from",
    "negative_spell_from", "next_purchase_date",
)  # fmt: skip
PAIR_COLUMNS = ("antecedent", "consequent", "adopt_p", "accounts_with_antecedent", "adopters")
CANONICAL_SEGMENT = {FLEET: "Fleet", INSTITUTION: "Institutional"}


def account_rows(plan: AccountPlan, calendar: Calendar, dealer_codes: np.ndarray) -> list[tuple[str, ...]]:
    """One truth row per account: its cadence and lines, purchases up to the end date, whether it churned by the
    end date and its stop (the first day without orders; a stop after the end date is planned but not yet
    churn), the negative turn before it, a negative spell without churn, and the first order planned after the
    end date (empty when none within 200 days)."""
    days = calendar.days

    def iso(day: int) -> str:
        return (calendar.start_date + dt.timedelta(days=int(day))).isoformat()

    rows: list[tuple[str, ...]] = []
    for a in range(len(plan)):
        mine = np.unique(plan.line_day[plan.line_account == a])
        seen, after = mine[mine < days], mine[mine >= days]
        churn, negative, spell = int(plan.churn_day[a]), int(plan.negative_from[a]), int(plan.noise_from[a])
        rows.append((
            str(plan.codes[a]), CANONICAL_SEGMENT[int(plan.segment[a])], str(dealer_codes[plan.dealer[a]]),
            f"{plan.cadence[a]:.1f}", str(PRODUCT_LINES[plan.primary[a]]),
            str(PRODUCT_LINES[plan.cross[a]]) if plan.cross[a] >= 0 else "",
            iso(seen[0]) if len(seen) else "", iso(seen[-1]) if len(seen) else "", str(len(seen)),
            "true" if churn < days else "false", iso(churn) if churn < NEVER else "",
            "true" if negative < NEVER else "false", iso(negative) if negative < NEVER else "",
            iso(spell) if spell < NEVER else "", iso(after[0]) if len(after) else "",
        ))  # fmt: skip
    return rows


def pair_rows(plan: AccountPlan) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for antecedent, consequent in plan.pairs:
        holders = plan.primary == antecedent
        rows.append((
            str(PRODUCT_LINES[antecedent]), str(PRODUCT_LINES[consequent]), f"{ADOPT_P:.2f}",
            str(int(holders.sum())), str(int((holders & (plan.cross == consequent)).sum())),
        ))  # fmt: skip
    return rows
