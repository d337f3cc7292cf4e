"""`scv reprocess`: a mapping change applies to rows already loaded once the source is reprocessed, gold for
the dates is rebuilt, and reprocessing again changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hostile_corpus import LEADS, RETAIL, lead, retail

from ground.catalogue import GOLD_TABLES, SILVER_TABLES
from ground.lake import read_table
from ground.run import RunContext
from jobs.nightly import run_pipeline
from scv import cli
from testkit.hashes import lake_hashes


@pytest.fixture
def lake(spark, config, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    landing = Path(config.paths.landing_dir)
    (landing / "crm_opportunities").mkdir(parents=True)
    (landing / "crm_opportunities" / "leads_20240105.csv").write_text("\n".join([LEADS, lead("L1"), lead("L2")]) + "\n")
    (landing / "dms_retail").mkdir(parents=True)
    rows = [retail("R1", product="pickup"), retail("R2", product="PICKUP"), retail("R3", product="van")]
    (landing / "dms_retail" / "retail_20240105.csv").write_text("\n".join([RETAIL, *rows]) + "\n")
    run_pipeline(RunContext.create(spark, config), [date(2024, 1, 5)], quality=False, echo=lambda _: None)
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    for path in (Path(__file__).parents[1] / "conf" / "base").glob("*.yaml"):
        (conf / "base" / path.name).write_text(path.read_text())
    for name, value in {
        "SCV_LAKE_ROOT": config.paths.lake_root,
        "SCV_LANDING_DIR": config.paths.landing_dir,
        "SCV_OUTBOX_DIR": config.paths.outbox_dir,
        "SCV_TRUTH_DIR": config.paths.truth_dir,
        "SCV_CONF_DIR": str(conf),
        "SCV_ENV": "fix",
    }.items():
        monkeypatch.setenv(name, value)
    return config, conf


def _product_lines(config) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = read_table(SILVER_TABLES["retail"].location(config.paths.lake_root)).to_pylist()
    return {r["retail_id"]: r["product_line"] for r in rows}


def test_a_mapping_change_reaches_loaded_rows_only_through_reprocess(lake, capsys) -> None:  # type: ignore[no-untyped-def]
    config, conf = lake
    assert _product_lines(config) == {"R1": "pickup", "R2": "PICKUP", "R3": "van"}
    # the fix: product lines through a code map (case-insensitive), unknown ones kept as they are
    (conf / "fix").mkdir()
    retail_mapping = {**config.raw["sources"]["retail"]}
    retail_mapping["columns"] = {
        **retail_mapping["columns"],
        "product_line": {"from": "Product Line", "codes": "lines", "unmapped": "keep", "required": True},
    }
    (conf / "fix" / "sources.yaml").write_text(
        yaml.safe_dump({"sources": {"retail": retail_mapping}, "codes": {"lines": {"PICKUP": "Pickup 1.5T"}}})
    )
    # 3: the tiny landing has no calls, stock or journey, so the night is incomplete; the data is what counts
    assert cli.main(["nightly", "--date", "2024-01-05", "--skip-quality"]) == 3
    assert _product_lines(config)["R1"] == "pickup"  # a plain night takes new rows only: nothing changed

    assert cli.main(["reprocess", "--source", "retail"]) == 0
    out = capsys.readouterr().out
    assert "silver:retail" in out and "gold:dealer_retail_5d" in out and "gold 2024-01-05..2024-01-05" in out
    assert _product_lines(config) == {"R1": "Pickup 1.5T", "R2": "Pickup 1.5T", "R3": "van"}
    retail_gold = read_table(GOLD_TABLES["dealer_retail_5d"].location(config.paths.lake_root)).to_pylist()
    assert [(r["dealer_code"], r["retail_cur"]) for r in retail_gold] == [("D1", 3)]

    before = lake_hashes(config.paths.lake_root, ("silver", "gold", "quarantine"))
    assert cli.main(["reprocess", "--source", "retail"]) == 0
    assert lake_hashes(config.paths.lake_root, ("silver", "gold", "quarantine")) == before


def test_an_unknown_source_is_refused(lake, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["reprocess", "--source", "sales"]) == 2
    assert "no source 'sales' in the mapping" in capsys.readouterr().err
