"""The day loop: plan each day's new leads, deliver what falls due today, write the day's files.

Everything streams by day: only the leads that still have events ahead are kept in memory. Randomness comes
from numpy Generators seeded by (seed, purpose, day), so the same arguments give byte-identical output.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from demo_data import accounts, drivers, kpi
from demo_data.activity import plan
from demo_data.conversion import Adjust
from demo_data.dealers import dealer_master
from demo_data.drivers import PRICE_INR
from demo_data.layout import SOURCES
from demo_data.leads import Leads, new_leads
from demo_data.messy import Mess
from demo_data.pending import Pending
from demo_data.render import Renderer, Table
from demo_data.rhythm import Calendar
from demo_data.supply import Supply
from demo_data.truth import TruthWriter
from demo_data.vocab import customer_names
from demo_data.world import SCALES, World, build_world
from demo_data.writers import LandingWriter

GENERATOR_VERSION = "1.0.0"


def _rng(seed: int, purpose: int, day: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, purpose, day]))


def _adjuster(
    seed: int, driver_plan: drivers.DriverPlan, calendar: Calendar, world: World, kpi_plan: kpi.KpiPlan
) -> Adjust:
    """The planted win-rate drivers and slow movers as the conversion step's ``adjust`` hook; records lost
    reasons on the leads."""

    def adjust(
        leads: Leads, propensity: np.ndarray, converts: np.ndarray, reached: np.ndarray, close_off: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        done = drivers.adjust(seed, driver_plan, calendar, world, leads, propensity, converts, reached, close_off)
        # a slow-moving pair sells nothing from its start: its would-be wins are lost (not interested)
        stop, keep = kpi.stop_selling(seed, kpi_plan, leads.day, leads.dealer, leads.ppl, leads.day + close_off)
        stop &= done.converts
        reason = np.where(stop, drivers.NOT_INTERESTED, done.reason).astype(np.int8)
        leads.reason, leads.rival = reason, np.where(stop, -1, done.competitor).astype(np.int8)
        return done.converts & ~stop, done.reached, done.propensity * keep

    return adjust


def _invoice_values(won: dict[str, np.ndarray], ppl: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """Invoice amounts of the day's retail rows (the won deals first, then the walk-ins, as Supply.step gives
    them): a won deal's value per vehicle times its units; a walk-in sale at the list price."""
    n_won = len(won.get("qty", ()))
    value = PRICE_INR[ppl].astype(np.int64) * qty
    if n_won:
        value[:n_won] = won["value"] * won["qty"]
    return value


def _account_tables(
    renderer: Renderer,
    plan: accounts.AccountPlan,
    day: int,
    due: dict[str, list[tuple[int, dict[str, np.ndarray]]]],
    chunks: dict[int, Leads],
    seed: int,
    kpi_plan: kpi.KpiPlan,
) -> dict[str, Table]:
    """The accounts' rows of the day's exports: their opportunity versions, journey, calls and invoices (less
    those the KPI plan's retail drop holds)."""
    won = renderer.gather(due["won"], chunks, ("opty", "dealer", "ppl", "value", "account"))
    invoices = accounts.invoice_rows(plan, day, won)
    keep = ~kpi.held(seed, kpi_plan, day, invoices["dealer"], kpi.HELD_INVOICES)
    invoices = {name: values[keep] for name, values in invoices.items()}
    return {
        "customer_pipeline": renderer.leads(day, due["lead"], chunks),
        "customer_journey": renderer.journey(day, due["journey"], chunks),
        "call_log": renderer.calls(day, due["call"], chunks),
        "retail": renderer.retail(
            day,
            invoices["dealer"],
            invoices["ppl"],
            invoices["qty"],
            invoices["opty"],
            invoices["value"],
            invoices["account"],
        ),  # fmt: skip
    }


