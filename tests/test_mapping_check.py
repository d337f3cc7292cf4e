"""`scv mapping check` before anything is loaded: a wrong date format, a missing required column and a source
without files are blockers (exit 1) with what the gold layer will lack; a clean mapping exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scv import cli

HEADER = "Invoice No,Dealer,Invoice Date,Product Line,Qty,Opty Ref\n"


@pytest.fixture
def landing(config, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    for name, value in {
        "SCV_LAKE_ROOT": config.paths.lake_root,
        "SCV_LANDING_DIR": config.paths.landing_dir,
        "SCV_OUTBOX_DIR": config.paths.outbox_dir,
        "SCV_TRUTH_DIR": config.paths.truth_dir,
        "SCV_ENV": "base",
    }.items():
        monkeypatch.setenv(name, value)
    folder = Path(config.paths.landing_dir) / "dms_retail"
    folder.mkdir(parents=True)
    return folder


def test_a_wrong_date_format_is_a_blocker_before_a_row_is_loaded(landing, capsys) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"R{i},D1,0{i}-01-2024,Van,1,\n" for i in range(1, 5))
    (landing / "retail_20240105.csv").write_text(HEADER + rows)
    assert cli.main(["mapping", "check", "--source", "retail"]) == 1
    out = capsys.readouterr().out
    assert "retail: BLOCKED" in out
    assert "BLOCKER retail_date: 4 of 4 sampled rows fail (100%), e.g. bad_date: '01-01-2024'" in out
    assert not (landing.parent.parent / "lake" / "bronze").exists()  # nothing was loaded


def test_a_missing_required_column_and_a_source_without_files(landing, capsys) -> None:  # type: ignore[no-untyped-def]
    (landing / "retail_20240105.csv").write_text("Invoice No,Dealer,Invoice Date,Product Line\nR1,D1,2024-01-05,Van\n")
    assert cli.main(["mapping", "check"]) == 1
    out = capsys.readouterr().out
    assert "required column(s) ['Qty'] missing" in out
    assert "customer_pipeline: BLOCKED" in out and "no file under" in out
    assert "gold will lack: no opportunities: every gold table is empty" in out


def test_a_clean_mapping_exits_0_and_speaks_json(landing, capsys) -> None:  # type: ignore[no-untyped-def]
    (landing / "retail_20240105.csv").write_text(HEADER + "R1,D1,2024-01-05,Van,1,\nR2,D1,2024-01-05,Van,2,O1\n")
    assert cli.main(["mapping", "check", "--source", "retail", "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["status"] == "ok" and report["files"] == ["dms_retail/retail_20240105.csv"]
    dates = next(c for c in report["columns"] if c["name"] == "retail_date")
    assert (dates["checked"], dates["failed"], dates["found_in"]) == (2, 0, 1)
