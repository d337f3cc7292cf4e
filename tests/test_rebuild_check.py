"""The benchmark's check that a lake built night after night holds what a rebuild from scratch holds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from testkit.hashes import rebuild_differences


def _lake(root: Path, dated: list[tuple[date, str, float]], current: list[tuple[str, int]]) -> str:
    write_deltalake(
        str(root / "gold" / "scores_by_date"),
        pa.table(
            {
                "as_of_date": [d for d, _, _ in dated],
                "opty_id": [o for _, o, _ in dated],
                "score": [s for _, _, s in dated],
            }
        ),
    )
    write_deltalake(
        str(root / "silver" / "stock"),
        pa.table({"sku": [s for s, _ in current], "units": [u for _, u in current]}),
    )
    return str(root)


def test_dated_tables_are_compared_on_the_rebuilds_dates_and_the_rest_whole(tmp_path: Path) -> None:
    day, before = date(2026, 10, 31), date(2026, 10, 30)
    nightly = _lake(
        tmp_path / "nightly",
        [(before, "O1", 10.0), (day, "O1", 12.5), (day, "O2", 3.0)],  # the night before is not in a rebuild
        [("S1", 4), ("S2", 0)],
    )
    rebuilt = _lake(tmp_path / "rebuild", [(day, "O2", 3.0), (day, "O1", 12.5)], [("S2", 0), ("S1", 4)])
    assert rebuild_differences(nightly, rebuilt) == []

    wrong = _lake(tmp_path / "wrong", [(day, "O1", 12.0), (day, "O2", 3.0)], [("S1", 4), ("S2", 0), ("S3", 1)])
    assert rebuild_differences(nightly, wrong) == [
        "gold/scores_by_date: 2 rows against the rebuild's 2",
        "silver/stock: 2 rows against the rebuild's 3",
    ]
