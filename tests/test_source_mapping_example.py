"""The worked example of docs/source-mapping.md: a real B2B CRM export ingested by configuration only."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, SHARED_DATA
from ground.catalogue import SILVER_TABLES
from ground.run import RunContext
from jobs.bronze.ingest import run_bronze
from jobs.silver.build import run_silver

EXPORT = SHARED_DATA / "crm-sales-opportunities" / "sales_pipeline.csv"
EXAMPLE = REPO_ROOT / "conf" / "examples" / "crm_b2b" / "sources.yaml"


def _example(config, mapping: Path, *exports: Path):  # type: ignore[no-untyped-def]
    """The configuration with a worked example's mapping, and the shared exports in its landing folder."""
    example = config.with_overrides(**yaml.safe_load(mapping.read_text()))
    landing = Path(example.paths.landing_dir) / "crm_b2b"
    landing.mkdir(parents=True)
    for export in exports:
        shutil.copy(export, landing / export.name)
    return example


@pytest.mark.skipif(not EXPORT.exists(), reason="shared CRM dataset not present")
def test_b2b_crm_export_lands_in_silver_by_configuration(spark, config) -> None:  # type: ignore[no-untyped-def]
    example = yaml.safe_load(EXAMPLE.read_text())
    b2b = config.with_overrides(**example)
    landing = Path(b2b.paths.landing_dir) / "crm_b2b"
    landing.mkdir(parents=True)
    shutil.copy(EXPORT, landing / "sales_pipeline.csv")

    ctx = RunContext.create(spark, b2b, run_date=date(2026, 11, 22))
    steps = {r.step: r for r in [*run_bronze(ctx), *run_silver(ctx)]}

    assert steps["bronze:customer_pipeline"].rows_out == 8800
    assert steps["bronze:customer_pipeline"].rows_quarantined == 0
    assert steps["silver:customer_pipeline"].rows_quarantined == 0
    silver = spark.read.format("delta").load(SILVER_TABLES["customer_pipeline"].location(b2b.paths.lake_root))
    stages = Counter(r.stage for r in silver.select("stage").collect())
    # the export's own counts: 500 Prospecting, 1589 Engaging, 4238 Won, 2473 Lost
    assert stages == {"C0": 500, "C2": 1589, "WON": 4238, "LOST": 2473}
    # the base mapping's other columns did not leak into the example's
    assert silver.where("customer_phone is not null").count() == 0
    assert silver.where("opty_id = '1C1I7A6R'").select("dealer_code", "product_line").collect()[0] == (
        "Moses Frase",
        "GTX Plus Basic",
    )

    # the export again a day later, one open deal moved on: with no update timestamp either way,
    # the later delivery wins
    lines = EXPORT.read_text().splitlines()
    changed = [line for line in lines if line.startswith("UP409DSB,") or line.startswith("opportunity_id")]
    assert len(changed) == 2 and ",Engaging," in changed[1] and changed[1].endswith(",,")
    changed[1] = changed[1].replace(",Engaging,", ",Prospecting,")
    (landing / "sales_pipeline_2.csv").write_text("\n".join(changed) + "\n")
    ctx = RunContext.create(spark, b2b, run_date=date(2026, 11, 22))
    list(run_bronze(ctx))
    list(run_silver(ctx))
    silver = spark.read.format("delta").load(SILVER_TABLES["customer_pipeline"].location(b2b.paths.lake_root))
    assert silver.where("opty_id = 'UP409DSB'").select("stage").collect()[0].stage == "C0"
    assert silver.count() == 8800


