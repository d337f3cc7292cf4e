"""Failpoints: named places where a test may kill the process (SIGKILL, no cleanup) to prove that a rerun
after a crash there ends with the same tables. ``SCV_FAILPOINT=<name>`` arms one; nothing happens otherwise.

The places: bronze_append, file_registration, silver_merge, progress_mark, gold_write, score_merge, ledger.
"""

from __future__ import annotations

import os
import signal

NAMES = (
    "bronze_append",
    "file_registration",
    "silver_merge",
    "progress_mark",
    "gold_write",
    "score_merge",
    "ledger",
)


def failpoint(name: str) -> None:
    assert name in NAMES, name
    if os.environ.get("SCV_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
