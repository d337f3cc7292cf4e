"""The embedded engine's UDF workers (ground/udf_pool.py): the work runs in other processes, in order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool

import pytest

from ground import udf_pool


def where(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def die(item: int) -> int:
    os._exit(1)  # a worker killed mid-task (out of memory, say)


@pytest.fixture
def two_workers() -> Iterator[None]:
    """Two workers, stopped after the test; the setting as it was before."""
    before = udf_pool._processes
    udf_pool.enable(2)
    yield
    udf_pool.shutdown()
    udf_pool.enable(before)


def test_the_work_runs_in_worker_processes_and_comes_back_in_order(two_workers) -> None:  # type: ignore[no-untyped-def]
    results = udf_pool.map_ordered(where, range(12))
    assert [square for square, _ in results] == [i * i for i in range(12)]
    assert os.getpid() not in {pid for _, pid in results}


def test_too_little_work_and_a_cluster_worker_run_inline(two_workers) -> None:  # type: ignore[no-untyped-def]
    assert {pid for _, pid in udf_pool.map_ordered(where, range(3), parallel=False)} == {os.getpid()}
    udf_pool.enable(0)  # a Spark worker process: nothing enabled it
    assert {pid for _, pid in udf_pool.map_ordered(where, range(3))} == {os.getpid()}


def test_a_dead_worker_fails_the_call_and_the_next_call_starts_new_ones(two_workers) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BrokenProcessPool):
        udf_pool.map_ordered(die, [1])
    assert [square for square, _ in udf_pool.map_ordered(where, [3, 4])] == [9, 16]


def test_one_per_core_counts_the_cores_this_process_may_use() -> None:
    assert udf_pool.processes_for(3) == 3
    assert udf_pool.processes_for(0) == len(os.sched_getaffinity(0))
