"""`scv maintain`: compaction and vacuum through delta-rs leave every row in place."""

from __future__ import annotations

from datetime import date

from deltalake import DeltaTable

from ground.catalogue import GOLD_TABLES
from ground.lake import read_table, write_rows
from operations.maintain import maintain

STOCK = GOLD_TABLES["dealer_stock"]


def test_compact_then_vacuum_keeps_the_rows(config) -> None:  # type: ignore[no-untyped-def]
    lake = config.paths.lake_root
    for day in (1, 2, 3):
        for dealer in ("A", "B"):
            row = {"as_of_date": date(2024, 1, day), "dealer_code": dealer, "total_stock": day, "saleable_stock": 1}
            write_rows(STOCK, lake, [row])
    before = read_table(STOCK.location(lake)).sort_by([("as_of_date", "ascending"), ("dealer_code", "ascending")])
    assert len(DeltaTable(STOCK.location(lake)).file_uris()) == 6

    dry = maintain(config, retention_hours=0, dry_run=True)
    assert [(r.name, r.files_before, r.files_after, r.vacuumed) for r in dry] == [("gold/dealer_stock", 6, 6, 0)]

    [result] = maintain(config, retention_hours=0)
    assert (result.files_before, result.files_after, result.error) == (6, 3, "")  # one file per date partition
    assert result.vacuumed == 6  # the six small files no version needs any more
    after = read_table(STOCK.location(lake)).sort_by([("as_of_date", "ascending"), ("dealer_code", "ascending")])
    assert after.equals(before)
