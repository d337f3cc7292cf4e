"""Turn a day's events into export tables: the raw columns, spelled as the source systems spell them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo_data.drivers import COMPETITORS, LEAD_SOURCES, LOST_REASONS
from demo_data.leads import Leads
from demo_data.rhythm import Calendar, timestamps
from demo_data.vocab import (
    CALL_HEADER,
    DISPOSITIONS,
    ENQUIRY_TYPES,
    EVENTS,
    JOURNEY_FIELDS,
    LEAD_HEADER,
    LEAD_TYPES,
    PRODUCT_LINES,
    RETAIL_HEADER,
    SEGMENTS,
    STAGES,
    STATUS_OF_STAGE,
    STOCK_HEADER,
    WON,
)
from demo_data.world import World

Batch = tuple[int, dict[str, np.ndarray]]  # (creation day of the leads, event arrays)


@dataclass
class Table:
    """One export file's rows as string columns, with each row's key (for the bad-records truth)."""

    header: tuple[str, ...]
    cols: list[list[str]]
    keys: list[str]
    is_jsonl: bool = False

    def __len__(self) -> int:
        return len(self.keys)

    def row(self, i: int) -> list[str]:
        return [col[i] for col in self.cols]

    def take(self, index: list[int]) -> Table:
        return Table(
            self.header,
            [[col[i] for i in index] for col in self.cols],
            [self.keys[i] for i in index],
            self.is_jsonl,
        )


def ids(prefix: str, numbers: np.ndarray, width: int) -> list[str]:
    return [f"{prefix}{n:0{width}d}" for n in numbers.tolist()]


class Renderer:
    def __init__(self, world: World, calendar: Calendar, names: np.ndarray, rep_codes: np.ndarray) -> None:
        self.calendar = calendar
        self.rep_codes = rep_codes
        self.names = names
        self.codes = world.dealer_codes()
        self.taluka, self.district, self.state = world.dealer_places()
        self.n_dealers = world.n_dealers
        self.next_call = 1
        self.next_event = 1
        self.next_invoice = 1
        self.account_codes = np.zeros(0, dtype=object)  # the repeat-buying accounts' ids (demo_data.accounts)
        self.notes = np.zeros(0, dtype=object)  # call notes, indexed by a call's "note" (-1: none)

    @staticmethod
    def gather(batches: list[Batch], chunks: dict[int, Leads], attrs: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Event arrays of all batches, concatenated, plus the listed attributes of their leads."""
        if not batches:
            return {}
        out: dict[str, list[np.ndarray]] = {}
        for created, events in batches:
            leads = chunks[created]
            for name, values in events.items():
                out.setdefault(name, []).append(values)
            out.setdefault("created", []).append(np.full(len(events["lead"]), created, dtype=np.int32))
            for attr in attrs:
                out.setdefault(attr, []).append(getattr(leads, attr)[events["lead"]])
        return {name: np.concatenate(parts) for name, parts in out.items()}

    def leads(self, day: int, batches: list[Batch], chunks: dict[int, Leads]) -> Table:
        attrs = (
            *("opty", "dealer", "cls", "segment", "enquiry", "ppl", "expected_closure", "name", "mobile"),
            *("rep", "source", "value", "reason", "rival", "account"),
        )
        ev = self.gather(batches, chunks, attrs)
        if not ev:
            return Table(LEAD_HEADER, [[] for _ in LEAD_HEADER], [])
        order = np.lexsort((ev["opty"], ev["sec"]))
        ev = {k: v[order] for k, v in ev.items()}
        opty = ids("OPTY", ev["opty"], 8)
        d, cal = ev["dealer"], self.calendar
        cols = [
            opty,
            self.codes[d].tolist(),
            cal.dmy[ev["created"]].tolist(),
            STAGES[ev["stage"]].tolist(),
            LEAD_TYPES[ev["cls"]].tolist(),
            ENQUIRY_TYPES[ev["enquiry"]].tolist(),
            SEGMENTS[ev["segment"]].tolist(),
            PRODUCT_LINES[ev["ppl"]].tolist(),
            cal.dmy[ev["expected_closure"]].tolist(),
            self.taluka[d].tolist(),
            self.district[d].tolist(),
            self.state[d].tolist(),
            STATUS_OF_STAGE[ev["stage"]].tolist(),
            self.names[ev["name"]].tolist(),
            ev["mobile"].astype(str).tolist(),
            timestamps(cal.iso[day], ev["sec"]),
            *self._outcome_columns(day, ev),
            self._account_ids(ev["account"]),
        ]
        return Table(LEAD_HEADER, cols, opty)

    def _account_ids(self, account: np.ndarray) -> list[str]:
        if not len(self.account_codes):
            return [""] * len(account)
        return np.where(account >= 0, self.account_codes[np.maximum(account, 0)], "").tolist()

    def _outcome_columns(self, day: int, ev: dict[str, np.ndarray]) -> list[list[str]]:
        """Sales consultant, lead source, closed date, lost reason, competitor and deal value of each version."""
        closed = ev["stage"] >= WON
        lost = closed & (ev["stage"] != WON)
        reason = np.where(lost & (ev["reason"] >= 0), LOST_REASONS[np.maximum(ev["reason"], 0)], "")
        rival = np.where(lost & (ev["rival"] >= 0), COMPETITORS[np.maximum(ev["rival"], 0)], "")
        return [
            self.rep_codes[ev["rep"]].tolist(),
            LEAD_SOURCES[ev["source"]].tolist(),
            np.where(closed, self.calendar.dmy[day], "").tolist(),
            reason.tolist(),
            rival.tolist(),
            ev["value"].astype(str).tolist(),
        ]

    def calls(self, day: int, batches: list[Batch], chunks: dict[int, Leads]) -> Table:
        ev = self.gather(batches, chunks, ("opty",))
        if not ev:
            return Table(CALL_HEADER, [[] for _ in CALL_HEADER], [])
        order = np.lexsort((ev["opty"], ev["sec"]))
        ev = {k: v[order] for k, v in ev.items()}
        n = len(order)
        refs = ids("CL", np.arange(self.next_call, self.next_call + n), 9)
        self.next_call += n
        followup = np.where(ev["followup"] >= 0, self.calendar.iso[np.maximum(ev["followup"], 0)], "")
        cols = [
            refs,
            ids("OPTY", ev["opty"], 8),
            timestamps(self.calendar.iso[day], ev["sec"]),
            ev["duration"].astype(str).tolist(),
            DISPOSITIONS[ev["outcome"]].tolist(),
            followup.tolist(),
            self._notes(ev.get("note"), n),
        ]
        return Table(CALL_HEADER, cols, refs)

    def _notes(self, note: np.ndarray | None, n: int) -> list[str]:
        """Each call's note; the dialer exports none for calls planned without one."""
        if note is None or not len(self.notes):
            return [""] * n
        return np.where(note >= 0, self.notes[np.maximum(note, 0)], "").tolist()

    def journey(self, day: int, batches: list[Batch], chunks: dict[int, Leads]) -> Table:
        ev = self.gather(batches, chunks, ("opty",))
        if not ev:
            return Table(JOURNEY_FIELDS, [[] for _ in JOURNEY_FIELDS], [], is_jsonl=True)
        order = np.lexsort((ev["event"], ev["opty"], ev["sec"]))
        ev = {k: v[order] for k, v in ev.items()}
        n = len(order)
        uids = ids("EV", np.arange(self.next_event, self.next_event + n), 9)
        self.next_event += n
        cols = [
            uids,
            ids("OPTY", ev["opty"], 8),
            EVENTS[ev["event"]].tolist(),
            timestamps(self.calendar.iso[day], ev["sec"], sep="T"),
        ]
        return Table(JOURNEY_FIELDS, cols, uids, is_jsonl=True)

    def stock(self, day: int, total: np.ndarray, saleable: np.ndarray, last_receipt: np.ndarray) -> Table:
        n, lines = total.shape
        dealer = np.repeat(np.arange(n), lines)
        ppl = np.tile(np.arange(lines), n)
        date = str(self.calendar.iso[day])
        codes = self.codes[dealer].tolist()
        names = PRODUCT_LINES[ppl].tolist()
        cols = [[date] * len(dealer), codes, names, total.ravel().astype(str).tolist()]
        cols.append(saleable.ravel().astype(str).tolist())
        receipt = last_receipt.ravel()
        cols.append(np.where(receipt >= 0, self.calendar.iso[np.maximum(receipt, 0)], "").tolist())
        keys = [f"{date}|{c}|{p}" for c, p in zip(codes, names, strict=True)]
        return Table(STOCK_HEADER, cols, keys)

    def retail(
        self,
        day: int,
        dealer: np.ndarray,
        ppl: np.ndarray,
        qty: np.ndarray,
        opty: np.ndarray,
        value: np.ndarray,
        account: np.ndarray | None = None,
    ) -> Table:
        """Invoices of the day; ``value`` is each invoice's amount, ``account`` its account (-1: none)."""
        account = np.full(len(dealer), -1, dtype=np.int64) if account is None else account
        order = np.lexsort((opty, ppl, dealer))
        dealer, ppl, qty, opty = dealer[order], ppl[order], qty[order], opty[order]
        value, account = value[order], account[order]
        n = len(order)
        invoices = ids("INV", np.arange(self.next_invoice, self.next_invoice + n), 8)
        self.next_invoice += n
        refs = [f"OPTY{o:08d}" if o > 0 else "" for o in opty.tolist()]
        date = str(self.calendar.iso[day])
        cols = [
            invoices,
            self.codes[dealer].tolist(),
            [date] * n,
            PRODUCT_LINES[ppl].tolist(),
            qty.astype(str).tolist(),
            refs,
            self._account_ids(account),
            value.astype(np.int64).astype(str).tolist(),
        ]
        return Table(RETAIL_HEADER, cols, invoices)
