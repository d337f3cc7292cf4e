"""The embedded engine's UDF workers (ground/udf_pool.py): the work runs in other processes, in order."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ground import udf_pool


def where(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


@pytest.fixture
def two_workers() -> Iterator[None]:
    before = udf_pool.processes()
    udf_pool.enable(2)
    yield
    udf_pool.enable(before)


def test_the_work_runs_in_worker_processes_and_comes_back_in_order(two_workers) -> None:  # type: ignore[no-untyped-def]
    results = udf_pool.map_ordered(where, range(12))
    assert [square for square, _ in results] == [i * i for i in range(12)]
    assert os.getpid() not in {pid for _, pid in results}


def test_too_little_work_and_a_cluster_worker_run_inline(two_workers) -> None:  # type: ignore[no-untyped-def]
    assert {pid for _, pid in udf_pool.map_ordered(where, range(3), parallel=False)} == {os.getpid()}
    udf_pool.enable(0)  # a Spark worker process: nothing enabled it
    assert {pid for _, pid in udf_pool.map_ordered(where, range(3))} == {os.getpid()}


def test_a_failure_in_a_worker_reaches_the_caller(two_workers) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        udf_pool.map_ordered(where, ["x"])  # str * str
