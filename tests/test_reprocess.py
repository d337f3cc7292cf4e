"""`scv reprocess`, as a user runs it: a mapping change applies to rows already loaded once the source is
reprocessed, gold for the dates is rebuilt, and reprocessing again changes nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hostile_corpus import LEADS, RETAIL, lead, retail

from conftest import scv_environment
from ground.catalogue import GOLD_TABLES, SILVER_TABLES
from ground.lake import read_table
from ground.run import RunContext
from jobs.nightly import run_pipeline
from testkit.hashes import lake_hashes

pytestmark = pytest.mark.e2e


def _scv(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scv.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def lake(spark, config, tmp_path):  # type: ignore[no-untyped-def]
    landing = Path(config.paths.landing_dir)
    (landing / "crm_opportunities").mkdir(parents=True)
    (landing / "crm_opportunities" / "leads_20240105.csv").write_text("\n".join([LEADS, lead("L1"), lead("L2")]) + "\n")
    (landing / "dms_retail").mkdir(parents=True)
    rows = [retail("R1", product="pickup"), retail("R2", product="PICKUP"), retail("R3", product="van")]
    (landing / "dms_retail" / "retail_20240105.csv").write_text("\n".join([RETAIL, *rows]) + "\n")
    run_pipeline(RunContext.create(spark, config), [date(2024, 1, 5)], quality=False, echo=lambda _: None)
    return config


def _product_lines(config) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = read_table(SILVER_TABLES["retail"].location(config.paths.lake_root)).to_pylist()
    return {r["retail_id"]: r["product_line"] for r in rows}


def test_a_mapping_change_reaches_loaded_rows_only_through_reprocess(lake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = lake
    assert _product_lines(config) == {"R1": "pickup", "R2": "PICKUP", "R3": "van"}
    # the fix: product lines through a code map (case-insensitive), unknown ones kept as they are
    retail_mapping = {**config.raw["sources"]["retail"]}
    retail_mapping["columns"] = {
        **retail_mapping["columns"],
        "product_line": {"from": "Product Line", "codes": "lines", "unmapped": "keep", "required": True},
    }
    fix = {"sources.yaml": {"sources": {"retail": retail_mapping}, "codes": {"lines": {"PICKUP": "Pickup 1.5T"}}}}
    env = scv_environment(tmp_path, fix)  # the same lake, landing and paths as the fixture's config
    # 3: the tiny landing has no calls, stock or journey, so the night is incomplete; the data is what counts
    assert _scv(env, "nightly", "--date", "2024-01-05", "--skip-quality").returncode == 3
    assert _product_lines(config)["R1"] == "pickup"  # a plain night takes new rows only: nothing changed

    done = _scv(env, "reprocess", "--source", "retail")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "silver:retail" in out and "gold:dealer_retail_5d" in out and "gold 2024-01-05..2024-01-05" in out
    assert _product_lines(config) == {"R1": "Pickup 1.5T", "R2": "Pickup 1.5T", "R3": "van"}
    retail_gold = read_table(GOLD_TABLES["dealer_retail_5d"].location(config.paths.lake_root)).to_pylist()
    assert [(r["dealer_code"], r["retail_cur"]) for r in retail_gold] == [("D1", 3)]

    before = lake_hashes(config.paths.lake_root, ("silver", "gold", "quarantine"))
    assert _scv(env, "reprocess", "--source", "retail").returncode == 0
    assert lake_hashes(config.paths.lake_root, ("silver", "gold", "quarantine")) == before


def test_an_unknown_source_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _scv(scv_environment(tmp_path), "reprocess", "--source", "sales")
    assert done.returncode == 2 and "no source 'sales' in the mapping" in done.stderr
