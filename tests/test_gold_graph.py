"""The declared gold graph: ordered from the inputs each table declares, every table's logic where its name
says, the declared inputs the ones its SQL reads, and the shared 'as known' view."""

from __future__ import annotations

import importlib
import re
from dataclasses import replace
from datetime import date, datetime

import pytest

from gold.graph import RUN_VIEWS, SQL_DIR, GraphError, graph_order, run_sql
from gold_sql_inputs import PARAMS, lead_row, pipeline_history
from ground.catalogue import APP_TABLES, GOLD_TABLES, GOLD_VIEWS, SILVER_TABLES
from ground.catalogue.table import Table, cols

CTE = re.compile(r"^([a-z_][a-z0-9_]*) as \(", re.MULTILINE)
READS = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)")


def _sql_reads(text: str) -> set[str]:
    code = "\n".join(line.split("--")[0] for line in text.splitlines())
    return set(READS.findall(code)) - set(CTE.findall(code))


def test_every_node_comes_after_what_it_reads() -> None:
    order = graph_order()
    assert sorted(order) == sorted([*GOLD_VIEWS, *(t for t in GOLD_TABLES if GOLD_TABLES[t].built_by is None)])
    for name in order:
        inputs = GOLD_VIEWS[name].inputs if name in GOLD_VIEWS else GOLD_TABLES[name].inputs
        for dependency in inputs:
            if dependency not in SILVER_TABLES and dependency not in APP_TABLES:  # read, never built by gold
                assert order.index(dependency) < order.index(name), f"{name} runs before its input {dependency}"


def test_each_table_has_its_logic_under_its_name() -> None:
    for table in GOLD_TABLES.values():
        owner = table.built_by or table.name
        if table.logic == "sql":
            assert (SQL_DIR / "gold" / f"{owner}.sql").is_file(), table.name
        else:
            assert callable(importlib.import_module(f"gold.{owner}").build), table.name
    for view in GOLD_VIEWS.values():
        assert (SQL_DIR / "views" / f"{view.name}.sql").is_file(), view.name
    # and no SQL file without a catalogue entry
    assert {p.stem for p in (SQL_DIR / "gold").glob("*.sql")} <= set(GOLD_TABLES)
    assert {p.stem for p in (SQL_DIR / "views").glob("*.sql")} <= set(GOLD_VIEWS)


@pytest.mark.parametrize("name", sorted(n for n, t in GOLD_TABLES.items() if t.logic == "sql") + sorted(GOLD_VIEWS))
def test_declared_inputs_are_what_the_sql_reads(name: str) -> None:
    folder = "views" if name in GOLD_VIEWS else "gold"
    declared = set(GOLD_VIEWS[name].inputs if name in GOLD_VIEWS else GOLD_TABLES[name].inputs)
    reads = _sql_reads((SQL_DIR / folder / f"{name}.sql").read_text(encoding="utf-8"))
    assert reads - set(RUN_VIEWS) == declared


def test_the_score_sql_reads_what_the_score_declares() -> None:
    reads = _sql_reads((SQL_DIR / "gold" / "scv_customer_score.sql").read_text(encoding="utf-8"))
    assert reads - {"score_dates"} == set(GOLD_TABLES["scv_customer_score"].inputs)


def test_a_new_table_takes_its_place_from_its_inputs_alone() -> None:
    tables = dict(GOLD_TABLES)
    tables["dealer_leads_by_taluka"] = Table(
        "dealer_leads_by_taluka",
        "gold",
        cols("as_of_date date, taluka string, leads bigint"),
        key=("as_of_date", "taluka"),
        partition_by=("as_of_date",),
        inputs=("dealer_market_features_5d",),
    )
    order = graph_order(tables)
    assert order.index("dealer_market_features_5d") < order.index("dealer_leads_by_taluka")


def test_a_cycle_or_an_unknown_input_is_refused() -> None:
    cyclic = dict(GOLD_TABLES)
    cyclic["dealer_geo"] = replace(GOLD_TABLES["dealer_geo"], inputs=("district_top3_talukas",))
    with pytest.raises(GraphError, match="cycle"):
        graph_order(cyclic)
    unknown = dict(GOLD_TABLES)
    unknown["dealer_geo"] = replace(GOLD_TABLES["dealer_geo"], inputs=("dealer_master",))
    with pytest.raises(GraphError, match="dealer_master"):
        graph_order(unknown)


def test_opportunity_versions_gives_the_known_range_of_each_version(spark) -> None:  # type: ignore[no-untyped-def]
    spark.createDataFrame([(date(2024, 1, 10),)], "as_of_date date").createOrReplaceTempView("as_of_dates")
    pipeline_history(
        spark,
        [
            lead_row("O1", "D1", date(2024, 1, 5), "Cold", datetime(2024, 1, 5, 9)),
            lead_row("O1", "D1", date(2024, 1, 5), "Warm", datetime(2024, 1, 7, 9)),
            lead_row("O1", "D1", date(2024, 1, 5), "Hot", datetime(2024, 1, 7, 18)),  # same day: supersedes Warm
            lead_row("O2", "D1", date(2023, 9, 1), "Hot", datetime(2023, 9, 1, 9)),  # out of the look back
            {**lead_row("O3", "D1", date(2024, 1, 9), "Hot", datetime(2024, 1, 9)), "updated_at": None},
        ],
    )
    rows = run_sql(spark, "opportunity_versions", PARAMS, folder="views").collect()
    ranges = sorted((r.opty_id, r.lead_classification, r.known_from_date, r.known_until_date) for r in rows)
    assert ranges == [
        ("O1", "Cold", date(2024, 1, 5), date(2024, 1, 7)),
        ("O1", "Hot", date(2024, 1, 7), date(9999, 12, 31)),
        ("O1", "Warm", date(2024, 1, 7), date(2024, 1, 7)),  # never the known state at the end of a day
    ]
