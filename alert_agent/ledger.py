"""The send ledger: a Delta table keyed by (as_of_date, alert_type, recipient) at ``<lake>/ops/alert_ledger``.

A row is written only after the SMTP server accepted the message, and the ledger is read before sending, so a
rerun never sends twice. ``--force`` sends again and bumps ``send_count`` on the same row (MERGE), so the key
stays unique. Two runs at the same time on one machine are serialised by the outbox lock
(``outbox.run_lock``); runs on different machines against one lake are not: see docs/alert.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

import pyarrow as pa

from ground import lake
from ground.catalogue import OPS_TABLES

LEDGER_SCHEMA = OPS_TABLES["alert_ledger"].arrow_schema
LEDGER_KEY = OPS_TABLES["alert_ledger"].key


@dataclass(frozen=True)
class LedgerEntry:
    as_of_date: date
    alert_type: str
    recipient: str
    subject: str
    message_id: str
    run_id: str
    sent_at: datetime
    send_count: int = 1


def sent_keys(location: str, as_of: date) -> set[tuple[str, str]]:
    """(alert_type, recipient) pairs already sent for ``as_of`` (empty when the ledger does not exist yet)."""
    rows = lake.read_table(
        location,
        where=f"as_of_date = DATE '{as_of.isoformat()}'",
        columns=["alert_type", "recipient"],
    )
    if rows is None:
        return set()
    return {(r["alert_type"], r["recipient"]) for r in rows.to_pylist()}


def record_sent(location: str, entry: LedgerEntry) -> None:
    """Insert the entry, or on a resend (same key) update it and add one to ``send_count``."""
    from deltalake import write_deltalake

    source = pa.Table.from_pylist([asdict(entry)], schema=LEDGER_SCHEMA)
    table = lake.open_table(location)
    if table is None:
        write_deltalake(location, source, mode="append")
        return
    predicate = " and ".join(f"t.{column} = s.{column}" for column in LEDGER_KEY)
    (
        table.merge(source, predicate=predicate, source_alias="s", target_alias="t")
        .when_matched_update(
            updates={
                "subject": "s.subject",
                "message_id": "s.message_id",
                "run_id": "s.run_id",
                "sent_at": "s.sent_at",
                "send_count": "t.send_count + 1",
            }
        )
        .when_not_matched_insert_all()
        .execute()
    )


def read_ledger(location: str) -> list[dict[str, object]]:
    """Every ledger row (for tests and ``scv status``)."""
    rows = lake.read_table(location)
    return [] if rows is None else rows.to_pylist()