@pytest.mark.skipif(not EXPORT.exists(), reason="shared CRM dataset not present")
def test_b2b_crm_export_reaches_gold_and_scores_at_its_documented_date(spark, config) -> None:  # type: ignore[no-untyped-def]
    from ground.catalogue import GOLD_TABLES
    from ground.lake import read_table
    from jobs.nightly import run_pipeline

    b2b = _example(config, EXAMPLE, EXPORT)
    day = date(2017, 6, 30)  # docs/source-mapping.md: SCV_ENV=b2b scv nightly --date 2017-06-30
    outcome = run_pipeline(RunContext.create(spark, b2b, run_date=date(2026, 11, 22)), [day], echo=lambda _: None)
    assert outcome.failed == [] and not outcome.is_incomplete
    lake = b2b.paths.lake_root
    geo = read_table(GOLD_TABLES["dealer_geo"].location(lake)).to_pylist()
    # the agents with an open (Engaging) deal engaged by the date: the export's own rows say which
    with EXPORT.open() as handle:
        open_agents = {
            r["sales_agent"]
            for r in csv.DictReader(handle)
            if r["deal_stage"] == "Engaging" and r["engage_date"] <= str(day)
        }
    assert {g["dealer_code"] for g in geo} == open_agents and len(open_agents) == 17
    assert {(g["taluka"], g["district"]) for g in geo} == {("All", "All")}
    hotspot = read_table(GOLD_TABLES["macro_market_hotspot_taluka_5d"].location(lake)).to_pylist()
    assert [(h["taluka"], h["dealer_count"] == len(geo)) for h in hotspot] == [("All", True)]
    scores = {r["opty_id"]: r for r in read_table(GOLD_TABLES["scv_customer_score"].location(lake)).to_pylist()}
    # every deal still Engaging that was engaged in the 90 days to the date is open and scored
    assert len(scores) == 366
    # AW4PSTWR, engaged 2017-06-25, 5 days before: lead age 100 x 55/57, no closure date 30, no enquiry type 50,
    # Warm 55, Institutional 75, last contact its engagement 5 days ago 100 x 16/18, no calls 0, no stock 0
    expected = 0.15 * 100 * 55 / 57 + 0.10 * 30 + 0.05 * 50 + 0.25 * 55 + 0.05 * 75 + 0.10 * 100 * 16 / 18
    assert scores["AW4PSTWR"]["total_score"] == round(expected, 2) == 46.36
    assert scores["AW4PSTWR"]["dealer_code"] == "Rosie Papadopoulos"


MASTER_EXAMPLE = REPO_ROOT / "conf" / "examples" / "retail_master" / "sources.yaml"
TEAMS = SHARED_DATA / "crm-sales-opportunities" / "sales_teams.csv"


@pytest.mark.skipif(not EXPORT.exists(), reason="shared CRM dataset not present")
def test_a_dealer_master_and_a_retail_export_place_every_dealer_and_count_the_sales(spark, config) -> None:  # type: ignore[no-untyped-def]
    from ground.catalogue import GOLD_TABLES
    from ground.lake import read_table
    from jobs.nightly import run_pipeline

    example = _example(config, MASTER_EXAMPLE, EXPORT, TEAMS)
    day = date(2017, 6, 30)
    ctx = RunContext.create(spark, example, run_date=date(2026, 11, 22))
    outcome = run_pipeline(ctx, [day], echo=lambda _: None)
    assert outcome.failed == [] and not outcome.is_incomplete
    steps = {r.step: r for r in outcome.results}
    with EXPORT.open() as handle:
        deals = list(csv.DictReader(handle))
    with TEAMS.open() as handle:
        teams = {r["sales_agent"]: r["regional_office"] for r in csv.DictReader(handle)}
    won = [d for d in deals if d["deal_stage"] == "Won"]
    assert steps["silver:retail"].rows_out == len(won) == 4238
    assert f"{len(deals) - len(won):,} row(s) left out by the mapping's where" in steps["silver:retail"].message
    lake = example.paths.lake_root
    geo = read_table(GOLD_TABLES["dealer_geo"].location(lake)).to_pylist()
    # every agent of the master is placed, in its regional office, the agents without an open deal too
    assert {(g["dealer_code"], g["taluka"], g["location_origin"]) for g in geo} == {
        (agent, office, "dealer_master") for agent, office in teams.items()
    }
    sales = read_table(GOLD_TABLES["dealer_retail_5d"].location(lake)).to_pylist()
    window = [d for d in won if "2017-06-26" <= d["close_date"] <= "2017-06-30"]  # the 5-day window
    assert sum(r["retail_cur"] for r in sales) == len(window)
    markets = read_table(GOLD_TABLES["macro_market_hotspot_taluka_5d"].location(lake)).to_pylist()
    assert sorted(m["taluka"] for m in markets) == sorted(set(teams.values()))
    values = read_table(SILVER_TABLES["retail"].location(lake), columns=["value"]).column("value").to_pylist()
    assert sum(values) == sum(float(d["close_value"]) for d in won)
