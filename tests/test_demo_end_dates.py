"""Whatever day `make demo` runs, its end date shows the product: the generator plants surges active on the end
date and the real pipeline finds them (at least one HOTSPOT and one EMERGING taluka), and the leadership
email shows three talukas. Ten end dates across a year (weekdays, festivals and the monsoon lull differ), the
default seed and scale, the end date's night only (the detector reads silver, so it needs no backfill).
`python bench/demo_end_dates.py` prints the same check."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ground.config import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("demo_end_dates", PROJECT_ROOT / "bench" / "demo_end_dates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_end_date_has_a_hotspot_an_emerging_taluka_and_three_in_the_email(spark, tmp_path: Path) -> None:
    bench = _bench()
    assert len(set(bench.END_DATES)) == 10
    seen = {}
    for end in bench.END_DATES:
        by_status, shown = bench.end_date_statuses(spark, tmp_path / end.isoformat(), end)
        seen[end.isoformat()] = (by_status, shown)
    failures = {
        day: found
        for day, found in seen.items()
        if not found[0].get("HOTSPOT") or not found[0].get("EMERGING") or len(found[1]) != 3
    }
    assert failures == {}, seen
