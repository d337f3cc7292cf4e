"""Mapping features, all in YAML: two export formats feeding one table, fallback chains, templates,
constants, code maps with a default, a row filter, a disabled source, and the quarantine-rate limit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ground.catalogue import SILVER_TABLES
from ground.lake import read_table
from ground.run import RunContext
from jobs.bronze.ingest import run_bronze
from jobs.silver.build import run_silver

DMS_A = "Invoice No,Dealer,Invoice Date,Product Line,Qty\nA1,D1,2024-01-05,Pickup,2\nA2,D1,2024-01-05,Van,1\n"
DMS_B = (
    "INVOICE_REF;dealer no ;Billed On;Dispatched On;Make;Model;Kind\n"
    "B1;D2;;2024-01-04;Tata;Ace;sale\n"  # no billing date: the dispatch date stands in
    "B2;D2;2024-01-05;;Tata;Intra;SALE\n"
    "B3;D2;2024-01-05;;Tata;Intra;demo\n"  # not a sale: left out by the mapping's where
)
SOURCES = {
    "sources": {
        "retail": None,  # the base mapping of retail is switched off: two DMS vendors feed it instead
        "stock": {"enabled": False},
        "retail_dms_a": {
            "table": "retail",
            "path": "dms_a/*.csv",
            "columns": {
                "retail_id": {"from": "Invoice No", "required": True},
                "dealer_code": {"from": "Dealer", "required": True},
                "retail_date": {"from": "Invoice Date", "type": "date", "format": "yyyy-MM-dd", "required": True},
                "product_line": {"from": "Product Line", "codes": "lines", "unmapped": "keep"},
                "units": {"from": "Qty", "type": "int", "min": 1, "required": True},
            },
        },
        "retail_dms_b": {
            "table": "retail",
            "path": "dms_b/*.csv",
            "where": {"Kind": ["sale"]},
            "columns": {
                "retail_id": {"from": "invoice_ref", "required": True},
                "dealer_code": {"from": "Dealer No", "required": True},
                "retail_date": {
                    "from": ["Billed On", "Dispatched On"],
                    "type": "date",
                    "format": "yyyy-MM-dd",
                    "required": True,
                },
                "product_line": {"template": "{Make} {Model}", "codes": "lines", "unmapped": "default",
                                 "default": "Other"},
                "units": {"value": "1", "type": "int"},
            },
        },
    },
    "codes": {"lines": {"Tata Ace": "Mini Truck", "Van": "Van"}},
}  # fmt: skip


def _run(spark, config) -> dict:  # type: ignore[no-untyped-def,type-arg]
    ctx = RunContext.create(spark, config, run_date=date(2024, 1, 6))
    return {r.step: r for r in [*run_bronze(ctx), *run_silver(ctx)]}


def _write(folder: Path, relative: str, text: str) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_two_exports_feed_one_table_with_chains_templates_codes_and_a_filter(spark, config) -> None:  # type: ignore[no-untyped-def]
    config = config.with_overrides(**SOURCES)
    assert sorted(config.sources) == [
        "accounts",
        "call_log",
        "customer_journey",
        "customer_pipeline",
        "dealers",
        "retail_dms_a",
        "retail_dms_b",
        "targets",
    ]
    landing = Path(config.paths.landing_dir)
    _write(landing, "dms_a/a_20240105.csv", DMS_A)
    _write(landing, "dms_b/B_20240105.CSV", DMS_B)  # upper-case extension, semicolons, odd header case
    steps = _run(spark, config)
    assert "dms_b/B_20240105.CSV: read with delimiter ';'" in steps["bronze:retail_dms_b"].message
    assert "1 row(s) left out by the mapping's where" in steps["silver:retail_dms_b"].message
    retail = {
        r["retail_id"]: r for r in read_table(SILVER_TABLES["retail"].location(config.paths.lake_root)).to_pylist()
    }
    assert {k: (r["dealer_code"], str(r["retail_date"]), r["product_line"], r["units"]) for k, r in retail.items()} == {
        "A1": ("D1", "2024-01-05", "Pickup", 2),  # unmapped code kept as it is
        "A2": ("D1", "2024-01-05", "Van", 1),
        "B1": ("D2", "2024-01-04", "Mini Truck", 1),  # the dispatch date stood in; make + model mapped
        "B2": ("D2", "2024-01-05", "Other", 1),  # an unmapped code took the default
    }
    assert not (Path(config.paths.lake_root) / "bronze" / "stock").exists()  # the disabled source did nothing


def test_a_source_whose_rows_mostly_fail_applies_nothing_until_the_mapping_is_fixed(spark, config) -> None:  # type: ignore[no-untyped-def]
    landing = Path(config.paths.landing_dir)
    rows = "".join(f"R{i},D1,0{i}-01-2024,Van,1,\n" for i in range(1, 5))  # dd-MM-yyyy, the mapping says ISO
    _write(
        landing, "dms_retail/retail_20240105.csv", "Invoice No,Dealer,Invoice Date,Product Line,Qty,Opty Ref\n" + rows
    )
    first = _run(spark, config)["silver:retail"]
    assert first.status == "failed"
    assert "4 of 4 rows (100%) fail a rule, more than pipeline.max_quarantine_rate (5%): nothing was applied" in (
        first.message
    )
    assert "scv mapping check --source retail" in first.message
    assert read_table(SILVER_TABLES["retail"].location(config.paths.lake_root)) is None
    fixed = config.with_overrides(
        sources={
            "retail": {
                **config.raw["sources"]["retail"],
                "columns": {
                    **config.raw["sources"]["retail"]["columns"],
                    "retail_date": {"from": "Invoice Date", "type": "date", "format": "dd-MM-yyyy", "required": True},
                },
            }
        }
    )
    second = _run(spark, fixed)["silver:retail"]  # the same bronze rows, taken again
    assert (second.status, second.rows_in, second.rows_out) == ("ok", 4, 4)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"template": "no fields"}, "names no export column"),
        ({"from": "A", "value": "x"}, "exactly one of 'from'"),
        ({"from": "A", "unmapped": "keep"}, "only a column with 'codes' has unmapped codes"),
        ({"from": "A", "codes": "lines", "unmapped": "default"}, "give 'default' exactly when unmapped is 'default'"),
    ],
)
def test_mapping_mistakes_are_named(config, column: dict, message: str) -> None:  # type: ignore[type-arg,no-untyped-def]
    from ground.config import ConfigError

    broken = {"sources": {"retail": {"path": "x", "columns": {"retail_id": column}}}, "codes": {"lines": {"a": "b"}}}
    with pytest.raises(ConfigError, match=message):
        config.with_overrides(**broken)
