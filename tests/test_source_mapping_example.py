"""The worked example of docs/source-mapping.md: a real B2B CRM export ingested by configuration only."""

from __future__ import annotations

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
