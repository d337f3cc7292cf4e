"""The worked example of docs/architecture.md (adding a gold table) is run as written, so the page cannot go
stale: the catalogue entry takes its place in the graph, and the SQL and the test give the rows they claim."""

from __future__ import annotations

import re
from datetime import date

import pytest
from chispa import assert_df_equality

from frames import ddl_frame, frame
from gold.graph import graph_order
from gold_sql_inputs import AS_OF, PARAMS, dates  # noqa: F401  (dates is a fixture)
from ground.catalogue import GOLD_TABLES
from ground.catalogue.table import Table, between, cols
from ground.config import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
EXAMPLE = DOC[DOC.index("## Worked example") :]


def _block(language: str, index: int = 0) -> str:
    return re.findall(rf"```{language}\n(.*?)```", EXAMPLE, re.DOTALL)[index]


def test_the_catalogue_entry_is_ordered_after_its_input() -> None:
    entry: Table = eval(_block("python", 0), {"Table": Table, "cols": cols, "between": between})  # noqa: S307
    tables = {**GOLD_TABLES, entry.name: entry}
    order = graph_order(tables)
    assert order.index("dealer_leads_5d") < order.index(entry.name)


@pytest.mark.usefixtures("dates")
def test_the_sql_and_the_test_of_the_example_hold(spark) -> None:  # type: ignore[no-untyped-def]
    sql = _block("sql")

    def run_sql(spark, name, params):  # type: ignore[no-untyped-def]
        assert name == "dealer_intent_share_5d"
        return spark.sql(sql)

    namespace = {
        "pytest": pytest,
        "frame": frame,
        "ddl_frame": ddl_frame,
        "assert_df_equality": assert_df_equality,
        "run_sql": run_sql,
        "AS_OF": AS_OF,
        "PARAMS": PARAMS,
        "date": date,
    }
    exec(_block("python", 1), namespace)  # noqa: S102
    namespace["test_dealer_intent_share_5d"](spark)
