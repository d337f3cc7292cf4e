"""Snapshot cache: new Delta versions are picked up without a restart; a failed read keeps the last good one."""

from __future__ import annotations

import threading
import time

import pytest

from app.data import LEADS, DataAccess
from app.leads import LeadData, load_leads
from app.scope import Scope
from app.snapshot import TableWatch
from ground.catalogue import GOLD_TABLES
from testkit import write_gold
from testkit.rows import lead_row

REP = Scope("rep", dealer_code="DLR0001")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def names(access: DataAccess) -> list[str]:
    page = access.leads(REP, limit=50)
    return sorted(r["customer_name"] for r in [page.next_best, *page.rows] if r)


@pytest.fixture
def lake(tmp_path):
    root = tmp_path / "lake"
    write_gold(root, LEADS, [lead_row("O1", "DLR0001", 50.0, customer_name="First")])
    return root


def watch_for(lake, clock, loader=load_leads, refresh: float = 5.0) -> TableWatch:
    return TableWatch(LEADS, GOLD_TABLES[LEADS].location(str(lake)), loader, refresh, clock=clock)


def test_new_version_is_picked_up_after_the_refresh_interval_without_restart(lake):
    clock = FakeClock()
    watch = watch_for(lake, clock)
    access = DataAccess.for_lake(str(lake))
    access.cache._watches[LEADS] = watch
    assert names(access) == ["First"] and watch.get().version == 0

    write_gold(lake, LEADS, [lead_row("O2", "DLR0001", 60.0, customer_name="Second")], mode="append")
    clock.now = 4.9
    assert names(access) == ["First"]  # within the interval: the snapshot is not even checked
    clock.now = 5.1
    assert names(access) == ["First", "Second"]
    assert watch.get().version == 1


def test_unchanged_version_reuses_the_loaded_snapshot(lake):
    clock = FakeClock()
    loads: list[int] = []

    def counting_loader(table):
        loads.append(table.version())
        return load_leads(table)

    watch = watch_for(lake, clock, counting_loader)
    first = watch.get()
    for step in range(1, 4):
        clock.now = step * 10.0
        assert watch.get() is first
    assert loads == [0]


def test_a_corrupt_commit_keeps_the_last_good_snapshot_until_a_good_one_arrives(lake):
    clock = FakeClock()
    watch = watch_for(lake, clock)
    assert watch.get().version == 0
    log_dir = lake / "gold" / LEADS / "_delta_log"
    (log_dir / "00000000000000000001.json").write_text('{"add": {"path": "half-written')
    clock.now = 10.0
    snap = watch.get()
    assert snap is not None and snap.version == 0
    assert names_of(snap) == ["First"]
    assert watch.last_error

    (log_dir / "00000000000000000001.json").unlink()
    write_gold(lake, LEADS, [lead_row("O3", "DLR0001", 70.0, customer_name="Third")], mode="overwrite")
    clock.now = 20.0
    snap = watch.get()
    assert snap.version == 1 and names_of(snap) == ["Third"]
    assert watch.last_error is None


def names_of(snap) -> list[str]:
    data: LeadData = snap.data
    return sorted(data.table.column("customer_name").to_pylist())


def test_a_failing_load_keeps_serving_and_is_retried(lake):
    clock = FakeClock()
    fail = {"now": False}

    def flaky_loader(table):
        if fail["now"]:
            raise OSError("object store hiccup")
        return load_leads(table)

    watch = watch_for(lake, clock, flaky_loader)
    assert watch.get().version == 0
    write_gold(lake, LEADS, [lead_row("O2", "DLR0001", 60.0)], mode="append")
    fail["now"] = True
    clock.now = 10.0
    assert watch.get().version == 0 and "hiccup" in str(watch.last_error)
    fail["now"] = False
    clock.now = 20.0
    assert watch.get().version == 1


def test_a_table_that_does_not_exist_yet_is_loaded_once_written(tmp_path):
    clock = FakeClock()
    lake = tmp_path / "lake"
    watch = watch_for(lake, clock)
    assert watch.get() is None and "no Delta table" in str(watch.last_error)
    write_gold(lake, LEADS, [lead_row("O1", "DLR0001", 50.0)])
    clock.now = 10.0
    assert watch.get().version == 0


def test_readers_are_not_blocked_while_a_new_version_loads(lake):
    clock = FakeClock()
    release = threading.Event()
    loading = threading.Event()

    def slow_loader(table):
        if table.version() > 0:
            loading.set()
            release.wait(10)
        return load_leads(table)

    watch = watch_for(lake, clock, slow_loader)
    old = watch.get()
    write_gold(lake, LEADS, [lead_row("O2", "DLR0001", 60.0)], mode="append")
    clock.now = 10.0
    refresher = threading.Thread(target=watch.get)
    refresher.start()
    assert loading.wait(10)
    clock.now = 20.0  # due for a check again, but another thread holds the refresh
    started = time.perf_counter()
    assert watch.get() is old
    assert time.perf_counter() - started < 0.5
    release.set()
    refresher.join(10)
    assert watch.get().version == 1
