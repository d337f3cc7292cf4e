"""The lease on the lake: one holder at a time, a dead holder's lease taken over, and of many processes that
reach for it at the same moment, exactly one gets it."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from ground.lease import LakeBusy, Lease, hold

TAKER = """
import sys, time
from ground.lease import LakeBusy, Lease
from datetime import timedelta
lease = Lease(sys.argv[1], "lake", timedelta(minutes=5))
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
try:
    lease.acquire()
except LakeBusy:
    print("busy")
else:
    print("held")
    time.sleep(3)
    lease.release()
"""


def test_one_holder_at_a_time_and_released_after(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    with hold(lake, "lake"):
        with pytest.raises(LakeBusy, match=r"another run holds the lake \(lake\): pid \d+ on "):
            Lease(lake, "lake", timedelta(minutes=5)).acquire()
        with hold(lake, "alert:2026-11-21"):  # another name is another lease
            pass
    with hold(lake, "lake"):  # released: free again
        pass


def test_the_lease_of_a_dead_process_or_an_expired_one_is_taken(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    dead = subprocess.run(
        [sys.executable, "-c", f"from ground.lease import Lease; from datetime import timedelta; "
         f"Lease({lake!r}, 'lake', timedelta(hours=5)).acquire()"],  # never released: the process ends
        check=True,
    )  # fmt: skip
    assert dead.returncode == 0
    with hold(lake, "lake"):  # its pid is gone on this host
        pass
    expired = Lease(lake, "lake", timedelta(seconds=-1))
    expired.acquire()  # held, but already past its expiry
    with hold(lake, "lake"):
        pass


def test_of_many_takers_at_once_exactly_one_holds(tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    Path(lake).mkdir()
    start = time.time() + 4.0  # every process imports first, then all reach at this instant
    takers = [
        subprocess.Popen([sys.executable, "-c", TAKER, lake, str(start)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    answers = sorted(p.communicate(timeout=60)[0].strip() for p in takers)
    assert answers == ["busy", "busy", "busy", "held"]
