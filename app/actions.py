"""Rep actions: a call with its outcome, done, snoozed until a date, a short note. Written at once to the lake's
append-only ``app/lead_actions`` Delta table (``ground/catalogue/app.py``) through delta-rs, with the user and
the time; read back through the same snapshot cache as the gold tables, so the app shows them at once and the
next night scores them.

Only appends: delta-rs commits a blind append without conflict, retrying on a concurrent commit, so two
writers (two app workers, two servers) never lose an action. A write that still fails is reported to the rep,
never swallowed. Who may act on a lead is decided by the caller (``app.handlers``) from the user's scope.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from ground.catalogue import APP_TABLES
from ground.catalogue.app import CALL_OUTCOMES, LEAD_ACTIONS
from ground.lake import open_table, query

ACTIONS_TABLE = APP_TABLES["lead_actions"]
MAX_NOTE_CHARS = 500


class ActionError(ValueError):
    """The action is incomplete or not allowed (the message is for the rep)."""


@dataclass(frozen=True)
class LeadAction:
    opty_id: str
    dealer_code: str
    action: str  # called | done | snoozed | note
    user_name: str
    outcome: str | None = None
    snoozed_until: dt.date | None = None
    note: str | None = None

    def checked(self, today: dt.date) -> LeadAction:
        """The action as it will be stored, or ActionError saying what is missing."""
        if self.action not in LEAD_ACTIONS:
            raise ActionError(f"Choose what you did: {', '.join(LEAD_ACTIONS)}.")
        note = " ".join((self.note or "").split())[:MAX_NOTE_CHARS] or None
        if self.action == "called" and self.outcome not in CALL_OUTCOMES:
            raise ActionError("Say how the call went.")
        if self.action == "snoozed" and (self.snoozed_until is None or self.snoozed_until <= today):
            raise ActionError("Pick a date after today to snooze until.")
        if self.action == "note" and not note:
            raise ActionError("Write the note first.")
        return LeadAction(
            opty_id=self.opty_id,
            dealer_code=self.dealer_code,
            action=self.action,
            user_name=self.user_name,
            outcome=self.outcome if self.action == "called" else None,
            snoozed_until=self.snoozed_until if self.action == "snoozed" else None,
            note=note,
        )


class ActionStore:
    """Appends to ``<lake>/app/lead_actions``; creates the table on the first action."""

    def __init__(self, lake_root: str):
        self.location = ACTIONS_TABLE.location(lake_root)
        self._lock = threading.Lock()  # one writer per process; other processes are settled by Delta

    def append(self, action: LeadAction, now: dt.datetime | None = None) -> dict[str, object]:
        when = now or dt.datetime.now(dt.UTC)
        row: dict[str, object] = {
            "action_id": uuid.uuid4().hex,
            "opty_id": action.opty_id,
            "dealer_code": action.dealer_code,
            "action": action.action,
            "outcome": action.outcome,
            "snoozed_until": action.snoozed_until,
            "note": action.note,
            "user_name": action.user_name,
            "acted_at": when,
            "acted_date": when.date(),
        }
        data = pa.Table.from_pylist([row], schema=ACTIONS_TABLE.arrow_schema)
        with self._lock:
            write_deltalake(self.location, data, mode="append", partition_by=list(ACTIONS_TABLE.partition_by))
        return row


def load_actions(table: DeltaTable) -> pa.Table:
    """Loader for the snapshot cache: every action, newest first (the table is small: one row per act)."""
    arrow = query({"t": table}, "select * from t order by acted_at desc, action_id")
    return arrow.select(ACTIONS_TABLE.column_names).cast(ACTIONS_TABLE.arrow_schema)


def read_actions(lake_root: str) -> pa.Table:
    table = open_table(ACTIONS_TABLE.location(lake_root))
    return ACTIONS_TABLE.arrow_schema.empty_table() if table is None else load_actions(table)


@dataclass(frozen=True)
class LeadState:
    """What the app's actions say about one lead, as of now."""

    is_done: bool = False
    snoozed_until: dt.date | None = None
    last_call: str | None = None  # "Connected on 27 Nov" ...
    last_call_date: dt.date | None = None
    note: str | None = None


def lead_states(actions: pa.Table, scored_at: dt.datetime | None) -> dict[str, LeadState]:
    """Per lead, the effect of its actions; ``actions`` newest first. A done or snooze recorded before the
    night that produced the scores was already applied by it (done leads are not in the scores at all)."""
    states: dict[str, dict[str, object]] = {}
    for row in actions.to_pylist():
        state = states.setdefault(row["opty_id"], {})
        kind = row["action"]
        if kind == "done" and (scored_at is None or row["acted_at"] > scored_at):
            state.setdefault("is_done", True)
        elif kind == "snoozed":
            state.setdefault("snoozed_until", row["snoozed_until"])
        elif kind == "called":
            acted: dt.datetime = row["acted_at"]
            state.setdefault("last_call", f"{row['outcome']} on {acted.day} {acted:%b}")
            state.setdefault("last_call_date", acted.date())
        if row["note"]:
            state.setdefault("note", row["note"])
    return {opty: LeadState(**values) for opty, values in states.items()}  # type: ignore[arg-type]
