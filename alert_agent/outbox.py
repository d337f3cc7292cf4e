"""The outbox: every rendered message as ``.eml`` and ``.html`` before it is sent, and the run lock.

Layout: ``<outbox>/<as_of_date>/<alert_type>--<recipient>.eml`` (and ``.html``). After the SMTP server
accepts a message its files move to ``<outbox>/<as_of_date>/sent/``; what stays at the top of a date folder
was not sent (a dry run, or a delivery that failed).
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

LOCK_NAME = ".alert.lock"


class RunLocked(RuntimeError):
    """Another ``scv alert`` holds the outbox lock."""


@dataclass(frozen=True)
class OutboxFiles:
    eml: Path
    html: Path


def slug(value: str) -> str:
    """A file-name-safe form of a recipient address: ``a.b@example.com`` -> ``a.b_at_example.com``."""
    return re.sub(r"[^a-z0-9._-]+", "_", value.lower().replace("@", "_at_")).strip("._") or "recipient"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_message(
    outbox_dir: str, as_of: date, alert_type: str, recipient: str, message: EmailMessage, html: str
) -> OutboxFiles:
    """Write the message (``.eml``, exactly the bytes that will be sent) and its HTML body for viewing."""
    folder = Path(outbox_dir) / as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{alert_type}--{slug(recipient)}"
    files = OutboxFiles(folder / f"{stem}.eml", folder / f"{stem}.html")
    _write_atomic(files.eml, message.as_bytes())
    _write_atomic(files.html, html.encode("utf-8"))
    return files


def mark_sent(files: OutboxFiles) -> OutboxFiles:
    """Move a sent message's files to ``sent/`` beside them."""
    sent_dir = files.eml.parent / "sent"
    sent_dir.mkdir(exist_ok=True)
    moved = OutboxFiles(sent_dir / files.eml.name, sent_dir / files.html.name)
    os.replace(files.eml, moved.eml)
    os.replace(files.html, moved.html)
    return moved


@contextmanager
def run_lock(outbox_dir: str) -> Iterator[None]:
    """An exclusive, non-blocking lock for one alert run on this machine (released when the process ends)."""
    folder = Path(outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RunLocked(f"another scv alert run holds {folder / LOCK_NAME}; try again when it ends") from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
