"""The latest row per key and the extra copies of a key and version, on a tiny batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ground.config import load_config
from jobs.silver.versions import latest_per_key

SCHEMA = "opty_id string, updated_at timestamp, ingested_at timestamp, source_file string, source_line long"


def test_latest_per_key_and_copies_of_the_same_version(spark) -> None:  # type: ignore[no-untyped-def]
    spec = replace(load_config(only_base=True).sources["customer_pipeline"], key=("opty_id",), version_by="updated_at")
    v1, v2 = datetime(2026, 10, 1, 9), datetime(2026, 10, 2, 9)
    night1, night2 = datetime(2026, 10, 2, 1), datetime(2026, 10, 3, 1)
    rows = [
        ("A", v1, night1, "a.csv", 1),
        ("A", v2, night1, "a.csv", 2),  # the latest version of A
        ("A", v2, night2, "b.csv", 7),  # the same version delivered again, later: it wins, line 2 is a copy
        ("B", None, night1, "a.csv", 3),  # no version: the later delivery wins, the earlier is a copy
        ("B", None, night2, "b.csv", 8),
        ("C", v1, night1, "a.csv", 4),  # alone
    ]
    latest, copies = latest_per_key(spark.createDataFrame(rows, SCHEMA), spec)
    assert sorted((r.opty_id, r.source_file, r.source_line) for r in latest.collect()) == [
        ("A", "b.csv", 7),
        ("B", "b.csv", 8),
        ("C", "a.csv", 4),
    ]
    assert sorted((r.opty_id, r.source_file, r.source_line) for r in copies.collect()) == [
        ("A", "a.csv", 2),
        ("B", "a.csv", 3),
    ]