def default_end_date() -> dt.date:
    """Yesterday in UTC."""
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def generate(
    out_dir: str | Path,
    truth_dir: str | Path,
    scale: str = "small",
    seed: int = 7,
    days: int | None = None,
    end_date: dt.date | str | None = None,
    messy_rate: float = 0.002,
) -> dict[str, Any]:
    """Write the landing zone under ``out_dir`` and the planted truth under ``truth_dir``; return a summary."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} (choose from {', '.join(SCALES)})")
    if not 0.0 <= messy_rate < 0.5:
        raise ValueError("messy_rate must be in [0, 0.5)")
    spec = SCALES[scale]
    days = spec.days if days is None else days
    if isinstance(end_date, str):
        end_date = dt.date.fromisoformat(end_date)
    end_date = end_date or default_end_date()
    out, truth_path = Path(out_dir), Path(truth_dir)
    calendar = Calendar(end_date, days)
    world = build_world(seed, spec, days)
    names, name_ranges = customer_names()
    driver_plan = drivers.plan_drivers(seed, world, calendar)
    # the repeat-buying accounts: streams, renderer and pending events of their own (demo_data/accounts.py)
    account_plan = accounts.plan_accounts(seed, world, calendar, scale, driver_plan)
    kpi_plan = kpi.plan_kpi(seed, world, calendar, driver_plan, accounts.delivery_pairs(account_plan))
    renderer = Renderer(world, calendar, names, driver_plan.rep_codes)
    supply = Supply(_rng(seed, 2, 0), world)
    # the stock a new enquiry finds: the world without the planted win-rate drivers, whose sales it keeps
    # (so the drivers never change a natural outcome, and the original random streams draw as before)
    natural_supply = Supply(_rng(seed, 2, 0), world)
    mess = Mess(seed, messy_rate, calendar)
    pending = Pending(days)
    landing = LandingWriter(out)
    truth = TruthWriter(truth_path, calendar, renderer.codes)
    chunks: dict[int, Leads] = {}
    chunk_last: dict[int, int] = {}
    next_opty = 1
    landing.write("dealers", dealer_master(world))  # the master: one full snapshot, no mess planted in it
    renderer.account_codes = account_plan.codes
    account_renderer = Renderer(world, calendar, account_plan.names, driver_plan.rep_codes)
    account_renderer.account_codes, account_renderer.notes = account_plan.codes, accounts.NOTES
    account_renderer.next_call, account_renderer.next_event = accounts.CALL_BASE + 1, accounts.EVENT_BASE + 1
    account_renderer.next_invoice = accounts.INVOICE_BASE + 1
    account_pending = Pending(days)
    account_chunks: dict[int, Leads] = {}
    account_last: dict[int, int] = {}
    landing.write("accounts", accounts.master_file(account_plan, world))
    landing.write("retail", accounts.history_file(account_plan, world, calendar))
    landing.write("targets", kpi.targets_file(seed, world, calendar))  # monthly targets, one file, no mess
    try:
        for day in range(days):
            rng = _rng(seed, 10, day)
            leads = new_leads(rng, world, calendar, day, next_opty, natural_supply.saleable_now(day), name_ranges)
            next_opty += len(leads)
            leads.account = np.full(len(leads), -1, dtype=np.int64)
            drivers.assign(seed, driver_plan, leads)
            adjust = _adjuster(seed, driver_plan, calendar, world, kpi_plan)
            outcome, events = plan(rng, leads, world, calendar, adjust)
            truth.opportunities(leads, outcome)
            chunks[day] = leads
            chunk_last[day] = pending.push(day, events)
            due = pending.pop(day)
            account_leads, account_events = accounts.day_batch(account_plan, day)
            truth.account_opportunities(
                account_leads,
                account_plan.opps["converts"][account_plan.opps["created"] == day],
                account_plan.opps["close_off"][account_plan.opps["created"] == day],
            )
            account_chunks[day] = account_leads
            account_last[day] = account_pending.push(day, account_events)
            account_tables = _account_tables(
                account_renderer, account_plan, day, account_pending.pop(day), account_chunks, seed, kpi_plan
            )
            tables = {
                "customer_pipeline": renderer.leads(day, due["lead"], chunks),
                "customer_journey": renderer.journey(day, due["journey"], chunks),
                "call_log": renderer.calls(day, due["call"], chunks),
            }
            won = renderer.gather(due["won"], chunks, ("opty", "dealer", "ppl", "value"))
            empty = np.zeros(0, dtype=np.int64)
            natural = renderer.gather(due["natural_won"], chunks, ("opty", "dealer", "ppl"))
            natural_supply.step(
                _rng(seed, 11, day),
                calendar,
                day,
                natural.get("dealer", empty),
                natural.get("ppl", empty),
                natural.get("qty", empty),
                natural.get("opty", empty),
            )
            sold = supply.step(
                _rng(seed, 11, day),
                calendar,
                day,
                won.get("dealer", empty),
                won.get("ppl", empty),
                won.get("qty", empty),
                won.get("opty", empty),
                shelf_rng=_rng(seed, 12, day),
                stopped=kpi_plan.stopped_on(day),
            )
            tables["stock"] = renderer.stock(day, sold.total, sold.saleable, sold.last_receipt)
            won_value = won.get("value", empty) * won.get("qty", empty)
            tables["retail"] = renderer.retail(
                day, *kpi.day_retail(seed, kpi_plan, world, calendar, day, sold, won_value)
            )
            for index, source in enumerate(SOURCES):
                files, records = mess.files(source, index, day, tables[source.name], account_tables.get(source.name))
                for file in files:
                    landing.write(source.name, file)
                truth.bad_records(records)
            for created in [c for c, last in chunk_last.items() if last <= day]:
                del chunks[created], chunk_last[created]
            for created in [c for c, last in account_last.items() if last <= day]:
                del account_chunks[created], account_last[created]
        truth.hotspots(world)
        truth.drivers(driver_plan)
        truth.accounts(account_plan)
        truth.kpi_events(kpi.events_csv(kpi_plan, world, calendar))
    except BaseException:
        truth.abort()
        raise
    arguments = {
        "scale": scale,
        "seed": seed,
        "days": days,
        "end_date": end_date.isoformat(),
        "messy_rate": messy_rate,
    }
    counts = {
        name: landing.counts.get(name, {"files": 0, "rows": 0})
        for name in ("dealers", "accounts", "targets", *(s.name for s in SOURCES))
    }
    manifest: dict[str, Any] = {
        "generator": "scv demo-data",
        "version": GENERATOR_VERSION,
        "arguments": arguments,
        "seed": seed,
        "start_date": calendar.start_date.isoformat(),
        "end_date": end_date.isoformat(),
        "dealers": world.n_dealers,
        "talukas": len(world.talukas),
        "counts": counts,
        "files": landing.files,
    }
    truth.close(manifest)
    return {
        **arguments,
        "start_date": calendar.start_date.isoformat(),
        "dealers": world.n_dealers,
        "counts": counts,
        "truth": dict(truth.counts),
        "files": [str(f["path"]) for f in landing.files],
    }
