"""`scv quarantine` and `scv files` as an operator uses them: the lines set aside with file, line, rule,
column and value; a CSV export a spreadsheet cannot run; rejected files listed and acknowledged."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hostile_corpus import CASES, write_corpus

from ground.run import RunContext
from jobs.bronze.ingest import run_bronze
from jobs.silver.build import run_silver
from scv import cli

FORMULAS = [
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
]


@pytest.fixture
def lake(spark, hostile_config, monkeypatch):  # type: ignore[no-untyped-def]
    config = hostile_config
    landing = Path(config.paths.landing_dir)
    write_corpus(landing)
    # a retail file whose bad values look like spreadsheet formulas
    hostile = landing / "dms_retail" / "retail_99_formulas.csv"
    rows = [f"R99{i},D1,{value},Pickup,1,L1" for i, value in enumerate(FORMULAS)]
    hostile.write_text("Invoice No,Dealer,Invoice Date,Product Line,Qty,Opty Ref\n" + "\n".join(rows) + "\n")
    ctx = RunContext.create(spark, config)
    list(run_bronze(ctx))
    list(run_silver(ctx))
    for name, value in {
        "SCV_LAKE_ROOT": config.paths.lake_root,
        "SCV_LANDING_DIR": config.paths.landing_dir,
        "SCV_OUTBOX_DIR": config.paths.outbox_dir,
        "SCV_TRUTH_DIR": config.paths.truth_dir,
        "SCV_ENV": "base",
    }.items():
        monkeypatch.setenv(name, value)
    return config


def test_quarantine_lists_file_line_rule_column_and_value(lake, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["quarantine", "--source", "call_log", "--limit", "100"]) == 0
    out = capsys.readouterr().out
    assert "bronze dialer_calls/calls_07_ragged.csv:3  wrong_field_count" in out
    assert "silver dialer_calls/calls_13_values.csv:2  below_min duration_s  '-5'" in out
    assert "silver dialer_calls/calls_13_values.csv:4  orphan_key opty_id  'NOPE'" in out
    assert cli.main(["quarantine", "--rule", "too_long"]) == 0
    out = capsys.readouterr().out
    assert "retail_16_huge_value.csv:2  too_long product_line" in out and "PPPP" in out


def test_the_csv_export_neutralises_formulas(lake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "q.csv"
    assert cli.main(["quarantine", "--file", "retail_99", "--csv", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    values = sorted(r["value"] for r in rows if r["rule"] == "bad_date")
    assert values == sorted("'" + v for v in FORMULAS)
    assert all(not r["value"].startswith(("=", "+", "-", "@")) for r in rows)


def test_files_lists_rejected_files_and_skip_acknowledges_one(lake, capsys) -> None:  # type: ignore[no-untyped-def]
    rejected = [c for c in CASES if c.rejected]
    assert cli.main(["files"]) == 0
    out = capsys.readouterr().out
    assert f"rejected files: {len(rejected)} ({len(rejected)} outstanding)" in out
    assert "crm_opportunities/leads_03_binary.csv" in out and "not text (binary)" in out
    assert cli.main(["files", "skip", "crm_opportunities/leads_02_empty.csv", "--reason", "no activity"]) == 0
    assert cli.main(["files", "skip", "crm_opportunities/leads_02_empty.csv", "--reason", "again"]) == 1
    assert cli.main(["files"]) == 0
    out = capsys.readouterr().out
    assert f"({len(rejected) - 1} outstanding)" in out and "skipped by" in out and ": no activity" in out
