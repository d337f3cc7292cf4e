"""The CRM worked example for backtests (conf/examples/crm_b2b/opened_versions.yaml): every closed deal of the
real export gains the version it had while open, dated by its engage date, and nothing known only at
closing is in it; a close date mapped into a score field would be caught by scv calibrate's leakage check."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO_ROOT, SHARED_DATA
from ground.catalogue import SILVER_TABLES
from ground.lake import read_table
from ground.run import RunContext
from jobs.bronze.ingest import run_bronze
from jobs.silver.build import run_silver
from operations.calibration.dataset import COMPONENTS, VERSION_COLUMNS, leak_report, set_at_close_shares

EXPORT = SHARED_DATA / "crm-sales-opportunities" / "sales_pipeline.csv"
EXAMPLE = REPO_ROOT / "conf" / "examples" / "crm_b2b"


@pytest.mark.skipif(not EXPORT.exists(), reason="shared CRM dataset not present")
def test_closed_deals_gain_their_open_version_and_nothing_set_at_closing(spark, config) -> None:  # type: ignore[no-untyped-def]
    # as conf/<env>/ would merge the two files
    b2b = config.with_overrides(**yaml.safe_load((EXAMPLE / "sources.yaml").read_text()))
    b2b = b2b.with_overrides(**yaml.safe_load((EXAMPLE / "opened_versions.yaml").read_text()))
    landing = Path(b2b.paths.landing_dir) / "crm_b2b"
    landing.mkdir(parents=True)
    shutil.copy(EXPORT, landing / "sales_pipeline.csv")
    ctx = RunContext.create(spark, b2b, run_date=date(2026, 11, 22))
    steps = {r.step: r for r in [*run_bronze(ctx), *run_silver(ctx)]}
    assert steps["silver:customer_pipeline_opened"].rows_quarantined == 0

    location = SILVER_TABLES["customer_pipeline_history"].location(b2b.paths.lake_root)
    versions = read_table(location, columns=VERSION_COLUMNS + ["stage"]).to_pandas()  # type: ignore[union-attr]
    # the export's 8,800 rows, plus an open version for each of its 4,238 won and 2,473 lost deals
    assert len(versions) == 8800 + 4238 + 2473
    first = versions[versions["opty_id"] == "1C1I7A6R"].sort_values("updated_at")
    assert [(r.stage, r.status, str(r.updated_at.date())) for r in first.itertuples()] == [
        ("C2", "Open", "2016-10-20"),  # engaged
        ("WON", "Won", "2017-03-01"),  # closed
    ]
    # the current table still holds one row per deal, its closing version
    current = read_table(SILVER_TABLES["customer_pipeline"].location(b2b.paths.lake_root), columns=["status"])
    assert current is not None and current.num_rows == 8800

    # nothing a score reads is set only at closing ...
    assert set(set_at_close_shares(versions).values()) == {0.0}
    # ... while the close date mapped into expected_closure_date would be, and would be left out of the fit
    closing = versions["status"] != "Open"
    leaky = versions.assign(expected_closure_date=versions["updated_at"].dt.date.where(closing, None))
    train = pd.DataFrame({f"score_{c}": [50.0, 50.0] for c in COMPONENTS} | {"label": [0, 1]})
    report = leak_report(leaky, train, threshold_share=0.5, max_auc=0.95)
    assert [(leak.component, leak.why) for leak in report.leaks] == [
        ("expected_closure", "expected_closure_date is empty while open and set at closing in 100% of closed deals")
    ]
