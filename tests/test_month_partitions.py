"""Silver tables partitioned by month: a MERGE reads and rewrites only the months its rows can be in, a corrected
date moves its row (never two rows for a key), and a table an older release wrote unpartitioned is rewritten by
month once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from deltalake import DeltaTable

from frames import frame
from ground.catalogue import SILVER_TABLES
from ground.catalogue.table import PARTITION_MONTH
from ground.spark_io import append, conformed, ensure_month_partitions, merge_upsert, month_prune
from testkit import commit_files

RETAIL = SILVER_TABLES["retail"]  # month of retail_date, which is not in its key: a correction can move a row
STOCK = SILVER_TABLES["stock"]  # month of snapshot_date, which is in its key: a row never moves
AT = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


def sale(retail_id: str, day: date | None, units: int = 1) -> dict[str, object]:
    return {"retail_id": retail_id, "dealer_code": "DLR1", "retail_date": day, "product_line": "Pickup",
            "units": units, "source_file": "r.csv", "source_line": 1, "ingested_at": AT}  # fmt: skip


def stored(spark, lake: str) -> dict[str, tuple[date | None, date | None]]:  # type: ignore[no-untyped-def]
    rows = spark.read.format("delta").load(RETAIL.location(lake)).collect()
    assert len(rows) == len({r.retail_id for r in rows})  # one row per key
    return {r.retail_id: (r.retail_date, r.partition_month) for r in rows}


def test_the_catalogue_adds_the_month_column_and_partitions_by_it() -> None:
    assert RETAIL.partition_by == (PARTITION_MONTH,) and RETAIL.column_names[-1] == PARTITION_MONTH
    assert PARTITION_MONTH not in [name for name, _ in RETAIL.data_columns]  # no source maps it
    assert STOCK.month_keeps_to_key and not RETAIL.month_keeps_to_key


def test_a_corrected_date_moves_its_row_and_other_months_are_not_touched(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    first = [sale("R1", date(2026, 1, 20)), sale("R2", date(2026, 2, 3)), sale("R3", date(2026, 3, 1))]
    merge_upsert(spark, frame(spark, "retail", first), RETAIL, lake)
    merge_upsert(spark, frame(spark, "retail", [sale("R3", date(2026, 3, 1), units=2)]), RETAIL, lake)
    assert DeltaTable(RETAIL.location(lake)).metadata().partition_columns == [PARTITION_MONTH]

    # R1's date corrected into March: it leaves January; February is neither read for rewriting nor touched
    merge_upsert(spark, frame(spark, "retail", [sale("R1", date(2026, 3, 9)), sale("R4", None)]), RETAIL, lake)
    assert stored(spark, lake) == {
        "R1": (date(2026, 3, 9), date(2026, 3, 1)),
        "R2": (date(2026, 2, 3), date(2026, 2, 1)),
        "R3": (date(2026, 3, 1), date(2026, 3, 1)),
        "R4": (None, None),
    }
    merge = DeltaTable(RETAIL.location(lake)).history()[0]["operationParameters"]
    assert "partition_month" in (merge.get("mergePredicate") or merge["predicate"])  # Sail's name, Delta's
    touched = commit_files(RETAIL.location(lake))
    assert touched["remove"] and all("2026-01-01" in path for path in touched["remove"])
    assert not any("2026-02-01" in path for path in touched["add"] + touched["remove"])

    # a row without a date is matched in the null partition: updated, not inserted again
    merge_upsert(spark, frame(spark, "retail", [sale("R4", None, units=3)]), RETAIL, lake)
    assert stored(spark, lake)["R4"] == (None, None)
    assert spark.read.format("delta").load(RETAIL.location(lake)).where("retail_id = 'R4'").first().units == 3


def test_the_months_a_merge_reads(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    merge_upsert(spark, frame(spark, "retail", [sale("R1", date(2026, 1, 20)), sale("R2", date(2026, 2, 3))]),
                 RETAIL, lake)  # fmt: skip
    source = conformed(frame(spark, "retail", [sale("R1", date(2026, 3, 9)), sale("R5", date(2026, 5, 2))]), RETAIL)
    # R1's stored month too (it moves out of January); not February, where none of the source's keys is
    predicate = month_prune(spark, source, RETAIL, RETAIL.location(lake))
    assert predicate == "(t.`partition_month` in (date'2026-01-01', date'2026-03-01', date'2026-05-01'))"

    def snapshot(day: date) -> dict[str, object]:
        return {"snapshot_date": day, "dealer_code": "DLR1", "product_line": "Pickup", "total_stock": 3,
                "saleable_stock": 2, "source_file": "s.csv", "source_line": 1, "ingested_at": AT}  # fmt: skip

    merge_upsert(spark, frame(spark, "stock", [snapshot(date(2026, 1, 31))]), STOCK, lake)
    source = conformed(frame(spark, "stock", [snapshot(date(2026, 2, 1))]), STOCK)
    # the month is in the key: no lookup of stored months, only the source's
    assert month_prune(spark, source, STOCK, STOCK.location(lake)) == "(t.`partition_month` in (date'2026-02-01'))"
    assert month_prune(spark, source.limit(0), STOCK, STOCK.location(lake)) == "false"


def test_a_table_written_unpartitioned_is_rewritten_by_month_once(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    old = replace(RETAIL, columns=RETAIL.data_columns, partition_by=(), month_of=None)  # as an older release wrote it
    rows = [sale("R1", date(2026, 1, 20)), sale("R2", date(2026, 2, 3))]
    append(spark.createDataFrame([tuple(r.get(c) for c in old.column_names) for r in rows], old.ddl), old, lake)
    assert DeltaTable(RETAIL.location(lake)).metadata().partition_columns == []

    assert ensure_month_partitions(spark, RETAIL, lake) == 2
    assert DeltaTable(RETAIL.location(lake)).metadata().partition_columns == [PARTITION_MONTH]
    assert stored(spark, lake) == {
        "R1": (date(2026, 1, 20), date(2026, 1, 1)),
        "R2": (date(2026, 2, 3), date(2026, 2, 1)),
    }
    assert ensure_month_partitions(spark, RETAIL, lake) == 0  # once

    merge_upsert(spark, frame(spark, "retail", [sale("R2", date(2026, 1, 30))]), RETAIL, lake)
    assert stored(spark, lake)["R2"] == (date(2026, 1, 30), date(2026, 1, 1))
