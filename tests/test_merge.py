"""Write helpers: seed a target under tmp_path, write, check the rows, the merge metrics and the files touched."""

from __future__ import annotations

from datetime import date

from chispa import assert_df_equality
from deltalake import DeltaTable

from frames import ddl_frame
from ground.catalogue import GOLD_TABLES, OPS_TABLES
from ground.lake import commit_metrics
from ground.spark_io import merge_insert_new, merge_upsert, replace_dates
from testkit import commit_files

STOCK = GOLD_TABLES["dealer_stock"]
D1, D2 = date(2024, 1, 9), date(2024, 1, 10)


def _stock(spark, rows):  # type: ignore[no-untyped-def]
    return ddl_frame(spark, STOCK.ddl, rows)


def test_replace_dates_inserts_updates_deletes_and_touches_only_those_dates(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    location = STOCK.location(lake)
    replace_dates(_stock(spark, [(D1, "A", D1, 5, 3), (D1, "B", D1, 2, 2), (D2, "A", D2, 4, 1)]), STOCK, lake, [D1, D2])

    # rerun of D2: A updated, C new; B of D1 untouched because D1 is not in this run
    replace_dates(_stock(spark, [(D2, "A", D2, 6, 6), (D2, "C", D2, 1, 1)]), STOCK, lake, [D2])
    expected = _stock(spark, [(D1, "A", D1, 5, 3), (D1, "B", D1, 2, 2), (D2, "A", D2, 6, 6), (D2, "C", D2, 1, 1)])
    actual = spark.read.format("delta").load(location).select(*STOCK.column_names)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    touched = commit_files(location)
    assert touched["remove"] and all("as_of_date=2024-01-10" in path for path in touched["remove"] + touched["add"])

    # D2 recomputed without C: C is gone, D1 still untouched
    replace_dates(_stock(spark, [(D2, "A", D2, 6, 6)]), STOCK, lake, [D2])
    assert all("as_of_date=2024-01-10" in path for path in commit_files(location)["remove"])
    assert sorted((r.as_of_date, r.dealer_code) for r in spark.read.format("delta").load(location).collect()) == [
        (D1, "A"),
        (D1, "B"),
        (D2, "A"),
    ]

    # a date with no rows any more is emptied
    replace_dates(_stock(spark, []), STOCK, lake, [D1])
    assert [r.as_of_date for r in spark.read.format("delta").load(location).collect()] == [D2]


def test_a_table_is_created_with_the_catalogue_column_order_and_nullability(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    replace_dates(_stock(spark, [(D1, "A", D1, 5, 3)]), STOCK, lake, [D1])
    fields = DeltaTable(STOCK.location(lake)).schema().fields
    assert [f.name for f in fields] == STOCK.column_names  # the partition column is not moved last
    assert all(f.nullable for f in fields)
    assert spark.read.format("delta").load(STOCK.location(lake)).columns == STOCK.column_names


def test_merge_upsert_newer_version_wins(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    table = OPS_TABLES["silver_progress"]
    from datetime import datetime

    def rows(*items):  # type: ignore[no-untyped-def]
        return ddl_frame(spark, table.ddl, [(s, t, "run", t) for s, t in items])

    merge_upsert(spark, rows(("a", datetime(2024, 1, 2)), ("b", datetime(2024, 1, 2))), table, lake)
    condition = "s.ingested_through > t.ingested_through"
    merge_upsert(
        spark,
        rows(("a", datetime(2024, 1, 1)), ("b", datetime(2024, 1, 3))),
        table,
        lake,
        update_when=condition,
    )
    metrics = commit_metrics(table.location(lake))
    assert (metrics["numTargetRowsUpdated"], metrics["numTargetRowsInserted"]) == (1, 0)
    got = {r.source: r.ingested_through for r in spark.read.format("delta").load(table.location(lake)).collect()}
    assert got == {"a": datetime(2024, 1, 2), "b": datetime(2024, 1, 3)}


def test_a_merge_into_a_table_without_rows_is_written_as_an_append(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    lake = str(tmp_path)
    table = OPS_TABLES["silver_progress"]
    first = ddl_frame(spark, table.ddl, [("a", datetime(2024, 1, 2), "run", datetime(2024, 1, 2))])
    merge_upsert(spark, first, table, lake, update_when="s.ingested_through > t.ingested_through")
    operations = [c["operation"] for c in DeltaTable(table.location(lake)).history()]
    assert operations[0] == "WRITE" and "MERGE" not in operations  # newest first: the append, then the create
    newer = ddl_frame(spark, table.ddl, [("a", datetime(2024, 1, 3), "run", datetime(2024, 1, 3))])
    merge_upsert(spark, newer, table, lake, update_when="s.ingested_through > t.ingested_through")
    assert DeltaTable(table.location(lake)).history()[0]["operation"] == "MERGE"  # rows now: a real MERGE
    got = spark.read.format("delta").load(table.location(lake)).collect()
    assert [(r.source, r.ingested_through) for r in got] == [("a", datetime(2024, 1, 3))]


def test_merge_insert_new_is_idempotent(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lake = str(tmp_path)
    table = OPS_TABLES["ingested_files"]
    row = [("calls", "f.csv", "abc", "r1", 3, 0, None, None, None)]
    merge_insert_new(spark, ddl_frame(spark, table.ddl, row), table, lake)
    version = DeltaTable(table.location(lake)).version()
    merge_insert_new(spark, ddl_frame(spark, table.ddl, row), table, lake)
    # nothing to insert: either no new commit, or a commit that inserted nothing
    again = DeltaTable(table.location(lake)).version()
    assert again == version or commit_metrics(table.location(lake))["numTargetRowsInserted"] == 0
    assert spark.read.format("delta").load(table.location(lake)).count() == 1


def test_clear_staging_removes_the_files_of_overwritten_versions(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ground.spark_io import clear_staging, stage

    lake = str(tmp_path)
    first = stage(spark, _stock(spark, [(D1, "A", D1, 5, 3)]), lake, "t")
    assert first.count() == 1
    second = stage(spark, _stock(spark, [(D2, "B", D2, 1, 1), (D2, "C", D2, 2, 2)]), lake, "t")
    files = lambda: sorted(p.name for p in (tmp_path / "_staging" / "t").glob("**/*.parquet"))  # noqa: E731
    before = files()
    assert clear_staging(lake) >= 1
    assert len(files()) < len(before)
    assert second.count() == 2  # the current version is intact


def test_a_column_added_to_the_catalogue_reaches_an_existing_table(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    lake = str(tmp_path)
    old = replace(STOCK, columns=STOCK.columns[:-1])  # the table as an older release created it
    replace_dates(ddl_frame(spark, old.ddl, [(D1, "A", D1, 5)]), old, lake, [D1])
    assert "saleable_stock" not in spark.read.format("delta").load(STOCK.location(lake)).columns

    replace_dates(_stock(spark, [(D2, "A", D2, 4, 1)]), STOCK, lake, [D2])
    rows = {r.as_of_date: r.saleable_stock for r in spark.read.format("delta").load(STOCK.location(lake)).collect()}
    assert rows == {D1: None, D2: 1}
