"""The data-quality step's validator: the same outcomes whether a table's rows are checked in process or on the
engine."""

from __future__ import annotations

from datetime import date

from ground.catalogue.table import Check, between, in_set, not_null
from jobs.quality import Validator

CHECKS = (
    not_null("opty_id"),
    Check("unique", (("column", "opty_id"),)),
    Check("compound_unique", (("column_list", ["opty_id", "day"]),)),
    in_set("status", ("Open", "Won")),
    between("duration_s", 0),
    Check("not_null", (("column", "status"), ("mostly", 0.5)), "warn"),
)
ROWS = [
    ("a", "Open", 5, date(2024, 1, 1)),
    ("a", "Shut", -1, date(2024, 1, 2)),
    ("b", None, 3, date(2024, 1, 1)),
    (None, "Won", 0, date(2024, 1, 3)),
]
SCHEMA = "opty_id string, status string, duration_s int, day date"


def test_a_tables_rows_give_the_same_outcomes_in_process_as_on_the_engine(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(ROWS, SCHEMA)
    validator = Validator()
    assert validator.batch(df, 4).datasource.name == "night"  # 4 rows: fetched and checked in process
    assert validator.batch(df, 3).datasource.name == "lake"  # more rows than that: on the engine
    in_process = validator.validate("t", df, CHECKS, in_process_rows=4)
    on_engine = validator.validate("t", df, CHECKS, in_process_rows=0)
    assert in_process == on_engine
    outcomes = [(r["expectation"], r["column_name"], r["success"], r["unexpected_count"]) for r in in_process]
    assert sorted(outcomes) == sorted(
        [  # in whichever order Great Expectations gives them
            ("expect_column_values_to_not_be_null", "opty_id", False, 1),
            ("expect_column_values_to_be_unique", "opty_id", False, 2),
            ("expect_compound_columns_to_be_unique", "opty_id,day", True, 0),
            ("expect_column_values_to_be_in_set", "status", False, 1),
            ("expect_column_values_to_be_between", "duration_s", False, 1),
            ("expect_column_values_to_not_be_null", "status", True, 1),
        ]
    )


def test_a_table_with_no_rows_tonight_meets_its_checks_either_way(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(ROWS, SCHEMA).where("duration_s > 100")
    validator = Validator()
    in_process = validator.validate("t", df, CHECKS, in_process_rows=10)
    assert in_process == validator.validate("t", df, CHECKS, in_process_rows=0)
    assert all(r["success"] and r["unexpected_count"] == 0 for r in in_process)
