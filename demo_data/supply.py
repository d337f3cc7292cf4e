"""Dealer stock and retail: stock depletes with sales and is replenished in batches after a lead time.

Per dealer and product line the dealer reorders a batch when saleable stock falls to its reorder point; the
batch arrives some days later. A sale due when the shelf is empty is covered by a same-day transfer from the
depot, so stock never goes negative. Supply-gap hotspots hold all their stock (saleable 0, no arrivals, no
sales) during the stretch; the held stock becomes saleable again the day after it. Selling hotspots sell a
share of their extra enquiries off the shelf (``SHELF_SHARE``), drawn from a generator of their own so that
every other dealer's draws stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_data.rhythm import Calendar
from demo_data.world import World

EXPECTED_CONVERSION = 0.15  # used only to size batches and reorder points
# A hotspot that is selling (no supply gap) sells off the shelf too: this share of its extra enquiries of a day
# buy a unit from stock that day (cash buyers and fleet top-ups a surge brings), on top of the walk-ins that
# rise with the multiplier. It is what makes the surge's retail rise within days, not weeks.
SHELF_SHARE = 0.25


@dataclass
class DaySupply:
    """One day's retail (invoices) and the closing stock snapshot (dealers x product lines)."""

    retail_dealer: np.ndarray
    retail_ppl: np.ndarray
    retail_qty: np.ndarray
    retail_opty: np.ndarray  # opportunity number, 0 for a walk-in sale without an opportunity
    total: np.ndarray
    saleable: np.ndarray
    last_receipt: np.ndarray  # day index of the latest batch received, -1 before the first one


class Supply:
    def __init__(self, rng: np.random.Generator, world: World) -> None:
        n, lines = world.dealer_mix.shape
        self.world = world
        demand = world.dealer_mix * (world.dealer_rate * EXPECTED_CONVERSION + world.dealer_walkin)[:, None]
        self.batch = np.maximum(2, np.rint(demand * rng.uniform(15, 25, size=(n, lines)))).astype(np.int64)
        self.reorder_point = np.rint(demand * rng.uniform(7, 13, size=(n, lines))).astype(np.int64)
        self.lead_time = rng.integers(3, 10, size=(n, lines))
        self.on_hand = self.batch + self.reorder_point + rng.integers(0, 3, size=(n, lines))
        self.blocked = rng.choice(3, size=(n, lines), p=[0.6, 0.3, 0.1]).astype(np.int64)
        self.arrival_day = np.full((n, lines), -1, dtype=np.int64)
        self.arrival_qty = np.zeros((n, lines), dtype=np.int64)
        self.walkin_share = world.dealer_walkin[:, None] * world.dealer_mix
        self.last_receipt = np.full((n, lines), -1, dtype=np.int64)

    def saleable_now(self, day: int) -> np.ndarray:
        """Saleable units at the start of ``day`` (what a new enquiry finds)."""
        held = self.world.is_gap[day][:, None]
        return np.where(held, 0, self.on_hand)

    def _shelf_sales(self, rng: np.random.Generator, calendar: Calendar, day: int, held: np.ndarray) -> np.ndarray:
        """Units a selling hotspot's extra enquiries buy from stock today (zero everywhere else)."""
        extra = np.where(held, 0.0, self.world.multiplier[day] - 1.0)
        sales = np.zeros(self.on_hand.shape, dtype=np.int64)
        surging = np.flatnonzero(extra > 0)
        if len(surging):
            rate = self.world.dealer_rate[surging] * extra[surging] * calendar.demand_factor(day) * SHELF_SHARE
            lam = rate[:, None] * self.world.dealer_mix[surging]
            sales[surging] = np.minimum(rng.poisson(lam), self.on_hand[surging])
            self.on_hand -= sales
        return sales

    def step(
        self,
        rng: np.random.Generator,
        calendar: Calendar,
        day: int,
        won_dealer: np.ndarray,
        won_ppl: np.ndarray,
        won_qty: np.ndarray,
        won_opty: np.ndarray,
        shelf_rng: np.random.Generator | None = None,
        stopped: np.ndarray | None = None,
    ) -> DaySupply:
        """``stopped``: dealer x product-line pairs that sell nothing to walk-ins (the planted slow movers of
        ``demo_data.kpi``); their draws are made all the same, so the stream draws as before."""
        held = self.world.is_gap[day][:, None]
        due = (self.arrival_day == day) & ~held
        self.on_hand += np.where(due, self.arrival_qty, 0)
        self.last_receipt = np.where(due, day, self.last_receipt)
        self.arrival_day = np.where(due, -1, np.where((self.arrival_day == day) & held, day + 1, self.arrival_day))
        shape = self.on_hand.shape
        need = np.zeros(shape, dtype=np.int64)
        np.add.at(need, (won_dealer, won_ppl), won_qty)
        self.on_hand += np.maximum(need - self.on_hand, 0)  # same-day depot transfer
        self.on_hand -= need
        boost = np.where(held[:, 0], 0.0, self.world.multiplier[day])
        lam = self.walkin_share * calendar.demand_factor(day) * boost[:, None]
        walkin = np.minimum(rng.poisson(lam), self.on_hand)
        if stopped is not None:
            walkin = np.where(stopped, 0, walkin)
        self.on_hand -= walkin
        if shelf_rng is not None:
            shelf = self._shelf_sales(shelf_rng, calendar, day, held[:, 0])
            if stopped is not None:  # a stopped pair sells nothing, not even in a hotspot (drawn all the same)
                self.on_hand += np.where(stopped, shelf, 0)
                shelf = np.where(stopped, 0, shelf)
            walkin += shelf
        order = (self.on_hand <= self.reorder_point) & (self.arrival_day < 0) & ~held
        self.arrival_day = np.where(order, day + self.lead_time + rng.integers(0, 3, size=shape), self.arrival_day)
        self.arrival_qty = np.where(order, self.batch, self.arrival_qty)
        walk_dealer, walk_ppl = np.nonzero(walkin)
        walk_qty = walkin[walk_dealer, walk_ppl]
        walk_dealer = np.repeat(walk_dealer, walk_qty)
        walk_ppl = np.repeat(walk_ppl, walk_qty)
        return DaySupply(
            retail_dealer=np.concatenate([won_dealer, walk_dealer]).astype(np.int32),
            retail_ppl=np.concatenate([won_ppl, walk_ppl]).astype(np.int8),
            retail_qty=np.concatenate([won_qty, np.ones(len(walk_dealer), dtype=np.int64)]).astype(np.int32),
            retail_opty=np.concatenate([won_opty, np.zeros(len(walk_dealer), dtype=np.int64)]),
            total=self.on_hand + self.blocked,
            saleable=np.where(held, 0, self.on_hand),
            last_receipt=self.last_receipt.copy(),
        )
